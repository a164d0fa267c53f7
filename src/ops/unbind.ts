/**
 * unbind: the slices of a tensor along one dimension, as views, with a
 * backward pass that costs one full-size gradient in total.
 *
 * Taking L slices with narrow would give each slice its own full-size
 * gradient (zeros around the slice), and the engine would add those L
 * full-size tensors: O(L²) work, which dominated the backward pass of a
 * recurrent layer reading its precomputed input projection step by step.
 * Here the slices hang off one small anchor node: each slice's VJP files its
 * gradient in a shared accumulator and sends the anchor a one-element zero,
 * and the anchor, which the engine runs after all the slices, hands the input
 * the assembled gradient (zeros where a slice got none).
 */
import { defineOp, record, traced } from "../graph/node.js";
import { gradMode } from "../graph/mode.js";
import { DimError } from "../errors.js";
import { zeros } from "../tensor/creation.js";
import { normalizeDim, sizeOf } from "../tensor/shape.js";
import { Tensor, viewOf } from "../tensor/tensor.js";
import { stack } from "./shape.js";

interface Accumulator {
  shape: readonly number[];
  dim: number;
  /** Plain backward: the gradient being assembled (owned here, so the engine's buffer recycling cannot reuse it). */
  buffer: Float32Array | Float64Array | null;
  /** createGraph: the slices' gradients themselves, stacked differentiably by the anchor. */
  parts: (Tensor | null)[];
}

const SLICE = defineOp<{ acc: Accumulator; index: number }>("unbind", (g, _s, { acc, index }) => {
  if (gradMode.enabled) {
    acc.parts[index] = g;
  } else {
    const outer = sizeOf(acc.shape.slice(0, acc.dim));
    const inner = sizeOf(acc.shape.slice(acc.dim + 1));
    const count = acc.shape[acc.dim];
    if (acc.buffer === null) acc.buffer = g.dtype === "float64" ? new Float64Array(outer * count * inner) : new Float32Array(outer * count * inner);
    const src = (g.isContiguous ? g : g.contiguous()) as Tensor;
    const data = src.storage as Float64Array;
    for (let o = 0; o < outer; o++) {
      acc.buffer.set(data.subarray(src.offset + o * inner, src.offset + (o + 1) * inner), (o * count + index) * inner);
    }
  }
  return [zeros([1], { dtype: g.dtype })];
});

const ANCHOR = defineOp<Accumulator>("unbind", (g, _s, acc) => {
  let grad: Tensor;
  if (acc.buffer !== null) {
    grad = new Tensor(acc.buffer, acc.shape, g.dtype);
  } else {
    const sliceShape = acc.shape.filter((_, i) => i !== acc.dim);
    const parts = acc.parts.map((p) => p ?? zeros(sliceShape, { dtype: g.dtype }));
    grad = parts.length ? stack(parts, acc.dim) : zeros(acc.shape, { dtype: g.dtype });
  }
  // Ready for another backward pass through the same graph (retainGraph).
  acc.buffer = null;
  acc.parts = acc.parts.map(() => null);
  return [grad];
});

/** x's slices along `dim` (views, that dimension removed), like torch.unbind. */
export function unbind(x: Tensor, dim = 0): Tensor[] {
  if (x.ndim === 0) throw new DimError("unbind: a 0-d tensor has no dimension to unbind");
  const d = normalizeDim("unbind", dim, x.ndim);
  const count = x.shape[d];
  const shape = x.shape.filter((_, i) => i !== d);
  const strides = x.strides.filter((_, i) => i !== d);
  const acc: Accumulator = { shape: x.shape, dim: d, buffer: null, parts: new Array(count).fill(null) };
  const anchor = record(zeros([1], { dtype: x.dtype }), ANCHOR, [x], null, acc);
  const out: Tensor[] = [];
  for (let k = 0; k < count; k++) {
    const slice = viewOf(x, shape, strides, x.offset + k * x.strides[d]);
    const piece = !anchor.requiresGrad ? slice : record(slice, SLICE, [anchor], null, { acc, index: k });
    // An exporter tracing the forward pass sees each slice as one op of x (ONNX Gather).
    out.push(traced(piece, "unbindSlice", [x], { dim: d, index: k }));
  }
  return out;
}
