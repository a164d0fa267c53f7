/**
 * Reference batched GEMM in plain TypeScript.
 *
 * The output is computed in 4×4 blocks whose 16 sums stay in local variables
 * (registers, once the JIT is done) while the loop walks the shared
 * dimension: 8 loads feed 16 multiply-adds, instead of 2 loads per one. The
 * transposed layouts (what `W.T` and the VJPs produce) are read through
 * strides, so no transpose is ever copied. Sums are kept in float64 and
 * rounded once when stored.
 */
import type { FloatArray } from "../backend.js";

export function matmul(
  a: FloatArray, aOff: number, aBatchStride: number, transA: boolean,
  b: FloatArray, bOff: number, bBatchStride: number, transB: boolean,
  out: FloatArray, batch: number, m: number, k: number, n: number,
): void {
  // Element (i, p) of op(A) is a[ao + i*ars + p*acs]; element (p, j) of op(B) is b[bo + p*brs + j*bcs].
  const ars = transA ? 1 : k, acs = transA ? m : 1;
  const brs = transB ? 1 : n, bcs = transB ? k : 1;
  const m4 = m - (m % 4), n4 = n - (n % 4);
  for (let bi = 0; bi < batch; bi++) {
    const ao = aOff + bi * aBatchStride;
    const bo = bOff + bi * bBatchStride;
    const oo = bi * m * n;
    for (let i = 0; i < m4; i += 4) {
      const r0 = ao + i * ars, r1 = r0 + ars, r2 = r1 + ars, r3 = r2 + ars;
      for (let j = 0; j < n4; j += 4) {
        const q0 = bo + j * bcs, q1 = q0 + bcs, q2 = q1 + bcs, q3 = q2 + bcs;
        let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (let p = 0, pa = 0, pb = 0; p < k; p++, pa += acs, pb += brs) {
          const a0 = a[r0 + pa], a1 = a[r1 + pa], a2 = a[r2 + pa], a3 = a[r3 + pa];
          const b0 = b[q0 + pb], b1 = b[q1 + pb], b2 = b[q2 + pb], b3 = b[q3 + pb];
          c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
          c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
          c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
          c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
        }
        let o = oo + i * n + j;
        out[o] = c00; out[o + 1] = c01; out[o + 2] = c02; out[o + 3] = c03; o += n;
        out[o] = c10; out[o + 1] = c11; out[o + 2] = c12; out[o + 3] = c13; o += n;
        out[o] = c20; out[o + 1] = c21; out[o + 2] = c22; out[o + 3] = c23; o += n;
        out[o] = c30; out[o + 1] = c31; out[o + 2] = c32; out[o + 3] = c33;
      }
      for (let j = n4; j < n; j++) {
        for (let r = 0; r < 4; r++) out[oo + (i + r) * n + j] = dot(a, ao + (i + r) * ars, acs, b, bo + j * bcs, brs, k);
      }
    }
    for (let i = m4; i < m; i++) {
      for (let j = 0; j < n; j++) out[oo + i * n + j] = dot(a, ao + i * ars, acs, b, bo + j * bcs, brs, k);
    }
  }
}

/** One entry of the product: Σ_p a[ai + p*as] · b[bj + p*bs]. */
function dot(a: FloatArray, ai: number, as: number, b: FloatArray, bj: number, bs: number, k: number): number {
  let s = 0;
  for (let p = 0; p < k; p++) s += a[ai + p * as] * b[bj + p * bs];
  return s;
}
