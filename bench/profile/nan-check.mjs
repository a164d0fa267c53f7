#!/usr/bin/env node
/**
 * Profiling helper (not part of `npm run bench`): what the CLI trainer's
 * per-step NaN/Inf gradient check costs on an MNIST-sized MLP step
 * (784-256-128-10 ReLU, batch 128, cross-entropy, Adam). Blocks of steps
 * alternate between the element-by-element check the trainer used before
 * (a JS loop over every gradient element) and the current one (one sum per
 * gradient on the backend, src/cli/non-finite.ts), in one process, so that
 * machine load falls on both alike. Prints the median step time of each.
 *
 *   npm run build && node bench/profile/nan-check.mjs native 15
 */
import * as bp from "../../dist/index.js";
import { nonFiniteGradient } from "../../dist/cli/non-finite.js";

const backend = process.argv[2] ?? "native";
const rounds = Number(process.argv[3] ?? 15);
const BLOCK = 10;
await bp.setBackend(backend);
bp.manualSeed(0);
const model = new bp.nn.Sequential(new bp.nn.Linear(784, 256), new bp.nn.ReLU(), new bp.nn.Linear(256, 128), new bp.nn.ReLU(), new bp.nn.Linear(128, 10));
const optimizer = new bp.optim.Adam(model.parameters(), { lr: 1e-3 });
const x = bp.rand([128, 784]);
const y = bp.randint(0, 10, [128]);
const named = model.namedParameters();

/** The trainer's former check: x * 0 is 0 for finite x and NaN otherwise, summed over every element in JS. */
function elementLoop() {
  for (const [name, p] of named) {
    const g = p.grad?.data();
    if (!g) continue;
    let probe = 0;
    for (let i = 0; i < g.length; i++) probe += g[i] * 0;
    if (probe !== 0) return name;
  }
  return null;
}
const checks = { none: () => null, "element loop (before)": elementLoop, "one sum per gradient (now)": () => nonFiniteGradient(named) };

function step(check) {
  optimizer.zeroGrad();
  bp.F.crossEntropy(model.forward(x), y).backward();
  if (check() !== null) throw new Error("a gradient was not finite");
  optimizer.step();
}

const times = Object.fromEntries(Object.keys(checks).map((k) => [k, []]));
const checkOnly = Object.fromEntries(Object.keys(checks).map((k) => [k, []]));
for (let i = 0; i < 3 * BLOCK; i++) step(checks.none); // warm-up
for (let r = 0; r < rounds; r++) {
  for (const [name, check] of Object.entries(checks)) {
    const t0 = performance.now();
    for (let i = 0; i < BLOCK; i++) step(check);
    times[name].push((performance.now() - t0) / BLOCK);
    const c0 = performance.now();
    for (let i = 0; i < BLOCK; i++) check();
    checkOnly[name].push((performance.now() - c0) / BLOCK);
  }
}
const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
const base = median(times.none);
console.log(`${backend}: ${rounds} rounds of ${BLOCK} steps per variant, alternating; medians`);
for (const name of Object.keys(checks)) {
  const t = median(times[name]);
  console.log(`  ${name.padEnd(28)} step ${t.toFixed(3)} ms (${(((t - base) / base) * 100).toFixed(1)}% over no check); the check alone ${(median(checkOnly[name]) * 1000).toFixed(0)} µs`);
}
