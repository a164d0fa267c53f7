/**
 * Convolution: conv1d, conv2d and convTranspose2d (NCHW), by im2col + GEMM,
 * or by a backend's fused kernels when it has them (native, groups 1:
 * Backend.conv2d, conv2dWeightGrad, conv2dInputGrad; docs/native.md).
 *
 * Three bilinear primitives share one geometry (that of a conv2d):
 *   convolve         y  = conv(x, w)           [N, C, H, W] → [N, O, oH, oW]
 *   convInputGrad    x̄  = convᵀ(ȳ, w)          (also convTranspose2d's forward)
 *   convWeightGrad   w̄  = Σ ȳ ⊗ windows of x
 * Each one's VJP is two of the others, so gradients of any order stay on the
 * GEMM path and second derivatives need no extra rule. conv1d is conv2d with
 * H = 1.
 */
import type { ConvWindow, FloatArray } from "../backend/backend.js";
import { gpu } from "../backend/device-dispatch.js";
import { backend } from "../backend/registry.js";
import { channelsToImages } from "../backend/js/im2col.js";
import { defineOp, record, traced } from "../graph/node.js";
import { DTypeError, ShapeError, ValueError } from "../errors.js";
import { allocate, allocateUninitialized, isFloat } from "../tensor/dtype.js";
import { registerPool } from "../backend/pools.js";
import { formatShape } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { deviceConvInputGrad, deviceConvolve, deviceConvWeightGrad } from "./device-conv-ops.js";
import { contiguousData } from "./util.js";

/** Everything the kernels need: the conv's input, weight and output sizes and its window. */
export interface ConvGeometry extends ConvWindow {
  batch: number;
  inChannels: number;
  height: number;
  width: number;
  outChannels: number;
  groups: number;
}

/**
 * Elements of the column matrix per chunk of images. A batch is gathered
 * and multiplied a chunk at a time, so that the columns im2col writes are
 * still in cache when the GEMM reads them, and scratch memory stays small
 * whatever the batch. 2^19 elements (2 MB in float32) measured fastest on
 * a 2-core machine for a [64, 32, 14, 14] batch (forward about 3× faster
 * than 2^23). Exported so that a benchmark can retune it.
 */
export const convTuning = { maxColumnElements: 1 << 19 };

/** Images per chunk, balanced so that the last chunk is not a sliver. */
function chunkSize(batch: number, perImage: number): number {
  const most = Math.max(1, Math.floor(convTuning.maxColumnElements / Math.max(1, perImage)));
  const chunks = Math.ceil(batch / most);
  return Math.ceil(batch / Math.max(1, chunks));
}

function gemmSizes(g: ConvGeometry) {
  const rows = g.inChannels * g.kH * g.kW; // rows of the column matrix, all groups
  return {
    rows,
    k: rows / g.groups, // one group's share: (C/groups)·kH·kW
    outPerGroup: g.outChannels / g.groups,
    plane: g.outH * g.outW,
  };
}

/**
 * Scratch buffers (column matrices, GEMM operands), kept between calls like
 * PyTorch's im2col workspace: a training step would otherwise allocate and
 * zero tens of megabytes per layer. Slot i serves one role within a kernel;
 * no kernel calls another while it holds a slot. Counted in bp.memory()'s pools.
 */
const workspace = { float32: [] as Float32Array[], float64: [] as Float64Array[] };
registerPool("conv workspace", () =>
  [...workspace.float32, ...workspace.float64].reduce((bytes, b) => bytes + b.byteLength, 0));

function scratch(dtype: "float32" | "float64", slot: number, size: number): FloatArray {
  const held = workspace[dtype][slot];
  if (held !== undefined && held.length >= size) return held.subarray(0, size);
  const fresh = dtype === "float32" ? new Float32Array(size) : new Float64Array(size);
  (workspace[dtype] as FloatArray[])[slot] = fresh;
  return fresh;
}

