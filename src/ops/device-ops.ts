/**
 * The op layer's calls into the GPU kernels (docs/webgpu.md): each
 * function runs one kernel call on the device when `deviceFor`
 * (src/backend/device-dispatch.ts) says so, and returns a tensor whose
 * storage stays on the device, or null, and the op runs its host kernel.
 * Operands on the device are passed on without a read; host operands are
 * uploaded (the part the call reads) for this call only.
 *
 * Callers check `gpu.active !== null` first, so that the other backends
 * never reach this file.
 */
import type { AdamScalars, BinaryOp, DType, ReduceOp, UnaryOp } from "../backend/backend.js";
import { DEVICE_DTYPES, deviceFor, gpu, type DeviceFamily } from "../backend/device-dispatch.js";
import { DeviceStorage, deviceWords, type DeviceKind } from "../backend/device-storage.js";
import { isCompareOp, type CompareOp, type WordKind } from "../backend/webgpu/select-wgsl.js";
import type { GpuArray, WebGpuKernels } from "../backend/webgpu/kernels.js";
import { TILE } from "../backend/webgpu/matmul-wgsl.js";
import { trackDeviceAllocation } from "../tensor/memory.js";
import { sizeOf } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";

/** The largest array one binding can hold, per device. */
function maxElements(k: WebGpuKernels): number {
  return Math.floor(k.context.device.limits.maxStorageBufferBindingSize / 4);
}

/** A fresh device storage of n elements of `kind`, recorded like a host allocation (the backward pass's ledger may release it). */
function output(k: WebGpuKernels, n: number, kind: DeviceKind = "float32"): DeviceStorage {
  const storage = new DeviceStorage(k, k.empty(n), null, kind);
  trackDeviceAllocation(storage);
  return storage;
}

/** The elements [lo, hi) that a walk over `shape` with `strides` from `offset` touches. */
function extent(offset: number, strides: readonly number[], shape: readonly number[]): [number, number] {
  let lo = offset, hi = offset;
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 0) return [offset, offset];
    const reach = strides[d] * (shape[d] - 1);
    if (reach < 0) lo += reach;
    else hi += reach;
  }
  return [lo, hi + 1];
}

/**
 * `t`'s storage as a device array and the index its element `offset` has
 * there: the buffer itself for a device tensor, else an upload of the
 * elements [lo, hi) the call reads, as the words its dtype's device kind holds (released once recorded: `temps`).
 */
function input(k: WebGpuKernels, t: Tensor, lo: number, hi: number, temps: GpuArray[]): { array: GpuArray; shift: number } | null {
  if (t._device !== null) return { array: t._device.gpu(), shift: 0 };
  if (hi - lo > maxElements(k)) return null;
  const array = k.upload(deviceWords(t._host!.subarray(lo, hi), t.dtype as DeviceKind));
  temps.push(array);
  return { array, shift: lo };
}

function releaseAll(k: WebGpuKernels, temps: readonly GpuArray[]): void {
  for (const a of temps) k.release(a);
}

/** A one-element array holding 1, per device: the other operand of a strided copy (x · 1 is x exactly). */
const ones = new WeakMap<WebGpuKernels, GpuArray>();
function one(k: WebGpuKernels): GpuArray {
  let a = ones.get(k);
  if (a === undefined || a.released) ones.set(k, (a = k.upload(Float32Array.of(1))));
  return a;
}

