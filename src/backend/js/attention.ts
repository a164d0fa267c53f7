/**
 * The reference kernels of the fused attention's two elementwise passes
 * (src/ops/fused-attention.ts): scaling and causally masking the scores
 * before the softmax, and the softmax's gradient after it. Each output is
 * computed in double and rounded once, and the row sums run in element
 * order, so the native kernels (native/src/attention.cc) give the same bits.
 */
import type { FloatArray } from "../backend.js";

/** In place over batch [L, S] blocks: row i's first min(i + 1, S) (causal) or S values times scale, the rest −∞. */
export function attentionScores(x: FloatArray, batch: number, L: number, S: number, scale: number, causal: boolean): void {
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < L; i++) {
      const row = (b * L + i) * S;
      const visible = causal ? Math.min(i + 1, S) : S;
      for (let j = 0; j < visible; j++) x[row + j] *= scale;
      for (let j = visible; j < S; j++) x[row + j] = -Infinity;
    }
  }
}

/** out[r, j] = y·(gy − Σⱼ gy·y)·scale per row of `width`; out may be gy (gyOff 0). */
export function softmaxBackward(y: FloatArray, yOff: number, gy: FloatArray, gyOff: number, rows: number, width: number, scale: number, out: FloatArray): void {
  for (let r = 0; r < rows; r++) {
    const yr = yOff + r * width, gr = gyOff + r * width, o = r * width;
    let dot = 0;
    for (let j = 0; j < width; j++) dot += gy[gr + j] * y[yr + j];
    for (let j = 0; j < width; j++) out[o + j] = y[yr + j] * (gy[gr + j] - dot) * scale;
  }
}
