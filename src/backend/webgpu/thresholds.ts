/**
 * From which size a kernel call goes to the GPU on the webgpu backend. Not
 * measured: no GPU was available where this backend was written (its tests
 * run on Chromium's software adapter). While every call uploads its inputs
 * and reads its result back (docs/webgpu.md), only calls large enough to
 * amortise that round trip are worth sending; these values are deliberately
 * high until someone measures on real hardware. BACKPROP_FORCE_KERNELS=1 /
 * setKernelThresholdsForTesting zero them (src/backend/policy.ts).
 */
export const thresholds = {
  /** batch · m · k · n multiply-adds. */
  matmulMinMacs: 1 << 22,
  /** Elements of a unary or binary map. */
  elementwiseMin: 1 << 20,
  /** Elements read by a reduction or a softmax. */
  reduceMin: 1 << 20,
  /** Parameters of a fused Adam step. */
  adamMin: 1 << 20,
};
