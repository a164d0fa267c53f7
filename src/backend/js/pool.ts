/**
 * Reference pooling kernels over contiguous [planes, H, W] blocks (a plane
 * is one channel of one batch item). They know typed arrays and sizes only;
 * src/ops/pool.ts computes the windows and wraps the results in tensors.
 */
import type { FloatArray, PoolAxis } from "../backend.js";

/**
 * For each output position of each plane, the flat in-plane index (h·W + w)
 * of the largest input in its window, padded positions skipped. Ties keep
 * the first index and NaN counts as largest (the last NaN wins), as in
 * PyTorch's CPU kernel.
 *
 * The scan updates the best index without a branch ((v > best) | 0 scales a
 * step): on unsorted activations a compare-and-branch mispredicts about
 * every other window, which made this loop several times slower than the
 * reads. A comparison with NaN is false, so a window whose sum is NaN (a
 * NaN, or +∞ with −∞) is scanned again with the exact rule.
 */
export function maxPoolIndices(x: FloatArray, planes: number, h: PoolAxis, w: PoolAxis, out: Int32Array): void {
  const width = w.size, planeIn = h.size * width;
  // The windows' first and end rows and columns are the same in every plane: computed once.
  const rows = windowBounds(h), cols = windowBounds(w);
  const dh = h.dilation * width, dw = w.dilation;
  let o = 0;
  for (let base = 0, end = planes * planeIn; base < end; base += planeIn) {
    for (let oh = 0; oh < h.out; oh++) {
      const rowFirst = base + rows.start[oh] * width, rowEnd = base + rows.end[oh] * width;
      for (let ow = 0; ow < w.out; ow++) {
        const c0 = cols.start[ow], c1 = cols.end[ow];
        let best = rowFirst + c0;
        let bestValue = x[best];
        let sum = 0;
        for (let r = rowFirst; r < rowEnd; r += dh) {
          for (let i = r + c0, e = r + c1; i < e; i += dw) {
            const v = x[i];
            sum += v;
            best += (i - best) * (((v > bestValue) as unknown as number) | 0);
            bestValue = x[best];
          }
        }
        if (sum !== sum) best = exactWindowMax(x, rowFirst, rowEnd, dh, c0, c1, dw);
        out[o++] = best - base;
      }
    }
  }
}

/** The window's argmax by PyTorch's rule, NaN included: take v when v > best or v is NaN. */
function exactWindowMax(x: FloatArray, rowFirst: number, rowEnd: number, dh: number, c0: number, c1: number, dw: number): number {
  let best = rowFirst + c0;
  let bestValue = -Infinity;
  for (let r = rowFirst; r < rowEnd; r += dh) {
    for (let i = r + c0, e = r + c1; i < e; i += dw) {
      const v = x[i];
      if (v > bestValue || v !== v) { bestValue = v; best = i; }
    }
  }
  return best;
}

/** Per output index along one axis: the first input index inside the window (padding skipped) and one past the last. */
function windowBounds(a: PoolAxis): { start: Int32Array; end: Int32Array } {
  const start = new Int32Array(a.out), end = new Int32Array(a.out);
  for (let i = 0; i < a.out; i++) {
    let first = i * a.stride - a.pad;
    end[i] = Math.min(first + (a.kernel - 1) * a.dilation + 1, a.size);
    while (first < 0) first += a.dilation;
    start[i] = first;
  }
  return { start, end };
}

/**
 * Windowed averages: out[p, oh, ow] = Σ x[p, h, w] over h in [hStart[oh], hEnd[oh]),
 * w in [wStart[ow], wEnd[ow]), divided by hDiv[oh]·wDiv[ow]. Serves avgPool2d
 * and adaptiveAvgPool2d (their windows differ, not the sum).
 */
export function windowAverage(
  x: FloatArray, planes: number, height: number, width: number,
  hStart: Int32Array, hEnd: Int32Array, hDiv: Int32Array,
  wStart: Int32Array, wEnd: Int32Array, wDiv: Int32Array,
  out: FloatArray,
): void {
  const oH = hStart.length, oW = wStart.length;
  for (let p = 0; p < planes; p++) {
    const base = p * height * width;
    for (let oh = 0; oh < oH; oh++) {
      for (let ow = 0; ow < oW; ow++) {
        let sum = 0;
        for (let ih = hStart[oh]; ih < hEnd[oh]; ih++) {
          const row = base + ih * width;
          for (let iw = wStart[ow]; iw < wEnd[ow]; iw++) sum += x[row + iw];
        }
        const divisor = hDiv[oh] * wDiv[ow];
        out[(p * oH + oh) * oW + ow] = divisor === 0 ? 0 : sum / divisor;
      }
    }
  }
}

/** The transpose of windowAverage: spreads g[p, oh, ow] / divisor over its window, adding into `out` (zeroed by the caller). */
export function windowAverageTranspose(
  g: FloatArray, planes: number, height: number, width: number,
  hStart: Int32Array, hEnd: Int32Array, hDiv: Int32Array,
  wStart: Int32Array, wEnd: Int32Array, wDiv: Int32Array,
  out: FloatArray,
): void {
  const oH = hStart.length, oW = wStart.length;
  for (let p = 0; p < planes; p++) {
    const base = p * height * width;
    for (let oh = 0; oh < oH; oh++) {
      for (let ow = 0; ow < oW; ow++) {
        const divisor = hDiv[oh] * wDiv[ow];
        if (divisor === 0) continue;
        const share = g[(p * oH + oh) * oW + ow] / divisor;
        for (let ih = hStart[oh]; ih < hEnd[oh]; ih++) {
          const row = base + ih * width;
          for (let iw = wStart[ow]; iw < wEnd[ow]; iw++) out[row + iw] += share;
        }
      }
    }
  }
}
