/**
 * The device versions of convolution, pooling, batch and layer norm, and
 * cat (docs/webgpu.md):
 * each function runs one op's kernel calls on the GPU when `deviceFor`
 * says so and returns tensors whose storage stays there, or null, and the
 * op runs its host kernels. Like device-ops.ts, whose helpers it shares.
 *
 * - convolution: im2col (conv-wgsl.ts; every kernel's WGSL is reached
 *   through the kernels object, layer-wgsl.ts) feeding the tiled GEMM, a chunk of
 *   images at a time, in the CPU op's layouts (src/ops/conv.ts), groups as
 *   the GEMM's batch; its input gradient is GEMM + col2im, its weight
 *   gradient im2col + GEMM, chunks summed on the device;
 * - max pooling keeps each window's argmax on the device (as float
 *   indices), so that its gradient and that gradient's gradient are device
 *   kernels too (the ops are recorded here); average pooling reads its
 *   windows from an uploaded table;
 * - batch norm: per-channel statistics by a workgroup reduction, running
 *   statistics updated in place on the device, and the backward's sums;
 * - layer norm: a workgroup per row, forward and input gradient; one
 *   thread per column for the weight and bias gradients;
 * - cat: one copy per part.
 * Families and thresholds: a convolution counts as a GEMM of its
 * multiply-adds, cat as an elementwise map, the rest as reductions of
 * the elements they read.
 */
import type { PoolAxis } from "../backend/backend.js";
import { deviceFor, type DeviceOperand } from "../backend/device-dispatch.js";
import { DeviceStorage } from "../backend/device-storage.js";
import type { GpuArray, WebGpuKernels } from "../backend/webgpu/kernels.js";
import type { LayerKernel } from "../backend/webgpu/layer-wgsl.js";
import { TILE } from "../backend/webgpu/matmul-wgsl.js";
import { grid, MAP_WORKGROUP, packParams } from "../backend/webgpu/wgsl-common.js";
import { BackpropError } from "../errors.js";
import { defineOp, record } from "../graph/node.js";
import { storageLength, Tensor } from "../tensor/tensor.js";
import type { RunningStats } from "./batch-norm.js";
import type { ConvGeometry } from "./conv.js";
import { contiguousOperand, extent, input, maxElements, moveToDevice, output, releaseAll } from "./device-ops.js";
import { contiguousData } from "./util.js";

type Word = readonly ["u" | "i" | "f", number];
const u = (v: number): Word => ["u", v];
const i32 = (v: number): Word => ["i", v];
const f32 = (v: number): Word => ["f", v];

/** A device array and the index there of the operand's element 0. */
interface Operand { array: GpuArray; off: number }

function maxGroups(k: WebGpuKernels): number {
  return k.context.device.limits.maxComputeWorkgroupsPerDimension;
}

/** Kernel `key` (its WGSL from the kernels: layer-wgsl.ts), one thread per element of n, params [n, …words]. */
function perElement(k: WebGpuKernels, key: LayerKernel, words: readonly Word[], arrays: readonly (GpuArray | null)[], n: number): void {
  if (n === 0) return;
  k.dispatch(key, k.layerWgsl[key], packParams([u(n), ...words]), arrays, grid(Math.ceil(n / MAP_WORKGROUP), maxGroups(k)));
}

/** Kernel `key`, one workgroup per channel (or row). */
function perChannel(k: WebGpuKernels, key: LayerKernel, words: readonly Word[], arrays: readonly (GpuArray | null)[], channels: number): void {
  k.dispatch(key, k.layerWgsl[key], packParams(words), arrays, grid(channels, maxGroups(k)));
}

/** `t` as it lies (strided from its offset): its buffer, or an upload of the elements it reaches (into `temps`). */
function strided(k: WebGpuKernels, t: Tensor, temps: GpuArray[]): Operand | null {
  const [lo, hi] = extent(t.offset, t.strides, t.shape);
  const d = input(k, t, lo, hi, temps);
  return d === null ? null : { array: d.array, off: t.offset - d.shift };
}

