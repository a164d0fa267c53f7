/**
 * Which kernel runs a call of a given size: the dispatch policy, kept in the
 * backend layer so that ops just call a kernel (through the registry).
 *
 * Two levels decide:
 * - `policy.jsBelow` (here): unary and binary maps of fewer elements run on
 *   the JS kernels whatever the backend. Every fast backend hands such calls
 *   to JS anyway (their thresholds start at 64), and deciding once in the
 *   registry skips each backend's own checks (~0.07 µs per op in a chain of scalar ops).
 * - Each fast backend's `thresholds` (src/backend/wasm/index.ts,
 *   src/backend/native/index.ts): from which size its own kernel beats the
 *   JS one, per kernel family.
 *
 * `setKernelThresholdsForTesting({ force: true })` (or the environment
 * variable BACKPROP_FORCE_KERNELS=1 at startup) sets all of them to zero,
 * so that every call reaches the selected backend's own kernel, however
 * small; the test suites use it to hold the fast kernels to the same
 * golden values and gradient checks as the JS ones. Test-only: it makes
 * small ops slower.
 */
import { thresholds as nativeThresholds } from "./native/index.js";
import { thresholds as wasmThresholds } from "./wasm/index.js";
import { thresholds as webgpuThresholds } from "./webgpu/thresholds.js";

export const policy = {
  /** Elements below which unary and binary maps run on the JS kernels on every backend. */
  jsBelow: 64,
};

type Thresholds = Record<string, number>;

/** The thresholds that forcing zeroes (not the wasm thread split, which is about cores, not kernels). */
const forcible: [Thresholds, string[]][] = [
  [policy, ["jsBelow"]],
  [nativeThresholds, ["matmulMinMacs", "elementwiseMin", "transcendentalMin"]],
  [wasmThresholds, ["matmulMinMacs", "elementwiseMin", "reduceMin", "transcendentalMin"]],
  [webgpuThresholds, ["matmulMinMacs", "elementwiseMin", "reduceMin", "adamMin"]],
];
const defaults = forcible.map(([t, keys]) => keys.map((key) => t[key]));

/** Whether every call currently goes to the selected backend's own kernels. */
export function kernelsForced(): boolean {
  return policy.jsBelow === 0;
}

/**
 * Test-only: `force: true` sends every kernel call to the selected backend's
 * own kernels regardless of size (the kernels a backend lacks, and dtypes it
 * does not accelerate, still run on JS); `force: false` restores the
 * measured thresholds.
 */
export function setKernelThresholdsForTesting(options: { force: boolean }): void {
  forcible.forEach(([t, keys], i) => {
    keys.forEach((key, j) => { t[key] = options.force ? 0 : defaults[i][j]; });
  });
}
