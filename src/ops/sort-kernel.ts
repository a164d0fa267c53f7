/**
 * The stable sort behind argsort, sort and topk: orders the positions of one
 * row by value, ties by position, NaN after everything ascending (before
 * everything descending), as PyTorch's stable sort does.
 *
 * A bottom-up merge sort of an Int32Array of positions over precomputed
 * numeric keys: no comparator callback per comparison, which makes it a few
 * times faster than Array.prototype.sort with one.
 */

const RUN = 16;

/**
 * Writes into `order` the positions 0..n-1 of `values` in sorted order.
 * `keys` and `scratch` are work buffers of at least `values.length`.
 */
export function stableOrder(values: ArrayLike<number>, descending: boolean, order: Int32Array, keys: Float64Array, scratch: Int32Array): void {
  const n = values.length;
  // NaNs are set apart (in position order) and go last ascending, first descending.
  let numbers = 0;
  let nans = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v !== v) scratch[nans++] = i;
    else {
      keys[i] = descending ? -v : v;
      order[numbers++] = i;
    }
  }
  // -0 and 0 compare equal here (a tie kept in position order), as in PyTorch.
  sortByKey(order, numbers, keys, scratch.subarray(nans));
  if (nans === 0) return;
  if (descending) {
    order.copyWithin(nans, 0, numbers);
    order.set(scratch.subarray(0, nans), 0);
  } else {
    order.set(scratch.subarray(0, nans), numbers);
  }
}

/** Stable ascending sort of order[0, n) by keys[order[i]]; `tmp` holds n entries. */
function sortByKey(order: Int32Array, n: number, keys: Float64Array, tmp: Int32Array): void {
  for (let s = 0; s < n; s += RUN) {
    const e = Math.min(s + RUN, n);
    for (let i = s + 1; i < e; i++) {
      const p = order[i];
      const k = keys[p];
      let j = i - 1;
      while (j >= s && keys[order[j]] > k) { order[j + 1] = order[j]; j--; }
      order[j + 1] = p;
    }
  }
  let src = order.subarray(0, n);
  let dst = tmp.subarray(0, n);
  for (let width = RUN; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo, j = mid, o = lo;
      // Taking from the right only when strictly smaller keeps ties in order.
      while (i < mid && j < hi) dst[o++] = keys[src[j]] < keys[src[i]] ? src[j++] : src[i++];
      while (i < mid) dst[o++] = src[i++];
      while (j < hi) dst[o++] = src[j++];
    }
    const t = src; src = dst; dst = t;
  }
  if (src.buffer !== order.buffer || src.byteOffset !== order.byteOffset) order.set(src);
}