/**
 * `t`'s elements contiguous from `off`: a device tensor as it is or by a
 * device copy; a host view made contiguous on the host and uploaded (an
 * incoming gradient is often a broadcast host tensor, too small for the
 * device's copy under the thresholds).
 */
function contiguous(k: WebGpuKernels, t: Tensor, temps: GpuArray[]): Operand | null {
  if (t._device === null && !t.isContiguous) {
    if (t.size > maxElements(k)) return null;
    const { data, offset } = contiguousData(t);
    const array = k.upload((data as Float32Array).subarray(offset, offset + t.size));
    temps.push(array);
    return { array, off: 0 };
  }
  const src = contiguousOperand(t);
  if (src === null) return null;
  const d = input(k, src, src.offset, src.offset + src.size, temps);
  return d === null ? null : { array: d.array, off: src.offset - d.shift };
}

/** Stands for a device array among deviceFor's operands: a call that reads it belongs on the device. */
function resident(storage: DeviceStorage): DeviceOperand {
  return { _host: null, _device: storage, dtype: "float32" };
}

// ---------------------------------------------------------------- convolution

function gemmSizes(g: ConvGeometry) {
  const rows = g.inChannels * g.kH * g.kW;
  return { rows, k: rows / g.groups, outPerGroup: g.outChannels / g.groups, plane: g.outH * g.outW };
}

/**
 * Scratch elements (column matrix, GEMM product) per chunk of images at
 * most: a batch larger than that is convolved a chunk at a time, its
 * weight gradient summed over the chunks. Exported so that a test can
 * make it small.
 */
export const deviceConvTuning = { maxColumnElements: 1 << 24 };

/** Images per chunk: the column matrix and the GEMM's product within one binding (and the tuning's limit), its width within the grid; 0 when not even one fits. */
function imagesPerChunk(k: WebGpuKernels, g: ConvGeometry): number {
  const { rows, k: kk, outPerGroup, plane } = gemmSizes(g);
  const tooTall = Math.ceil(Math.max(kk, outPerGroup) / TILE) > maxGroups(k) || g.groups > maxGroups(k);
  if (tooTall || plane === 0) return 0;
  const limit = Math.min(maxElements(k), deviceConvTuning.maxColumnElements);
  return Math.min(g.batch, Math.floor(limit / (Math.max(rows, g.outChannels) * plane)), Math.floor((maxGroups(k) * TILE) / plane));
}

/** Window words shared by im2col and col2im: [kH, kW, strideH, strideW, padTop, padLeft, dilationH, dilationW]. */
function windowWords(g: ConvGeometry): Word[] {
  return [g.kH, g.kW, g.strideH, g.strideW, g.padTop, g.padLeft, g.dilationH, g.dilationW].map(u);
}

function im2col(k: WebGpuKernels, x: Operand, strides: readonly number[], g: ConvGeometry, n0: number, count: number, cols: GpuArray): void {
  const plane = g.outH * g.outW;
  perElement(k, "conv:im2col", [
    u(plane), u(count), u(g.outW), ...windowWords(g), u(g.height), u(g.width), u(n0), i32(x.off), ...strides.map(i32),
  ], [x.array, cols], g.inChannels * g.kH * g.kW * count * plane);
}

/** out [O, count, plane] = gy[n0 … n0 + count] (strided [N, O, oH, oW]). */
function imagesToChannels(k: WebGpuKernels, gy: Operand, strides: readonly number[], g: ConvGeometry, n0: number, count: number, out: GpuArray): void {
  const plane = g.outH * g.outW;
  perElement(k, "conv:imagesToChannels", [u(count), u(plane), u(g.outW), u(n0), i32(gy.off), ...strides.map(i32)],
    [gy.array, out], g.outChannels * count * plane);
}

