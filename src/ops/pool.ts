/**
 * Pooling over the trailing one or two dims (NCL / NCHW, batch dim optional):
 * maxPool1d/2d, avgPool2d, adaptiveAvgPool2d. Forward kernels and VJPs side
 * by side. Max pooling picks an index per window with a kernel, then takes
 * the values with gather, so its gradient is gather's scatter-add and its
 * second derivative gather again. The average pools are linear: each one's
 * VJP is its transpose kernel, whose VJP is the forward kernel.
 */
import type { FloatArray, PoolAxis } from "../backend/backend.js";
import { gpu } from "../backend/device-dispatch.js";
import { backend } from "../backend/registry.js";
import { windowAverage, windowAverageTranspose } from "../backend/js/pool.js";
import { defineOp, record, traced, type OpDef } from "../graph/node.js";
import { ShapeError, ValueError } from "../errors.js";
import { allocate } from "../tensor/dtype.js";
import { formatShape, sizeOf } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { deviceMaxPool, deviceWindowAverage } from "./device-conv-ops.js";
import { gather } from "./indexing.js";
import { reshape } from "./shape.js";
import { contiguousData, requireFloat } from "./util.js";

/** A size given as one number for every pooled dim, or one per dim. */
export type Size2 = number | readonly [number, number];

export interface MaxPool1dOptions {
  kernelSize: number;
  /** Default: kernelSize. */
  stride?: number | null;
  /** Implicit −∞ padding on both sides, at most half the kernel (default 0). */
  padding?: number;
  /** Spacing between the window's taps (default 1). */
  dilation?: number;
  /** Round the output size up, so a partial window at the end counts (default false). */
  ceilMode?: boolean;
  /** Also return the int32 index of each maximum within its plane (default false). */
  returnIndices?: boolean;
}

export interface MaxPool2dOptions {
  kernelSize: Size2;
  stride?: Size2 | null;
  padding?: Size2;
  dilation?: Size2;
  ceilMode?: boolean;
  returnIndices?: boolean;
}

export interface AvgPool2dOptions {
  kernelSize: Size2;
  stride?: Size2 | null;
  /** Implicit zero padding on both sides, at most half the kernel (default 0). */
  padding?: Size2;
  ceilMode?: boolean;
  /** Divide by the whole window, padding included (default true), or by the input elements it covers. */
  countIncludePad?: boolean;
}

// ---------------------------------------------------------------- argument checks

function pair(op: string, name: string, v: Size2 | undefined | null, fallback: readonly [number, number]): [number, number] {
  if (v === undefined || v === null) return [fallback[0], fallback[1]];
  const p: readonly number[] = typeof v === "number" ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || p.some((n) => !Number.isInteger(n))) {
    throw new ValueError(`${op}: ${name} must be an integer or a pair of integers, got ${JSON.stringify(v)}`);
  }
  return [p[0], p[1]];
}

function single(op: string, name: string, v: number | undefined | null, fallback: number): number {
  if (v === undefined || v === null) return fallback;
  if (!Number.isInteger(v)) throw new ValueError(`${op}: ${name} must be an integer, got ${JSON.stringify(v)}`);
  return v;
}

/** Input rank check: `dims` pooled dims after an optional batch dim and a channel dim. */
function checkRank(op: string, x: Tensor, dims: 1 | 2): void {
  requireFloat(op, x);
  const names = dims === 1 ? ["[C, L]", "[N, C, L]"] : ["[C, H, W]", "[N, C, H, W]"];
  if (x.ndim !== dims + 1 && x.ndim !== dims + 2) {
    throw new ShapeError(`${op}: expected a ${dims + 1}-D ${names[0]} or ${dims + 2}-D ${names[1]} input, got shape ${formatShape(x.shape)}`);
  }
  if (x.shape.slice(-dims).some((s) => s === 0)) {
    throw new ShapeError(`${op}: the pooled dims of input ${formatShape(x.shape)} must not be empty`);
  }
}

/** PyTorch's pooling_output_shape: floor (or ceil) of the window count, a last window starting in the right padding dropped. */
export function pooledSize(size: number, kernel: number, stride: number, pad: number, dilation: number, ceilMode: boolean): number {
  const span = size + 2 * pad - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0);
  let out = Math.floor(span / stride) + 1;
  if (ceilMode && (out - 1) * stride >= size + pad) out--;
  return out;
}

