/**
 * Reference batch-norm kernels over a contiguous [N, C, S] block (S the
 * product of the spatial dims, 1 for [N, C]). Each channel's sums run in
 * double over n then s, so a channel's result does not depend on how a
 * faster backend splits the channels between threads. src/ops/batch-norm.ts
 * turns the sums into statistics and gradients.
 */
import type { FloatArray } from "../backend.js";

/** Per channel c: mean[c] and the biased variance[c] of x[:, c, :], two passes in double. */
export function batchNormStats(
  x: FloatArray, xOff: number, batch: number, channels: number, spatial: number, mean: Float64Array, variance: Float64Array,
): void {
  const count = batch * spatial, plane = channels * spatial;
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let n = 0; n < batch; n++) {
      const base = xOff + n * plane + c * spatial;
      for (let s = 0; s < spatial; s++) sum += x[base + s];
    }
    const m = sum / count;
    let squares = 0;
    for (let n = 0; n < batch; n++) {
      const base = xOff + n * plane + c * spatial;
      for (let s = 0; s < spatial; s++) { const d = x[base + s] - m; squares += d * d; }
    }
    mean[c] = m;
    variance[c] = squares / count;
  }
}

/** out[n, c, s] = x[n, c, s]·scale[c] + shift[c], in double and rounded once; out contiguous from 0. */
export function batchNormApply(
  x: FloatArray, xOff: number, batch: number, channels: number, spatial: number, scale: Float64Array, shift: Float64Array, out: FloatArray,
): void {
  const plane = channels * spatial;
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      const a = scale[c], b = shift[c], o = n * plane + c * spatial, base = xOff + o;
      for (let s = 0; s < spatial; s++) out[o + s] = x[base + s] * a + b;
    }
  }
}

/**
 * Per channel c: sumGrad[c] = Σ gy and sumGradCentered[c] = Σ gy·(x − mean[c])
 * over n and s, in double. With dx (contiguous from 0) it also writes the
 * input gradient, a = invstd[c]·gain[c] (gain null: 1):
 *   training: dx = (gy − Σgy/M − (x − mean)·Σgy(x − mean)·invstd²/M)·a  (M = N·S),
 *   eval:     dx = gy·a  (the statistics are constants).
 */
export function batchNormBackward(
  gy: FloatArray, gyOff: number, x: FloatArray, xOff: number, batch: number, channels: number, spatial: number,
  mean: Float64Array, invstd: Float64Array, gain: Float64Array | null, training: boolean,
  sumGrad: Float64Array, sumGradCentered: Float64Array, dx: FloatArray | null,
): void {
  const count = batch * spatial, plane = channels * spatial;
  for (let c = 0; c < channels; c++) {
    const m = mean[c];
    let sg = 0, sgx = 0;
    for (let n = 0; n < batch; n++) {
      const o = n * plane + c * spatial, gBase = gyOff + o, xBase = xOff + o;
      for (let s = 0; s < spatial; s++) { const g = gy[gBase + s]; sg += g; sgx += g * (x[xBase + s] - m); }
    }
    sumGrad[c] = sg;
    sumGradCentered[c] = sgx;
    if (!dx) continue;
    const istd = invstd[c], a = istd * (gain ? gain[c] : 1);
    const k = training ? sgx * istd * istd / count : 0, gm = training ? sg / count : 0;
    for (let n = 0; n < batch; n++) {
      const o = n * plane + c * spatial, gBase = gyOff + o, xBase = xOff + o;
      if (training) for (let s = 0; s < spatial; s++) dx[o + s] = (gy[gBase + s] - gm - (x[xBase + s] - m) * k) * a;
      else for (let s = 0; s < spatial; s++) dx[o + s] = gy[gBase + s] * a;
    }
  }
}
