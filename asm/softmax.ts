/**
 * Float32 softmax and log-softmax along contiguous rows, as the JS kernel computes them
 * (src/backend/js/reduce.ts): the row's maximum (NaN wins), e^{x − max} in
 * float64, their float64 sum in element order, and each e^{x − max} times
 * 1/sum rounded once to float32 (log-softmax: x − max − log(sum), the log
 * taken by the caller with Math.log). Only the exponential differs: float64
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

/** The row's shift (its maximum; 0 for a row of −∞, so that it comes out NaN like PyTorch's) and e^{x − shift} into exps. */
function rowExps(x: usize, width: i32, exps: usize): f64 {
  // The maximum four lanes at a time: f32x4.max gives NaN when either side is NaN, as
  // the JS loop keeps a NaN; at a tie of −0 and +0 it may pick the other zero, which
  // changes no result (x − 0 and x + 0 differ only for x = ±0, whose e^x is 1 either
  // way, and log-softmax's lse is then ≥ log 2, so −0 − lse = +0 − lse).
  let lanes = f32x4.splat(-Infinity);
  let k = 0;
  for (; k + 4 <= width; k += 4) lanes = f32x4.max(lanes, v128.load(x + (<usize>k << 2)));
  lanes = f32x4.max(lanes, v128.shuffle<f32>(lanes, lanes, 2, 3, 0, 1));
  lanes = f32x4.max(lanes, v128.shuffle<f32>(lanes, lanes, 1, 0, 3, 2));
  let m = f32x4.extract_lane(lanes, 0);
  for (; k < width; k++) {
    const v = load<f32>(x + (<usize>k << 2));
    if (v > m || v != v) m = v;
  }
  const shift: f64 = m == -Infinity ? 0 : <f64>m;
  const s = f64x2.splat(shift), cut = f64x2.splat(NEGLIGIBLE), zero = f64x2.splat(0);
  for (let k = 0; k < width; k += 2) {
    const d = f64x2.sub(f64x2.promote_low_f32x4(v128.load64_zero(x + (<usize>k << 2))), s);
    // d < −200 (−∞ included) gives 0; NaN compares false and stays NaN. A pair
    // wholly below (a causal mask's half row) skips the exponential.
    const small = f64x2.lt(d, cut);
    v128.store(exps + (<usize>k << 3), i64x2.all_true(small) ? zero : v128.bitselect(zero, expLanes(d), small));
  }
  return shift;
}

/** Their float64 sum in element order. */
function rowSum(exps: usize, width: i32): f64 {
  let sum: f64 = 0;
  for (let k = 0; k < width; k++) sum += load<f64>(exps + (<usize>k << 3));
  return sum;
}

/**
 * out[r, k] = softmax of row r of x [rows, width]; `exps` is scratch for
 * 8·(width + 1) bytes. x may be read 4 bytes past its end (an odd width's last pair).
 */
export function softmaxF32(x: usize, rows: i32, width: i32, out: usize, exps: usize): void {
  const rowBytes = <usize>width << 2;
  for (let r = 0; r < rows; r++) {
    rowExps(x, width, exps);
    const inv = 1 / rowSum(exps, width);
    const scale = f64x2.splat(inv);
    let k = 0;
    // Four at a time: two float64 products, each rounded once to float32.
    for (; k + 4 <= width; k += 4) {
      const at = exps + (<usize>k << 3);
      const lo = f32x4.demote_f64x2_zero(f64x2.mul(v128.load(at), scale));
      const hi = f32x4.demote_f64x2_zero(f64x2.mul(v128.load(at, 16), scale));
      v128.store(out + (<usize>k << 2), v128.shuffle<f32>(lo, hi, 0, 1, 4, 5));
    }
    for (; k < width; k++) store<f32>(out + (<usize>k << 2), <f32>(load<f64>(exps + (<usize>k << 3)) * inv));
    x += rowBytes;
    out += rowBytes;
  }
}

/**
 * log-softmax, first half: each row's shift into shifts[r] and its sum of
 * e^{x − shift} into sums[r] (float64 arrays), for the caller to take
 * Math.log of (the JS kernel's own log, so that only the exponentials differ).
 */
export function rowShiftSumsF32(x: usize, rows: i32, width: i32, exps: usize, shifts: usize, sums: usize): void {
  const rowBytes = <usize>width << 2;
  for (let r = 0; r < rows; r++) {
    store<f64>(shifts + (<usize>r << 3), rowExps(x, width, exps));
    store<f64>(sums + (<usize>r << 3), rowSum(exps, width));
    x += rowBytes;
  }
}

/** log-softmax, second half: out[r, k] = (x[r, k] − shifts[r]) − lses[r], in float64, rounded once (the JS kernel's order). */
export function logSoftmaxOutF32(x: usize, rows: i32, width: i32, shifts: usize, lses: usize, out: usize): void {
  for (let r = 0; r < rows; r++) {
    const shift = load<f64>(shifts + (<usize>r << 3)), lse = load<f64>(lses + (<usize>r << 3));
    for (let k = 0; k < width; k++) {
      store<f32>(out, <f32>((<f64>load<f32>(x) - shift) - lse));
      x += 4;
      out += 4;
    }
  }
}