/** out = op(a, b) over `shape` with the operands' (broadcast) strides, on the device; `into` writes an existing device tensor (in place). */
export function deviceBinary(
  op: BinaryOp, a: Tensor, aStrides: readonly number[], b: Tensor, bStrides: readonly number[],
  shape: readonly number[], dtype: DType, into: Tensor | null = null,
): Tensor | null {
  const n = sizeOf(shape);
  if (dtype === "bool" && into === null && isCompareOp(op)) return deviceCompare(op, a, aStrides, b, bStrides, shape);
  if (dtype !== "float32") return null;
  if (a.dtype !== "float32" || b.dtype !== "float32") {
    // A float32 result of an int32 or bool operand (a mask times a gradient): that operand converted on the device first.
    if (deviceFor("elementwise", n, [a, b], DEVICE_DTYPES) === null) return null;
    const fa = floatOperand(a, aStrides, shape), fb = fa && floatOperand(b, bStrides, shape);
    return fa && fb && deviceBinary(op, fa, aStrides, fb, bStrides, shape, dtype, into);
  }
  const k = deviceFor("elementwise", n, into === null ? [a, b] : [a, b, into]);
  if (k === null || n > maxElements(k) || !k.supportsBinary(op, shape, aStrides, bStrides)) return null;
  if (into !== null && (into._device === null || into.offset !== 0 || !into.isContiguous)) return null;
  const temps: GpuArray[] = [];
  const [aLo, aHi] = extent(a.offset, aStrides, shape), [bLo, bHi] = extent(b.offset, bStrides, shape);
  const da = input(k, a, aLo, aHi, temps), db = input(k, b, bLo, bHi, temps);
  if (da === null || db === null) {
    releaseAll(k, temps);
    return null;
  }
  const out = into !== null ? into._device! : output(k, n);
  k.binary(op, da.array, a.offset - da.shift, aStrides, db.array, b.offset - db.shift, bStrides, out.gpu(), shape);
  releaseAll(k, temps);
  if (into !== null) {
    out.deviceWrote();
    return into;
  }
  return Tensor.onDevice(out, shape, dtype);
}

/** A contiguous device copy of `t` (float32): the strided walk of the binary kernel, times one. */
export function deviceContiguous(t: Tensor): Tensor | null {
  if (t.dtype !== "float32") return null;
  const k = deviceFor("elementwise", t.size, [t]);
  if (k === null || t.size > maxElements(k) || !k.supportsBinary("mul", t.shape, t.strides, t.shape.map(() => 0))) return null;
  const temps: GpuArray[] = [];
  const [lo, hi] = extent(t.offset, t.strides, t.shape);
  const src = input(k, t, lo, hi, temps);
  if (src === null) return null;
  const out = output(k, t.size);
  k.binary("mul", src.array, t.offset - src.shift, t.strides, one(k), 0, t.shape.map(() => 0), out.gpu(), t.shape);
  releaseAll(k, temps);
  return Tensor.onDevice(out, t.shape, "float32");
}

/** `t` itself when it is contiguous, else a contiguous device copy; null when the device cannot take it. */
function contiguousOperand(t: Tensor): Tensor | null {
  return t.isContiguous ? t : deviceContiguous(t);
}

// The helpers that device-conv-ops.ts (convolution, pooling, normalisation, cat) shares.
export { contiguousOperand, extent, input, maxElements, output, releaseAll };

/** out[i] = op(x[i]) (p0, p1: the op's parameters), on the device. */
export function deviceUnary(op: UnaryOp, x: Tensor, dtype: DType, p0: number, p1: number): Tensor | null {
  if (dtype !== "float32") return null;
  if (op === "copy" && (x.dtype === "int32" || x.dtype === "bool")) {
    // to("float32") on the device; the result is contiguous, as the host kernel's is.
    const f = deviceFor("elementwise", x.size, [x], DEVICE_DTYPES) && floatOperand(x, x.strides, x.shape);
    return f && (f.isContiguous ? f : deviceContiguous(f));
  }
  const k = deviceFor("elementwise", x.size, [x]);
  if (k === null || x.size > maxElements(k) || !k.supportsUnary(op)) return null;
  const src = contiguousOperand(x);
  if (src === null) return null;
  const temps: GpuArray[] = [];
  const dx = input(k, src, src.offset, src.offset + src.size, temps);
  if (dx === null) return null;
  const out = output(k, x.size);
  k.unary(op, dx.array, src.offset - dx.shift, out.gpu(), x.size, p0, p1);
  releaseAll(k, temps);
  return Tensor.onDevice(out, x.shape, dtype);
}

/** The `family` call on the contiguous [outer, axis, inner] block of `x`, writing n outputs; null when the device does not take it. */
function blockCall(
  family: DeviceFamily, x: Tensor, outputs: number,
  run: (k: WebGpuKernels, src: GpuArray, srcOff: number, out: GpuArray) => void, kind: DeviceKind = "float32",
): DeviceStorage | null {
  // Callers check x's dtype (float32, or int32/bool for the kernels that read words).
  const k = deviceFor(family, x.size, [x], DEVICE_DTYPES);
  if (k === null || Math.max(x.size, outputs) > maxElements(k)) return null;
  const src = contiguousOperand(x);
  if (src === null) return null;
  const temps: GpuArray[] = [];
  const dx = input(k, src, src.offset, src.offset + src.size, temps);
  if (dx === null) return null;
  const out = output(k, outputs, kind);
  run(k, dx.array, src.offset - dx.shift, out.gpu());
  releaseAll(k, temps);
  return out;
}