/** conv(x, w) + bias on the device, as convolveKernel (src/ops/conv.ts); null to run it on the host. */
export function deviceConvolve(x: Tensor, w: Tensor, bias: Tensor | null, g: ConvGeometry): Tensor | null {
  const { rows, k: kk, outPerGroup, plane } = gemmSizes(g);
  const total = g.batch * g.outChannels * plane;
  if (total === 0 || kk === 0) return null;
  const k = deviceFor("matmul", total * kk, bias ? [x, w, bias] : [x, w]);
  if (k === null || total > maxElements(k)) return null;
  const chunk = imagesPerChunk(k, g);
  if (chunk === 0) return null;
  const temps: GpuArray[] = [];
  const dx = strided(k, x, temps), dw = contiguous(k, w, temps), db = bias ? contiguous(k, bias, temps) : null;
  if (dx === null || dw === null || (bias !== null && db === null)) {
    releaseAll(k, temps);
    return null;
  }
  const out = output(k, total);
  const cols = k.empty(rows * chunk * plane), product = k.empty(g.outChannels * chunk * plane);
  for (let n0 = 0; n0 < g.batch; n0 += chunk) {
    const count = Math.min(chunk, g.batch - n0), span = count * plane;
    im2col(k, dx, x.strides, g, n0, count, cols);
    // Per group: [O/g, k] · [k, count·plane], the groups as the GEMM's batch.
    k.matmul(dw.array, dw.off, outPerGroup * kk, false, cols, 0, kk * span, false, product, g.groups, outPerGroup, kk, span);
    perElement(k, "conv:channelsToImages", [u(g.outChannels), u(count), u(plane), u(n0), u(db ? 1 : 0), u(db ? db.off : 0)],
      [product, db ? db.array : null, out.gpu()], g.outChannels * span);
  }
  k.release(cols);
  k.release(product);
  releaseAll(k, temps);
  return Tensor.onDevice(out, [g.batch, g.outChannels, g.outH, g.outW], "float32");
}

/** convᵀ(gy, w) + bias on the device, as inputGradKernel: the input gradient of conv, and convTranspose2d. */
export function deviceConvInputGrad(gy: Tensor, w: Tensor, bias: Tensor | null, g: ConvGeometry): Tensor | null {
  const { rows, k: kk, outPerGroup, plane } = gemmSizes(g);
  const size = g.batch * g.inChannels * g.height * g.width;
  if (size === 0 || kk === 0 || outPerGroup === 0 || plane === 0) return null;
  const k = deviceFor("matmul", g.batch * g.outChannels * kk * plane, bias ? [gy, w, bias] : [gy, w]);
  if (k === null || size > maxElements(k)) return null;
  const chunk = imagesPerChunk(k, g);
  if (chunk === 0) return null;
  const temps: GpuArray[] = [];
  const dgy = strided(k, gy, temps), dw = contiguous(k, w, temps), db = bias ? contiguous(k, bias, temps) : null;
  if (dgy === null || dw === null || (bias !== null && db === null)) {
    releaseAll(k, temps);
    return null;
  }
  const out = output(k, size);
  const channels = k.empty(g.outChannels * chunk * plane), cols = k.empty(rows * chunk * plane);
  for (let n0 = 0; n0 < g.batch; n0 += chunk) {
    const count = Math.min(chunk, g.batch - n0), span = count * plane;
    imagesToChannels(k, dgy, gy.strides, g, n0, count, channels);
    // Per group: [k, O/g] · [O/g, count·plane] with the weight read transposed.
    k.matmul(dw.array, dw.off, outPerGroup * kk, true, channels, 0, outPerGroup * span, false, cols, g.groups, kk, outPerGroup, span);
    perElement(k, "conv:col2im", [
      u(g.inChannels), u(g.height), u(g.width), ...windowWords(g), u(g.outH), u(g.outW), u(n0), u(count), u(db ? 1 : 0), u(db ? db.off : 0),
    ], [cols, db ? db.array : null, out.gpu()], count * g.inChannels * g.height * g.width);
  }
  k.release(channels);
  k.release(cols);
  releaseAll(k, temps);
  return Tensor.onDevice(out, [g.batch, g.inChannels, g.height, g.width], "float32");
}