/** ȳ for images [n0, n0 + count) as a contiguous [O, count, oH·oW] block (the GEMM's operand). */
function imagesToChannels(gy: Tensor, n0: number, count: number, out: FloatArray): void {
  const [sN, sC, sH, sW] = gy.strides;
  const [, channels, h, w] = gy.shape;
  backend.copyStrided(gy.storage, gy.offset + n0 * sN, [sC, sN, sH, sW], [channels, count, h, w], out);
}

/** Adds bias[c] to every element of channel c of the contiguous [N, C, L] array. */
function addBias(out: FloatArray, bias: Tensor, batch: number, channels: number, plane: number): void {
  const { data, offset } = contiguousData(bias);
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      const b = data[offset + c];
      const start = (n * channels + c) * plane;
      for (let i = start; i < start + plane; i++) out[i] += b;
    }
  }
}

// ---------------------------------------------------------------- the three kernels (no graph)

/** y[N, O, oH, oW] = conv(x, w) + bias. */
function convolveKernel(x: Tensor, w: Tensor, bias: Tensor | null, g: ConvGeometry): Tensor {
  const onDevice = gpu.active !== null ? deviceConvolve(x, w, bias, g) : null;
  if (onDevice !== null) return onDevice;
  const dtype = x.dtype as "float32" | "float64";
  const { rows, k, outPerGroup, plane } = gemmSizes(g);
  const out = allocateUninitialized(dtype, g.batch * g.outChannels * plane) as FloatArray;
  const shape = [g.batch, g.outChannels, g.outH, g.outW];
  if (out.length === 0) return new Tensor(out, shape, dtype);
  if (k === 0) {
    out.fill(0);
    if (bias) addBias(out, bias, g.batch, g.outChannels, plane);
    return new Tensor(out, shape, dtype);
  }
  const wd = contiguousData(w);
  const b = bias ? contiguousData(bias) : null;
  if (g.groups === 1 && backend.conv2d?.(x.storage as FloatArray, x.offset, x.strides, g.batch, g.inChannels, g.height, g.width,
    g.outChannels, g, wd.data as FloatArray, wd.offset, b ? (b.data as FloatArray) : null, b ? b.offset : 0, out)) {
    return new Tensor(out, shape, dtype);
  }
  const chunk = chunkSize(g.batch, rows * plane);
  const cols = scratch(dtype, 0, rows * chunk * plane);
  const product = scratch(dtype, 1, g.outChannels * chunk * plane);
  for (let n0 = 0; n0 < g.batch; n0 += chunk) {
    const count = Math.min(chunk, g.batch - n0), span = count * plane;
    const c = cols.subarray(0, rows * span), p = product.subarray(0, g.outChannels * span);
    backend.im2col(x.storage as FloatArray, x.offset, x.strides, g.inChannels, g.height, g.width, n0, count, g, c);
    // Per group: [O/g, k] · [k, count·plane], the groups as the GEMM's batch.
    backend.matmul(wd.data as FloatArray, wd.offset, outPerGroup * k, false, c, 0, k * span, false, p, g.groups, outPerGroup, k, span);
    channelsToImages(p, g.outChannels, n0, count, plane, b ? (b.data as FloatArray) : null, b ? b.offset : 0, out);
  }
  return new Tensor(out, shape, dtype);
}