/** Reduces the middle axis of `x` seen as [outer, axis, inner] (x's elements in row-major order). */
export function deviceReduce(op: ReduceOp, x: Tensor, outer: number, axis: number, inner: number, outShape: readonly number[], dtype: DType): Tensor | null {
  if (op === "argmax" || op === "argmin") return deviceArgReduce(op, x, outer, axis, inner, outShape);
  if (op === "sum" && dtype === "int32") return deviceIntSum(x, outer, axis, inner, outShape);
  if (dtype !== "float32" || x.dtype !== "float32" || (op !== "sum" && op !== "max" && op !== "min")) return null;
  const out = blockCall("reduce", x, outer * inner, (k, src, srcOff, target) => k.reduce(op, src, srcOff, outer, axis, inner, target));
  return out === null ? null : Tensor.onDevice(out, outShape, dtype);
}

/** Softmax (log-softmax when `log`) along the middle axis of `x` seen as [outer, axis, inner]. */
export function deviceSoftmax(x: Tensor, outer: number, axis: number, inner: number, log: boolean): Tensor | null {
  if (x.dtype !== "float32") return null;
  const out = blockCall("reduce", x, x.size, (k, src, srcOff, target) => k.softmax(src, srcOff, outer, axis, inner, target, log));
  return out === null ? null : Tensor.onDevice(out, x.shape, "float32");
}

/** One operand of a GEMM as the op layer prepared it: `source`'s storage read from `offset`, batches `batchStride` apart. */
export interface GemmOperand { source: Tensor; offset: number; batchStride: number; trans: boolean }

/** out[b] = op(A[b]) · op(B[b]), contiguous [batch, m, n], on the device. */
export function deviceMatmul(A: GemmOperand, B: GemmOperand, batch: number, m: number, kDim: number, n: number, shape: readonly number[]): Tensor | null {
  const k = deviceFor("matmul", batch * m * kDim * n, [A.source, B.source]);
  if (k === null || kDim === 0) return null;
  const maxGroups = k.context.device.limits.maxComputeWorkgroupsPerDimension;
  const aEnd = A.offset + (batch - 1) * A.batchStride + m * kDim, bEnd = B.offset + (batch - 1) * B.batchStride + kDim * n;
  if (batch * m * n > maxElements(k) || batch > maxGroups || Math.ceil(Math.max(m, n) / TILE) > maxGroups) return null;
  const temps: GpuArray[] = [];
  const da = input(k, A.source, A.offset, aEnd, temps), db = input(k, B.source, B.offset, bEnd, temps);
  if (da === null || db === null) {
    releaseAll(k, temps);
    return null;
  }
  const out = output(k, batch * m * n);
  k.matmul(da.array, A.offset - da.shift, A.batchStride, A.trans, db.array, B.offset - db.shift, B.batchStride, B.trans, out.gpu(), batch, m, kDim, n);
  releaseAll(k, temps);
  return Tensor.onDevice(out, shape, "float32");
}

/**
 * Moves `t`'s elements to the device, keeping its host array as a valid
 * copy (the next host read costs nothing): what the optimizer does to a
 * parameter and its state before the first step on the device. Views
 * taken of `t` before this keep the host array and do not see later
 * device writes.
 */
export function moveToDevice(k: WebGpuKernels, t: Tensor): DeviceStorage {
  if (t._device !== null) return t._device;
  const host = t._host as Float32Array;
  const storage = new DeviceStorage(k, k.upload(host), host);
  t._host = null;
  t._device = storage;
  return storage;
}

/**
 * One fused Adam step on the device, as Backend.adam: the parameter, its
 * moments (moved to the device on the first call) and the gradient stay
 * there. False when the device does not take it (the host loop runs).
 */
