/** gather and indexSelect, with their scatter-add reverses as VJPs. */
import { backend } from "../backend/registry.js";
import { defineOp, record } from "../graph/node.js";
import { DTypeError, ShapeError, ValueError } from "../errors.js";
import { allocate } from "../tensor/dtype.js";
import { formatShape, mapDims, normalizeDim, sizeOf } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { cat } from "./shape.js";
import { contiguousData } from "./util.js";

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
  const src = x.ndim === 0 ? x : new Tensor(x.storage, mapDims(x.shape, (s, i) => (i === d ? s : index.shape[i])), x.dtype, x.strides, x.offset);
  const { data, offset } = contiguousData(src);
  const outer = sizeOf(index.shape.slice(0, d));
  const inner = sizeOf(index.shape.slice(d + 1));
  const out = allocate(x.dtype, index.size);
  const view = offset === 0 ? data : data.subarray(offset);
  backend.gather(view, outer, xShape[d], inner, idx, index.ndim === 0 ? 1 : index.shape[d], out);
  return record(new Tensor(out, index.shape, x.dtype), GATHER, [x], [index], { dim: d, inShape: x.shape });
}

/** Zeros of `shape` with `src` added at `index` along `dim`: the reverse of gather. */
function scatterAddNew(src: Tensor, index: Tensor, shape: readonly number[], dim: number): Tensor {
  // Work on a block with the index's extent in the other dims, then pad to `shape`.
  const blockShape = mapDims(index.shape, (s, i) => (i === dim ? shape[i] : s));
  const out = allocate(src.dtype, sizeOf(blockShape));
  const { data: srcData, offset: so } = contiguousData(src);
  const { data: idxData, offset: io } = contiguousData(index);
  const outer = sizeOf(index.shape.slice(0, dim));
  const inner = sizeOf(index.shape.slice(dim + 1));
  backend.scatterAdd(out, outer, blockShape.length === 0 ? 1 : blockShape[dim], inner,
    (idxData as Int32Array).subarray(io, io + index.size), index.ndim === 0 ? 1 : index.shape[dim], srcData.subarray(so, so + src.size));
  let result = record(new Tensor(out, blockShape, src.dtype), SCATTER_ADD, [src], [index], { dim });
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
  const { data, offset } = contiguousData(x);
  const outer = sizeOf(xShape.slice(0, d));
  const inner = sizeOf(xShape.slice(d + 1));
  const outShape = x.ndim === 0 ? [] : mapDims(x.shape, (s, i) => (i === d ? idx.length : s));
  const out = allocate(x.dtype, outer * idx.length * inner);
  backend.indexSelect(offset === 0 ? data : data.subarray(offset), outer, xShape[d], inner, idx, out);
  return record(new Tensor(out, outShape, x.dtype), INDEX_SELECT, [x], [index], { dim: d, inShape: x.shape });
}

function indexAddNew(src: Tensor, index: Tensor, shape: readonly number[], dim: number): Tensor {
  const full = shape.length === 0 ? [1] : shape;
  const out = allocate(src.dtype, sizeOf(full));
  const { data, offset } = contiguousData(src);
  const { data: idxData, offset: io } = contiguousData(index);
  backend.indexAdd(out, sizeOf(full.slice(0, dim)), full[dim], sizeOf(full.slice(dim + 1)),
    (idxData as Int32Array).subarray(io, io + index.size), data.subarray(offset, offset + src.size));
  return record(new Tensor(out, shape, src.dtype), INDEX_ADD, [src], [index], { dim });
}
