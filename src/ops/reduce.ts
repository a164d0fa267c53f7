/** Reductions and softmax: forward kernels and VJPs side by side. */
import type { DType, FloatArray, ReduceOp } from "../backend/backend.js";
import { gpu } from "../backend/device-dispatch.js";
import { backend } from "../backend/registry.js";
import { noGrad } from "../graph/mode.js";
import { defineOp, record, traced } from "../graph/node.js";
import { DTypeError, ShapeError, ValueError } from "../errors.js";
import { allocate, allocateUninitialized, isFloat } from "../tensor/dtype.js";
import { allDims, dimsArray, formatShape, mapDims, normalizeDim, normalizeDims, sameShape } from "../tensor/shape.js";
import { Tensor, type DimArg, type ReduceOptions, viewOf } from "../tensor/tensor.js";
import { contiguousData, describe, floatResult, requireFloat } from "./util.js";
import { isfinite, where } from "./elementwise.js";
import { stableOrder } from "./sort-kernel.js";
import { deviceReduce, deviceSoftmax } from "./device-ops.js";

interface Plan {
  /** Reduced dims, sorted. */
  dims: number[];
  /** Output shape with the reduced dims kept as 1. */
  keptShape: number[];
  outShape: number[];
}

function plan(op: string, x: Tensor, dim: DimArg, keepdim: boolean): Plan {
  const dims = normalizeDims(op, dim, x.ndim);
  const keptShape = mapDims(x.shape, (s, i) => (dims.includes(i) ? 1 : s));
  const outShape = keepdim ? keptShape : x.shape.filter((_, i) => !dims.includes(i));
  return { dims, keptShape, outShape };
}

/** Runs a reduce kernel over `dims`, permuting first when the dims are not adjacent. */
function reduceKernel(op: ReduceOp, x: Tensor, dims: number[], outShape: number[], dtype: DType): Tensor {
  if (gpu.active !== null && x.size > 0 && dims.length > 0) {
    const onDevice = reduceOnDevice(op, x, dims, outShape, dtype);
    if (onDevice !== null) return onDevice;
  }
  const out = allocate(dtype, outShape.reduce((a, b) => a * b, 1));
  if (x.size === 0 || dims.length === 0) {
    if (dims.length === 0) { const c = contiguousData(x); backend.unary("copy", c.data, c.offset, out, x.size, 0, 0); }
    else if (op === "sum") out.fill(0);
    else if (op === "prod") out.fill(1);
    return new Tensor(out, outShape, dtype);
  }
  const adjacent = dims[dims.length - 1] - dims[0] === dims.length - 1;
  let src = x;
  let outer: number, axis: number, inner: number;
  if (adjacent) {
    outer = 1; axis = 1; inner = 1;
    for (let i = 0; i < x.ndim; i++) {
      if (i < dims[0]) outer *= x.shape[i];
      else if (i <= dims[dims.length - 1]) axis *= x.shape[i];
      else inner *= x.shape[i];
    }
  } else {
    // Move the kept dims to the front, reduced dims to the back (a raw view: nothing to record).
    const kept = allDims(x.ndim).filter((i) => !dims.includes(i));
    const order = [...kept, ...dims];
    src = viewOf(x, mapDims(order, (d) => x.shape[d]), mapDims(order, (d) => x.strides[d]), x.offset);
    outer = kept.reduce((a, i) => a * x.shape[i], 1);
    axis = dims.reduce((a, i) => a * x.shape[i], 1);
    inner = 1;
  }
  const { data, offset } = contiguousData(src);
  backend.reduce(op, data, offset, outer, axis, inner, out);
  return new Tensor(out, outShape, dtype);
}

/** reduceKernel on the GPU (docs/webgpu.md): the reduced dims made adjacent by a view, as above. */
function reduceOnDevice(op: ReduceOp, x: Tensor, dims: number[], outShape: number[], dtype: DType): Tensor | null {
  const kept = allDims(x.ndim).filter((i) => !dims.includes(i));
  const adjacent = dims[dims.length - 1] - dims[0] === dims.length - 1;
  const order = adjacent ? allDims(x.ndim) : [...kept, ...dims];
  const src = adjacent ? x : viewOf(x, mapDims(order, (d) => x.shape[d]), mapDims(order, (d) => x.strides[d]), x.offset);
  const first = adjacent ? dims[0] : kept.length, last = adjacent ? dims[dims.length - 1] : x.ndim - 1;
  let outer = 1, axis = 1, inner = 1;
  for (let i = 0; i < x.ndim; i++) {
    if (i < first) outer *= src.shape[i];
    else if (i <= last) axis *= src.shape[i];
    else inner *= src.shape[i];
  }
  return deviceReduce(op, src, outer, axis, inner, outShape, dtype);
}