export function deviceAdam(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, vMax: Tensor | null, scalars: () => AdamScalars): boolean {
  const n = param.size;
  const k = deviceFor("adam", n, vMax ? [param, grad, m, v, vMax] : [param, grad, m, v]);
  if (k === null || n > maxElements(k) || param.offset !== 0 || !param.isContiguous || !grad.isContiguous || [m, v, vMax].some((t) => t !== null && t.offset !== 0)) return false;
  const temps: GpuArray[] = [];
  const dg = input(k, grad, grad.offset, grad.offset + n, temps);
  if (dg === null) return false;
  const s = scalars();
  const states = vMax ? [param, m, v, vMax] : [param, m, v];
  const [dp, dm, dv, dvMax] = states.map((t) => moveToDevice(k, t));
  k.adam(dp.gpu(), 0, dg.array, grad.offset - dg.shift, dm.gpu(), dv.gpu(), dvMax ? dvMax.gpu() : null, n, s);
  releaseAll(k, temps);
  for (const d of [dp, dm, dv, dvMax]) d?.deviceWrote();
  return true;
}

/** Sets a device tensor's elements (its whole contiguous storage) to zero; false for a host tensor. */
export function deviceZero(t: Tensor): boolean {
  const storage = t._device;
  if (storage === null) return false;
  storage.overwrite(new Float32Array(storage.length));
  return true;
}

// ---------------------------------------------------------------- comparisons, where, argmax, index ops, cross-entropy
// Operands and outputs of any device kind (float32 values, int32 and bool words: DeviceKind).

/** How a kernel reads a dtype's words: float32 as floats, int32 and bool as signed integers. */
function wordKind(t: Tensor): WordKind {
  return t.dtype === "float32" ? "f" : "i";
}

/** Uploads each operand's part (or takes its buffer); null, with the uploads released, when one does not fit. */
function stridedInputs(k: WebGpuKernels, parts: readonly [Tensor, readonly number[]][], shape: readonly number[], temps: GpuArray[]): { array: GpuArray; offset: number }[] | null {
  const out: { array: GpuArray; offset: number }[] = [];
  for (const [t, strides] of parts) {
    const [lo, hi] = extent(t.offset, strides, shape);
    const d = input(k, t, lo, hi, temps);
    if (d === null) {
      releaseAll(k, temps);
      return null;
    }
    out.push({ array: d.array, offset: t.offset - d.shift });
  }
  return out;
}

/** A comparison (eq, ne, lt, le, gt, ge, and) with bool output words; both operands float32, or both int32/bool. */
function deviceCompare(op: CompareOp, a: Tensor, aStrides: readonly number[], b: Tensor, bStrides: readonly number[], shape: readonly number[]): Tensor | null {
  const n = sizeOf(shape);
  const kind = wordKind(a);
  if (wordKind(b) !== kind) return null;
  const k = deviceFor("elementwise", n, [a, b], DEVICE_DTYPES);
  if (k === null || n > maxElements(k) || !k.supportsStrided(shape, [aStrides, bStrides])) return null;
  const temps: GpuArray[] = [];
  const ins = stridedInputs(k, [[a, aStrides], [b, bStrides]], shape, temps);
  if (ins === null) return null;
  const out = output(k, n, "bool");
  k.compare(op, kind, ins[0].array, ins[0].offset, aStrides, ins[1].array, ins[1].offset, bStrides, out.gpu(), shape);
  releaseAll(k, temps);
  return Tensor.onDevice(out, shape, "bool");
}

/** where(cond, a, b) for float32 a and b (cond of any device dtype), the strides broadcast to `shape`. */
export function deviceWhere(
  cond: Tensor, cStrides: readonly number[], a: Tensor, aStrides: readonly number[], b: Tensor, bStrides: readonly number[],
  shape: readonly number[], dtype: DType,
): Tensor | null {
  const n = sizeOf(shape);
  if (dtype !== "float32" || a.dtype !== "float32" || b.dtype !== "float32") return null;
  const k = deviceFor("elementwise", n, [cond, a, b], DEVICE_DTYPES);
  if (k === null || n > maxElements(k) || !k.supportsStrided(shape, [cStrides, aStrides, bStrides])) return null;
  const temps: GpuArray[] = [];
  const ins = stridedInputs(k, [[cond, cStrides], [a, aStrides], [b, bStrides]], shape, temps);
  if (ins === null) return null;
  const out = output(k, n);
  const [c, x, y] = ins;
  k.where(wordKind(cond), c.array, c.offset, cStrides, x.array, x.offset, aStrides, y.array, y.offset, bStrides, out.gpu(), shape);
  releaseAll(k, temps);
  return Tensor.onDevice(out, shape, "float32");
}