/** x̄[N, C, H, W] = convᵀ(ȳ, w) + bias (bias over C): the input gradient of conv, and convTranspose2d. */
function inputGradKernel(gy: Tensor, w: Tensor, bias: Tensor | null, g: ConvGeometry): Tensor {
  const onDevice = gpu.active !== null ? deviceConvInputGrad(gy, w, bias, g) : null;
  if (onDevice !== null) return onDevice;
  const dtype = gy.dtype as "float32" | "float64";
  const { rows, k, outPerGroup, plane } = gemmSizes(g);
  const size = g.batch * g.inChannels * g.height * g.width;
  const out = allocate(dtype, size) as FloatArray;
  const shape = [g.batch, g.inChannels, g.height, g.width];
  if (size > 0 && k > 0 && outPerGroup > 0 && plane > 0) {
    const wd = contiguousData(w);
    const gyd = g.groups === 1 && backend.conv2dInputGrad ? contiguousData(gy) : null;
    if (gyd && backend.conv2dInputGrad!(gyd.data as FloatArray, gyd.offset, g.batch, g.inChannels, g.height, g.width, g.outChannels, g,
      wd.data as FloatArray, wd.offset, out)) {
      if (bias) addBias(out, bias, g.batch, g.inChannels, g.height * g.width);
      return new Tensor(out, shape, dtype);
    }
    const chunk = chunkSize(g.batch, rows * plane);
    const gyT = scratch(dtype, 1, g.outChannels * chunk * plane);
    const cols = scratch(dtype, 0, rows * chunk * plane);
    for (let n0 = 0; n0 < g.batch; n0 += chunk) {
      const count = Math.min(chunk, g.batch - n0), span = count * plane;
      const t = gyT.subarray(0, g.outChannels * span), c = cols.subarray(0, rows * span);
      imagesToChannels(gy, n0, count, t);
      // Per group: [k, O/g] · [O/g, count·plane] with the weight read transposed.
      backend.matmul(wd.data as FloatArray, wd.offset, outPerGroup * k, true, t, 0, outPerGroup * span, false, c, g.groups, k, outPerGroup, span);
      backend.col2im(c, g.inChannels, g.height, g.width, n0, count, g, out);
    }
  }
  if (bias && size > 0) addBias(out, bias, g.batch, g.inChannels, g.height * g.width);
  return new Tensor(out, shape, dtype);
}

/** w̄[O, C/groups, kH, kW] = Σ over images and positions of ȳ times the window of x. */
function weightGradKernel(x: Tensor, gy: Tensor, g: ConvGeometry): Tensor {
  const onDevice = gpu.active !== null ? deviceConvWeightGrad(x, gy, g) : null;
  if (onDevice !== null) return onDevice;
  const dtype = x.dtype as "float32" | "float64";
  const { rows, k, outPerGroup, plane } = gemmSizes(g);
  const size = g.outChannels * k;
  const out = allocate(dtype, size) as FloatArray;
  const shape = [g.outChannels, g.inChannels / g.groups, g.kH, g.kW];
  if (size === 0 || g.batch === 0 || plane === 0) return new Tensor(out, shape, dtype);
  const gyd = g.groups === 1 && backend.conv2dWeightGrad ? contiguousData(gy) : null;
  if (gyd && backend.conv2dWeightGrad!(x.storage as FloatArray, x.offset, x.strides, g.batch, g.inChannels, g.height, g.width,
    g.outChannels, g, gyd.data as FloatArray, gyd.offset, out)) {
    return new Tensor(out, shape, dtype);
  }
  const chunk = chunkSize(g.batch, rows * plane);
  const gyT = scratch(dtype, 1, g.outChannels * chunk * plane);
  const cols = scratch(dtype, 0, rows * chunk * plane);
  // GEMMs with a narrow output run faster with the longer side as rows (conv1's k = 25 against 32 channels):
  // then each group's product is w̄ᵀ [k, O/g], transposed into place.
  const transposed = k < outPerGroup;
  const partial = chunk < g.batch || transposed ? scratch(dtype, 2, size) : null;
  for (let n0 = 0; n0 < g.batch; n0 += chunk) {
    const count = Math.min(chunk, g.batch - n0), span = count * plane;
    const t = gyT.subarray(0, g.outChannels * span), c = cols.subarray(0, rows * span);
    imagesToChannels(gy, n0, count, t);
    backend.im2col(x.storage as FloatArray, x.offset, x.strides, g.inChannels, g.height, g.width, n0, count, g, c);
    const target = n0 === 0 && !transposed ? out : partial!;
    if (transposed) {
      // Per group: [k, count·plane] · [count·plane, O/g], ȳ read transposed.
      backend.matmul(c, 0, k * span, false, t, 0, outPerGroup * span, true, target, g.groups, k, span, outPerGroup);
      addTransposed(target, out, g.groups, k, outPerGroup, n0 === 0);
    } else {
      // Per group: [O/g, count·plane] · [count·plane, k], the columns read transposed.
      backend.matmul(t, 0, outPerGroup * span, false, c, 0, k * span, true, target, g.groups, outPerGroup, span, k);
      if (target !== out) for (let i = 0; i < size; i++) out[i] += target[i];
    }
  }
  return new Tensor(out, shape, dtype);
}