/** Validates the window settings of every pooled dim and returns the axes, naming `op` and the input in errors. */
function poolAxes(
  op: string, x: Tensor, kernel: readonly number[], stride: readonly number[], pad: readonly number[], dilation: readonly number[], ceilMode: boolean,
): PoolAxis[] {
  const sizes = x.shape.slice(-kernel.length);
  const list = (a: readonly number[]) => (a.length === 1 ? `${a[0]}` : formatShape(a));
  for (const [name, v] of [["kernelSize", kernel], ["stride", stride], ["dilation", dilation]] as const) {
    if (v.some((n) => n < 1)) throw new ValueError(`${op}: ${name} must be positive, got ${list(v)}`);
  }
  if (pad.some((p, i) => p < 0 || p > Math.floor(kernel[i] / 2))) {
    throw new ValueError(`${op}: padding ${list(pad)} must be between 0 and half the kernel size ${list(kernel)}`);
  }
  const outs = sizes.map((s, i) => pooledSize(s, kernel[i], stride[i], pad[i], dilation[i], ceilMode));
  if (outs.some((o) => o < 1)) {
    const effective = kernel.map((k, i) => dilation[i] * (k - 1) + 1);
    const padded = sizes.map((s, i) => s + 2 * pad[i]);
    throw new ShapeError(
      `${op}: input ${formatShape(x.shape)} padded by ${list(pad)} spans ${padded.join("×")}, less than the kernel's extent ${effective.join("×")} ` +
      `(kernelSize ${list(kernel)}, dilation ${list(dilation)}); the output would be ${outs.join("×")}. Use a smaller kernel, more padding or a larger input`,
    );
  }
  return sizes.map((size, i) => ({ out: outs[i], stride: stride[i], pad: pad[i], dilation: dilation[i], kernel: kernel[i], size }));
}

const UNIT_AXIS: PoolAxis = { out: 1, stride: 1, pad: 0, dilation: 1, kernel: 1, size: 1 };

// ---------------------------------------------------------------- max pooling

/** The values by the argmax's gather, and the argmax: on the host. */
function hostMaxPool(x: Tensor, h: PoolAxis, w: PoolAxis, outShape: number[]): { values: Tensor; indices: () => Tensor } {
  const planes = x.size / (h.size * w.size);
  const { data, offset } = contiguousData(x);
  const idx = allocate("int32", planes * h.out * w.out) as Int32Array;
  backend.maxPoolIndices((offset === 0 ? data : data.subarray(offset)) as FloatArray, planes, h, w, idx);
  const flatIndex = new Tensor(idx, [planes, h.out * w.out], "int32");
  return { values: reshape(gather(reshape(x, [planes, h.size * w.size]), 1, flatIndex), outShape), indices: () => new Tensor(idx, outShape, "int32") };
}

function maxPool(x: Tensor, h: PoolAxis, w: PoolAxis, outShape: number[], returnIndices: boolean): Tensor | [Tensor, Tensor] {
  const pooled = (gpu.active !== null ? deviceMaxPool(x, h, w, outShape) : null) ?? hostMaxPool(x, h, w, outShape);
  const gathered = pooled.values;
  // The gather's indices depend on x: an export trace must see one MaxPool, not a gather of constants.
  const axes = h === UNIT_AXIS ? [w] : [h, w];
  const values = traced(gathered, "maxPool", [x], {
    kernel: axes.map((a) => a.kernel), stride: axes.map((a) => a.stride), pad: axes.map((a) => a.pad),
    dilation: axes.map((a) => a.dilation), ceilMode: axes.some((a) => a.out !== pooledSize(a.size, a.kernel, a.stride, a.pad, a.dilation, false)),
  });
  return returnIndices ? [values, pooled.indices()] : values;
}

