#!/usr/bin/env node
/**
 * `npm run bench`: workloads W1–W7 for backprop's backends and for the
 * JavaScript peers (TF.js cpu/wasm, jax-js jit/eager), plus optional Python
 * rows (PyTorch 1.13 CPU, NumPy GEMM). Each case runs in a fresh process
 * (bench/case.mjs). Prints a table of medians with the ratio ours/peer on
 * every row and writes bench/results/latest.json; a full run (no --quick,
 * no --only) also puts the table into docs/benchmarks.md, which explains
 * the workloads.
 *
 * Options: --quick (no W5 and no SOAK, W3 at n = 1024 only), --full (W5 and
 * the slow peers everywhere), --only W1,W3 (a subset; --only SOAK for the
 * memory soak alone), --no-python. SOAK_LECTURE=N and SOAK_MNIST=N set the
 * SOAK rows' step counts (bench/lib/workloads.mjs). `--only ONNX` runs
 * bench/onnx-digits.mjs and bench/onnx-convnet.mjs (exported sizes,
 * onnxruntime-web against our forward), which print their own lines.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { updateDocs } from "./lib/docs-table.mjs";
import { growth, runSoak } from "./lib/soak.mjs";
import { SOAK, W3, W4, W5 } from "./lib/workloads.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const full = args.includes("--full");
const noPython = args.includes("--no-python");
const onlyArg = args.indexOf("--only");
const only = onlyArg >= 0 ? new Set(args[onlyArg + 1].split(",")) : null;
const want = (w) => !only || only.has(w);
const PYTHON = "/usr/bin/python3";

// ---- ONNX export: onnxruntime-web against our forward pass, printed by their own scripts (not in the table)
if (only && only.has("ONNX")) {
  for (const script of ["onnx-digits.mjs", "onnx-convnet.mjs"]) {
    console.log(`\n== ${script}`);
    const r = spawnSync(process.execPath, [join(here, script)], { stdio: "inherit", timeout: 600_000 });
    if (r.status !== 0) console.log(`${script} failed (exit ${r.status}${r.error ? `: ${r.error}` : ""})`);
  }
  if (only.size === 1) process.exit(0);
}

// ---- which cases to run
// The native backend is a row only where `npm install` could build it.
const hasNative = existsSync(join(here, "..", "build", "Release", "backprop_native.node"));
const OURS = hasNative ? ["js", "wasm", "native"] : ["js", "wasm"];
const ours = OURS.map((variant) => ({ impl: "ours", variant, label: `ours ${variant}` }));
const peers = [
  { impl: "tfjs", variant: "wasm", label: "TF.js wasm" },
  { impl: "tfjs", variant: "cpu", label: "TF.js cpu" },
  { impl: "jax", variant: "jit", label: "jax-js jit" },
  { impl: "jax", variant: "eager", label: "jax-js eager" },
];
const cases = [];
for (const w of ["W1", "W2"]) {
  if (!want(w)) continue;
  // Ours on wasm and the JS peers in one process, repetitions interleaved (see case.mjs).
  // Apart: TF.js cpu (TF.js has one active backend per process) and ours js (alternating
  // our two backends in one process slows the wasm one 2-4× on W2; see docs/benchmarks.md).
  cases.push({ workload: w, label: "ours wasm, TF.js wasm, jax-js jit/eager", contenders: [
    { impl: "ours", variant: "wasm" }, { impl: "tfjs", variant: "wasm" }, { impl: "jax", variant: "jit" }, { impl: "jax", variant: "eager" },
  ] });
  cases.push({ workload: w, label: "ours js", contenders: [{ impl: "ours", variant: "js" }] });
  if (hasNative) cases.push({ workload: w, label: "ours native", contenders: [{ impl: "ours", variant: "native" }] });
  cases.push({ workload: w, label: "TF.js cpu", contenders: [{ impl: "tfjs", variant: "cpu" }] });
  cases.push({ impl: "torch", variant: "cpu", label: "PyTorch 1.13 cpu", workload: w });
  // Our backends use both cores for large products by default; PyTorch on two threads is the like-for-like row.
  cases.push({ impl: "torch", variant: "cpu", label: "PyTorch 1.13 cpu, 2 threads", workload: w, threads: 2 });
}
if (want("W6")) {
  // One contender per process: a peer that cannot train the convnet fails at setup alone. TF.js cpu needs
  // over 600 s for its warm-up and three 1-s repetitions of this step, so it runs only with --full.
  for (const who of [...ours, peers[0], ...(full ? [peers[1]] : []), peers[2]]) {
    cases.push({ workload: "W6", label: who.label, contenders: [{ impl: who.impl, variant: who.variant }] });
  }
  cases.push({ impl: "torch", variant: "cpu", label: "PyTorch 1.13 cpu", workload: "W6" });
  cases.push({ impl: "torch", variant: "cpu", label: "PyTorch 1.13 cpu, 2 threads", workload: "W6", threads: 2 });
}
if (want("W7")) {
  // The character transformer, one contender per process as W6; then the LSTM step (W7L) for ours and PyTorch.
  for (const who of [...ours, peers[0], peers[1], peers[2]]) {
    cases.push({ workload: "W7", label: who.label, contenders: [{ impl: who.impl, variant: who.variant }] });
  }
  for (const w of ["W7", "W7L"]) {
    if (w === "W7L") for (const who of ours) cases.push({ workload: w, label: who.label, contenders: [{ impl: who.impl, variant: who.variant }] });
    cases.push({ impl: "torch", variant: "cpu", label: "PyTorch 1.13 cpu", workload: w });
    cases.push({ impl: "torch", variant: "cpu", label: "PyTorch 1.13 cpu, 2 threads", workload: w, threads: 2 });
  }
}
if (want("W4")) {
  // n = the tensor's element count (1 and 16).
  for (const n of W4.sizes) {
    for (const who of [...ours, ...peers]) {
      if (who.variant === "jit") continue; // jit would fuse the chain away; W4 measures eager overhead
      cases.push({ ...who, workload: "W4", n });
    }
    cases.push({ impl: "torch", variant: "cpu", label: "PyTorch 1.13 cpu", workload: "W4", n });
  }
}
if (want("W3")) {
  for (const n of quick ? [1024] : W3.sizes) {
    // Ours and the fast peers in one process, repetitions interleaved (see case.mjs).
    cases.push({ workload: "W3", n, label: "ours wasm, TF.js wasm, jax-js jit", contenders: [
      { impl: "ours", variant: "wasm", threads: 1 }, { impl: "ours", variant: "wasm", threads: 2 },
      { impl: "tfjs", variant: "wasm", threads: 1 }, { impl: "jax", variant: "jit", threads: 1 },
    ] });
    if (hasNative) {
      cases.push({ workload: "W3", n, label: "ours native", contenders: [
        { impl: "ours", variant: "native", threads: 1 }, { impl: "ours", variant: "native", threads: 2 },
      ] });
    }
    if (n <= 512 || full) {
      cases.push({ workload: "W3", n, label: "ours js", contenders: [{ impl: "ours", variant: "js", threads: 1 }] });
      cases.push({ workload: "W3", n, label: "TF.js cpu", contenders: [{ impl: "tfjs", variant: "cpu", threads: 1 }] });
    }
    cases.push({ impl: "numpy", variant: "1", label: "NumPy", workload: "W3", n, threads: 1 });
    cases.push({ impl: "numpy", variant: "2", label: "NumPy", workload: "W3", n, threads: 2 });
  }
}
if (want("W5") && !quick) {
  cases.push({ ...ours[1], workload: "W5" }, { ...peers[0], workload: "W5" }, { ...peers[2], workload: "W5" });
  if (hasNative) cases.push({ ...ours[2], workload: "W5" });
  if (full) cases.push({ ...ours[0], workload: "W5" }, { ...peers[1], workload: "W5" });
}
if (want("SOAK") && !quick) {
  // Each loop on each backend and in PyTorch, one fresh process each (bench/lib/soak.mjs).
  for (const [loop, steps] of Object.entries(SOAK)) {
    for (const who of ours) cases.push({ ...who, workload: "SOAK", loop, steps });
    cases.push({ impl: "torch", variant: "cpu", label: "PyTorch 1.13 cpu", workload: "SOAK", loop, steps });
  }
}

// ---- running them
function pythonHas(module) {
  if (noPython) return false; // reported as skipped by --no-python below
  const r = spawnSync(PYTHON, ["-c", `import ${module}`], { stdio: "ignore" });
  return r.status === 0;
}
const hasTorch = pythonHas("torch");
const hasNumpy = pythonHas("numpy");

/** A SOAK case: RSS in the middle and at the end of the run (medians of a tenth of it each), growth, peak. */
function runSoakCase(c) {
  const r = runSoak(c.loop, c.impl === "torch" ? "torch" : c.variant, c.steps, { timeoutMs: 1_800_000 });
  if (r.error) return { error: r.error };
  const g = growth(r.points);
  return { soak: { midRssBytes: g.midRss, endRssBytes: g.endRss, growthPercent: g.percent, peakRssBytes: r.peakRss, seconds: r.seconds } };
}