/** out[g, o, j] (+)= src[g, j, o] for each of `groups` [rows, cols] blocks of src. */
function addTransposed(src: FloatArray, out: FloatArray, groups: number, rows: number, cols: number, overwrite: boolean): void {
  for (let g = 0, base = 0; g < groups; g++, base += rows * cols) {
    for (let j = 0; j < rows; j++) {
      for (let o = 0; o < cols; o++) {
        const d = base + o * rows + j;
        out[d] = overwrite ? src[base + j * cols + o] : out[d] + src[base + j * cols + o];
      }
    }
  }
}

// ---------------------------------------------------------------- the recorded ops

type Ctx = { geometry: ConvGeometry };

/** Σ over N, H, W: H·W flattened first, so each sum runs over contiguous memory (9× faster than sum([0, 2, 3])). */
const sumOverChannels = (g: Tensor) => g.flatten(2).sum(2).sum(0);

// y = conv(x, w) + b: x̄ = convᵀ(ȳ, w), w̄ = weightGrad(x, ȳ), b̄ = Σ ȳ over N, H, W.
const CONVOLVE = defineOp<Ctx>("conv2d", (gy, [x, w], { geometry }, needs) => [
  needs[0] ? convInputGrad(gy, w, null, geometry) : null,
  needs[1] ? convWeightGrad(x, gy, geometry) : null,
  needs[2] ? sumOverChannels(gy) : null,
]);

// z = convᵀ(u, w) + b is linear in u and in w: ū = conv(z̄, w), w̄ = weightGrad(z̄, u).
const INPUT_GRAD = defineOp<Ctx>("convTranspose2d", (gz, [u, w], { geometry }, needs) => [
  needs[0] ? convolve(gz, w, null, geometry) : null,
  needs[1] ? convWeightGrad(gz, u, geometry) : null,
  needs[2] ? sumOverChannels(gz) : null,
]);

// v = weightGrad(x, u) satisfies ⟨v̄, v⟩ = ⟨u, conv(x, v̄)⟩ = ⟨x, convᵀ(u, v̄)⟩.
const WEIGHT_GRAD = defineOp<Ctx>("conv2dWeightGrad", (gv, [x, u], { geometry }, needs) => [
  needs[0] ? convInputGrad(u, gv, null, geometry) : null,
  needs[1] ? convolve(x, gv, null, geometry) : null,
]);

function withBias(a: Tensor, b: Tensor, bias: Tensor | null): Tensor[] {
  return bias ? [a, b, bias] : [a, b];
}

/** conv(x, w) + bias for a checked geometry (no validation). */
export function convolve(x: Tensor, w: Tensor, bias: Tensor | null, geometry: ConvGeometry): Tensor {
  return record(convolveKernel(x, w, bias, geometry), CONVOLVE, withBias(x, w, bias), [x, w], { geometry });
}

/** convᵀ(gy, w) + bias (bias over the conv's input channels) for a checked geometry. */
export function convInputGrad(gy: Tensor, w: Tensor, bias: Tensor | null, geometry: ConvGeometry): Tensor {
  return record(inputGradKernel(gy, w, bias, geometry), INPUT_GRAD, withBias(gy, w, bias), [gy, w], { geometry });
}

/** The weight gradient of conv at input x and output gradient gy, for a checked geometry. */
export function convWeightGrad(x: Tensor, gy: Tensor, geometry: ConvGeometry): Tensor {
  return record(weightGradKernel(x, gy, geometry), WEIGHT_GRAD, [x, gy], [x, gy], { geometry });
}

// ---------------------------------------------------------------- options

/** A size for every spatial dim: one number for all, or one per dim. */
export type SpatialArg = number | readonly number[];

export interface ConvOptions {
  stride?: SpatialArg;
  /** Zeros added on both sides of each spatial dim; "valid" is 0, "same" keeps the size (stride 1 only). */
  padding?: SpatialArg | "same" | "valid";
  dilation?: SpatialArg;
  groups?: number;
}

