#!/usr/bin/env node
/**
 * Profiling helper (not part of `npm run bench`): times one W6 training
 * step — Conv2d(1,32,5,p2)-ReLU-MaxPool2d(2)-Conv2d(32,64,5,p2)-ReLU-
 * MaxPool2d(2)-Flatten-Linear(3136,10) on [64,1,28,28], cross-entropy,
 * Adam — on one backend, and splits it into forward, backward and the
 * optimizer step. Run it under `node --cpu-prof` and summarise the profile
 * with bench/profile/summarize.mjs for per-kernel self time.
 *
 *   npm run build && node bench/profile/conv-step.mjs native 20
 */
import * as bp from "../../dist/index.js";

const backend = process.argv[2] ?? "native";
const steps = Number(process.argv[3] ?? 10);
await bp.setBackend(backend);
bp.manualSeed(0);
const model = new bp.nn.Sequential(
  new bp.nn.Conv2d(1, 32, 5, { padding: 2 }), new bp.nn.ReLU(), new bp.nn.MaxPool2d(2),
  new bp.nn.Conv2d(32, 64, 5, { padding: 2 }), new bp.nn.ReLU(), new bp.nn.MaxPool2d(2),
  new bp.nn.Flatten(), new bp.nn.Linear(3136, 10),
);
const optimizer = new bp.optim.Adam(model.parameters(), { lr: 1e-3 });
const x = bp.rand([64, 1, 28, 28]);
const y = bp.randint(0, 10, [64]);

const times = { forward: [], backward: [], step: [], total: [] };
let cpu = null;
for (let i = 0; i < steps + 2; i++) {
  if (i === 2) cpu = process.cpuUsage();
  const t0 = performance.now();
  optimizer.zeroGrad();
  const loss = bp.F.crossEntropy(model.forward(x), y);
  loss.item();
  const t1 = performance.now();
  loss.backward();
  const t2 = performance.now();
  optimizer.step();
  const t3 = performance.now();
  if (i < 2) continue; // warm-up: JIT, buffer pools
  times.forward.push(t1 - t0);
  times.backward.push(t2 - t1);
  times.step.push(t3 - t2);
  times.total.push(t3 - t0);
}
const used = process.cpuUsage(cpu);
const median = (a) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
// CPU time per step (all threads) is steadier than wall time on a shared machine.
console.log(`${backend}: ${steps} steps, median wall ms: ` + Object.entries(times).map(([k, v]) => `${k} ${median(v).toFixed(1)}`).join(", ") +
  `; CPU ms per step ${((used.user + used.system) / 1000 / steps).toFixed(1)}`);
