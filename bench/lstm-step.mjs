#!/usr/bin/env node
/**
 * One LSTM training step, timed by phase: a 2-layer LSTM (input 64, hidden
 * 128) over sequences of 32 steps, batch 32, a linear head and cross
 * entropy on every step, Adam. Uses the built dist/ (npm run build first).
 *
 *   node bench/lstm-step.mjs [backend] [repeats]      (backend: js, wasm, native; default all)
 *
 * Prints the median forward, backward and optimizer times, the process's
 * CPU time per step (steadier than wall time when other work shares the
 * cores; worker threads count too) and, for the
 * whole step, the share of time in each backend primitive (matmul,
 * elementwise, ...), counted by wrapping the backend's methods.
 */
import * as bp from "../dist/index.js";
import * as registry from "../dist/backend/registry.js";

const [L, N, IN, H, LAYERS, CLASSES] = [32, 32, 64, 128, 2, 27];
const wanted = process.argv[2] ? [process.argv[2]] : bp.availableBackends();
const repeats = Number(process.argv[3] ?? 10);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

for (const name of wanted) {
  await bp.setBackend(name);
  bp.manualSeed(0);
  const lstm = new bp.nn.LSTM(IN, H, { numLayers: LAYERS });
  const head = new bp.nn.Linear(H, CLASSES);
  const params = [...lstm.parameters(), ...head.parameters()];
  const opt = new bp.optim.Adam(params, { lr: 1e-3 });
  const x = bp.randn([L, N, IN]);
  const y = bp.randint(0, CLASSES, [L * N]);
  const times = { forward: [], backward: [], step: [], cpu: [] };
  const step = () => {
    const t0 = performance.now();
    const [out] = lstm.forward(x);
    const loss = bp.F.crossEntropy(head.forward(out).reshape([L * N, CLASSES]), y);
    const t1 = performance.now();
    opt.zeroGrad();
    loss.backward();
    const t2 = performance.now();
    opt.step();
    const t3 = performance.now();
    return [t1 - t0, t2 - t1, t3 - t2];
  };
  for (let i = 0; i < 3; i++) step(); // warm up
  for (let i = 0; i < repeats; i++) {
    const c0 = process.cpuUsage();
    const [f, b, s] = step();
    const c = process.cpuUsage(c0);
    times.forward.push(f); times.backward.push(b); times.step.push(s); times.cpu.push((c.user + c.system) / 1000);
  }
  // Time per backend primitive over a few more steps.
  const backend = registry.backend;
  const perOp = new Map();
  let restore = () => {};
  if (backend) {
    const originals = [];
    for (const key of Object.keys(backend)) {
      const fn = backend[key];
      if (typeof fn !== "function" || originals.some(([k]) => k === key)) continue;
      originals.push([key, fn]);
      backend[key] = function (...args) {
        const t = performance.now();
        try { return fn.apply(this, args); } finally {
          const label = key === "binary" || key === "unary" ? `${key}:${args[0]}` : key;
          perOp.set(label, (perOp.get(label) ?? 0) + performance.now() - t);
        }
      };
    }
    restore = () => { for (const [k, fn] of originals) backend[k] = fn; };
  }
  const t0 = performance.now();
  const profiled = 3;
  for (let i = 0; i < profiled; i++) step();
  const total = (performance.now() - t0) / profiled;
  restore();
  const f = median(times.forward), b = median(times.backward), s = median(times.step);
  console.log(`\n${name}: forward ${f.toFixed(1)} ms, backward ${b.toFixed(1)} ms, Adam ${s.toFixed(2)} ms, step ${(f + b + s).toFixed(1)} ms (median of ${repeats}); CPU time ${median(times.cpu).toFixed(1)} ms per step (less sensitive to a busy machine)`);
  if (perOp.size) {
    const rows = [...perOp].map(([k, v]) => [k, v / profiled]).sort((p, q) => q[1] - p[1]);
    const inBackend = rows.reduce((a, [, v]) => a + v, 0);
    console.log(`  in backend primitives: ${inBackend.toFixed(1)} of ${total.toFixed(1)} ms per step (${((100 * inBackend) / total).toFixed(0)}%); the rest is graph building, views and dispatch`);
    for (const [k, v] of rows.slice(0, 10)) console.log(`    ${k.padEnd(22)} ${v.toFixed(2).padStart(8)} ms  ${((100 * v) / total).toFixed(1).padStart(5)}%`);
  }
}