/** The weight gradient of conv on the device, as weightGradKernel: [O, C/groups, kH, kW]. */
export function deviceConvWeightGrad(x: Tensor, gy: Tensor, g: ConvGeometry): Tensor | null {
  const { rows, k: kk, outPerGroup, plane } = gemmSizes(g);
  const size = g.outChannels * kk;
  if (size === 0 || g.batch === 0 || plane === 0) return null;
  const k = deviceFor("matmul", g.batch * g.outChannels * kk * plane, [x, gy]);
  if (k === null) return null;
  const chunk = imagesPerChunk(k, g);
  if (chunk === 0) return null;
  const temps: GpuArray[] = [];
  const dx = strided(k, x, temps), dgy = strided(k, gy, temps);
  if (dx === null || dgy === null) {
    releaseAll(k, temps);
    return null;
  }
  const out = output(k, size);
  const channels = k.empty(g.outChannels * chunk * plane), cols = k.empty(rows * chunk * plane);
  const partial = chunk < g.batch ? k.empty(size) : null;
  for (let n0 = 0; n0 < g.batch; n0 += chunk) {
    const count = Math.min(chunk, g.batch - n0), span = count * plane;
    imagesToChannels(k, dgy, gy.strides, g, n0, count, channels);
    im2col(k, dx, x.strides, g, n0, count, cols);
    const target = n0 === 0 ? out.gpu() : partial!;
    // Per group: [O/g, count·plane] · [count·plane, k], the columns read transposed.
    k.matmul(channels, 0, outPerGroup * span, false, cols, 0, kk * span, true, target, g.groups, outPerGroup, span, kk);
    if (target === partial) k.binary("add", out.gpu(), 0, [1], partial, 0, [1], out.gpu(), [size]);
  }
  k.release(channels);
  k.release(cols);
  if (partial) k.release(partial);
  releaseAll(k, temps);
  return Tensor.onDevice(out, [g.outChannels, g.inChannels / g.groups, g.kH, g.kW], "float32");
}

// ---------------------------------------------------------------- max pooling

/** A max pool on the device: its argmax per window (in-plane, float32), and the sizes its kernels need. */
interface MaxPoolCtx {
  indices: DeviceStorage;
  planes: number;
  h: PoolAxis;
  w: PoolAxis;
  inShape: readonly number[];
  outShape: readonly number[];
}

// values = x taken at the argmax: linear in x, its VJP the scatter of ȳ onto the argmax, whose VJP is the take again.
const MAX_POOL_TAKE = defineOp<MaxPoolCtx>("maxPool", (g, _s, c) => [maxPoolScatter(g, c)]);
const MAX_POOL_SCATTER = defineOp<MaxPoolCtx>("maxPoolBackward", (g, _s, c) => [maxPoolTake(g, c)]);

function geometryWords(c: MaxPoolCtx): Word[] {
  const { h, w } = c;
  return [h.size, w.size, h.out, w.out, h.kernel, w.kernel, h.stride, w.stride, h.pad, w.pad, h.dilation, w.dilation].map(u);
}

/** A kernel call a max pool's VJP makes: on the device, where the argmax lives (a lost device throws when read). */
function maxPoolOperand(t: Tensor, c: MaxPoolCtx): { k: WebGpuKernels; src: Operand; temps: GpuArray[] } {
  const k = deviceFor("reduce", t.size, [t, resident(c.indices)]) ?? c.indices.kernels;
  const temps: GpuArray[] = [];
  const src = contiguous(k, t.dtype === "float32" ? t : t.to("float32"), temps);
  if (src === null) throw new BackpropError("webgpu maxPool: the gradient does not fit one device binding (internal error: the forward fitted; please report it)");
  return { k, src, temps };
}

