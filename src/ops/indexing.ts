/** gather and indexSelect, with their scatter-add reverses as VJPs. */
import { gpu } from "../backend/device-dispatch.js";
import { backend } from "../backend/registry.js";
import { defineOp, record } from "../graph/node.js";
import { DTypeError, ShapeError, ValueError } from "../errors.js";
import { allocate } from "../tensor/dtype.js";
import { formatShape, mapDims, normalizeDim, sizeOf } from "../tensor/shape.js";
import { Tensor, viewOf } from "../tensor/tensor.js";
import { cat } from "./shape.js";
import { contiguousCopy, contiguousData } from "./util.js";
import { deviceGather, deviceIndexAdd, deviceIndexSelect, deviceScatterAdd } from "./device-ops.js";

function indexData(op: string, index: Tensor, bound: number, dimDesc: string): Int32Array {
  if (index.dtype !== "int32") throw new DTypeError(`${op}: the index must be an int32 tensor, got ${index.dtype}`);
  const { data, offset } = contiguousData(index);
  const idx = offset === 0 && data.length === index.size ? (data as Int32Array) : (data as Int32Array).subarray(offset, offset + index.size);
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i];
    if (v < 0 || v >= bound) throw new ValueError(`${op}: index ${v} is out of bounds for ${dimDesc} with size ${bound}`);
  }
  return idx;
}

// ---------------------------------------------------------------- gather

type GatherCtx = { dim: number; inShape: readonly number[] };
const GATHER = defineOp<GatherCtx>("gather", (g, [index], c) => [scatterAddNew(g, index, c.inShape, c.dim)]);
const SCATTER_ADD = defineOp<{ dim: number }>("scatterAdd", (g, [index], c) => [gather(g, c.dim, index)]);

function checkGatherShapes(op: string, x: readonly number[], index: Tensor, d: number): void {
  if (index.ndim !== x.length) {
    throw new ShapeError(`${op}: the index must have as many dimensions as the input (${x.length}), got shape ${formatShape(index.shape)}`);
  }
  for (let i = 0; i < x.length; i++) {
    if (i !== d && index.shape[i] > x[i]) {
      throw new ShapeError(`${op}: index shape ${formatShape(index.shape)} is larger than input shape ${formatShape(x)} in dimension ${i}`);
    }
  }
}

/** out[i][j] = x[i][index[i][j]] along `dim` (PyTorch's gather). */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  const d = normalizeDim("gather", dim, x.ndim);
  checkGatherShapes("gather", x.shape, index, d);
  const xShape = x.shape.length === 0 ? [1] : x.shape;
  const idx = indexData("gather", index, xShape[d], `dimension ${d}`);
  // View x with the index's extent in the other dims so both share outer/inner
  // sizes (a raw view from offset 0 of each dim: nothing to record).
  const src = x.ndim === 0 ? x : viewOf(x, mapDims(x.shape, (s, i) => (i === d ? s : index.shape[i])), x.strides, x.offset);
  const outer = sizeOf(index.shape.slice(0, d));
  const inner = sizeOf(index.shape.slice(d + 1));
  const idxAxis = index.ndim === 0 ? 1 : index.shape[d];
  let out = gpu.active !== null ? deviceGather(src, outer, xShape[d], inner, idx, idxAxis, index.shape) : null;
  if (out === null) {
    const { data, offset } = contiguousData(src);
    const host = allocate(x.dtype, index.size);
    backend.gather(offset === 0 ? data : data.subarray(offset), outer, xShape[d], inner, idx, idxAxis, host);
    out = new Tensor(host, index.shape, x.dtype);
  }
  return record(out, GATHER, [x], [index], { dim: d, inShape: x.shape });
}