/**
 * `t` (int32 or bool) as float32 values on the device, with `t`'s view:
 * the elements [lo, hi) that `strides` over `shape` reach, converted into
 * a new device array. Float32 `t` is itself; null when the device does not take it.
 */
function floatOperand(t: Tensor, strides: readonly number[], shape: readonly number[]): Tensor | null {
  if (t.dtype === "float32") return t;
  const k = gpu.active;
  if (k === null || (t.dtype !== "int32" && t.dtype !== "bool")) return null;
  const [lo, hi] = extent(t.offset, strides, shape);
  const temps: GpuArray[] = [];
  const src = input(k, t, lo, hi, temps);
  if (src === null) return null;
  const out = output(k, hi - lo);
  k.toFloat(src.array, lo - src.shift, out.gpu(), hi - lo);
  releaseAll(k, temps);
  return Tensor.onDevice(out, t.shape, "float32", t.strides, t.offset - lo);
}

/** The int32 sum of int32 or bool `x` along the middle axis of [outer, axis, inner]. */
function deviceIntSum(x: Tensor, outer: number, axis: number, inner: number, outShape: readonly number[]): Tensor | null {
  if (x.dtype !== "int32" && x.dtype !== "bool") return null;
  const out = blockCall("reduce", x, outer * inner, (k, src, srcOff, target) => k.intSum(src, srcOff, outer, axis, inner, target), "int32");
  return out === null ? null : Tensor.onDevice(out, outShape, "int32");
}

/** argmax/argmin of the middle axis of float32 `x` seen as [outer, axis, inner]: int32 words on the device. */
function deviceArgReduce(op: "argmax" | "argmin", x: Tensor, outer: number, axis: number, inner: number, outShape: readonly number[]): Tensor | null {
  if (x.dtype !== "float32" || axis === 0) return null;
  const out = blockCall("reduce", x, outer * inner, (k, src, srcOff, target) => k.argReduce(op, src, srcOff, outer, axis, inner, target), "int32");
  return out === null ? null : Tensor.onDevice(out, outShape, "int32");
}

/** Runs `run` on int32 host arrays uploaded as device words (released once recorded). */
function withInts(k: WebGpuKernels, values: readonly Int32Array[], run: (arrays: GpuArray[]) => void): void {
  const arrays = values.map((v) => k.upload(deviceWords(v, "int32")));
  run(arrays);
  releaseAll(k, arrays);
}

/**
 * For each of `lists` targets, the sources 0 … count − 1 that `targetOf`
 * sends to it: target t's are sources[starts[t] … starts[t + 1]), in
 * increasing order (a stable counting sort), the order the CPU kernels add in.
 */
function listSources(lists: number, count: number, targetOf: (source: number) => number): { starts: Int32Array; sources: Int32Array } {
  const starts = new Int32Array(lists + 1);
  for (let p = 0; p < count; p++) starts[targetOf(p) + 1]++;
  for (let t = 0; t < lists; t++) starts[t + 1] += starts[t];
  const next = starts.slice(0, lists);
  const sources = new Int32Array(Math.max(count, 1));
  for (let p = 0; p < count; p++) sources[next[targetOf(p)]++] = p;
  return { starts, sources };
}

/** indexSelect of float32 `x` seen as [outer, xAxis, inner] at the (checked) host indices `index`. */
export function deviceIndexSelect(x: Tensor, outer: number, xAxis: number, inner: number, index: Int32Array, outShape: readonly number[]): Tensor | null {
  const n = outer * index.length * inner;
  if (x.dtype !== "float32" || n === 0) return null;
  const out = blockCall("elementwise", x, n, (k, src, srcOff, target) => withInts(k, [index], ([di]) => k.indexSelect(src, srcOff, outer, xAxis, inner, di, index.length, target)));
  return out === null ? null : Tensor.onDevice(out, outShape, "float32");
}

