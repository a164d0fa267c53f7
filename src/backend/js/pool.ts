/**
 * Reference pooling kernels over contiguous [planes, H, W] blocks (a plane
 * is one channel of one batch item). They know typed arrays and sizes only;
 * src/ops/pool.ts computes the windows and wraps the results in tensors.
 */
import type { FloatArray } from "../backend.js";

/** One pooling axis: output size, stride, padding, dilation, kernel size, input size. */
export interface PoolAxis {
  out: number;
  stride: number;
  pad: number;
  dilation: number;
  kernel: number;
  size: number;
}

/**
 * For each output position of each plane, the flat in-plane index (h·W + w)
 * of the largest input in its window, padded positions skipped. Ties keep
 * the first index and NaN counts as largest, as in PyTorch's CPU kernel.
 */
export function maxPoolIndices(x: FloatArray, planes: number, h: PoolAxis, w: PoolAxis, out: Int32Array): void {
  const planeIn = h.size * w.size;
  const planeOut = h.out * w.out;
  for (let p = 0; p < planes; p++) {
    const base = p * planeIn;
    for (let oh = 0; oh < h.out; oh++) {
      let h0 = oh * h.stride - h.pad;
      const h1 = Math.min(h0 + (h.kernel - 1) * h.dilation + 1, h.size);
      while (h0 < 0) h0 += h.dilation;
      for (let ow = 0; ow < w.out; ow++) {
        let w0 = ow * w.stride - w.pad;
        const w1 = Math.min(w0 + (w.kernel - 1) * w.dilation + 1, w.size);
        while (w0 < 0) w0 += w.dilation;
        let best = h0 * w.size + w0;
        let bestValue = -Infinity;
        for (let ih = h0; ih < h1; ih += h.dilation) {
          for (let iw = w0; iw < w1; iw += w.dilation) {
            const i = ih * w.size + iw;
            const v = x[base + i];
            if (v > bestValue || v !== v) { bestValue = v; best = i; }
          }
        }
        out[p * planeOut + oh * w.out + ow] = best;
      }
    }
  }
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