/** Max over sliding windows of the last dim of [C, L] or [N, C, L]. */
export function maxPool1d(x: Tensor, options: MaxPool1dOptions & { returnIndices: true }): [Tensor, Tensor];
export function maxPool1d(x: Tensor, options: MaxPool1dOptions & { returnIndices?: false }): Tensor;
export function maxPool1d(x: Tensor, options: MaxPool1dOptions): Tensor | [Tensor, Tensor];
export function maxPool1d(x: Tensor, options: MaxPool1dOptions): Tensor | [Tensor, Tensor] {
  const op = "maxPool1d";
  checkOptions(op, options);
  checkRank(op, x, 1);
  const k = single(op, "kernelSize", options.kernelSize, NaN);
  const [w] = poolAxes(op, x, [k], [single(op, "stride", options.stride, k)], [single(op, "padding", options.padding, 0)],
    [single(op, "dilation", options.dilation, 1)], options.ceilMode ?? false);
  return maxPool(x, UNIT_AXIS, w, [...x.shape.slice(0, -1), w.out], options.returnIndices ?? false);
}

/** Max over sliding windows of the last two dims of [C, H, W] or [N, C, H, W]. */
export function maxPool2d(x: Tensor, options: MaxPool2dOptions & { returnIndices: true }): [Tensor, Tensor];
export function maxPool2d(x: Tensor, options: MaxPool2dOptions & { returnIndices?: false }): Tensor;
export function maxPool2d(x: Tensor, options: MaxPool2dOptions): Tensor | [Tensor, Tensor];
export function maxPool2d(x: Tensor, options: MaxPool2dOptions): Tensor | [Tensor, Tensor] {
  const op = "maxPool2d";
  checkOptions(op, options);
  checkRank(op, x, 2);
  const k = pair(op, "kernelSize", options.kernelSize, [NaN, NaN]);
  const [h, w] = poolAxes(op, x, k, pair(op, "stride", options.stride, k), pair(op, "padding", options.padding, [0, 0]),
    pair(op, "dilation", options.dilation, [1, 1]), options.ceilMode ?? false);
  return maxPool(x, h, w, [...x.shape.slice(0, -2), h.out, w.out], options.returnIndices ?? false);
}

function checkOptions(op: string, options: { kernelSize?: unknown } | undefined): void {
  if (typeof options !== "object" || options === null || options.kernelSize === undefined) {
    throw new ValueError(`${op}: expected options with a kernelSize, e.g. ${op}(x, { kernelSize: 2 }), got ${JSON.stringify(options)}`);
  }
}

// ---------------------------------------------------------------- average pooling

/** Per output position of one pooled dim: the input range [start, end) it averages and its share of the divisor. */
interface Windows {
  start: Int32Array;
  end: Int32Array;
  div: Int32Array;
}

interface WindowCtx {
  h: Windows;
  w: Windows;
  height: number;
  width: number;
  inShape: readonly number[];
  outShape: readonly number[];
  /** The forward op (avgPool2d or adaptiveAvgPool2d), recorded again by the transpose's VJP. */
  forward: OpDef<WindowCtx>;
}

const windowVjp = (g: Tensor, _s: readonly Tensor[], c: WindowCtx) => [averageTranspose(g, c)];
const AVG_POOL = defineOp<WindowCtx>("avgPool2d", windowVjp);
const ADAPTIVE_AVG_POOL = defineOp<WindowCtx>("adaptiveAvgPool2d", windowVjp);
const AVG_POOL_TRANSPOSE = defineOp<WindowCtx>("avgPool2dBackward", (g, _s, c) => [average(g, c)]);

function average(x: Tensor, c: WindowCtx): Tensor {
  const planes = sizeOf(c.inShape) / (c.height * c.width);
  const onDevice = gpu.active !== null ? deviceWindowAverage(x, planes, c.height, c.width, c.h, c.w, c.outShape, false) : null;
  if (onDevice !== null) return record(onDevice, c.forward, [x], null, c);
  const { data, offset } = contiguousData(x);
  const out = allocate(x.dtype, sizeOf(c.outShape)) as FloatArray;
  windowAverage((offset === 0 ? data : data.subarray(offset)) as FloatArray, planes, c.height, c.width,
    c.h.start, c.h.end, c.h.div, c.w.start, c.w.end, c.w.div, out);
  return record(new Tensor(out, c.outShape, x.dtype), c.forward, [x], null, c);
}