/**
 * Zeros of [outer, outAxis, inner] with float32 `src` ([outer, index.length, inner])
 * added at the (checked) host indices along the middle axis: indexSelect's
 * reverse, without float atomics. The host sorts the indices into lists of
 * source rows per output row (a counting sort, stable: each list in index order).
 */
export function deviceIndexAdd(src: Tensor, outer: number, outAxis: number, inner: number, index: Int32Array, shape: readonly number[]): Tensor | null {
  const n = outer * outAxis * inner;
  if (src.dtype !== "float32" || n === 0) return null;
  const out = blockCall("elementwise", src, n, (k, s, sOff, target) => {
    const { starts, sources: rows } = listSources(outAxis, index.length, (j) => index[j]);
    withInts(k, [starts, rows], ([ds, dr]) => k.indexAdd(s, sOff, outer, index.length, inner, ds, dr, outAxis, target));
  });
  return out === null ? null : Tensor.onDevice(out, shape, "float32");
}

/** gather of float32 `x` (contiguous once copied: [outer, xAxis, inner]) at the (checked) host indices [outer, idxAxis, inner]. */
export function deviceGather(x: Tensor, outer: number, xAxis: number, inner: number, index: Int32Array, idxAxis: number, outShape: readonly number[]): Tensor | null {
  const n = index.length;
  if (x.dtype !== "float32" || n === 0) return null;
  const out = blockCall("elementwise", x, n, (k, src, srcOff, target) => withInts(k, [index], ([di]) => k.gather(src, srcOff, outer, xAxis, inner, di, idxAxis, target)));
  return out === null ? null : Tensor.onDevice(out, outShape, "float32");
}

/**
 * Zeros of [outer, outAxis, inner] with float32 `src` ([outer, idxAxis, inner])
 * added at the host indices along the middle axis (scatterAdd into zeros):
 * the host lists, for each output element, the source elements that land
 * on it (a stable counting sort, so each list is in the CPU kernel's order),
 * and each GPU thread sums its list.
 */
export function deviceScatterAdd(src: Tensor, outer: number, outAxis: number, inner: number, index: Int32Array, idxAxis: number, shape: readonly number[]): Tensor | null {
  const n = outer * outAxis * inner;
  if (src.dtype !== "float32" || n === 0) return null;
  const out = blockCall("elementwise", src, n, (k, s, sOff, target) => {
    const { starts, sources } = listSources(n, index.length, (p) => (Math.floor(p / (inner * idxAxis)) * outAxis + index[p]) * inner + (p % inner));
    withInts(k, [starts, sources], ([ds, dso]) => k.sumListed(s, sOff, ds, dso, target, n));
  });
  return out === null ? null : Tensor.onDevice(out, shape, "float32");
}

/**
 * The fused cross-entropy's loss from device log-probabilities [rows, classes]
 * (contiguous from their offset): `targets` hold −1 for ignored rows.
 * A 0-d float32 device tensor; null when the device does not take it.
 */
export function deviceCrossEntropyLoss(logProb: Tensor, targets: Int32Array, divisor: number): Tensor | null {
  const k = logProb._device?.kernels;
  if (k === undefined || logProb.dtype !== "float32" || !logProb.isContiguous || deviceFor("reduce", logProb.size, [logProb]) !== k) return null;
  const [rows, classes] = logProb.shape;
  const out = output(k, 1);
  withInts(k, [targets], ([dt]) => k.crossEntropyLoss(logProb._device!.gpu(), logProb.offset, rows, classes, dt, divisor, out.gpu()));
  return Tensor.onDevice(out, [], "float32");
}

/** The fused cross-entropy's gradient on the device (see crossEntropyGradWgsl); null when `logProb` is not there. */
export function deviceCrossEntropyGrad(logProb: Tensor, targets: Int32Array, atTarget: number): Tensor | null {
  const k = logProb._device?.kernels;
  if (k === undefined || logProb.dtype !== "float32" || !logProb.isContiguous || deviceFor("elementwise", logProb.size, [logProb]) !== k) return null;
  const [rows, classes] = logProb.shape;
  const out = output(k, rows * classes);
  withInts(k, [targets], ([dt]) => k.crossEntropyGrad(logProb._device!.gpu(), logProb.offset, rows, classes, dt, atTarget, out.gpu()));
  return Tensor.onDevice(out, logProb.shape, "float32");
}
