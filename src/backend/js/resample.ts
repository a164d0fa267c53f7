/**
 * Reference bilinear resampling kernels over contiguous [planes, H, W]
 * blocks. Per output row oh: the two source rows lo/hi and their weights;
 * likewise per output column. src/ops/resample.ts computes those tables.
 */
import type { FloatArray } from "../backend.js";

/** One resampled axis: for each output index, two source indices and their weights. */
export interface LinearAxis {
  lo: Int32Array;
  hi: Int32Array;
  wLo: Float64Array;
  wHi: Float64Array;
}

/** out[p, oh, ow] = Σ of the four neighbours, weighted as PyTorch's CPU kernel: hLo·(wLo·x00 + wHi·x01) + hHi·(wLo·x10 + wHi·x11). */
export function bilinear(x: FloatArray, planes: number, height: number, width: number, h: LinearAxis, w: LinearAxis, out: FloatArray): void {
  const oH = h.lo.length, oW = w.lo.length;
  for (let p = 0; p < planes; p++) {
    const base = p * height * width;
    for (let oh = 0; oh < oH; oh++) {
      const r0 = base + h.lo[oh] * width, r1 = base + h.hi[oh] * width;
      const a = h.wLo[oh], b = h.wHi[oh];
      const row = (p * oH + oh) * oW;
      for (let ow = 0; ow < oW; ow++) {
        const c0 = w.lo[ow], c1 = w.hi[ow], u = w.wLo[ow], v = w.wHi[ow];
        out[row + ow] = a * (u * x[r0 + c0] + v * x[r0 + c1]) + b * (u * x[r1 + c0] + v * x[r1 + c1]);
      }
    }
  }
}

/** The transpose of bilinear: each g[p, oh, ow] spread back onto its four neighbours, added into `out` (zeroed by the caller). */
export function bilinearTranspose(g: FloatArray, planes: number, height: number, width: number, h: LinearAxis, w: LinearAxis, out: FloatArray): void {
  const oH = h.lo.length, oW = w.lo.length;
  for (let p = 0; p < planes; p++) {
    const base = p * height * width;
    for (let oh = 0; oh < oH; oh++) {
      const r0 = base + h.lo[oh] * width, r1 = base + h.hi[oh] * width;
      const a = h.wLo[oh], b = h.wHi[oh];
      const row = (p * oH + oh) * oW;
      for (let ow = 0; ow < oW; ow++) {
        const c0 = w.lo[ow], c1 = w.hi[ow], u = w.wLo[ow], v = w.wHi[ow];
        const gv = g[row + ow];
        out[r0 + c0] += a * u * gv;
        out[r0 + c1] += a * v * gv;
        out[r1 + c0] += b * u * gv;
        out[r1 + c1] += b * v * gv;
      }
    }
  }
}
