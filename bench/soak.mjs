#!/usr/bin/env node
/**
 * `npm run soak`: long training loops, watching memory. Three loops, each on
 * every backend and in PyTorch (bench/soak_torch.py, when /usr/bin/python3
 * has torch), each in a fresh process:
 *   lecture  the lecture's 64-32-32-10 sigmoid network, squared error on
 *            one-hot targets, SGD, batch 16: 100,000 steps;
 *   mnist    784-256-128-10 ReLU, cross-entropy, Adam, batch 128: 20,000 steps;
 *   convnet  W6's convnet, cross-entropy, Adam, batch 64: 2,000 steps (wasm
 *            and native; ours only).
 * Samples the RSS every 1% of the steps and prints every tenth sample, the
 * growth from the middle to the end (medians of the samples in the tenth of
 * the run before each, bench/lib/soak.mjs), the peak RSS, and our V8 heap,
 * array buffers, live and pooled tensor bytes. `npm run bench` has a shorter
 * version (the SOAK rows).
 *
 * Options: --steps-scale F (e.g. 0.1 for a shorter soak), --only lecture|mnist|convnet,
 * --backends js,wasm, --no-python. Needs `npm run build` (npm run soak builds).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { LOOPS, SAMPLES, growth, runSoak, soakChild } from "./lib/soak.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};

if (args[0] === "--child") await soakChild(args[1], args[2], Number(args[3]));
else parent();

function parent() {
  const scale = Number(arg("--steps-scale", "1"));
  const only = arg("--only", null);
  const hasNative = existsSync(join(here, "..", "build", "Release", "backprop_native.node"));
  const backends = arg("--backends", hasNative ? "js,wasm,native" : "js,wasm").split(",");
  const python = !args.includes("--no-python") && spawnSync("/usr/bin/python3", ["-c", "import torch"]).status === 0;
  const rows = [];
  for (const [name, loop] of Object.entries(LOOPS)) {
    if (only && only !== name) continue;
    const steps = Math.max(1, Math.round((loop.steps * scale) / SAMPLES)) * SAMPLES;
    const impls = [...backends.filter((b) => !loop.backends || loop.backends.includes(b)), ...(python && !loop.oursOnly ? ["torch"] : [])];
    for (const impl of impls) {
      const label = impl === "torch" ? "PyTorch" : `ours ${impl}`;
      process.stdout.write(`${name} (${steps} steps) on ${label}:\n`);
      const r = runSoak(name, impl, steps);
      if (r.error) {
        process.stdout.write(`  failed: ${r.error}\n`);
        continue;
      }
      for (const p of r.points.filter((_, i) => i % 10 === 9)) {
        const ours = p.live !== undefined ? `  V8 heap ${mb(p.heapTotal)} (used ${mb(p.heapUsed)})  array buffers ${mb(p.arrayBuffers)}  live ${mb(p.live)}  pooled ${mb(p.pooled)}` : "";
        process.stdout.write(`  step ${String(p.step).padStart(6)}  rss ${mb(p.rss)}${ours}  loss ${p.loss.toFixed(4)}\n`);
      }
      const g = growth(r.points);
      const row = { loop: name, impl: label, steps, g, peakMb: r.peakRss / 2 ** 20, seconds: r.seconds };
      rows.push(row);
      process.stdout.write(`  RSS ${mb(g.midRss).trim()} at the middle, ${mb(g.endRss).trim()} at the end: ${signed(g.mb)} MB (${signed(g.percent)}%); peak RSS ${row.peakMb.toFixed(1)} MB; ${row.seconds.toFixed(1)} s\n`);
      const span = ([lo, hi]) => `${mb(lo).trim()} to ${mb(hi).trim()}`;
      process.stdout.write(`  RSS range in the middle window ${span(g.midRange)}, in the end window ${span(g.endRange)}\n`);
    }
  }
  process.stdout.write("\nloop      impl          steps   RSS middle → end (growth)            peak RSS    time\n");
  for (const r of rows) {
    process.stdout.write(`${r.loop.padEnd(9)} ${r.impl.padEnd(12)} ${String(r.steps).padStart(7)}   ${mb(r.g.midRss)} → ${mb(r.g.endRss)} (${signed(r.g.percent).padStart(6)}%)   ${r.peakMb.toFixed(1).padStart(7)} MB ${r.seconds.toFixed(1).padStart(7)} s\n`);
  }
}

function mb(bytes) {
  return `${(bytes / 2 ** 20).toFixed(1).padStart(7)} MB`;
}

function signed(x) {
  return `${x >= 0 ? "+" : ""}${x.toFixed(1)}`;
}