function maxPoolScatter(gy: Tensor, c: MaxPoolCtx): Tensor {
  const { k, src, temps } = maxPoolOperand(gy, c);
  const n = c.planes * c.h.size * c.w.size;
  const out = output(k, n);
  perElement(k, "pool:maxBackward", [...geometryWords(c), u(src.off)], [src.array, c.indices.gpu(), out.gpu()], n);
  releaseAll(k, temps);
  return record(Tensor.onDevice(out, c.inShape, "float32"), MAX_POOL_SCATTER, [gy], null, c);
}

function maxPoolTake(x: Tensor, c: MaxPoolCtx): Tensor {
  const { k, src, temps } = maxPoolOperand(x, c);
  const n = c.planes * c.h.out * c.w.out;
  const out = output(k, n);
  perElement(k, "pool:maxTake", [u(c.h.size * c.w.size), u(c.h.out * c.w.out), u(src.off)], [src.array, c.indices.gpu(), out.gpu()], n);
  releaseAll(k, temps);
  return record(Tensor.onDevice(out, c.outShape, "float32"), MAX_POOL_TAKE, [x], null, c);
}

/**
 * Max pooling of x's [planes, H, W] on the device: the values (recorded,
 * differentiable) and a reader of the argmax as an int32 tensor (one read
 * of device memory, for returnIndices); null to run it on the host.
 */
export function deviceMaxPool(x: Tensor, h: PoolAxis, w: PoolAxis, outShape: readonly number[]): { values: Tensor; indices: () => Tensor } | null {
  const planes = x.size / (h.size * w.size), n = planes * h.out * w.out;
  if (n === 0 || x.dtype !== "float32" || h.size * w.size >= 1 << 24) return null;
  const k = deviceFor("reduce", x.size, [x]);
  if (k === null || Math.max(x.size, n) > maxElements(k)) return null;
  const temps: GpuArray[] = [];
  const src = contiguous(k, x, temps);
  if (src === null) return null;
  const values = output(k, n);
  // The argmax belongs to the graph node, not to the backward pass: not handed to the buffer ledger.
  const indices = new DeviceStorage(k, k.empty(n));
  const c: MaxPoolCtx = { indices, planes, h, w, inShape: x.shape, outShape };
  perElement(k, "pool:max", [...geometryWords(c), u(src.off)], [src.array, values.gpu(), indices.gpu()], n);
  releaseAll(k, temps);
  const y = record(Tensor.onDevice(values, outShape, "float32"), MAX_POOL_TAKE, [x], null, c);
  return { values: y, indices: () => new Tensor(Int32Array.from(indices.materialise(false)), outShape, "int32") };
}

// ---------------------------------------------------------------- average pooling

/** One pooled axis's windows: per output, the input range [start, end) and its share of the divisor (src/ops/pool.ts). */
export interface AxisWindows { start: Int32Array; end: Int32Array; div: Int32Array }

/** Per input index, the windows [first, last) that contain it: a range, since starts and ends never decrease. */
function containing(win: AxisWindows, size: number): [Int32Array, Int32Array] {
  const first = new Int32Array(size), last = new Int32Array(size), out = win.start.length;
  let lo = 0, hi = 0;
  for (let i = 0; i < size; i++) {
    while (lo < out && win.end[lo] <= i) lo++;
    while (hi < out && win.start[hi] <= i) hi++;
    first[i] = lo;
    last[i] = Math.max(lo, hi);
  }
  return [first, last];
}

/** The table pool-wgsl.ts's WINDOW_TABLE describes. */
function windowTable(h: AxisWindows, w: AxisWindows, height: number, width: number): Int32Array {
  const parts = [h.start, h.end, h.div, w.start, w.end, w.div, ...containing(h, height), ...containing(w, width)];
  const table = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    table.set(p, at);
    at += p.length;
  }
  return table;
}

