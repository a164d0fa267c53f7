/** Reductions and softmax: forward kernels and VJPs side by side. */
import type { DType, FloatArray, ReduceOp } from "../backend/backend.js";
import { backend } from "../backend/registry.js";
import { defineOp, record } from "../graph/node.js";
import { DTypeError, ShapeError, ValueError } from "../errors.js";
import { allocate, allocateUninitialized, isFloat } from "../tensor/dtype.js";
import { allDims, dimsArray, formatShape, mapDims, normalizeDim, normalizeDims, sameShape } from "../tensor/shape.js";
import { Tensor, type DimArg } from "../tensor/tensor.js";
import { contiguousData, floatResult, requireFloat } from "./util.js";
import { isfinite, where } from "./elementwise.js";

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
    src = new Tensor(x.storage, mapDims(order, (d) => x.shape[d]), x.dtype, mapDims(order, (d) => x.strides[d]), x.offset);
    outer = kept.reduce((a, i) => a * x.shape[i], 1);
    axis = dims.reduce((a, i) => a * x.shape[i], 1);
    inner = 1;
  }
  const { data, offset } = contiguousData(src);
  backend.reduce(op, data, offset, outer, axis, inner, out);
  return new Tensor(out, outShape, dtype);
}

// ---------------------------------------------------------------- sum, mean

const SUM = defineOp<{ kept: number[]; inShape: readonly number[] }>("sum", (g, _s, c) => [g.reshape(c.kept).expand(c.inShape)]);
export function sum(x: Tensor, dim?: DimArg, keepdim = false): Tensor {
  const p = plan("sum", x, dim, keepdim);
  const dtype: DType = isFloat(x.dtype) ? x.dtype : "int32";
  const out = reduceKernel("sum", x, p.dims, p.outShape, dtype);
  return record(out, SUM, [x], null, { kept: p.keptShape, inShape: x.shape });
}

export function mean(x: Tensor, dim?: DimArg, keepdim = false): Tensor {
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
export const max = (x: Tensor, dim?: DimArg, keepdim = false) => extremum("max", x, dim, keepdim);
export const min = (x: Tensor, dim?: DimArg, keepdim = false) => extremum("min", x, dim, keepdim);

/** Index of the first maximum (int32); over the flattened tensor when dim is omitted. */
export function argmax(x: Tensor, dim?: number | null, keepdim = false): Tensor {
  return argExtremum("argmax", x, dim, keepdim);
}
export function argmin(x: Tensor, dim?: number | null, keepdim = false): Tensor {
  return argExtremum("argmin", x, dim, keepdim);
}
function argExtremum(op: "argmax" | "argmin", x: Tensor, dim: number | null | undefined, keepdim: boolean): Tensor {
  if (x.size === 0) throw new ShapeError(`${op}: cannot reduce an empty tensor of shape ${formatShape(x.shape)}`);
  if (dim === undefined || dim === null) {
    const flat = x.reshape([x.size]);
    const out = reduceKernel(op, flat, [0], [], "int32");
    return keepdim ? out.reshape(dimsArray(x.ndim, 1)) : out;
  }
  const d = normalizeDim(op, dim, x.ndim);
  const p = plan(op, x, x.ndim === 0 ? null : d, keepdim);
  return reduceKernel(op, x, p.dims, p.outShape, "int32");
}

// ---------------------------------------------------------------- composites

/** log Σ exp(x), stabilised by the (detached) maximum; infinite maxima are shifted by 0. */
export function logsumexp(x: Tensor, dim: DimArg, keepdim = false): Tensor {
  requireFloat("logsumexp", x);
  if (dim === undefined) throw new ValueError("logsumexp: dim is required (a number or a list of numbers)");
  // Shift by the (detached) maximum; an empty tensor has none, and its sums are 0 anyway.
  const m = x.size === 0 ? null : max(x, dim, true).detach();
  const shift = m === null ? 0 : where(isfinite(m), m, 0);
  const s = x.sub(shift).exp().sum(dim, true).log().add(shift);
  return keepdim ? s : s.reshape(plan("logsumexp", x, dim, false).outShape);
}

/** Variance; unbiased (divides by N - 1) unless told otherwise. */
export function variance(x: Tensor, dim?: DimArg, options: { unbiased?: boolean; keepdim?: boolean } = {}): Tensor {
  requireFloat("variance", x);
  const unbiased = options.unbiased ?? true;
  const keepdim = options.keepdim ?? false;
  const p = plan("variance", x, dim, keepdim);
  const n = reducedCount(x, p.dims);
  const centered = x.sub(mean(x, dim, true));
  return centered.square().sum(dim, keepdim).div(Math.max(unbiased ? n - 1 : n, 0));
}

// ---------------------------------------------------------------- softmax

function softmaxKernel(x: Tensor, dim: number, log: boolean): Tensor {
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