/** Zeros of `shape` with `src` added at `index` along `dim`: the reverse of gather. */
function scatterAddNew(src: Tensor, index: Tensor, shape: readonly number[], dim: number): Tensor {
  // Work on a block with the index's extent in the other dims, then pad to `shape`.
  const blockShape = mapDims(index.shape, (s, i) => (i === dim ? shape[i] : s));
  const { data: idxData, offset: io } = contiguousData(index);
  const idx = (idxData as Int32Array).subarray(io, io + index.size);
  const outer = sizeOf(index.shape.slice(0, dim));
  const inner = sizeOf(index.shape.slice(dim + 1));
  const outAxis = blockShape.length === 0 ? 1 : blockShape[dim], idxAxis = index.ndim === 0 ? 1 : index.shape[dim];
  let block = gpu.active !== null ? deviceScatterAdd(src, outer, outAxis, inner, idx, idxAxis, blockShape) : null;
  if (block === null) {
    const out = allocate(src.dtype, sizeOf(blockShape));
    const { data: srcData, offset: so } = contiguousData(src);
    backend.scatterAdd(out, outer, outAxis, inner, idx, idxAxis, srcData.subarray(so, so + src.size));
    block = new Tensor(out, blockShape, src.dtype);
  }
  let result = record(block, SCATTER_ADD, [src], [index], { dim });
  for (let i = 0; i < shape.length; i++) {
    if (blockShape[i] < shape[i]) result = padEnd(result, i, shape[i]);
  }
  return result;
}

/** Appends zeros along `dim` up to `size` (through cat, so it stays differentiable). */
function padEnd(t: Tensor, dim: number, size: number): Tensor {
  const extra = mapDims(t.shape, (s, i) => (i === dim ? size - s : s));
  return cat([t, new Tensor(allocate(t.dtype, sizeOf(extra)), extra, t.dtype)], dim);
}

// ---------------------------------------------------------------- indexSelect

type IndexSelectCtx = { dim: number; inShape: readonly number[] };
const INDEX_SELECT = defineOp<IndexSelectCtx>("indexSelect", (g, [index], c) => [indexAddNew(g, index, c.inShape, c.dim)]);
const INDEX_ADD = defineOp<{ dim: number }>("indexAdd", (g, [index], c) => [indexSelect(g, c.dim, index)]);

/** The entries of `dim` listed by a 1-D int32 index (rows of an embedding table, say). */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  const d = normalizeDim("indexSelect", dim, x.ndim);
  if (index.ndim > 1) throw new ShapeError(`indexSelect: the index must be 1-D, got shape ${formatShape(index.shape)}`);
  const xShape = x.ndim === 0 ? [1] : x.shape;
  const idx = indexData("indexSelect", index, xShape[d], `dimension ${d}`);
  const outer = sizeOf(xShape.slice(0, d));
  const inner = sizeOf(xShape.slice(d + 1));
  const outShape = x.ndim === 0 ? [] : mapDims(x.shape, (s, i) => (i === d ? idx.length : s));
  let out = gpu.active !== null ? deviceIndexSelect(x, outer, xShape[d], inner, idx, outShape) : null;
  if (out === null) {
    const { data, offset } = contiguousData(x);
    const host = allocate(x.dtype, outer * idx.length * inner);
    backend.indexSelect(offset === 0 ? data : data.subarray(offset), outer, xShape[d], inner, idx, host);
    out = new Tensor(host, outShape, x.dtype);
  }
  return record(out, INDEX_SELECT, [x], [index], { dim: d, inShape: x.shape });
}

function indexAddNew(src: Tensor, index: Tensor, shape: readonly number[], dim: number): Tensor {
  const full = shape.length === 0 ? [1] : shape;
  const { data: idxData, offset: io } = contiguousData(index);
  const idx = (idxData as Int32Array).subarray(io, io + index.size);
  const outer = sizeOf(full.slice(0, dim)), inner = sizeOf(full.slice(dim + 1));
  let out = gpu.active !== null ? deviceIndexAdd(src, outer, full[dim], inner, idx, shape) : null;
  if (out === null) {
    const host = allocate(src.dtype, sizeOf(full));
    const { data, offset } = contiguousData(src);
    backend.indexAdd(host, outer, full[dim], inner, idx, data.subarray(offset, offset + src.size));
    out = new Tensor(host, shape, src.dtype);
  }
  return record(out, INDEX_ADD, [src], [index], { dim });
}

