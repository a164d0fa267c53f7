/**
 * Issue #15, sequence ops: cumsum, split, chunk, repeat, strided slice and
 * oneHot. split/chunk/slice are views; repeat is built from reshape and
 * expand, so all of them differentiate (to any order) through tensor ops.
 */
import { defineOp, record, traced } from "../graph/node.js";
import { DTypeError, ShapeError, ValueError } from "../errors.js";
import { allocate, allocateUninitialized, isFloat } from "../tensor/dtype.js";
import { formatShape, mapDims, normalizeDim, sizeOf } from "../tensor/shape.js";
import { Tensor, viewOf } from "../tensor/tensor.js";
import { expand, flip, narrow, reshape } from "./shape.js";
import { contiguousData, describe } from "./util.js";

function isIntegerAtLeast(v: unknown, low: number): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= low;
}

// ---------------------------------------------------------------- cumsum

// The VJP of a running sum is the running sum taken from the other end.
const CUMSUM = defineOp<number>("cumsum", (g, _s, dim) => [flip(cumsum(flip(g, dim), dim), dim)]);

/**
 * Running sums along `dim`: out[i] = x[0] + … + x[i]. Sums accumulate in
 * float64 (PyTorch's CPU kernel does the same for float32); bool input
 * gives int32.
 */
export function cumsum(x: Tensor, dim: number): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`cumsum: expected a Tensor, got ${describe(x)}`);
  const d = normalizeDim("cumsum", dim, x.ndim);
  const dtype = x.dtype === "bool" ? "int32" : x.dtype;
  const out = allocateUninitialized(dtype, x.size);
  const { data, offset } = contiguousData(x);
  const axis = x.ndim === 0 ? 1 : x.shape[d];
  const inner = sizeOf(x.shape.slice(d + 1));
  const outer = axis === 0 ? 0 : x.size / (axis * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * axis * inner + i;
      let acc = 0;
      for (let k = 0; k < axis; k++) {
        acc += data[offset + base + k * inner];
        out[base + k * inner] = acc;
      }
    }
  }
  return record(new Tensor(out, x.shape, dtype), CUMSUM, [x], null, d);
}

// ---------------------------------------------------------------- split, chunk

/**
 * Views of consecutive pieces along `dim`: of `sizeOrSizes` elements each
 * (the last may be smaller), or of the listed sizes, which must add up to
 * the dimension's size.
 */
export function split(x: Tensor, sizeOrSizes: number | readonly number[], dim = 0): Tensor[] {
  if (!(x instanceof Tensor)) throw new ValueError(`split: expected a Tensor, got ${describe(x)}`);
  if (x.ndim === 0) throw new ShapeError("split: cannot split a 0-d tensor; it has no dimension to split");
  const d = normalizeDim("split", dim, x.ndim);
  const total = x.shape[d];
  let sizes: number[];
  if (typeof sizeOrSizes === "number") {
    if (!isIntegerAtLeast(sizeOrSizes, 0) || (sizeOrSizes === 0 && total > 0)) {
      throw new ValueError(`split: the split size must be a positive integer, got ${sizeOrSizes} (dimension ${d} has size ${total})`);
    }
    sizes = [];
    if (total === 0) sizes.push(0);
    for (let start = 0; start < total; start += sizeOrSizes) sizes.push(Math.min(sizeOrSizes, total - start));
  } else if (Array.isArray(sizeOrSizes)) {
    if (!sizeOrSizes.every((s) => isIntegerAtLeast(s, 0))) {
      throw new ValueError(`split: the sizes must be non-negative integers, got ${JSON.stringify(sizeOrSizes)}`);
    }
    const sum = sizeOrSizes.reduce((a, b) => a + b, 0);
    if (sum !== total) {
      throw new ShapeError(`split: the sizes ${JSON.stringify(sizeOrSizes)} add up to ${sum}, but dimension ${d} of shape ${formatShape(x.shape)} has size ${total}; they must match`);
    }
    sizes = [...sizeOrSizes];
  } else {
    throw new ValueError(`split: expected a size or an array of sizes, got ${describe(sizeOrSizes)}`);
  }
  const parts: Tensor[] = [];
  let start = 0;
  for (const s of sizes) {
    parts.push(narrow(x, d, start, s));
    start += s;
  }
  return parts;
}

/**
 * `n` views along `dim` of ceil(size / n) elements each, as PyTorch's chunk:
 * the last may be smaller, and there may be fewer than `n` pieces.
 */
export function chunk(x: Tensor, n: number, dim = 0): Tensor[] {
  if (!(x instanceof Tensor)) throw new ValueError(`chunk: expected a Tensor, got ${describe(x)}`);
  if (!isIntegerAtLeast(n, 1)) throw new ValueError(`chunk: the number of chunks must be a positive integer, got ${n}`);
  if (x.ndim === 0) throw new ShapeError("chunk: cannot chunk a 0-d tensor; it has no dimension to split");
  const d = normalizeDim("chunk", dim, x.ndim);
  const total = x.shape[d];
  if (total === 0) return Array.from({ length: n }, () => narrow(x, d, 0, 0));
  return split(x, Math.ceil(total / n), d);
}

// ---------------------------------------------------------------- repeat

/**
 * Tiles the tensor: dimension i is repeated sizes[i] times (PyTorch's repeat;
 * numpy's tile). Extra leading sizes add new dimensions in front.
 */
