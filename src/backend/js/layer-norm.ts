/**
 * The reference layer-norm kernels over `rows` contiguous rows of `width`
 * values: each row's statistics in double (the sum, then the mean, then the
 * sum of squared deviations, each in element order), every output computed
 * in double and rounded once. The fast backends' kernels keep this order,
 * so their results are bit for bit the same.
 */
import type { FloatArray } from "../backend.js";

/**
 * out[r, j] (contiguous from 0) = (x[r, j] − mean[r])·rstd[r]·weight[j] + bias[j];
 * mean[r] and rstd[r] = 1/√(var + eps) (biased variance) written in double.
 */
export function layerNormForward(
  x: FloatArray, xOff: number, rows: number, width: number, weight: FloatArray | null, wOff: number,
  bias: FloatArray | null, bOff: number, eps: number, out: FloatArray, mean: Float64Array, rstd: Float64Array,
): void {
  for (let r = 0; r < rows; r++) {
    const base = xOff + r * width;
    let sum = 0;
    for (let j = 0; j < width; j++) sum += x[base + j];
    const m = sum / width;
    let squares = 0;
    for (let j = 0; j < width; j++) { const d = x[base + j] - m; squares += d * d; }
    const s = 1 / Math.sqrt(squares / width + eps);
    mean[r] = m;
    rstd[r] = s;
    const o = r * width;
    for (let j = 0; j < width; j++) {
      let v = (x[base + j] - m) * s;
      if (weight) v *= weight[wOff + j];
      if (bias) v += bias[bOff + j];
      out[o + j] = v;
    }
  }
}

/**
 * With x̂ = (x − mean)·rstd and ĝ = gy·weight per row: dx (contiguous from 0,
 * null to skip) = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)); dw[j] += Σ_r gy·x̂ and
 * db[j] += Σ_r gy in double, rows in order (null to skip; the caller zeroes them).
 */
export function layerNormBackward(
  gy: FloatArray, gyOff: number, x: FloatArray, xOff: number, rows: number, width: number,
  weight: FloatArray | null, wOff: number, mean: Float64Array, rstd: Float64Array,
  dx: FloatArray | null, dw: Float64Array | null, db: Float64Array | null,
): void {
  for (let r = 0; r < rows; r++) {
    const gBase = gyOff + r * width, xBase = xOff + r * width;
    const m = mean[r], s = rstd[r];
    let sumG = 0, sumGX = 0;
    for (let j = 0; j < width; j++) {
      const g = gy[gBase + j];
      const xhat = (x[xBase + j] - m) * s;
      if (dw) dw[j] += g * xhat;
      if (db) db[j] += g;
      const gw = weight ? g * weight[wOff + j] : g;
      sumG += gw;
      sumGX += gw * xhat;
    }
    if (!dx) continue;
    const meanG = sumG / width, meanGX = sumGX / width;
    const o = r * width;
    for (let j = 0; j < width; j++) {
      const xhat = (x[xBase + j] - m) * s;
      const gw = weight ? gy[gBase + j] * weight[wOff + j] : gy[gBase + j];
      dx[o + j] = s * (gw - meanG - xhat * meanGX);
    }
  }
}
