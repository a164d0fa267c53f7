#!/usr/bin/env node
/**
 * The native float32 GEMM against NumPy's BLAS, measured in alternation: one
 * NumPy process stays up per (shape, thread count), and each pair runs our
 * product, then NumPy's, a few times each. On a shared machine whose speed
 * drifts (other jobs, the host) a pair sees the same conditions, so the
 * pairs' ratios and the best-of figures compare like with like, where
 * bench/native-vs-numpy.mjs measures each side in its own time window.
 *
 *   PYTHON=$(pyenv which python3) node bench/native-vs-numpy-paired.mjs [shapes] [threads] [pairs]
 *   shapes: n or mxkxn, comma-separated (default 512,1024,2048); threads: default 1,2; pairs: default 15
 *
 * Prints, per shape and thread count, the best GFLOP/s of each side, their
 * ratio, and the median (and range) of the per-pair ratios ours/numpy.
 * Needs the addon (`node scripts/build-native.mjs`) and NumPy under $PYTHON.
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import readline from "node:readline";

const addon = createRequire(import.meta.url)("../build/Release/backprop_native.node");
const args = process.argv.slice(2);
const shapes = (args[0] ?? "512,1024,2048")
  .split(",")
  .map((s) => s.split("x").map(Number))
  .map((d) => (d.length === 1 ? [d[0], d[0], d[0]] : d));
const threadCounts = (args[1] ?? "1,2").split(",").map(Number);
const pairs = Number(args[2] ?? 15);
const python = process.env.PYTHON ?? "/usr/bin/python3";

// Reads a repetition count per line, answers with the best time of that many products.
const NUMPY_SERVER = `
import sys, time
import numpy as np
m, k, n = map(int, sys.argv[1:4])
a = (np.random.rand(m, k) - 0.5).astype(np.float32); b = (np.random.rand(k, n) - 0.5).astype(np.float32)
a @ b
for line in sys.stdin:
    best = 1e9
    for _ in range(int(line)):
        t = time.perf_counter(); a @ b; best = min(best, time.perf_counter() - t)
    print(best, flush=True)
`;

for (const [m, k, n] of shapes) {
  for (const threads of threadCounts) {
    const env = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
    const numpy = spawn(python, ["-c", NUMPY_SERVER, String(m), String(k), String(n)], { env, stdio: ["pipe", "pipe", "inherit"] });
    const answers = readline.createInterface({ input: numpy.stdout })[Symbol.asyncIterator]();
    const a = Float32Array.from({ length: m * k }, () => Math.random() - 0.5);
    const b = Float32Array.from({ length: k * n }, () => Math.random() - 0.5);
    const c = new Float32Array(m * n);
    addon.setThreads(threads);
    const flops = 2 * m * n * k;
    const reps = Math.max(1, Math.min(20, Math.round(5e8 / flops)));
    const ours = () => {
      let best = Infinity;
      for (let r = 0; r < reps; r++) {
        const t0 = process.hrtime.bigint();
        addon.matmul(a, 0, 0, false, b, 0, 0, false, c, 1, m, k, n);
        best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
      }
      return best;
    };
    ours(); // warm-up: packing buffers, worker threads
    const ratios = [];
    let bestOurs = Infinity, bestNumpy = Infinity;
    for (let p = 0; p < pairs; p++) {
      const t = ours();
      numpy.stdin.write(`${reps}\n`);
      const next = await answers.next();
      if (next.done) throw new Error(`NumPy under ${python} exited (is NumPy installed there?)`);
      const tn = Number(next.value);
      // OpenBLAS's workers spin for a while after a call; let them stop before our next turn.
      if (threads > 1) await new Promise((resolve) => setTimeout(resolve, 250));
      ratios.push(tn / t);
      bestOurs = Math.min(bestOurs, t);
      bestNumpy = Math.min(bestNumpy, tn);
    }
    numpy.stdin.end();
    ratios.sort((x, y) => x - y);
    const gflops = (s) => (flops / s / 1e9).toFixed(1);
    console.log(
      `${m}x${k}x${n} threads ${threads}: ours best ${gflops(bestOurs)}, numpy best ${gflops(bestNumpy)} GFLOP/s, ` +
        `ratio ${(bestNumpy / bestOurs).toFixed(2)}; per pair median ${ratios[pairs >> 1].toFixed(2)} [${ratios[0].toFixed(2)}..${ratios[pairs - 1].toFixed(2)}]`,
    );
  }
}
