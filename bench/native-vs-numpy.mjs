#!/usr/bin/env node
/**
 * GEMM throughput of the native backend against NumPy's BLAS, same sizes,
 * same thread count: square float32 (and float64) products at
 * n = 512, 1024, 2048 on 1 and 2 threads. Reports GFLOP/s (2n³ / time) as
 * the best of several runs and their median (shared machines are noisy).
 *
 *   node bench/native-vs-numpy.mjs [--sizes 512,1024,2048] [--threads 1,2] [--f64]
 *
 * NumPy runs under /usr/bin/python3 (or $PYTHON) with OPENBLAS_CORETYPE and
 * OPENBLAS_L2_SIZE unset; its BLAS is whatever NumPy links (printed).
 * Needs the addon: `node scripts/build-native.mjs`.
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const sizes = option("--sizes", "512,1024,2048").split(",").map(Number);
const threadCounts = option("--threads", "1,2").split(",").map(Number);
const dtypes = args.includes("--f64") ? ["float32", "float64"] : ["float32"];
const python = process.env.PYTHON ?? "/usr/bin/python3";

const addon = createRequire(import.meta.url)("../build/Release/backprop_native.node");

/** Repetitions per size: enough for a stable best-of, bounded in time. */
const repsFor = (n) => (n <= 512 ? 30 : n <= 1024 ? 10 : 4);

function summarize(times, n) {
  times.sort((a, b) => a - b);
  const gflops = (t) => (2 * n ** 3) / t / 1e9;
  return { best: gflops(times[0]), median: gflops(times[Math.floor(times.length / 2)]) };
}

function nativeGemm(n, threads, dtype) {
  const Ctor = dtype === "float32" ? Float32Array : Float64Array;
  const a = Ctor.from({ length: n * n }, () => Math.random() - 0.5);
  const b = Ctor.from({ length: n * n }, () => Math.random() - 0.5);
  const c = new Ctor(n * n);
  addon.setThreads(threads);
  addon.matmul(a, 0, 0, false, b, 0, 0, false, c, 1, n, n, n); // warm-up: packing buffers, worker threads
  const times = [];
  for (let r = 0; r < repsFor(n); r++) {
    const t0 = process.hrtime.bigint();
    addon.matmul(a, 0, 0, false, b, 0, 0, false, c, 1, n, n, n);
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return summarize(times, n);
}

const NUMPY_SCRIPT = `
import json, sys, time
import numpy as np
n, reps, dtype = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
a = (np.random.rand(n, n) - 0.5).astype(dtype); b = (np.random.rand(n, n) - 0.5).astype(dtype)
a @ b
times = []
for _ in range(reps):
    t = time.perf_counter(); a @ b; times.append(time.perf_counter() - t)
blas = "unknown"
try:
    cfg = np.__config__.blas_opt_info if hasattr(np.__config__, "blas_opt_info") else {}
    blas = ",".join(cfg.get("libraries", [])) or blas
except Exception:
    pass
print(json.dumps({"times": times, "blas": blas}))
`;

function numpyGemm(n, threads, dtype) {
  const env = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  // NumPy's reference BLAS can be ~50x slower: fewer repetitions keep this bounded.
  const run = spawnSync(python, ["-c", NUMPY_SCRIPT, String(n), String(n >= 2048 ? 2 : 3), dtype], { env, encoding: "utf8", timeout: 600_000 });
  if (run.status !== 0) return null;
  const { times, blas } = JSON.parse(run.stdout);
  return { ...summarize(times, n), blas };
}

console.log(`native GEMM: ${addon.info().isa} micro-kernel; machine threads available: ${addon.info().threads}`);
console.log("dtype    n     threads  native best / median GFLOP/s   numpy best / median GFLOP/s   native/numpy (best)");
let blasName = null;
for (const dtype of dtypes) {
  for (const n of sizes) {
    for (const threads of threadCounts) {
      const ours = nativeGemm(n, threads, dtype);
      const theirs = numpyGemm(n, threads, dtype);
      if (theirs) blasName = theirs.blas;
      const cell = (r) => (r ? `${r.best.toFixed(1).padStart(7)} / ${r.median.toFixed(1).padStart(7)}` : "     n/a        ");
      const ratio = theirs ? (ours.best / theirs.best).toFixed(2) : "n/a";
      console.log(`${dtype.padEnd(8)} ${String(n).padEnd(5)} ${String(threads).padEnd(8)} ${cell(ours)}               ${cell(theirs)}              ${ratio}`);
    }
  }
}
console.log(`numpy BLAS libraries: ${blasName ?? "numpy not available"}`);