/**
 * The window averages of src's [planes, height, width] planes (transpose
 * false: src is the input, the result [planes, oH, oW]) or their transpose
 * (src [planes, oH, oW], the result [planes, height, width]), as
 * windowAverage / windowAverageTranspose; null to run them on the host.
 */
export function deviceWindowAverage(
  src: Tensor, planes: number, height: number, width: number, h: AxisWindows, w: AxisWindows, shape: readonly number[], transpose: boolean,
): Tensor | null {
  const oH = h.start.length, oW = w.start.length;
  const n = planes * (transpose ? height * width : oH * oW);
  if (n === 0 || src.dtype !== "float32") return null;
  const k = deviceFor("reduce", Math.max(src.size, n), [src]);
  if (k === null || Math.max(src.size, n) > maxElements(k)) return null;
  const temps: GpuArray[] = [];
  const s = contiguous(k, src, temps);
  if (s === null) return null;
  const table = windowTable(h, w, height, width);
  const win = k.upload(new Float32Array(table.buffer, table.byteOffset, table.length)); // the i32 bits, as WGSL reads them
  const out = output(k, n);
  perElement(k, transpose ? "pool:avgTranspose" : "pool:avg", [u(height), u(width), u(oH), u(oW), u(s.off)], [s.array, win, out.gpu()], n);
  k.release(win);
  releaseAll(k, temps);
  return Tensor.onDevice(out, shape, "float32");
}

// ---------------------------------------------------------------- batch norm

/** Whether a running statistic can be updated in place on the device: float32, the whole of its contiguous storage. */
function movable(t: Tensor | null): boolean {
  return t === null || (t.dtype === "float32" && t.offset === 0 && t.isContiguous && storageLength(t) === t.size);
}

/**
 * The fused batch norm's forward on the device, as batchNormOp: y, and the
 * per-channel table [mean, invstd, scale, shift] (4·C, on the device) its
 * backward reads; null to run it on the host.
 */
export function deviceBatchNorm(
  x: Tensor, weight: Tensor | null, bias: Tensor | null, training: boolean, eps: number, running: RunningStats,
): { y: Tensor; stats: DeviceStorage } | null {
  const batch = x.shape[0], channels = x.shape[1], spatial = x.size / (batch * channels);
  if (x.dtype !== "float32" || !movable(running.mean) || !movable(running.variance)) return null;
  const operands = [x, weight, bias, running.mean, running.variance].filter((t): t is Tensor => t !== null);
  const k = deviceFor("reduce", x.size, operands);
  if (k === null || x.size > maxElements(k)) return null;
  const temps: GpuArray[] = [];
  const dx = contiguous(k, x, temps), dw = weight ? contiguous(k, weight, temps) : null, db = bias ? contiguous(k, bias, temps) : null;
  if (dx === null || (weight !== null && dw === null) || (bias !== null && db === null)) {
    releaseAll(k, temps);
    return null;
  }
  // Two distinct stand-ins: the kernel writes both bindings, which must not share a buffer.
  const runningArray = (t: Tensor | null) => {
    if (t !== null) return moveToDevice(k, t).gpu();
    const stand = k.empty(1);
    temps.push(stand);
    return stand;
  };
  const rm = runningArray(running.mean), rv = runningArray(running.variance);
  const stats = new DeviceStorage(k, k.empty(4 * channels));
  const count = batch * spatial;
  perChannel(k, "batchNorm:stats", [
    u(channels), u(batch), u(spatial), u(dx.off), u(training ? 1 : 0), u(dw ? 1 : 0), u(db ? 1 : 0),
    u(running.mean ? 1 : 0), u(running.variance ? 1 : 0), u(dw ? dw.off : 0), u(db ? db.off : 0),
    f32(eps), f32(running.momentum), f32(count / (count - 1)),
  ], [dx.array, dw ? dw.array : null, db ? db.array : null, rm, rv, stats.gpu()], channels);
  if (training) for (const t of [running.mean, running.variance]) t?._device?.deviceWrote();
  const out = output(k, x.size);
  perElement(k, "batchNorm:apply", [u(channels), u(spatial), u(dx.off)], [dx.array, stats.gpu(), out.gpu()], x.size);
  releaseAll(k, temps);
  return { y: Tensor.onDevice(out, x.shape, "float32"), stats };
}

