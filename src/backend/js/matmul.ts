/** Reference batched GEMM: loops ordered so the innermost one walks memory contiguously. */
import type { FloatArray } from "../backend.js";

export function matmul(
  a: FloatArray, aOff: number, aBatchStride: number, transA: boolean,
  b: FloatArray, bOff: number, bBatchStride: number, transB: boolean,
  out: FloatArray, batch: number, m: number, k: number, n: number,
): void {
  // A float64 accumulator row keeps float32 products from rounding at every step.
  const acc = new Float64Array(n);
  for (let bi = 0; bi < batch; bi++) {
    const ao = aOff + bi * aBatchStride;
    const bo = bOff + bi * bBatchStride;
    const oo = bi * m * n;
    for (let i = 0; i < m; i++) {
      if (!transB) {
        acc.fill(0);
        for (let p = 0; p < k; p++) {
          const aip = transA ? a[ao + p * m + i] : a[ao + i * k + p];
          if (aip === 0) continue;
          const brow = bo + p * n;
          for (let j = 0; j < n; j++) acc[j] += aip * b[brow + j];
        }
        for (let j = 0; j < n; j++) out[oo + i * n + j] = acc[j];
      } else {
        for (let j = 0; j < n; j++) {
          let s = 0;
          const brow = bo + j * k;
          if (transA) for (let p = 0; p < k; p++) s += a[ao + p * m + i] * b[brow + p];
          else { const arow = ao + i * k; for (let p = 0; p < k; p++) s += a[arow + p] * b[brow + p]; }
          out[oo + i * n + j] = s;
        }
      }
    }
  }
}