// ---------------------------------------------------------------- scatter, scatterAdd (issue #14)

/** PyTorch's scatter shape rules: same rank; index within src everywhere and within x except along dim. */
function checkScatter(op: string, x: Tensor, d: number, index: Tensor, src: Tensor | null): void {
  if (!(index instanceof Tensor)) throw new ValueError(`${op}: the index must be an int32 Tensor`);
  if (index.dtype !== "int32") throw new DTypeError(`${op}: the index must be an int32 tensor, got ${index.dtype}`);
  const rank = Math.max(x.ndim, 1);
  const idxShape = index.ndim === 0 ? [1] : index.shape;
  const xShape = x.ndim === 0 ? [1] : x.shape;
  if (Math.max(index.ndim, 1) !== rank || (src !== null && Math.max(src.ndim, 1) !== rank)) {
    throw new ShapeError(
      `${op}: self ${formatShape(x.shape)}, index ${formatShape(index.shape)}${src ? ` and src ${formatShape(src.shape)}` : ""} must have the same number of dimensions`,
    );
  }
  for (let i = 0; i < rank; i++) {
    if (i !== d && idxShape[i] > xShape[i]) {
      throw new ShapeError(`${op}: index ${formatShape(index.shape)} is larger than self ${formatShape(x.shape)} in dimension ${i}; it may be larger only along dim ${d}`);
    }
    if (src !== null && idxShape[i] > (src.ndim === 0 ? 1 : src.shape[i])) {
      throw new ShapeError(`${op}: index ${formatShape(index.shape)} is larger than src ${formatShape(src.shape)} in dimension ${i}; src must cover the index`);
    }
  }
  if (src !== null && src.dtype !== x.dtype) {
    throw new DTypeError(`${op}: self is ${x.dtype} but src is ${src.dtype}; they must match (convert src with .to("${x.dtype}"))`);
  }
}

/**
 * out = x with, for every position p of `index`, out[p with dim replaced by
 * index[p]] set to (or, when `add`, increased by) src[p] (or the number `src`).
 */
function scatterInto(x: Tensor, d: number, index: Tensor, src: Tensor | number, add: boolean): Tensor {
  const out = contiguousCopy(x);
  const rank = Math.max(x.ndim, 1);
  const xShape = x.ndim === 0 ? [1] : x.shape;
  const idxShape = index.ndim === 0 ? [1] : index.shape;
  const idx = indexData(add ? "scatterAdd" : "scatter", index, xShape[d], `dimension ${d} of self ${formatShape(x.shape)}`);
  const n = index.size;
  if (n === 0) return out;
  // Fast path: the index spans x in every other dim, so the backend's [outer, axis, inner] kernel fits.
  if (add && typeof src !== "number" && idxShape.every((s, i) => i === d || s === xShape[i])) {
    const block = sameExtent(src, idxShape);
    const { data, offset } = contiguousData(block);
    backend.scatterAdd(out.storage, sizeOf(xShape.slice(0, d)), xShape[d], sizeOf(xShape.slice(d + 1)),
      idx, idxShape[d], data.subarray(offset, offset + n));
    return out;
  }
  const outStrides = out.ndim === 0 ? [1] : out.strides;
  const srcStrides = typeof src === "number" ? null : (src.ndim === 0 ? [0] : src.strides);
  const srcData = typeof src === "number" ? null : src.storage;
  const value = typeof src === "number" ? src : 0;
  const o = out.storage;
  const counter = new Array<number>(rank).fill(0);
  let srcPos = typeof src === "number" ? 0 : src.offset;
  let outBase = 0; // the destination offset without the dim-d term
  for (let k = 0; k < n; k++) {
    const dest = outBase + idx[k] * outStrides[d];
    const v = srcData === null ? value : srcData[srcPos];
    if (add) o[dest] += v; else o[dest] = v;
    for (let i = rank - 1; i >= 0; i--) {
      if (++counter[i] < idxShape[i]) {
        if (i !== d) outBase += outStrides[i];
        if (srcStrides) srcPos += srcStrides[i];
        break;
      }
      counter[i] = 0;
      if (i !== d) outBase -= outStrides[i] * (idxShape[i] - 1);
      if (srcStrides) srcPos -= srcStrides[i] * (idxShape[i] - 1);
    }
  }
  return out;
}

