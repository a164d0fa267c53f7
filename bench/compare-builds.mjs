#!/usr/bin/env node
/**
 * Same-run comparison of builds of backprop on W1, W2, W6, W7 and W7L (our
 * rows only; W2z is W2 with zeroGrad(false); W7L is W7's LSTM step):
 * the question "did this change make a training step slower or bigger?".
 *
 *   node bench/compare-builds.mjs --baseline ../wt-before [--baseline main=../wt-main]
 *        [--rounds 3] [--only W1,W2,W2z,W6,W7,W7L] [--backends js,wasm,native] [--json FILE]
 *
 * Each --baseline names another checkout (optionally "label=DIR") that has
 * been built (`npm run build`, and `node scripts/build-native.mjs` for the
 * native rows); this checkout, built, is the last column ("this"). Every
 * case (one workload, one backend, one build) runs in a fresh process, and
 * the builds of a case run back to back, in an order that rotates every
 * round, so that a load that drifts during the run hits every build alike.
 * All builds run the same bench code, this checkout's bench/impls/ours.mjs:
 * bench/lib/dist-redirect-hook.mjs sends its imports of dist/ to the build
 * under test.
 *
 * Each process warms up for a fixed number of steps, then times 5
 * repetitions of a fixed number of steps (WORKLOADS below) and reports the
 * median rate, the median CPU time per step (all threads of the process:
 * on a loaded machine the steadier figure), the new tensor bytes per step
 * (bp.memory(): allocated minus reused), the minor page faults and the
 * garbage collector's pause time per step (wall time: inflated by load),
 * the count of major collections, and its peak resident set size.
 * The table shows, per build, the median over the rounds of each of those,
 * and the ratios of rate and CPU time to the first build's.
 */
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { register } from "node:module";
import os from "node:os";
import { PerformanceObserver, constants } from "node:perf_hooks";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { median } from "./lib/timing.mjs";
import { W2, W6, W7 } from "./lib/workloads.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..");
const args = process.argv.slice(2);

/**
 * Per-workload step, the figure's unit and how a step rate becomes it, and
 * how many steps each backend runs: to warm up (W2 tiers up its backward
 * pass near step 150) and in each of the 5 timed repetitions. Fixed step
 * counts rather than fixed times: on a loaded machine a time box holds a
 * handful of steps, and the CPU time per step needs more than that.
 */
const WORKLOADS = {
  W1: { unit: "steps/s", scale: 1, make: (impl) => impl.w1Step(), steps: { js: [300, 100], wasm: [1000, 300], native: [1000, 300] } },
  W2: { unit: "samples/s", scale: W2.batch, make: (impl) => impl.w2Step(), steps: { js: [40, 10], wasm: [200, 40], native: [200, 60] } },
  // W2 zeroing its gradients with zeroGrad(false) instead of zeroGrad().
  W2z: { unit: "samples/s", scale: W2.batch, make: (impl) => impl.w2Step(false), steps: { js: [40, 10], wasm: [200, 40], native: [200, 60] } },
  // The convnet (seconds per step on js and wasm: few steps there).
  W6: { unit: "samples/s", scale: W6.batch, make: (impl) => impl.w6Step(), steps: { js: [1, 1], wasm: [2, 2], native: [5, 10] } },
  // The character transformer and the LSTM step (issue #15).
  W7: { unit: "tokens/s", scale: W7.batch * W7.context, make: (impl) => impl.w7Step(), steps: { js: [3, 2], wasm: [10, 6], native: [20, 12] } },
  W7L: { unit: "tokens/s", scale: W7.batch * W7.context, make: (impl) => impl.w7lStep(), steps: { js: [5, 3], wasm: [20, 10], native: [20, 12] } },
};

if (args[0] === "--child") {
  process.stdout.write(JSON.stringify(await child(JSON.parse(args[1]))) + "\n");
  process.exit(0);
}

/** One case in this process: the build under `spec.root`, one workload, one backend. */
async function child(spec) {
  const distOf = (dir) => pathToFileURL(join(dir, "dist") + "/").href;
  register("./lib/dist-redirect-hook.mjs", import.meta.url, { data: { from: distOf(root), to: distOf(spec.root) } });
  const bp = await import("../dist/index.js");
  const impl = await import("./impls/ours.mjs");
  await impl.setup(spec.backend);
  const w = WORKLOADS[spec.workload];
  const step = w.make(impl);
  const [warmSteps, repSteps] = w.steps[spec.backend];
  for (let i = 0; i < warmSteps; i++) step();
  // The garbage collector's pauses, delivered after the timed loop (see below).
  const gcs = [];
  const observer = new PerformanceObserver((list) => { for (const e of list.getEntries()) gcs.push(e); });
  observer.observe({ entryTypes: ["gc"] });
  const faults0 = process.resourceUsage().minorPageFault;
  const timedFrom = performance.now();
  const rates = [], cpuMs = [], newBytes = [];
  for (let r = 0; r < 5; r++) {
    const m0 = bp.memory();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < repSteps; i++) step();
    const t1 = performance.now();
    const c1 = process.cpuUsage(c0);
    const m1 = bp.memory();
    rates.push((repSteps * 1000 * w.scale) / (t1 - t0));
    cpuMs.push((c1.user + c1.system) / 1000 / repSteps);
    newBytes.push((m1.allocatedBytes - m1.reusedBytes - (m0.allocatedBytes - m0.reusedBytes)) / repSteps);
  }
  const steps = warmSteps + 5 * repSteps;
  const faults = (process.resourceUsage().minorPageFault - faults0) / (5 * repSteps);
  const timedTo = performance.now();
  await new Promise((done) => setTimeout(done, 50));
  observer.disconnect();
  const timedGcs = gcs.filter((e) => e.startTime >= timedFrom && e.startTime < timedTo);
  const gcMs = timedGcs.reduce((sum, e) => sum + e.duration, 0) / (5 * repSteps);
  const majorGcs = timedGcs.filter((e) => e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR).length;
  return {
    rate: median(rates), rates, cpuMs: median(cpuMs), newBytes: median(newBytes), steps, faults, gcMs, majorGcs,
    peakRssMB: process.resourceUsage().maxRSS / 1024, rssMB: process.memoryUsage().rss / 2 ** 20,
  };
}

