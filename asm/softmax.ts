/**
 * Float32 softmax along contiguous rows, as the JS kernel computes it
 * (src/backend/js/reduce.ts): the row's maximum (NaN wins), e^{x − max} in
 * float64, their float64 sum in element order, and each e^{x − max} times
 * 1/sum rounded once to float32. Only the exponential differs: float64
 * lanes (expLanes of asm/gelu.ts, within a few 1e-15 of Math.exp) instead
 * of Math.exp, so results agree to 1 ulp, at a rare near-tie.
 */
import { expLanes } from "./gelu";

/**
 * Below this, e^d (< 1e-86) leaves the row's float64 sum, which is at least 1
 * (the maximum's own term), unchanged, and times 1/sum rounds to float32 0:
 * taking it as 0 gives the same bits, and keeps expLanes in its range (d ≥ −373).
 */
const NEGLIGIBLE: f64 = -200;

/**
 * out[r, k] = softmax of row r of x [rows, width]; `exps` is scratch for
 * 8·(width + 1) bytes. x may be read 4 bytes past its end (an odd width's last pair).
 */
export function softmaxF32(x: usize, rows: i32, width: i32, out: usize, exps: usize): void {
  const rowBytes = <usize>width << 2;
  const cut = f64x2.splat(NEGLIGIBLE), zero = f64x2.splat(0);
  for (let r = 0; r < rows; r++) {
    let m: f32 = -Infinity;
    for (let k = 0; k < width; k++) {
      const v = load<f32>(x + (<usize>k << 2));
      if (v > m || v != v) m = v;
    }
    // A row of −∞ shifts by 0, so that it comes out NaN like PyTorch's.
    const shift = f64x2.splat(m == -Infinity ? 0 : <f64>m);
    for (let k = 0; k < width; k += 2) {
      const d = f64x2.sub(f64x2.promote_low_f32x4(v128.load64_zero(x + (<usize>k << 2))), shift);
      // d < −200 (−∞ included) gives 0; NaN compares false and stays NaN. A pair
      // wholly below (a causal mask's half row) skips the exponential.
      const small = f64x2.lt(d, cut);
      v128.store(exps + (<usize>k << 3), i64x2.all_true(small) ? zero : v128.bitselect(zero, expLanes(d), small));
    }
    let sum: f64 = 0;
    for (let k = 0; k < width; k++) sum += load<f64>(exps + (<usize>k << 3));
    const inv = 1 / sum;
    for (let k = 0; k < width; k++) store<f32>(out + (<usize>k << 2), <f32>(load<f64>(exps + (<usize>k << 3)) * inv));
    x += rowBytes;
    out += rowBytes;
  }
}