function runCase(c) {
  if (c.workload === "SOAK") {
    if (c.impl === "torch" && noPython) return { skipped: "--no-python" };
    if (c.impl === "torch" && !hasTorch) return { skipped: "PyTorch is not installed at /usr/bin/python3" };
    return runSoakCase(c);
  }
  let cmd, argv, env = process.env;
  if (c.impl === "torch" || c.impl === "numpy") {
    if (noPython) return { skipped: "--no-python" };
    if (c.impl === "torch" && !hasTorch) return { skipped: "PyTorch is not installed at /usr/bin/python3" };
    if (c.impl === "numpy" && !hasNumpy) return { skipped: "numpy is not installed at /usr/bin/python3" };
    cmd = PYTHON;
    argv = [join(here, "peers", "python_peers.py"), c.impl, c.workload, String(c.n ?? ""), String(c.threads ?? 1)];
    if (c.impl === "numpy") {
      // Let OpenBLAS detect the CPU itself for this command only; set its thread count.
      env = { ...process.env, OPENBLAS_NUM_THREADS: String(c.threads), OMP_NUM_THREADS: String(c.threads) };
      delete env.OPENBLAS_CORETYPE;
      delete env.OPENBLAS_L2_SIZE;
    }
  } else {
    cmd = process.execPath;
    argv = [...(c.workload === "W5" ? ["--expose-gc"] : []), join(here, "case.mjs"),
      JSON.stringify({ impl: c.impl, variant: c.variant, workload: c.workload, n: c.n, threads: c.threads, contenders: c.contenders })];
  }
  // W5 trains 2,100 steps and W6 steps take seconds on the slow peers: on a loaded machine they need minutes.
  const r = spawnSync(cmd, argv, { env, encoding: "utf8", timeout: c.workload === "W5" ? 900_000 : c.workload === "W6" || c.workload === "W7" ? 600_000 : 300_000, maxBuffer: 1 << 24 });
  const lastLine = (r.stdout ?? "").trim().split("\n").pop();
  try {
    return JSON.parse(lastLine);
  } catch {
    const why = r.error ? String(r.error) : (r.stderr ?? "").split("\n").filter((l) => /Error/.test(l)).slice(0, 1).join("") || "no output";
    return { error: `exit ${r.status}: ${why}` };
  }
}