// ---------------------------------------------------------------- arguments

export type { ReduceOptions };
/** argmax/argmin reduce one dim (or the flattened tensor). */
export interface ArgReduceOptions {
  dim?: number | null;
  keepdim?: boolean;
}
export interface VarianceOptions extends ReduceOptions {
  /** Divide by N − 1 (Bessel's correction; default true) instead of N. */
  unbiased?: boolean;
}

function isOptionsObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Tensor) && !ArrayBuffer.isView(v);
}

function checkKeys(op: string, o: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new ValueError(`${op}: unknown option "${k}"; the options are ${allowed.map((a) => `"${a}"`).join(", ")}`);
  }
}

/** A dim argument: a number, an array of numbers, null or undefined (all dims); `single` allows no array. */
function checkDimArg(op: string, dim: unknown, single: boolean): DimArg {
  if (dim === undefined || dim === null || typeof dim === "number") return dim;
  if (!single && Array.isArray(dim) && dim.every((d) => typeof d === "number")) return dim as number[];
  const fits = single ? "a number or null" : "a number, an array of numbers or null";
  throw new ValueError(`${op}: dim must be ${fits} (or pass the options { dim, keepdim }), got ${describeArg(dim)}`);
}

function describeArg(v: unknown): string {
  if (v instanceof Tensor) return "a Tensor (pass its value as a number)";
  if (Array.isArray(v)) return `the array ${JSON.stringify(v)}`;
  if (typeof v === "string") return `the string ${JSON.stringify(v)}`;
  return describe(v);
}

/**
 * Accepts `(dim, keepdim)`, `({ dim, keepdim })` and `(dim, { keepdim })`;
 * anything else gets an error naming the op (a truthy object must not pass for keepdim).
 */
function reduceArgs(op: string, dimOrOptions: unknown, keepdimOrOptions: unknown, single = false): { dim: DimArg; keepdim: boolean } {
  let dim: unknown = dimOrOptions;
  let keepdim: unknown = keepdimOrOptions;
  if (isOptionsObject(dimOrOptions)) {
    checkKeys(op, dimOrOptions, ["dim", "keepdim"]);
    if (keepdimOrOptions !== undefined) {
      throw new ValueError(`${op}: got an options object and a second argument ${describeArg(keepdimOrOptions)}; put keepdim inside the options`);
    }
    dim = dimOrOptions.dim;
    keepdim = dimOrOptions.keepdim;
  } else if (isOptionsObject(keepdimOrOptions)) {
    checkKeys(op, keepdimOrOptions, ["keepdim"]);
    keepdim = keepdimOrOptions.keepdim;
  }
  if (keepdim !== undefined && keepdim !== null && typeof keepdim !== "boolean") {
    throw new ValueError(`${op}: keepdim must be true or false, got ${describeArg(keepdim)}`);
  }
  return { dim: checkDimArg(op, dim, single), keepdim: keepdim === true };
}

/** `(dim, { unbiased, keepdim })` or `({ dim, unbiased, keepdim })`, for variance and std. */
function varianceArgs(op: string, dimOrOptions: unknown, options: unknown): { dim: DimArg; keepdim: boolean; unbiased: boolean } {
  let o: unknown = options;
  let dim: unknown = dimOrOptions;
  if (isOptionsObject(dimOrOptions)) {
    if (options !== undefined) throw new ValueError(`${op}: got two options objects; pass one: ${op}({ dim, unbiased, keepdim })`);
    o = dimOrOptions;
    dim = dimOrOptions.dim;
    checkKeys(op, dimOrOptions, ["dim", "unbiased", "keepdim"]);
  } else if (o !== undefined && o !== null) {
    if (!isOptionsObject(o)) throw new ValueError(`${op}: the second argument must be the options { unbiased, keepdim }, got ${describeArg(o)}`);
    checkKeys(op, o, ["unbiased", "keepdim"]);
  }
  const opts = (o ?? {}) as VarianceOptions;
  for (const key of ["unbiased", "keepdim"] as const) {
    const v = opts[key];
    if (v !== undefined && typeof v !== "boolean") throw new ValueError(`${op}: ${key} must be true or false, got ${describeArg(v)}`);
  }
  return { dim: checkDimArg(op, dim, false), keepdim: opts.keepdim ?? false, unbiased: opts.unbiased ?? true };
}

