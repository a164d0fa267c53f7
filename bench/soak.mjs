#!/usr/bin/env node
/**
 * `npm run soak`: long training loops, watching memory. Two loops, each on
 * every backend and in PyTorch (bench/soak_torch.py, when /usr/bin/python3
 * has torch), each in a fresh process:
 *   lecture  the lecture's 64-32-32-10 sigmoid network, squared error on
 *            one-hot targets, SGD, batch 16: 100,000 steps;
 *   mnist    784-256-128-10 ReLU, cross-entropy, Adam, batch 128: 20,000 steps.
 * Prints the RSS at ten checkpoints, the growth from the middle to the end,
 * the peak RSS, and our live/pooled tensor bytes.
 *
 * Options: --steps-scale F (e.g. 0.1 for a shorter soak), --only lecture|mnist,
 * --backends js,wasm, --no-python. Needs `npm run build` (npm run soak builds).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};

export const LOOPS = {
  lecture: { sizes: [64, 32, 32, 10], batch: 16, steps: 100_000 },
  mnist: { sizes: [784, 256, 128, 10], batch: 128, steps: 20_000 },
};
const CHECKPOINTS = 10;

if (args[0] === "--child") await child(args[1], args[2], Number(args[3]));
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
    const steps = Math.max(CHECKPOINTS, Math.round(loop.steps * scale));
    const runs = backends.map((b) => ({ label: `ours ${b}`, cmd: process.execPath, argv: [fileURLToPath(import.meta.url), "--child", name, b, String(steps)] }));
    if (python) runs.push({ label: "PyTorch", cmd: "/usr/bin/python3", argv: [join(here, "soak_torch.py"), name, String(steps)] });
    for (const run of runs) {
      process.stdout.write(`${name} (${steps} steps) on ${run.label}:\n`);
      const r = spawnSync(run.cmd, run.argv, { encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? "1" } });
      if (r.status !== 0) {
        process.stdout.write(`  failed: ${r.stderr.trim().split("\n").slice(-3).join(" | ")}\n`);
        continue;
      }
      const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
      const points = lines.filter((l) => l.step !== undefined);
      for (const p of points) process.stdout.write(`  step ${String(p.step).padStart(6)}  rss ${mb(p.rss)}${p.live !== undefined ? `  live ${mb(p.live)}  pooled ${mb(p.pooled)}` : ""}  loss ${p.loss.toFixed(4)}\n`);
      const mid = points[Math.floor(points.length / 2) - 1];
      const end = points[points.length - 1];
      const done = lines.find((l) => l.peakRss !== undefined);
      const row = { loop: name, impl: run.label, steps, midToEndMb: (end.rss - mid.rss) / 2 ** 20, peakMb: done.peakRss / 2 ** 20, seconds: done.seconds };
      rows.push(row);
      process.stdout.write(`  growth from step ${mid.step} to ${end.step}: ${row.midToEndMb.toFixed(1)} MB; peak RSS ${row.peakMb.toFixed(1)} MB; ${row.seconds.toFixed(1)} s\n`);
    }
  }
  process.stdout.write("\nloop      impl          steps   RSS growth mid→end   peak RSS    time\n");
  for (const r of rows) process.stdout.write(`${r.loop.padEnd(9)} ${r.impl.padEnd(12)} ${String(r.steps).padStart(7)}   ${r.midToEndMb.toFixed(1).padStart(10)} MB   ${r.peakMb.toFixed(1).padStart(8)} MB ${r.seconds.toFixed(1).padStart(7)} s\n`);
}

function mb(bytes) {
  return `${(bytes / 2 ** 20).toFixed(1).padStart(7)} MB`;
}

/** One loop on one backend; prints one JSON line per checkpoint and one at the end. */
async function child(name, backendName, steps) {
  const bp = await import("../dist/index.js");
  await bp.setBackend(backendName);
  const step = makeStep(bp, LOOPS[name]);
  const every = Math.max(1, Math.floor(steps / CHECKPOINTS));
  const start = performance.now();
  for (let s = 1; s <= steps; s++) {
    const loss = step();
    if (s % every === 0 || s === steps) {
      const m = bp.memory();
      console.log(JSON.stringify({ step: s, rss: process.memoryUsage().rss, live: m.liveBytes, pooled: m.pooledBytes, loss }));
    }
  }
  console.log(JSON.stringify({ peakRss: process.resourceUsage().maxRSS * 1024, seconds: (performance.now() - start) / 1000 }));
}

/** A closure running one training step of the named loop on fixed pseudo-random data; returns the loss. */
export function makeStep(bp, loop) {
  bp.manualSeed(0);
  const [inputs, ...rest] = loop.sizes;
  const classes = rest[rest.length - 1];
  const lecture = loop === LOOPS.lecture;
  const layers = [];
  let width = inputs;
  rest.forEach((w, i) => {
    layers.push(new bp.nn.Linear(width, w));
    if (i < rest.length - 1 || lecture) layers.push(lecture ? new bp.nn.Sigmoid() : new bp.nn.ReLU());
    width = w;
  });
  const model = new bp.nn.Sequential(...layers);
  const g = new bp.Generator(1);
  const x = bp.rand([loop.batch, inputs], { generator: g });
  const labels = bp.randint(0, classes, [loop.batch], { generator: g });
  const hot = new Float32Array(loop.batch * classes);
  labels.data().forEach((c, i) => { hot[i * classes + c] = 1; });
  const oneHot = bp.tensor(hot).reshape([loop.batch, classes]);
  const opt = lecture ? new bp.optim.SGD(model.parameters(), { lr: 5 }) : new bp.optim.Adam(model.parameters(), { lr: 1e-3 });
  return () => {
    opt.zeroGrad();
    const out = model.forward(x);
    const loss = lecture ? bp.F.mseLoss(out, oneHot) : bp.F.crossEntropy(out, labels);
    loss.backward();
    opt.step();
    return loss.item();
  };
}