function averageTranspose(g: Tensor, c: WindowCtx): Tensor {
  const planes = sizeOf(c.inShape) / (c.height * c.width);
  const onDevice = gpu.active !== null ? deviceWindowAverage(g, planes, c.height, c.width, c.h, c.w, c.inShape, true) : null;
  if (onDevice !== null) return record(onDevice, AVG_POOL_TRANSPOSE, [g], null, c);
  const { data, offset } = contiguousData(g);
  const out = allocate(g.dtype, sizeOf(c.inShape)) as FloatArray;
  windowAverageTranspose((offset === 0 ? data : data.subarray(offset)) as FloatArray, planes, c.height, c.width,
    c.h.start, c.h.end, c.h.div, c.w.start, c.w.end, c.w.div, out);
  return record(new Tensor(out, c.inShape, g.dtype), AVG_POOL_TRANSPOSE, [g], null, c);
}

/** avgPool's windows along one dim: clipped to the input, divisor over the padded window or the covered part (PyTorch's CPU rule). */
function avgWindows(a: PoolAxis, countIncludePad: boolean): Windows {
  const w: Windows = { start: new Int32Array(a.out), end: new Int32Array(a.out), div: new Int32Array(a.out) };
  for (let o = 0; o < a.out; o++) {
    const s = o * a.stride - a.pad;
    const e = Math.min(s + a.kernel, a.size + a.pad);
    const padded = e - s;
    w.start[o] = Math.max(s, 0);
    w.end[o] = Math.min(e, a.size);
    w.div[o] = w.end[o] <= w.start[o] ? 0 : countIncludePad ? padded : w.end[o] - w.start[o];
  }
  return w;
}

/** Mean over sliding windows of the last two dims of [C, H, W] or [N, C, H, W]. */
export function avgPool2d(x: Tensor, options: AvgPool2dOptions): Tensor {
  const op = "avgPool2d";
  checkOptions(op, options);
  checkRank(op, x, 2);
  const k = pair(op, "kernelSize", options.kernelSize, [NaN, NaN]);
  const [h, w] = poolAxes(op, x, k, pair(op, "stride", options.stride, k), pair(op, "padding", options.padding, [0, 0]), [1, 1], options.ceilMode ?? false);
  const countIncludePad = options.countIncludePad ?? true;
  const y = average(x, {
    h: avgWindows(h, countIncludePad), w: avgWindows(w, countIncludePad), height: h.size, width: w.size,
    inShape: x.shape, outShape: [...x.shape.slice(0, -2), h.out, w.out], forward: AVG_POOL,
  });
  return traced(y, "avgPool2d", [x], {
    kernel: [h.kernel, w.kernel], stride: [h.stride, w.stride], pad: [h.pad, w.pad], countIncludePad,
    ceilMode: [h, w].some((a) => a.out !== pooledSize(a.size, a.kernel, a.stride, a.pad, a.dilation, false)),
  });
}

/** Adaptive windows: output o of `out` averages input [⌊o·size/out⌋, ⌈(o+1)·size/out⌉). */
function adaptiveWindows(size: number, out: number): Windows {
  const w: Windows = { start: new Int32Array(out), end: new Int32Array(out), div: new Int32Array(out) };
  for (let o = 0; o < out; o++) {
    w.start[o] = Math.floor((o * size) / out);
    w.end[o] = Math.ceil(((o + 1) * size) / out);
    w.div[o] = w.end[o] - w.start[o];
  }
  return w;
}

/**
 * Averages the last two dims of [C, H, W] or [N, C, H, W] down to
 * `outputSize` (a number, or [height, width] where null keeps that dim).
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | readonly [number | null, number | null]): Tensor {
  const op = "adaptiveAvgPool2d";
  checkRank(op, x, 2);
  const [height, width] = x.shape.slice(-2);
  const given = typeof outputSize === "number" ? [outputSize, outputSize] : outputSize;
  if (!Array.isArray(given) || given.length !== 2 || given.some((s) => s !== null && !(Number.isInteger(s) && s >= 1))) {
    throw new ValueError(`${op}: outputSize must be a positive integer or a pair of them (null keeps that dim), got ${JSON.stringify(outputSize)}`);
  }
  const oH = given[0] ?? height;
  const oW = given[1] ?? width;
  const y = average(x, {
    h: adaptiveWindows(height, oH), w: adaptiveWindows(width, oW), height, width,
    inShape: x.shape, outShape: [...x.shape.slice(0, -2), oH, oW], forward: ADAPTIVE_AVG_POOL,
  });
  return traced(y, "adaptiveAvgPool2d", [x], { inputSize: [height, width], outputSize: [oH, oW] });
}
