/**
 * Issue #15: sort and topk. Both find int32 indices with argsort (stable,
 * NaN largest) and read the values with gather, so the values' gradient is
 * gather's: a scatter-add of the incoming gradient back to the chosen
 * positions, differentiable again.
 */
import { ValueError } from "../errors.js";
import { traced } from "../graph/node.js";
import { normalizeDim, sizeOf } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { gather } from "./indexing.js";
import { argsort } from "./reduce.js";
import { narrow } from "./shape.js";
import { contiguousData, describe } from "./util.js";

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
  let indices: Tensor;
  if (x.ndim > 0 && k * 8 < size) indices = selectTopk(x, k, d, largest);
  else {
    const order = argsort(x, d, largest);
    indices = x.ndim === 0 ? order : narrow(order, d, 0, k);
  }
  // Reported to an export trace (src/onnx), which otherwise sees no op behind the indices.
  traced(indices, "topk", [x], { k, dim: d, largest });
  return { values: gather(x, d, indices), indices };
}

/**
 * topk's indices when k is small next to the dimension: quickselect the k
 * best positions (O(n) per row on average) and sort only those, instead of
 * sorting the whole row. The order is a total one (ties go to the lower
 * index, NaN is the largest), so it picks exactly what a full stable sort
 * would put first.
 */
function selectTopk(x: Tensor, k: number, d: number, largest: boolean): Tensor {
  const { data, offset } = contiguousData(x);
  const axis = x.shape[d];
  const inner = sizeOf(x.shape.slice(d + 1));
  const outer = x.size / (axis * inner);
  const out = new Int32Array(outer * k * inner);
  const values = new Float64Array(axis);
  const order = new Int32Array(axis);
  // before(a, b) < 0 when position a ranks ahead of position b: the ascending
  // order (NaN last) reversed for largest, ties by index.
  const sign = largest ? -1 : 1;
  const before = (a: number, b: number): number => {
    const va = values[a], vb = values[b];
    const na = va !== va, nb = vb !== vb;
    if (na || nb) return na === nb ? a - b : (na ? sign : -sign);
    return va < vb ? -sign : va > vb ? sign : a - b;
  };
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = offset + o * axis * inner + i;
      for (let j = 0; j < axis; j++) { values[j] = data[base + j * inner]; order[j] = j; }
      quickselect(order, k, before);
      const best = Array.from(order.subarray(0, k)).sort(before);
      const outBase = o * k * inner + i;
      for (let j = 0; j < k; j++) out[outBase + j * inner] = best[j];
    }
  }
  return new Tensor(out, x.shape.map((s, i) => (i === d ? k : s)), "int32");
}

/** Reorders `order` so that its first k entries are the k that rank first under `before` (in any order). */
function quickselect(order: Int32Array, k: number, before: (a: number, b: number) => number): void {
  let lo = 0, hi = order.length - 1;
  while (lo < hi) {
    // Median of three as the pivot keeps sorted and reversed rows linear.
    const mid = (lo + hi) >> 1;
    const [a, b, c] = [order[lo], order[mid], order[hi]];
    const pivot = before(a, b) < 0 ? (before(b, c) < 0 ? b : before(a, c) < 0 ? c : a) : (before(a, c) < 0 ? a : before(b, c) < 0 ? c : b);
    let i = lo, j = hi;
    while (i <= j) {
      while (before(order[i], pivot) < 0) i++;
      while (before(pivot, order[j]) < 0) j--;
      if (i <= j) { const t = order[i]; order[i] = order[j]; order[j] = t; i++; j--; }
    }
    // Now [lo, j] ranks no later than the pivot and [i, hi] no earlier.
    if (k - 1 <= j) hi = j;
    else if (k - 1 >= i) lo = i;
    else return;
  }
}
