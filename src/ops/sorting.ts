/**
 * Issue #15: sort and topk. Both find int32 indices with argsort (stable,
 * NaN largest) and read the values with gather, so the values' gradient is
 * gather's: a scatter-add of the incoming gradient back to the chosen
 * positions, differentiable again.
 */
import { ValueError } from "../errors.js";
import { normalizeDim } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { gather } from "./indexing.js";
import { argsort } from "./reduce.js";
import { narrow } from "./shape.js";
import { describe } from "./util.js";

export interface SortResult {
  values: Tensor;
  /** int32 positions of the values in the input along the dim. */
  indices: Tensor;
}

/**
 * The elements sorted along `dim` (ascending unless `descending`) and where
 * they came from. Stable: equal elements keep their order. NaN counts as
 * larger than everything, as in PyTorch.
 */
export function sort(x: Tensor, dim = -1, descending = false): SortResult {
  if (!(x instanceof Tensor)) throw new ValueError(`sort: expected a Tensor, got ${describe(x)}`);
  if (typeof dim !== "number") throw new ValueError(`sort: dim must be a number, got ${describe(dim)}`);
  if (typeof descending !== "boolean") throw new ValueError(`sort: descending must be true or false, got ${describe(descending)}`);
  normalizeDim("sort", dim, x.ndim);
  const indices = argsort(x, dim, descending);
  return { values: gather(x, dim, indices), indices };
}

/**
 * The k largest (or, with largest = false, smallest) elements along `dim`,
 * sorted, and their int32 indices. Equal elements come in index order; NaN
 * counts as the largest value.
 */
export function topk(x: Tensor, k: number, dim = -1, largest = true): SortResult {
  if (!(x instanceof Tensor)) throw new ValueError(`topk: expected a Tensor, got ${describe(x)}`);
  if (typeof dim !== "number") throw new ValueError(`topk: dim must be a number, got ${describe(dim)}`);
  if (typeof largest !== "boolean") throw new ValueError(`topk: largest must be true or false, got ${describe(largest)}`);
  const d = normalizeDim("topk", dim, x.ndim);
  const size = x.ndim === 0 ? 1 : x.shape[d];
  if (!Number.isInteger(k) || k < 0 || k > size) {
    throw new ValueError(`topk: k = ${k} is out of range for dimension ${d} of size ${size}; expected an integer in [0, ${size}]`);
  }
  const order = argsort(x, d, largest);
  const indices = x.ndim === 0 ? order : narrow(order, d, 0, k);
  return { values: gather(x, d, indices), indices };
}