/**
 * The fused batch norm's [x̄, w̄, b̄] on the device from the forward's
 * table (null where `needs` says no); null when the device does not take
 * it (the caller reads the table and runs the host kernel).
 */
export function deviceBatchNormGrads(
  g: Tensor, x: Tensor, weight: Tensor | null, stats: DeviceStorage, training: boolean, needs: readonly [boolean, boolean, boolean],
): (Tensor | null)[] | null {
  const batch = x.shape[0], channels = x.shape[1], spatial = x.size / (batch * channels);
  const k = deviceFor("reduce", x.size, [g, x, resident(stats), ...(weight ? [weight] : [])]);
  if (k === null) return null;
  const temps: GpuArray[] = [];
  const dg = contiguous(k, g, temps), dx = contiguous(k, x, temps), dw = weight ? contiguous(k, weight, temps) : null;
  if (dg === null || dx === null || (weight !== null && dw === null)) {
    releaseAll(k, temps);
    return null;
  }
  const weightGrad = output(k, channels), biasGrad = output(k, channels);
  perChannel(k, "batchNorm:gradSums", [u(channels), u(batch), u(spatial), u(dg.off), u(dx.off)],
    [dg.array, dx.array, stats.gpu(), weightGrad.gpu(), biasGrad.gpu()], channels);
  let inputGrad: DeviceStorage | null = null;
  if (needs[0]) {
    inputGrad = output(k, x.size);
    perElement(k, "batchNorm:inputGrad", [
      u(channels), u(spatial), u(dg.off), u(dx.off), u(training ? 1 : 0), u(dw ? 1 : 0), u(dw ? dw.off : 0), f32(batch * spatial),
    ], [dg.array, dx.array, stats.gpu(), dw ? dw.array : null, weightGrad.gpu(), biasGrad.gpu(), inputGrad.gpu()], x.size);
  }
  releaseAll(k, temps);
  return [
    inputGrad && Tensor.onDevice(inputGrad, x.shape, "float32"),
    needs[1] ? Tensor.onDevice(weightGrad, [channels], "float32") : null,
    needs[2] ? Tensor.onDevice(biasGrad, [channels], "float32") : null,
  ];
}

// ---------------------------------------------------------------- layer norm

/**
 * The fused layer norm's forward on the device, as layerNormOp: y, and
 * stats [mean (rows), rstd (rows)] on the device for the backward; null
 * to run it on the host.
 */
export function deviceLayerNorm(
  x: Tensor, rows: number, width: number, weight: Tensor | null, bias: Tensor | null, eps: number,
): { y: Tensor; stats: DeviceStorage } | null {
  if (rows === 0 || width === 0 || x.dtype !== "float32") return null;
  const k = deviceFor("reduce", x.size, [x, weight, bias].filter((t): t is Tensor => t !== null));
  if (k === null || x.size > maxElements(k)) return null;
  const temps: GpuArray[] = [];
  const dx = contiguous(k, x, temps), dw = weight ? contiguous(k, weight, temps) : null, db = bias ? contiguous(k, bias, temps) : null;
  if (dx === null || (weight !== null && dw === null) || (bias !== null && db === null)) {
    releaseAll(k, temps);
    return null;
  }
  const out = output(k, x.size);
  const stats = new DeviceStorage(k, k.empty(2 * rows));
  perChannel(k, "layerNorm:forward", [
    u(rows), u(width), u(dx.off), u(dw ? 1 : 0), u(dw ? dw.off : 0), u(db ? 1 : 0), u(db ? db.off : 0), f32(eps),
  ], [dx.array, dw ? dw.array : null, db ? db.array : null, out.gpu(), stats.gpu()], rows);
  releaseAll(k, temps);
  return { y: Tensor.onDevice(out, x.shape, "float32"), stats };
}