export interface ConvTransposeOptions {
  stride?: SpatialArg;
  /** Removed from both sides of the output (the padding of the conv this is the transpose of). */
  padding?: SpatialArg;
  /** Added to one side (bottom/right) of the output, to pick among the sizes a strided conv maps to one size. */
  outputPadding?: SpatialArg;
  groups?: number;
  dilation?: SpatialArg;
}

/** `value` as one integer per spatial dim, each at least `min`. */
export function spatial(op: string, name: string, value: SpatialArg | undefined, dims: number, fallback: number, min: number): number[] {
  const v = value ?? fallback;
  const list = typeof v === "number" ? Array.from({ length: dims }, () => v) : Array.from(v);
  const ok = list.length === dims && list.every((s) => Number.isInteger(s) && s >= min);
  if (!ok) {
    const what = min === 0 ? "non-negative" : "positive";
    const form = dims === 1 ? "a number or [n]" : "a number or a pair [h, w]";
    throw new ValueError(`${op}: ${name} must be ${form} of ${what} integers, got ${JSON.stringify(v)}`);
  }
  return list;
}

function checkGroups(op: string, groups: number | undefined): number {
  const g = groups ?? 1;
  if (!Number.isInteger(g) || g < 1) throw new ValueError(`${op}: groups must be a positive integer, got ${JSON.stringify(groups)}`);
  return g;
}

function checkDTypes(op: string, x: Tensor, weight: Tensor, bias: Tensor | null | undefined): void {
  if (!(x instanceof Tensor) || !(weight instanceof Tensor) || (bias != null && !(bias instanceof Tensor))) {
    throw new ValueError(`${op}: expected input, weight (and bias) as Tensors`);
  }
  for (const [name, t] of [["input", x], ["weight", weight], ["bias", bias]] as const) {
    if (t && !isFloat(t.dtype)) throw new DTypeError(`${op}: expected a float32 or float64 ${name}, got ${t.dtype}; convert it with .to("float32")`);
  }
  for (const [name, t] of [["weight", weight], ["bias", bias]] as const) {
    if (t && t.dtype !== x.dtype) {
      throw new DTypeError(`${op}: the input is ${x.dtype} but the ${name} is ${t.dtype}; convert one with .to("${x.dtype}")`);
    }
  }
}

/** Spatial dims written for messages: "28×28" (2-d) or "28" (1-d). */
function dimsText(v: readonly number[]): string {
  return v.join("×");
}

/** Lifts 1-d arguments to 2-d (H = 1) and reports whether the input had no batch dim. */
interface Prepared {
  x: Tensor;
  weight: Tensor;
  unbatched: boolean;
}

function prepare(op: string, x: Tensor, weight: Tensor, dims: number, weightForm: string): Prepared {
  const rank = dims + 2;
  const layout = dims === 1 ? "[N, C, L]" : "[N, C, H, W]";
  const unbatchedLayout = dims === 1 ? "[C, L]" : "[C, H, W]";
  if (x.ndim !== rank && x.ndim !== rank - 1) {
    throw new ShapeError(`${op}: input must be ${rank}-d ${layout} (or ${rank - 1}-d ${unbatchedLayout} without a batch), got ${formatShape(x.shape)}`);
  }
  if (weight.ndim !== rank) throw new ShapeError(`${op}: weight must be ${rank}-d ${weightForm}, got ${formatShape(weight.shape)}`);
  const unbatched = x.ndim === rank - 1;
  let xb = unbatched ? x.unsqueeze(0) : x;
  let wb = weight;
  if (dims === 1) {
    xb = xb.unsqueeze(2);
    wb = wb.unsqueeze(2);
  }
  return { x: xb, weight: wb, unbatched };
}

/** Undoes prepare's lifting on the result. */
function finish(y: Tensor, p: Prepared, dims: number): Tensor {
  let r = dims === 1 ? y.squeeze(2) : y;
  if (p.unbatched) r = r.squeeze(0);
  return r;
}