// ---------------------------------------------------------------- sum, mean

const SUM = defineOp<{ kept: number[]; inShape: readonly number[] }>("sum", (g, _s, c) => [g.reshape(c.kept).expand(c.inShape)]);
export function sum(x: Tensor, dimOrOptions?: DimArg | ReduceOptions, keepdimOrOptions?: boolean | ReduceOptions): Tensor {
  const { dim, keepdim } = reduceArgs("sum", dimOrOptions, keepdimOrOptions);
  const p = plan("sum", x, dim, keepdim);
  const dtype: DType = isFloat(x.dtype) ? x.dtype : "int32";
  const out = reduceKernel("sum", x, p.dims, p.outShape, dtype);
  return record(out, SUM, [x], null, { kept: p.keptShape, inShape: x.shape });
}

export function mean(x: Tensor, dimOrOptions?: DimArg | ReduceOptions, keepdimOrOptions?: boolean | ReduceOptions): Tensor {
  const { dim, keepdim } = reduceArgs("mean", dimOrOptions, keepdimOrOptions);
  if (!isFloat(x.dtype)) {
    throw new DTypeError(`mean: expected a float32 or float64 tensor, got ${x.dtype}; convert it with .to("float32") first`);
  }
  const p = plan("mean", x, dim, keepdim);
  const count = reducedCount(x, p.dims);
  return sum(x, dim, keepdim).div(count);
}

/** How many elements each output of a reduction over `dims` combines (1 for a 0-d tensor's dim 0). */
function reducedCount(x: Tensor, dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= x.ndim === 0 ? 1 : x.shape[d];
  return n;
}

/** Reduces a broadcast gradient back to `shape` (the reverse of broadcasting). */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  }
  const s = dims.length > 0 ? sum(g, dims, true) : g;
  return s.reshape(shape);
}

// ---------------------------------------------------------------- max, min (values)

// The gradient goes to the selected elements; ties share it evenly (PyTorch's amax/amin).
type ExtremumCtx = { kept: number[]; dims: number[] };
const EXTREMUM = defineOp<ExtremumCtx>("max", (g, [x, y], c) => {
  const mask = x.eq(y.reshape(c.kept));
  const count = mask.sum(c.dims, true);
  return [g.reshape(c.kept).div(count).mul(mask)];
});
const EXTREMUM_MIN = defineOp<ExtremumCtx>("min", EXTREMUM.vjp);

function extremum(op: "max" | "min", x: Tensor, dim: DimArg, keepdim: boolean): Tensor {
  const p = plan(op, x, dim, keepdim);
  // An empty reduced dim has no extreme; other empty dims just give an empty result (like amax).
  if (x.size === 0 && (x.ndim === 0 || p.dims.some((d) => x.shape[d] === 0))) {
    throw new ShapeError(`${op}: cannot reduce an empty tensor of shape ${formatShape(x.shape)} over dimension${p.dims.length === 1 ? "" : "s"} ${p.dims.join(",")}, which ${p.dims.length === 1 ? "has" : "include one of"} size 0`);
  }
  const out = reduceKernel(op, x, p.dims, p.outShape, x.dtype === "bool" ? "int32" : x.dtype);
  return record(out, op === "max" ? EXTREMUM : EXTREMUM_MIN, [x], [x, out], { kept: p.keptShape, dims: p.dims });
}
export function max(x: Tensor, dimOrOptions?: DimArg | ReduceOptions, keepdimOrOptions?: boolean | ReduceOptions): Tensor {
  const { dim, keepdim } = reduceArgs("max", dimOrOptions, keepdimOrOptions);
  return extremum("max", x, dim, keepdim);
}
export function min(x: Tensor, dimOrOptions?: DimArg | ReduceOptions, keepdimOrOptions?: boolean | ReduceOptions): Tensor {
  const { dim, keepdim } = reduceArgs("min", dimOrOptions, keepdimOrOptions);
  return extremum("min", x, dim, keepdim);
}