function cpuModel() {
  try {
    return execFileSync("sh", ["-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], { encoding: "utf8" }).trim();
  } catch {
    return os.cpus()[0]?.model ?? "unknown";
  }
}

const started = new Date();
const loadBefore = os.loadavg();
console.log(`backprop bench — ${cpuModel()}, ${os.availableParallelism()} cores, Node ${process.version}`);
console.log(`load average before: ${loadBefore.map((x) => x.toFixed(2)).join(" ")} (above ~0.5 per core, expect noisy figures)`);
const labels = {
  "ours js": "ours js", "ours wasm": "ours wasm", "ours native": "ours native", "tfjs wasm": "TF.js wasm", "tfjs cpu": "TF.js cpu",
  "jax jit": "jax-js jit", "jax eager": "jax-js eager",
};
const results = [];
for (const c of cases) {
  const name = `${c.workload}${c.loop ? ` ${c.loop} ${c.steps}` : ""}${c.n ? ` n=${c.n}` : ""}${c.threads ? ` ${c.threads}t` : ""} ${c.label}`;
  process.stdout.write(`  ${name.padEnd(52)} `);
  const t0 = Date.now();
  const result = runCase(c);
  const shown = result.median !== undefined ? `${fmt(result.median)} ${result.unit}`
    : result.checkpoints ? result.checkpoints.map((p) => `${p.steps}: RSS ${mb(p.rssBytes)} MB`).join(", ")
      : result.soak ? `RSS ${mb(result.soak.midRssBytes)} → ${mb(result.soak.endRssBytes)} MB (${signed(result.soak.growthPercent)}%), peak ${mb(result.soak.peakRssBytes)} MB`
      : result.contenders ? result.contenders.map((r) => `${labels[`${r.impl} ${r.variant}`]}${r.threads ? ` ${r.threads}t` : ""} ${fmt(r.median)}`).join(", ") + ` ${result.contenders[0].unit}`
        : result.skipped ? `skipped: ${result.skipped}` : `FAILED: ${result.error}`;
  console.log(`${shown}  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  if (result.contenders) {
    for (const r of result.contenders) results.push({ workload: c.workload, n: c.n, label: labels[`${r.impl} ${r.variant}`], ...r });
  } else {
    const { contenders, ...rest } = c;
    results.push({ ...rest, ...(c.contenders ? { impl: c.contenders[0].impl, variant: c.contenders[0].variant } : {}), ...result });
  }
}
const loadAfter = os.loadavg();

// ---- the table: one row per peer measurement, with ours beside it
function fmt(x) {
  if (x === null || x === undefined || Number.isNaN(x)) return "—";
  return x >= 100 ? Math.round(x).toLocaleString("en-US") : x >= 10 ? x.toFixed(1) : x.toPrecision(3);
}
function mb(bytes) { return bytes === null || bytes === undefined ? "—" : (bytes / 2 ** 20).toFixed(0); }
function signed(x) { return `${x >= 0 ? "+" : ""}${x.toFixed(1)}`; }
const find = (q) => results.find((r) => Object.entries(q).every(([k, v]) => r[k] === v) && r.median !== undefined);
const higherIsBetter = { "steps/s": true, "samples/s": true, "tokens/s": true, "GFLOP/s": true, "µs/op": false };
/** Ours relative to the peer, >1 meaning ours is better (a speed ratio for times too). */
function ratio(oursValue, peerValue, unit) {
  if (!oursValue || !peerValue) return null;
  return higherIsBetter[unit] ? oursValue / peerValue : peerValue / oursValue;
}
const titles = {
  W1: "W1 MLP 8-32-32-1, batch 64, sigmoid, MSE, SGD",
  W2: "W2 MLP 784-256-128-10, batch 128, ReLU, CE, Adam",
  W6: "W6 convnet conv32k5-pool-conv64k5-pool-linear, batch 64, CE, Adam",
  W7: "W7 char transformer, 2 pre-LN blocks d64 h4 ff256, batch 32×32 tokens, CE, AdamW",
  W7L: "W7 LSTM step: char LSTM hidden 128, batch 32×32 tokens, CE, AdamW",
};
const rows = [];
/** Our figure on each backend for a workload (and W3 size and thread count). */
function oursFor(query) {
  return Object.fromEntries(OURS.map((variant) => [variant, find({ impl: "ours", variant, ...query })?.median]));
}
const perSize = [["W1"], ["W2"], ["W6"], ["W7"], ["W7L"], ...W4.sizes.map((n) => ["W4", n])];
for (const [w, n] of perSize) {
  const query = n === undefined ? { workload: w } : { workload: w, n };
  const mine = oursFor(query);
  const title = n === undefined ? titles[w] : `W4 10,000-op chain on ${n} element${n > 1 ? "s" : ""}, fwd+bwd`;
  for (const p of results.filter((r) => r.workload === w && r.impl !== "ours" && (n === undefined || r.n === n))) {
    const unit = p.unit ?? find({ impl: "ours", ...query })?.unit;
    rows.push({ workload: title, unit, ours: mine, peer: p.label, peerValue: p.median,
      ratios: Object.fromEntries(OURS.map((v) => [v, ratio(mine[v], p.median, unit)])), note: p.note ?? p.skipped ?? p.error });
  }
}
for (const n of W3.sizes) {
  for (const threads of [1, 2]) {
    const mine = oursFor({ workload: "W3", n, threads });
    if (mine.wasm === undefined && mine.native === undefined) continue;
    for (const p of results.filter((r) => r.workload === "W3" && r.n === n && r.impl !== "ours" && (r.impl === "numpy" ? r.threads === threads : true))) {
      const peerLabel = p.impl === "numpy" ? `NumPy, ${p.threads} thread${p.threads > 1 ? "s" : ""}` : `${p.label}, 1 thread`;
      rows.push({ workload: `W3 GEMM n=${n}, ours on ${threads} thread${threads > 1 ? "s" : ""}`, unit: "GFLOP/s", ours: mine,
        peer: peerLabel, peerValue: p.median, ratios: Object.fromEntries(OURS.map((v) => [v, ratio(mine[v], p.median, "GFLOP/s")])),
        note: p.note ?? p.skipped ?? p.error });
    }
  }
}
const w5 = Object.fromEntries(OURS.map((v) => [v, results.find((r) => r.workload === "W5" && r.impl === "ours" && r.variant === v && r.checkpoints)]));
for (const p of results.filter((r) => r.workload === "W5" && r.impl !== "ours")) {
  W5.checkpoints.forEach((steps, i) => {
    const q = p.checkpoints?.[i];
    const mine = Object.fromEntries(OURS.map((v) => [v, w5[v]?.checkpoints[i] ? w5[v].checkpoints[i].rssBytes / 2 ** 20 : undefined]));
    const o = w5.wasm?.checkpoints[i];
    rows.push({ workload: `W5 RSS after ${steps} W2 steps`, unit: "MB (lower is better)", ours: mine, peer: p.label,
      peerValue: q ? q.rssBytes / 2 ** 20 : undefined,
      ratios: Object.fromEntries(OURS.map((v) => [v, mine[v] && q ? q.rssBytes / 2 ** 20 / mine[v] : null])),
      note: [
        o ? `ours wasm pooled ${mb(o.pooledBytes)} MB, live tensors ${mb(o.liveBytes)} MB, V8 heap ${mb(o.v8HeapBytes)} MB, V8 malloc peak ${mb(o.v8PeakMallocedBytes)} MB` : "",
        q && q.pooledBytes !== null ? `peer pooled ${mb(q.pooledBytes)} MB` : "",
        q ? `peer V8 heap ${mb(q.v8HeapBytes)} MB` : "",
        p.error ?? "",
      ].filter(Boolean).join("; ") });
  });
}
// SOAK: per loop, the peak RSS (ratio: PyTorch's peak over ours) and the growth from the middle to the end.
for (const loop of Object.keys(SOAK)) {
  const mine = Object.fromEntries(OURS.map((v) => [v, results.find((r) => r.workload === "SOAK" && r.loop === loop && r.impl === "ours" && r.variant === v)]));
  const peer = results.find((r) => r.workload === "SOAK" && r.loop === loop && r.impl === "torch");
  if (!peer && OURS.every((v) => !mine[v])) continue;
  const title = `SOAK ${loop === "lecture" ? "lecture MLP 64-32-32-10, SGD" : "MLP 784-256-128-10, Adam"}, ${SOAK[loop].toLocaleString("en-US")} steps`;
  const peakMb = (r) => (r?.soak ? r.soak.peakRssBytes / 2 ** 20 : undefined);
  const errors = [...OURS.map((v) => mine[v]?.error && `ours ${v}: ${mine[v].error}`), peer?.error ?? peer?.skipped].filter(Boolean).join("; ");
  rows.push({ workload: `${title}: peak RSS`, unit: "MB (lower is better)", ours: Object.fromEntries(OURS.map((v) => [v, peakMb(mine[v])])),
    peer: peer?.label ?? "PyTorch 1.13 cpu", peerValue: peakMb(peer),
    ratios: Object.fromEntries(OURS.map((v) => [v, peakMb(mine[v]) && peakMb(peer) ? peakMb(peer) / peakMb(mine[v]) : null])), note: errors });
  const middleToEnd = (r) => (r?.soak ? `${mb(r.soak.midRssBytes)} → ${mb(r.soak.endRssBytes)} MB` : "—");
  rows.push({ workload: `${title}: RSS growth, middle → end`, unit: "% (target < 2)", ours: Object.fromEntries(OURS.map((v) => [v, mine[v]?.soak?.growthPercent])),
    peer: peer?.label ?? "PyTorch 1.13 cpu", peerValue: peer?.soak?.growthPercent, ratios: {},
    note: `medians of the samples in the tenth of the run before the middle and before the end: ${[...OURS.map((v) => `${v} ${middleToEnd(mine[v])}`), `PyTorch ${middleToEnd(peer)}`].join(", ")}` });
}

const header = `| workload | unit | ${OURS.map((v) => `ours: ${v}`).join(" | ")} | peer | peer | ${OURS.map((v) => `${v} vs peer`).join(" | ")} | note |`;
const lines = [header, `| --- | --- | ${OURS.map(() => "---:").join(" | ")} | --- | ---: | ${OURS.map(() => "---:").join(" | ")} | --- |`];
const x = (r) => (r === null || r === undefined ? "—" : `${r.toFixed(2)}×`);
for (const r of rows) {
  const f = r.unit.startsWith("%") ? (v) => (v === undefined ? "—" : signed(v)) : fmt;
  lines.push(`| ${r.workload} | ${r.unit} | ${OURS.map((v) => f(r.ours[v])).join(" | ")} | ${r.peer} | ${f(r.peerValue)} | ${OURS.map((v) => x(r.ratios[v])).join(" | ")} | ${r.note ?? ""} |`);
}
console.log("\nMedians of 5 time-boxed repetitions. \"vs peer\" is ours relative to the peer: above 1× ours is faster (or, for W5 and the SOAK peak RSS, smaller; SOAK growth rows have no ratio).");
console.log(lines.join("\n"));
console.log(`\nload average after: ${loadAfter.map((v) => v.toFixed(2)).join(" ")}`);

mkdirSync(join(here, "results"), { recursive: true });
const out = {
  date: started.toISOString(),
  machine: { cpu: cpuModel(), cores: os.availableParallelism(), node: process.version, platform: `${os.platform()} ${os.release()}` },
  loadAverage: { before: loadBefore, after: loadAfter },
  options: { quick, full, only: only ? [...only] : null, python: !noPython },
  results,
  table: rows,
  markdown: lines.join("\n"),
};
const target = join(here, "results", "latest.json");
writeFileSync(target + ".tmp", JSON.stringify(out, null, 2));
// Rename so that a reader never sees a half-written file.
(await import("node:fs")).renameSync(target + ".tmp", target);
console.log(`results written to ${target}`);
if (!quick && !only) {
  updateDocs(out);
  console.log("table written to docs/benchmarks.md");
}