// ---- the parent: options
function option(name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
}
const builds = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] !== "--baseline") continue;
  const value = args[++i];
  const eq = value.indexOf("=");
  const dir = resolve(eq > 0 ? value.slice(eq + 1) : value);
  builds.push({ label: eq > 0 ? value.slice(0, eq) : basename(dir), dir });
}
builds.push({ label: "this", dir: root });
if (builds.length < 2) throw new Error("bench/compare-builds.mjs: name at least one other built checkout with --baseline DIR (or --baseline label=DIR)");
const rounds = Number(option("--rounds", "3"));
const workloads = option("--only", "W1,W2").split(",");
const backends = option("--backends", "js,wasm,native").split(",");
for (const w of workloads) if (!WORKLOADS[w]) throw new Error(`bench/compare-builds.mjs: --only takes W1, W2, W2z, W6, W7 and W7L, not "${w}"`);
for (const b of builds) {
  if (!existsSync(join(b.dir, "dist", "index.js"))) throw new Error(`bench/compare-builds.mjs: ${b.dir} has no dist/index.js; run \`npm run build\` there first`);
  if (backends.includes("native") && !existsSync(join(b.dir, "build", "Release", "backprop_native.node"))) {
    throw new Error(`bench/compare-builds.mjs: ${b.dir} has no native addon; run \`node scripts/build-native.mjs\` there, or pass --backends js,wasm`);
  }
}

// ---- run: rounds × workloads × backends × builds, builds rotating per round
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(" ");
const loadBefore = load();
console.log(`compare-builds: ${builds.map((b) => `${b.label} = ${b.dir}`).join(", ")}; ${rounds} rounds; load average ${loadBefore}`);
const results = {};
for (let r = 0; r < rounds; r++) {
  for (const workload of workloads) {
    for (const backend of backends) {
      for (let k = 0; k < builds.length; k++) {
        const build = builds[(k + r) % builds.length];
        const spec = { root: build.dir, workload, backend };
        const out = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--child", JSON.stringify(spec)], { encoding: "utf8", cwd: root });
        if (out.status !== 0) throw new Error(`bench/compare-builds.mjs: ${build.label} ${workload} ${backend} failed:\n${out.stderr}`);
        const result = JSON.parse(out.stdout.trim().split("\n").pop());
        const key = `${workload} ${backend}`;
        ((results[key] ??= {})[build.label] ??= []).push(result);
        process.stdout.write(`  round ${r + 1} ${key} ${build.label}: ${fmt(result.rate)} ${WORKLOADS[workload].unit}, ${result.cpuMs.toFixed(3)} CPU ms/step, peak RSS ${result.peakRssMB.toFixed(1)} MB\n`);
      }
    }
  }
}
const loadAfter = load();

function fmt(x) {
  return x >= 100 ? Math.round(x).toLocaleString("en-US") : x.toPrecision(3);
}

// ---- the table: medians over the rounds
const first = builds[0].label;
const header = ["case", "build", "rate (median)", `vs ${first}`, "rates per round", "CPU ms/step", `CPU vs ${first}`, "new KB/step", "page faults/step", "GC ms/step (major GCs)", "peak RSS MB (median, max)"];
const rows = [];
const summary = {};
for (const [key, byBuild] of Object.entries(results)) {
  const unit = WORKLOADS[key.split(" ")[0]].unit;
  const base = median(byBuild[first].map((x) => x.rate));
  const baseCpu = median(byBuild[first].map((x) => x.cpuMs));
  for (const b of builds) {
    const runs = byBuild[b.label];
    const rate = median(runs.map((x) => x.rate));
    const peaks = runs.map((x) => x.peakRssMB);
    const s = { rate, ratio: rate / base, cpuMs: median(runs.map((x) => x.cpuMs)), newKB: median(runs.map((x) => x.newBytes)) / 1024,
      faults: median(runs.map((x) => x.faults)), gcMs: median(runs.map((x) => x.gcMs)), majorGcs: median(runs.map((x) => x.majorGcs)),
      peakRssMB: median(peaks), peakRssMaxMB: Math.max(...peaks), runs };
    (summary[key] ??= {})[b.label] = s;
    rows.push([key, b.label, `${fmt(rate)} ${unit}`, `${s.ratio.toFixed(2)}×`, runs.map((x) => fmt(x.rate)).join(" / "),
      s.cpuMs.toFixed(3), `${(s.cpuMs / baseCpu).toFixed(2)}×`, s.newKB.toFixed(1),
      s.faults.toFixed(1), `${s.gcMs.toFixed(3)} (${s.majorGcs})`, `${s.peakRssMB.toFixed(1)}, ${s.peakRssMaxMB.toFixed(1)}`]);
  }
}
console.log(`\nload average ${loadBefore} before, ${loadAfter} after; ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), Node ${process.version}\n`);
console.log(`| ${header.join(" | ")} |`);
console.log(`| ${header.map((_, i) => (i < 2 ? "---" : "---:")).join(" | ")} |`);
for (const row of rows) console.log(`| ${row.join(" | ")} |`);
const jsonPath = option("--json", null);
if (jsonPath) writeFileSync(jsonPath, JSON.stringify({ when: new Date().toISOString(), builds, rounds, loadBefore, loadAfter, summary }, null, 2));