/** Index of the first maximum (int32); over the flattened tensor when dim is omitted. */
export function argmax(x: Tensor, dimOrOptions?: number | null | ArgReduceOptions, keepdimOrOptions?: boolean | ArgReduceOptions): Tensor {
  const { dim, keepdim } = reduceArgs("argmax", dimOrOptions, keepdimOrOptions, true);
  return argExtremum("argmax", x, dim as number | null | undefined, keepdim);
}
export function argmin(x: Tensor, dimOrOptions?: number | null | ArgReduceOptions, keepdimOrOptions?: boolean | ArgReduceOptions): Tensor {
  const { dim, keepdim } = reduceArgs("argmin", dimOrOptions, keepdimOrOptions, true);
  return argExtremum("argmin", x, dim as number | null | undefined, keepdim);
}
function argExtremum(op: "argmax" | "argmin", x: Tensor, dim: number | null | undefined, keepdim: boolean): Tensor {
  if (x.size === 0) throw new ShapeError(`${op}: cannot reduce an empty tensor of shape ${formatShape(x.shape)}`);
  if (dim === undefined || dim === null) {
    const flat = x.reshape([x.size]);
    const out = reduceKernel(op, flat, [0], [], "int32");
    // Reported to an export trace (src/onnx), which otherwise sees no op behind an index.
    return traced(keepdim ? out.reshape(dimsArray(x.ndim, 1)) : out, op, [x], { dim: null, keepdim });
  }
  const d = normalizeDim(op, dim, x.ndim);
  const p = plan(op, x, x.ndim === 0 ? null : d, keepdim);
  return traced(reduceKernel(op, x, p.dims, p.outShape, "int32"), op, [x], { dim: x.ndim === 0 ? null : d, keepdim });
}

// ---------------------------------------------------------------- composites

/** log Σ exp(x), stabilised by the (detached) maximum; infinite maxima are shifted by 0. */
export function logsumexp(x: Tensor, dimOrOptions: DimArg | ReduceOptions, keepdimOrOptions?: boolean | ReduceOptions): Tensor {
  const { dim, keepdim } = reduceArgs("logsumexp", dimOrOptions, keepdimOrOptions);
  requireFloat("logsumexp", x);
  if (dim === undefined) throw new ValueError("logsumexp: dim is required (a number or a list of numbers)");
  // Shift by the (detached) maximum; an empty tensor has none, and its sums are 0 anyway.
  const m = x.size === 0 ? null : max(x, dim, true).detach();
  const shift = m === null ? 0 : where(isfinite(m), m, 0);
  const s = x.sub(shift).exp().sum(dim, true).log().add(shift);
  const p = plan("logsumexp", x, dim, keepdim);
  // Reported whole to an export trace: the isfinite behind the shift records nothing.
  return traced(keepdim ? s : s.reshape(p.outShape), "logsumexp", [x], { dims: p.dims });
}

/** Variance; unbiased (divides by N - 1) unless told otherwise. */
export function variance(x: Tensor, dimOrOptions?: DimArg | VarianceOptions, options?: VarianceOptions): Tensor {
  const { dim, keepdim, unbiased } = varianceArgs("variance", dimOrOptions, options);
  requireFloat("variance", x);
  const p = plan("variance", x, dim, keepdim);
  const n = reducedCount(x, p.dims);
  const centered = x.sub(mean(x, dim, true));
  return centered.square().sum(dim, keepdim).div(Math.max(unbiased ? n - 1 : n, 0));
}

// ---------------------------------------------------------------- std (issue #14)

type StdCtx = { kept: number[]; dims: number[]; divisor: number };
// PyTorch's std_backward: the variance's VJP fed ȳ / (2y), with 0 where y = 0 (a constant slice).
const STD = defineOp<StdCtx>("std", (g, [x, y], c) => {
  const yKept = y.reshape(c.kept);
  const zero = yKept.eq(0);
  // Divide by 1, not 0, where y = 0: the masked branch must stay finite for a second derivative.
  const gVar = where(zero, 0, g.reshape(c.kept).div(where(zero, 1, yKept).mul(2)));
  return [gVar.mul(x.sub(mean(x, c.dims, true))).mul(2 / c.divisor)];
});

/** Standard deviation, the square root of `variance` (same arguments; unbiased by default). */
export function std(x: Tensor, dimOrOptions?: DimArg | VarianceOptions, options?: VarianceOptions): Tensor {
  const { dim, keepdim, unbiased } = varianceArgs("std", dimOrOptions, options);
  requireFloat("std", x);
  const p = plan("std", x, dim, keepdim);
  const n = reducedCount(x, p.dims);
  const y = noGrad(() => variance(x, p.dims, { unbiased, keepdim }).sqrt());
  return record(y, STD, [x], [x, y], { kept: p.keptShape, dims: p.dims, divisor: Math.max(unbiased ? n - 1 : n, 0) });
}

