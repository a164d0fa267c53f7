/**
 * The soak loops (bench/soak.mjs, and the SOAK row of bench/run.mjs): their
 * sizes, one training step of each, and running one loop on one backend (or
 * in PyTorch, bench/soak_torch.py) in a fresh process.
 */
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

export const LOOPS = {
  lecture: { sizes: [64, 32, 32, 10], batch: 16, steps: 100_000 },
  mnist: { sizes: [784, 256, 128, 10], batch: 128, steps: 20_000 },
  // W6's convnet: seconds per step on js, so wasm and native only, and ours only (soak_torch.py has the MLPs).
  convnet: { convnet: true, steps: 2_000, backends: ["wasm", "native"], oursOnly: true },
};
/** RSS samples per run, evenly spaced (every 1% of the steps). */
export const SAMPLES = 100;
/** The middle and end figures are medians over this share of the run, ending at the middle and at the end. */
const WINDOW = 0.1;

/**
 * Runs `name` for `steps` steps on `impl` ("js", "wasm", "native" or
 * "torch") in a fresh process. Returns { points, peakRss, seconds }: points
 * are the SAMPLES samples (step, rss, and for ours the V8 heap, array
 * buffers, live and pooled tensor bytes), or { error } when the process
 * failed. `steps` should be a multiple of SAMPLES.
 */
export function runSoak(name, impl, steps, { timeoutMs } = {}) {
  const [cmd, argv] = impl === "torch"
    ? ["/usr/bin/python3", [join(here, "..", "soak_torch.py"), name, String(steps), String(SAMPLES)]]
    : [process.execPath, [join(here, "..", "soak.mjs"), "--child", name, impl, String(steps)]];
  const r = spawnSync(cmd, argv, {
    encoding: "utf8", timeout: timeoutMs, maxBuffer: 1 << 24,
    env: { ...process.env, OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? "1" },
  });
  if (r.status !== 0) return { error: r.error ? String(r.error) : (r.stderr ?? "").trim().split("\n").slice(-3).join(" | ") || `exit ${r.status}` };
  const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  const done = lines.find((l) => l.peakRss !== undefined);
  return { points: lines.filter((l) => l.step !== undefined), peakRss: done.peakRss, seconds: done.seconds };
}

/**
 * The steady-state figures of a run: the RSS at the middle and at the end,
 * each the median of the samples in the tenth of the run that ends there,
 * and the growth between them in MB and in percent of the middle. One
 * sample is not enough where big tensors are allocated every step: how much
 * freed memory malloc still holds depends on when the collector last ran,
 * and moves a single reading by tens of MB either way (docs/benchmarks.md).
 */
export function growth(points) {
  const last = points[points.length - 1].step;
  // Each window's samples, sorted: its median, and its range too (where the collector runs every
  // few steps, the convnet, the samples saw-tooth between a floor and a ceiling; a leak is a rising floor).
  const sorted = (from, to) => points.filter((p) => p.step > from && p.step <= to).map((p) => p.rss).sort((a, b) => a - b);
  const middle = sorted(last * (0.5 - WINDOW), last * 0.5), ending = sorted(last * (1 - WINDOW), last);
  const mid = middle[(middle.length - 1) >> 1], end = ending[(ending.length - 1) >> 1];
  return { midRss: mid, endRss: end, mb: (end - mid) / 2 ** 20, percent: (100 * (end - mid)) / mid,
    midRange: [middle[0], middle[middle.length - 1]], endRange: [ending[0], ending[ending.length - 1]] };
}

/** One loop on one backend in this process; prints one JSON line per checkpoint and one at the end. */
export async function soakChild(name, backendName, steps) {
  const bp = await import("../../dist/index.js");
  await bp.setBackend(backendName);
  // The convnet is W6's own step (bench/impls/ours.mjs, the same dist/ as bp here).
  const step = LOOPS[name].convnet ? (await import("../impls/ours.mjs")).w6Step() : makeStep(bp, LOOPS[name]);
  const every = Math.max(1, Math.floor(steps / SAMPLES));
  const start = performance.now();
  for (let s = 1; s <= steps; s++) {
    const loss = step();
    if (s % every === 0) {
      // Yield to the event loop as a real training loop does (logging, loading data): the
      // collector's finalizers run only there, and without them the live count stops at its cap.
      await new Promise((resume) => setImmediate(resume));
      const m = bp.memory();
      const u = process.memoryUsage();
      // The breakdown says where RSS growth comes from: V8's heap (heapTotal), typed arrays'
      // backing stores (arrayBuffers, WebAssembly memory included), or neither (malloc, code).
      console.log(JSON.stringify({ step: s, rss: u.rss, heapTotal: u.heapTotal, heapUsed: u.heapUsed, external: u.external, arrayBuffers: u.arrayBuffers, live: m.liveBytes, pooled: m.pooledBytes, loss }));
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
  // In bp.tidy, as the README writes a step: its activations are recycled for the next one.
  return () => bp.tidy(() => {
    opt.zeroGrad();
    const out = model.forward(x);
    const loss = lecture ? bp.F.mseLoss(out, oneHot) : bp.F.crossEntropy(out, labels);
    loss.backward();
    opt.step();
    return loss.item();
  });
}