/** `t` cut to the leading block of `shape` (a raw view, nothing recorded). */
function sameExtent(t: Tensor, shape: readonly number[]): Tensor {
  if (t.ndim === 0 || t.shape.every((s, i) => s === shape[i])) return t;
  return viewOf(t, shape, t.strides, t.offset);
}

/** The gradient for src: g gathered at the index, zero-padded to src's shape where src extends past it. */
function srcGradient(g: Tensor, d: number, index: Tensor, srcShape: readonly number[]): Tensor {
  let out = gather(g, d, index);
  for (let i = 0; i < srcShape.length; i++) {
    if (out.shape[i] < srcShape[i]) out = padEnd(out, i, srcShape[i]);
  }
  return out;
}

/** value: the number written when src is one (read by the ONNX export), else null. */
type ScatterCtx = { dim: number; srcShape: readonly number[] | null; value: number | null };
// PyTorch's formulas: x̄ = ḡ with the overwritten positions zeroed; src̄ = ḡ gathered at the index.
const SCATTER = defineOp<ScatterCtx>("scatter", (g, [index], c, needs) => [
  needs[0] ? scatter(g, c.dim, index, 0) : null,
  needs[1] && c.srcShape ? srcGradient(g, c.dim, index, c.srcShape) : null,
]);
const SCATTER_ADD_INTO = defineOp<ScatterCtx>("scatterAdd", (g, [index], c, needs) => [
  needs[0] ? g : null,
  needs[1] && c.srcShape ? srcGradient(g, c.dim, index, c.srcShape) : null,
]);

function scatterOp(op: "scatter" | "scatterAdd", x: Tensor, dim: number, index: Tensor, src: Tensor | number): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`${op}: self must be a Tensor`);
  const d = normalizeDim(op, dim, x.ndim);
  if (typeof src !== "number" && !(src instanceof Tensor)) throw new ValueError(`${op}: src must be a Tensor${op === "scatter" ? " or a number" : ""}, got ${src === null ? "null" : typeof src}`);
  checkScatter(op, x, d, index, typeof src === "number" ? null : src);
  const value = typeof src === "number" && x.dtype === "float32" ? Math.fround(src) : src;
  const out = scatterInto(x, d, index, value, op === "scatterAdd");
  const inputs = typeof src === "number" ? [x] : [x, src];
  const ctx = { dim: d, srcShape: typeof src === "number" ? null : src.shape, value: typeof value === "number" ? value : null };
  return record(out, op === "scatter" ? SCATTER : SCATTER_ADD_INTO, inputs, [index], ctx);
}

/** A copy of x with src's values (or the number src) written at `index` along `dim` (PyTorch's scatter). */
export function scatter(x: Tensor, dim: number, index: Tensor, src: Tensor | number): Tensor {
  return scatterOp("scatter", x, dim, index, src);
}

/** A copy of x with src's values added at `index` along `dim`; repeated indices add up (PyTorch's scatter_add). */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  if (typeof src === "number") throw new ValueError("scatterAdd: src must be a Tensor (wrap a number with bp.fullLike(index, value, { dtype }))");
  return scatterOp("scatterAdd", x, dim, index, src);
}