function checkBias(op: string, bias: Tensor | null | undefined, channels: number, weight: Tensor): Tensor | null {
  if (bias == null) return null;
  if (bias.ndim !== 1 || bias.shape[0] !== channels) {
    throw new ShapeError(`${op}: bias ${formatShape(bias.shape)} does not fit weight ${formatShape(weight.shape)}; the bias must be [${channels}]`);
  }
  return bias;
}

// ---------------------------------------------------------------- conv1d, conv2d

function convNd(op: string, dims: number, x: Tensor, weight: Tensor, bias: Tensor | null | undefined, options: ConvOptions): Tensor {
  checkDTypes(op, x, weight, bias);
  const p = prepare(op, x, weight, dims, dims === 1 ? "[outChannels, inChannels/groups, kL]" : "[outChannels, inChannels/groups, kH, kW]");
  const shownX = x.shape, shownW = weight.shape;
  const groups = checkGroups(op, options.groups);
  const stride = spatial(op, "stride", options.stride, dims, 1, 1);
  const dilation = spatial(op, "dilation", options.dilation, dims, 1, 1);
  const [batch, inChannels] = p.x.shape;
  const outChannels = weight.shape[0];
  const perGroup = weight.shape[1];
  const kernel = weight.shape.slice(2);
  const size = shownX.slice(shownX.length - dims);
  if (outChannels % groups !== 0) {
    throw new ShapeError(`${op}: groups ${groups} must divide the weight's ${outChannels} output channels (weight ${formatShape(shownW)})`);
  }
  if (inChannels !== perGroup * groups) {
    throw new ShapeError(
      `${op}: input ${formatShape(shownX)} has ${inChannels} channels, weight ${formatShape(shownW)} expects ${perGroup} × groups ${groups} = ${perGroup * groups}`,
    );
  }
  // Padding before (top/left) and the total per dim: "same" may pad one more after.
  let before: number[], total: number[];
  const padding = options.padding ?? 0;
  if (padding === "same" || padding === "valid") {
    if (padding === "same" && stride.some((s) => s !== 1)) {
      throw new ValueError(`${op}: padding "same" needs stride 1 (the output keeps the input's size), got stride ${JSON.stringify(options.stride)}`);
    }
    total = padding === "same" ? kernel.map((k, i) => dilation[i] * (k - 1)) : kernel.map(() => 0);
    before = total.map((t) => Math.floor(t / 2));
  } else {
    before = spatial(op, "padding", padding, dims, 0, 0);
    total = before.map((b) => 2 * b);
  }
  const span = kernel.map((k, i) => dilation[i] * (k - 1) + 1);
  const padded = size.map((s, i) => s + total[i]);
  if (span.some((s, i) => s > padded[i])) {
    const dilated = dilation.some((d) => d !== 1) ? ` (${dimsText(span)} dilated)` : "";
    throw new ShapeError(
      `${op}: kernel ${dimsText(kernel)}${dilated} is larger than the padded input ${dimsText(padded)} (input ${formatShape(shownX)}, padding ${JSON.stringify(padding)}); use a smaller kernel or dilation, or more padding`,
    );
  }
  const outSize = padded.map((s, i) => Math.floor((s - span[i]) / stride[i]) + 1);
  const b = checkBias(op, bias, outChannels, weight);
  const at = (v: number[], i: number) => (dims === 1 ? (i === 0 ? 1 : v[0]) : v[i]);
  const lift = (v: number[], one: number) => (dims === 1 ? [one, v[0]] : v);
  const [kH, kW] = [at(kernel, 0), at(kernel, 1)];
  const [strideH, strideW] = lift(stride, 1);
  const [padTop, padLeft] = lift(before, 0);
  const [dilationH, dilationW] = lift(dilation, 1);
  const [outH, outW] = lift(outSize, 1);
  const [height, width] = p.x.shape.slice(2);
  const geometry: ConvGeometry = {
    batch, inChannels, height, width, outChannels, groups, kH, kW, strideH, strideW, padTop, padLeft, dilationH, dilationW, outH, outW,
  };
  const y = finish(convolve(p.x, p.weight, b, geometry), p, dims);
  return traced(y, "conv", [x, weight, b], { stride, dilation, groups, pads: [...before, ...total.map((t, i) => t - before[i])] });
}

