/**
 * tril, triu and maskedFill: keep or replace entries by position or by a
 * boolean mask. Each is a `where` with a mask, so the VJP is where's own
 * (the gradient passes where the input is kept and is zero where it is
 * replaced) and gradients of any order come for free.
 */
import { DTypeError, ShapeError, ValueError } from "../errors.js";
import { allocate } from "../tensor/dtype.js";
import { broadcastShapes, formatShape, sameShape } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { where } from "./elementwise.js";

/** A bool [rows, cols] tensor, true where column − row ≤ k (lower) or ≥ k (upper). */
export function triangleMask(rows: number, cols: number, k: number, lower: boolean): Tensor {
  const mask = new Uint8Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) mask[i * cols + j] = (lower ? j - i <= k : j - i >= k) ? 1 : 0;
  }
  return new Tensor(mask, [rows, cols], "bool");
}

/** A 0-d tensor of `dtype` holding `value` (converted as the dtype's storage converts it). */
function scalarOf(value: number, dtype: Tensor["dtype"]): Tensor {
  const storage = allocate(dtype, 1);
  storage[0] = value;
  return new Tensor(storage, [], dtype);
}

function triangle(op: "tril" | "triu", x: Tensor, k: number): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`${op}: expected a Tensor`);
  if (x.ndim < 2) {
    throw new ShapeError(`${op}: input must have at least 2 dims (a matrix, or a batch of them in the leading dims), got shape ${formatShape(x.shape)}`);
  }
  if (!Number.isInteger(k)) throw new ValueError(`${op}: the diagonal offset k must be an integer, got ${k}`);
  const mask = triangleMask(x.shape[x.ndim - 2], x.shape[x.ndim - 1], k, op === "tril");
  return where(mask, x, scalarOf(0, x.dtype));
}

/**
 * The lower triangle of the last two dims (entries with column − row ≤ k),
 * zeros above; leading dims are a batch. k > 0 keeps diagonals above the
 * main one, k < 0 drops diagonals below it.
 */
export function tril(x: Tensor, k = 0): Tensor {
  return triangle("tril", x, k);
}

/** The upper triangle of the last two dims (entries with column − row ≥ k), zeros below. */
export function triu(x: Tensor, k = 0): Tensor {
  return triangle("triu", x, k);
}

/**
 * A copy of `x` with `value` where the bool `mask` is true. The mask
 * broadcasts to x's shape (it may not widen it); `value` is a number or a
 * 0-d tensor (which then gets the sum of the gradient over the filled
 * entries). The result keeps x's dtype; x's gradient is zero where filled.
 */
export function maskedFill(x: Tensor, mask: Tensor, value: number | Tensor): Tensor {
  const op = "maskedFill";
  if (!(x instanceof Tensor)) throw new ValueError(`${op}: expected a Tensor input`);
  if (!(mask instanceof Tensor)) throw new ValueError(`${op}: the mask must be a bool Tensor`);
  if (mask.dtype !== "bool") {
    throw new DTypeError(`${op}: the mask must be a bool tensor, got ${mask.dtype}; make one with a comparison such as mask.ne(0)`);
  }
  let shape: number[] | null = null;
  try {
    shape = broadcastShapes(op, x.shape, mask.shape);
  } catch {
    shape = null;
  }
  if (shape === null || !sameShape(shape, x.shape)) {
    throw new ShapeError(`${op}: mask ${formatShape(mask.shape)} does not broadcast to the input's shape ${formatShape(x.shape)}; the mask may have size-1 or missing leading dims, but not more entries than the input`);
  }
  let fill: Tensor;
  if (typeof value === "number") fill = scalarOf(value, x.dtype);
  else if (value instanceof Tensor) {
    if (value.ndim !== 0) throw new ShapeError(`${op}: value must be a number or a 0-d tensor, got a tensor of shape ${formatShape(value.shape)}`);
    fill = value.dtype === x.dtype ? value : value.to(x.dtype);
  } else {
    throw new ValueError(`${op}: value must be a number or a 0-d tensor, got ${value === null ? "null" : typeof value}`);
  }
  return where(mask, fill, x);
}