/**
 * The fused layer norm's [x̄, w̄, b̄] on the device from the forward's stats
 * (null where `needs` says no; w̄ and b̄ in `paramShape`); null when the
 * device does not take it.
 */
export function deviceLayerNormGrads(
  g: Tensor, x: Tensor, weight: Tensor | null, stats: DeviceStorage, width: number, paramShape: readonly number[],
  needs: readonly [boolean, boolean, boolean],
): (Tensor | null)[] | null {
  const rows = x.size / width;
  const k = deviceFor("reduce", x.size, [g, x, resident(stats), ...(weight ? [weight] : [])]);
  if (k === null) return null;
  const temps: GpuArray[] = [];
  const dg = contiguous(k, g, temps), dx = contiguous(k, x, temps), dw = weight ? contiguous(k, weight, temps) : null;
  if (dg === null || dx === null || (weight !== null && dw === null)) {
    releaseAll(k, temps);
    return null;
  }
  let inputGrad: DeviceStorage | null = null, weightGrad: DeviceStorage | null = null, biasGrad: DeviceStorage | null = null;
  if (needs[0]) {
    inputGrad = output(k, x.size);
    perChannel(k, "layerNorm:inputGrad", [u(rows), u(width), u(dg.off), u(dx.off), u(dw ? 1 : 0), u(dw ? dw.off : 0)],
      [dg.array, dx.array, dw ? dw.array : null, stats.gpu(), inputGrad.gpu()], rows);
  }
  if (needs[1] || needs[2]) {
    weightGrad = output(k, width);
    biasGrad = output(k, width);
    perElement(k, "layerNorm:paramGrad", [u(rows), u(dg.off), u(dx.off)],
      [dg.array, dx.array, stats.gpu(), weightGrad.gpu(), biasGrad.gpu()], width);
  }
  releaseAll(k, temps);
  return [
    inputGrad && Tensor.onDevice(inputGrad, x.shape, "float32"),
    needs[1] ? Tensor.onDevice(weightGrad!, paramShape, "float32") : null,
    needs[2] ? Tensor.onDevice(biasGrad!, paramShape, "float32") : null,
  ];
}

// ---------------------------------------------------------------- concatenation

/**
 * cat of float32 tensors along `dim` on the device, into `shape`: one copy
 * per part; null to run it on the host. (Narrow's gradient pads by cat:
 * without this, the gradient of a slice of a device tensor, such as the
 * thirds of a packed q‖k‖v projection, would be read back.)
 */
export function deviceCat(parts: readonly Tensor[], dim: number, shape: readonly number[]): Tensor | null {
  const total = shape.reduce((a, b) => a * b, 1);
  if (total === 0 || parts.some((t) => t.dtype !== "float32")) return null;
  const k = deviceFor("elementwise", total, parts);
  if (k === null || total > maxElements(k)) return null;
  const outer = shape.slice(0, dim).reduce((a, b) => a * b, 1), row = total / outer;
  const temps: GpuArray[] = [];
  const sources: Operand[] = [];
  for (const t of parts) {
    const src = t.size === 0 ? null : contiguous(k, t, temps);
    if (t.size > 0 && src === null) {
      releaseAll(k, temps);
      return null;
    }
    if (src !== null) sources.push(src);
  }
  const out = output(k, total);
  let pos = 0, next = 0;
  for (const t of parts) {
    if (t.size === 0) continue;
    const chunk = t.size / outer, src = sources[next++];
    perElement(k, "cat:part", [u(chunk), u(row), u(pos), u(src.off)], [src.array, out.gpu()], t.size);
    pos += chunk;
  }
  releaseAll(k, temps);
  return Tensor.onDevice(out, shape, "float32");
}