export function repeat(x: Tensor, sizes: readonly number[]): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`repeat: expected a Tensor, got ${describe(x)}`);
  if (!Array.isArray(sizes) || !sizes.every((s) => isIntegerAtLeast(s, 0))) {
    throw new ValueError(`repeat: the repeats must be non-negative integers, got ${JSON.stringify(sizes)}`);
  }
  if (sizes.length < x.ndim) {
    throw new ShapeError(`repeat: got ${sizes.length} repeats (${JSON.stringify(sizes)}) for a tensor of shape ${formatShape(x.shape)}; give at least one per dimension (${x.ndim})`);
  }
  const lead = sizes.length - x.ndim;
  const shape = mapDims(sizes, (_r, i) => (i < lead ? 1 : x.shape[i - lead]));
  // [a, b] repeated [r, s]: view as [1, a, 1, b], expand to [r, a, s, b], merge pairs.
  const interleaved: number[] = [];
  const expanded: number[] = [];
  shape.forEach((s, i) => { interleaved.push(1, s); expanded.push(sizes[i], s); });
  const tiled = expand(reshape(x, interleaved), expanded);
  return reshape(tiled, mapDims(shape, (s, i) => s * sizes[i]));
}

// ---------------------------------------------------------------- slice with a step

type SliceCtx = { dim: number; start: number; step: number; length: number; inShape: readonly number[] };
const SLICE = defineOp<SliceCtx>("slice", (g, _s, c) => [sliceBackward(g, c)]);
const SLICE_BACKWARD = defineOp<SliceCtx>("sliceBackward", (g, _s, c) => [stridedSlice(g, c.dim, c.start, c.step, c.length)]);

function stridedSlice(x: Tensor, d: number, start: number, step: number, length: number): Tensor {
  const shape = [...x.shape];
  shape[d] = length;
  const strides = [...x.strides];
  strides[d] *= step;
  const out = viewOf(x, shape, strides, x.offset + start * x.strides[d]);
  return record(out, SLICE, [x], null, { dim: d, start, step, length, inShape: x.shape });
}

/** Zeros of the input's shape with `g` written at start, start + step, …: the reverse of slice. */
function sliceBackward(g: Tensor, c: SliceCtx): Tensor {
  const out = allocate(g.dtype, sizeOf(c.inShape));
  const strides = mapDims(c.inShape, (_s, i) => sizeOf(c.inShape.slice(i + 1)) * (i === c.dim ? c.step : 1));
  const { data, offset } = contiguousData(g);
  const nd = g.ndim;
  const counter = new Array<number>(nd).fill(0);
  let dest = c.start * sizeOf(c.inShape.slice(c.dim + 1));
  for (let k = 0; k < g.size; k++) {
    out[dest] = data[offset + k];
    for (let i = nd - 1; i >= 0; i--) {
      if (++counter[i] < g.shape[i]) { dest += strides[i]; break; }
      counter[i] = 0;
      dest -= strides[i] * (g.shape[i] - 1);
    }
  }
  return record(new Tensor(out, c.inShape, g.dtype), SLICE_BACKWARD, [g], null, c);
}

/**
 * Elements start, start + step, … before `end` along `dim` (a view, like
 * Python's x[start:end:step]); start and end may be negative (counted from
 * the end), are clamped to the dimension, and default to its whole length.
 */
export function slice(x: Tensor, dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`slice: expected a Tensor, got ${describe(x)}`);
  if (x.ndim === 0) throw new ShapeError("slice: cannot slice a 0-d tensor");
  const d = normalizeDim("slice", dim, x.ndim);
  const size = x.shape[d];
  if (!isIntegerAtLeast(step, 1)) throw new ValueError(`slice: step must be a positive integer, got ${step}`);
  const bound = (v: number | null | undefined, fallback: number, what: string): number => {
    if (v === undefined || v === null) return fallback;
    if (!Number.isInteger(v)) throw new ValueError(`slice: ${what} must be an integer, got ${v}`);
    const w = v < 0 ? v + size : v;
    return Math.min(Math.max(w, 0), size);
  };
  const s = bound(start, 0, "start");
  const e = Math.max(bound(end, size, "end"), s);
  return stridedSlice(x, d, s, step, Math.ceil((e - s) / step));
}

// ---------------------------------------------------------------- oneHot

/**
 * int32 one-hot rows: shape [...indices.shape, numClasses] with a 1 at each
 * index. numClasses = -1 (the default) takes the largest index + 1.
 */
export function oneHot(indices: Tensor, numClasses = -1): Tensor {
  if (!(indices instanceof Tensor)) throw new ValueError(`oneHot: expected an int32 Tensor of class indices, got ${describe(indices)}`);
  if (indices.dtype !== "int32") {
    throw new DTypeError(`oneHot: the indices must be an int32 tensor, got ${indices.dtype}${isFloat(indices.dtype) ? '; convert with .to("int32")' : ""}`);
  }
  if (!Number.isInteger(numClasses) || numClasses < -1) {
    throw new ValueError(`oneHot: numClasses must be a non-negative integer or -1 (largest index + 1), got ${numClasses}`);
  }
  const { data, offset } = contiguousData(indices);
  let max = -1;
  for (let i = 0; i < indices.size; i++) {
    const v = data[offset + i];
    if (v < 0) throw new ValueError(`oneHot: class indices must be non-negative, got ${v}`);
    if (v > max) max = v;
  }
  let classes = numClasses;
  if (classes === -1) {
    if (indices.size === 0) throw new ValueError("oneHot: cannot infer numClasses from an empty tensor; pass numClasses");
    classes = max + 1;
  } else if (max >= classes) {
    throw new ValueError(`oneHot: class index ${max} is out of range for numClasses ${classes}; indices must be in [0, ${classes - 1}]`);
  }
  const out = new Int32Array(indices.size * classes);
  for (let i = 0; i < indices.size; i++) out[i * classes + data[offset + i]] = 1;
  // Reported to an export trace (src/onnx), which otherwise sees a constant.
  return traced(new Tensor(out, [...indices.shape, classes], "int32"), "oneHot", [indices], { classes });
}