/** 2-d convolution of x [N, C, H, W] (or [C, H, W]) with weight [O, C/groups, kH, kW] and optional bias [O]. */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions = {}): Tensor {
  return convNd("conv2d", 2, x, weight, bias, options);
}

/** 1-d convolution of x [N, C, L] (or [C, L]) with weight [O, C/groups, kL] and optional bias [O]. */
export function conv1d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions = {}): Tensor {
  return convNd("conv1d", 1, x, weight, bias, options);
}

// ---------------------------------------------------------------- convTranspose2d

/**
 * Transposed 2-d convolution (the gradient of conv2d with respect to its
 * input) of x [N, Cin, H, W] (or [Cin, H, W]) with weight [Cin, Cout/groups, kH, kW]
 * and optional bias [Cout]. Output size per dim:
 * (in − 1)·stride − 2·padding + dilation·(k − 1) + outputPadding + 1.
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvTransposeOptions = {}): Tensor {
  const op = "convTranspose2d";
  checkDTypes(op, x, weight, bias);
  const p = prepare(op, x, weight, 2, "[inChannels, outChannels/groups, kH, kW]");
  const groups = checkGroups(op, options.groups);
  const stride = spatial(op, "stride", options.stride, 2, 1, 1);
  if (typeof options.padding === "string") {
    throw new ValueError(`${op}: padding must be a number or a pair [h, w]; "same" and "valid" are only for conv1d/conv2d`);
  }
  const padding = spatial(op, "padding", options.padding, 2, 0, 0);
  const outputPadding = spatial(op, "outputPadding", options.outputPadding, 2, 0, 0);
  const dilation = spatial(op, "dilation", options.dilation, 2, 1, 1);
  const [batch, inChannels, inH, inW] = p.x.shape;
  const [wIn, perGroup, kH, kW] = weight.shape;
  if (inChannels !== wIn) {
    throw new ShapeError(`${op}: input ${formatShape(x.shape)} has ${inChannels} channels, weight ${formatShape(weight.shape)} expects ${wIn} (the weight is [inChannels, outChannels/groups, kH, kW])`);
  }
  if (inChannels % groups !== 0) {
    throw new ShapeError(`${op}: groups ${groups} must divide the ${inChannels} input channels (weight ${formatShape(weight.shape)})`);
  }
  for (let i = 0; i < 2; i++) {
    if (outputPadding[i] >= Math.max(stride[i], dilation[i])) {
      throw new ValueError(
        `${op}: outputPadding ${JSON.stringify(options.outputPadding)} must be smaller than the stride or the dilation (stride ${JSON.stringify(stride)}, dilation ${JSON.stringify(dilation)})`,
      );
    }
  }
  const outSize = [inH, inW].map((s, i) => (s - 1) * stride[i] - 2 * padding[i] + dilation[i] * ([kH, kW][i] - 1) + outputPadding[i] + 1);
  if (outSize.some((s) => s <= 0)) {
    throw new ShapeError(
      `${op}: input ${formatShape(x.shape)} with kernel ${kH}×${kW}, stride ${JSON.stringify(stride)}, padding ${JSON.stringify(padding)} gives output size ${dimsText(outSize)}, which is not positive; use less padding`,
    );
  }
  const outChannels = perGroup * groups;
  const b = checkBias(op, bias, outChannels, weight);
  // The geometry of the conv2d whose input gradient this is: [N, Cout, outH, outW] → [N, Cin, inH, inW].
  const geometry: ConvGeometry = {
    batch, inChannels: outChannels, height: outSize[0], width: outSize[1], outChannels: inChannels, groups,
    kH, kW, strideH: stride[0], strideW: stride[1], padTop: padding[0], padLeft: padding[1],
    dilationH: dilation[0], dilationW: dilation[1], outH: inH, outW: inW,
  };
  const y = finish(convInputGrad(p.x, p.weight, b, geometry), p, 2);
  return traced(y, "convTranspose", [x, weight, b], { stride, dilation, groups, padding, outputPadding });
}
