#!/usr/bin/env node
/**
 * Profiling helper (not part of `npm run bench`): the native backend's fused
 * conv kernels alone on W6's shapes, median CPU ms per call and GFLOP/s (of
 * CPU time, so one thread's rate however many run), next to the im2col +
 * matmul path they replace.
 *
 *   npm run build && node bench/profile/conv-kernels.mjs [threads] [reps]
 */
import * as bp from "../../dist/index.js";
import { backend } from "../../dist/backend/registry.js";

const threads = Number(process.argv[2] ?? 1), reps = Number(process.argv[3] ?? 20);
await bp.setBackend("native");
bp.setNumThreads(threads);
const layers = [
  { name: "conv1", batch: 64, channels: 1, size: 28, out: 32 },
  { name: "conv2", batch: 64, channels: 32, size: 14, out: 64 },
];
function time(fn) {
  const cpu = [];
  for (let i = 0; i < reps + 2; i++) {
    const c = process.cpuUsage();
    fn();
    const u = process.cpuUsage(c);
    if (i >= 2) cpu.push((u.user + u.system) / 1000);
  }
  return cpu.sort((a, b) => a - b)[Math.floor(cpu.length / 2)];
}
for (const l of layers) {
  const win = { kH: 5, kW: 5, strideH: 1, strideW: 1, padTop: 2, padLeft: 2, dilationH: 1, dilationW: 1, outH: l.size, outW: l.size };
  const taps = l.channels * 25, positions = l.size * l.size;
  const x = Float32Array.from({ length: l.batch * l.channels * positions }, () => Math.random());
  const w = Float32Array.from({ length: l.out * taps }, () => Math.random());
  const gy = Float32Array.from({ length: l.batch * l.out * positions }, () => Math.random());
  const y = new Float32Array(l.batch * l.out * positions), gw = new Float32Array(l.out * taps), gx = new Float32Array(x.length);
  const strides = [l.channels * positions, positions, l.size, 1];
  const cols = new Float32Array(taps * l.batch * positions);
  const gflop = (2 * l.batch * positions * taps * l.out) / 1e9;
  const rows = {
    "forward (fused)": () => backend.conv2d(x, 0, strides, l.batch, l.channels, l.size, l.size, l.out, win, w, 0, null, 0, y),
    "weight grad (fused)": () => backend.conv2dWeightGrad(x, 0, strides, l.batch, l.channels, l.size, l.size, l.out, win, gy, 0, gw),
    "input grad (fused)": () => backend.conv2dInputGrad(gy, 0, l.batch, l.channels, l.size, l.size, l.out, win, w, 0, gx),
    "im2col (whole batch)": () => backend.im2col(x, 0, strides, l.channels, l.size, l.size, 0, l.batch, win, cols),
    "matmul W·cols": () => backend.matmul(w, 0, 0, false, cols, 0, 0, false, new Float32Array(l.out * l.batch * positions), 1, l.out, taps, l.batch * positions),
  };
  for (const [name, fn] of Object.entries(rows)) {
    const ms = time(fn);
    const rate = name.includes("im2col") ? "" : `${(gflop / (ms / 1000)).toFixed(0).padStart(5)} GFLOP/s`;
    console.log(`${l.name} ${name.padEnd(22)} ${ms.toFixed(2).padStart(7)} ms ${rate}`);
  }
}
