#!/usr/bin/env node
/**
 * Profiling helper (not part of `npm run bench`): times one W7 training
 * step (the character transformer of bench/impls/ours.mjs, or with `lstm`
 * the W7L LSTM step) on one backend and splits it into forward, backward
 * and the optimizer step; with `ops` it also counts the graph nodes one
 * step records, by op name. A second build can be timed by
 * passing its dist folder, so two builds compare under the same load:
 *
 *   node bench/profile/w7-step.mjs native 50 [transformer|lstm] [ops] [DIST]
 *
 * Run it under `node --cpu-prof` and summarise with bench/profile/summarize.mjs.
 */
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { W7 } from "../lib/workloads.mjs";
import { fakeLabels } from "../lib/timing.mjs";
import { w7Lstm, w7Transformer } from "../lib/w7-models.mjs";

const [backend = "native", stepsArg = "30", model = "transformer", ops = "", dist = "dist"] = process.argv.slice(2);
const steps = Number(stepsArg);
const distUrl = (p) => pathToFileURL(resolve(dist, p)).href;
const bp = await import(distUrl("index.js"));
await bp.setBackend(backend);
bp.manualSeed(0);

const { model: network, forward } = model === "lstm" ? w7Lstm(bp) : w7Transformer(bp);
const parameters = network.parameters();
const tokens = bp.tensor(fakeLabels(W7.batch * W7.context, W7.vocab, 40), { dtype: "int32" }).reshape([W7.batch, W7.context]);
const targets = bp.tensor(fakeLabels(W7.batch * W7.context, W7.vocab, 41), { dtype: "int32" });
const optimizer = new bp.optim.AdamW(parameters, { lr: W7.lr, weightDecay: W7.weightDecay });

if (ops === "ops") {
  // The graph one step records: its nodes by op name, walked from the loss.
  const loss = bp.F.crossEntropy(forward(tokens).reshape([-1, W7.vocab]), targets);
  const counts = new Map(), seen = new Set(), stack = [loss.gradFn];
  while (stack.length > 0) {
    const node = stack.pop();
    if (!node || seen.has(node) || !node.next) continue;
    seen.add(node);
    counts.set(node.name, (counts.get(node.name) ?? 0) + 1);
    for (const edge of node.next) if (edge && edge.next) stack.push(edge);
  }
  console.log(`graph nodes: ${seen.size}: ` + [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(", "));
}

const times = { forward: [], backward: [], step: [], total: [] };
let cpu = null;
// Each step in bp.tidy, as the bench runs it (an older build without it runs the step as it is).
const tidy = typeof bp.tidy === "function" ? bp.tidy : (f) => f();
for (let i = 0; i < steps + 3; i++) {
  if (i === 3) cpu = process.cpuUsage();
  const [t0, t1, t2, t3] = tidy(() => {
    const t0 = performance.now();
    optimizer.zeroGrad();
    const loss = bp.F.crossEntropy(forward(tokens).reshape([-1, W7.vocab]), targets);
    const t1 = performance.now();
    loss.backward();
    const t2 = performance.now();
    optimizer.step();
    loss.item();
    return [t0, t1, t2, performance.now()];
  });
  if (i < 3) continue; // warm-up: JIT, buffer pools
  times.forward.push(t1 - t0);
  times.backward.push(t2 - t1);
  times.step.push(t3 - t2);
  times.total.push(t3 - t0);
}
const used = process.cpuUsage(cpu);
const median = (a) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
// CPU time per step (all threads) is steadier than wall time on a shared machine.
console.log(`${dist} ${backend} ${model}: ${steps} steps, median wall ms: ` + Object.entries(times).map(([k, v]) => `${k} ${median(v).toFixed(2)}`).join(", ") +
  `; CPU ms per step ${((used.user + used.system) / 1000 / steps).toFixed(2)}`);