// ---------------------------------------------------------------- softmax

function softmaxKernel(x: Tensor, dim: number, log: boolean): Tensor {
  if (gpu.active !== null && x.ndim > 0) {
    let outer = 1, inner = 1;
    for (let i = 0; i < dim; i++) outer *= x.shape[i];
    for (let i = dim + 1; i < x.ndim; i++) inner *= x.shape[i];
    const onDevice = deviceSoftmax(x, outer, x.shape[dim], inner, log);
    if (onDevice !== null) return onDevice;
  }
  const dtype = floatResult(x.dtype);
  const src = isFloat(x.dtype) ? x : x.to(dtype);
  const { data, offset } = contiguousData(src);
  let outer = 1, inner = 1;
  for (let i = 0; i < dim; i++) outer *= x.shape[i];
  for (let i = dim + 1; i < x.ndim; i++) inner *= x.shape[i];
  const axis = x.ndim === 0 ? 1 : x.shape[dim];
  const out = allocateUninitialized(dtype, x.size) as FloatArray;
  backend.softmax(data as FloatArray, offset, outer, axis, inner, out, log);
  return new Tensor(out, x.shape, dtype);
}

// y = softmax(x): x̄ = y ⊙ (ȳ − Σ ȳ ⊙ y)
const SOFTMAX = defineOp<number>("softmax", (g, [y], dim) => [y.mul(g.sub(g.mul(y).sum(dim, true)))]);
// y = log softmax(x): x̄ = ȳ − exp(y) Σ ȳ
const LOG_SOFTMAX = defineOp<number>("logSoftmax", (g, [y], dim) => [g.sub(y.exp().mul(g.sum(dim, true)))]);

export function softmax(x: Tensor, dim: number): Tensor {
  if (dim === undefined || dim === null) throw new ValueError("softmax: dim is required");
  const d = normalizeDim("softmax", dim, x.ndim);
  const y = softmaxKernel(x, d, false);
  return record(y, SOFTMAX, [x], [y], x.ndim === 0 ? 0 : d);
}

export function logSoftmax(x: Tensor, dim: number): Tensor {
  if (dim === undefined || dim === null) throw new ValueError("logSoftmax: dim is required");
  const d = normalizeDim("logSoftmax", dim, x.ndim);
  const y = softmaxKernel(x, d, true);
  return record(y, LOG_SOFTMAX, [x], [y], x.ndim === 0 ? 0 : d);
}

// ---------------------------------------------------------------- argsort (issue #14)

/**
 * The indices (int32) that sort `x` along `dim`, ascending unless
 * `descending`; no gradient. Ties keep their original order (a stable
 * sort), and NaN sorts as the largest value, as in PyTorch.
 */
export function argsort(x: Tensor, dim = -1, descending = false): Tensor {
  if (typeof dim !== "number") throw new ValueError(`argsort: dim must be a number, got ${describeArg(dim)}`);
  if (typeof descending !== "boolean") throw new ValueError(`argsort: descending must be true or false, got ${describeArg(descending)}`);
  const out = new Int32Array(x.size);
  const result = new Tensor(out, x.shape, "int32");
  const d = normalizeDim("argsort", dim, x.ndim);
  // Reported to an export trace (src/onnx), which otherwise sees no op behind an index.
  traced(result, "argsort", [x], { dim: d, descending });
  if (x.size === 0 || x.ndim === 0) return result;
  const { data, offset } = contiguousData(x);
  const axis = x.shape[d];
  let inner = 1;
  for (let i = d + 1; i < x.ndim; i++) inner *= x.shape[i];
  const outer = x.size / (axis * inner);
  const order = new Int32Array(axis);
  const values = new Float64Array(axis);
  const keys = new Float64Array(axis);
  const scratch = new Int32Array(axis);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = offset + o * axis * inner + i;
      for (let k = 0; k < axis; k++) values[k] = data[base + k * inner];
      // NaN above everything: ascending puts it last, descending first.
      stableOrder(values, descending, order, keys, scratch);
      const outBase = o * axis * inner + i;
      for (let k = 0; k < axis; k++) out[outBase + k * inner] = order[k];
    }
  }
  return result;
}
