/**
 * The table of the wasm GELU kernels' fast path (asm/gelu.ts, FAST_TABLE):
 * for each centre c = k/128 (k = 0 … rows − 1), the Taylor coefficients of
 * erf(c + u/128) in u up to degree 4, highest first, then a zero:
 * [b4, b3, b2, b1, b0, 0] with bₙ = aₙ/128ⁿ and aₙ erf's own coefficients
 * about c (erf(c) from erfSeries, aₙ₊₁ = (2/√π)·e^{−c²}·(−1)ⁿ·Hₙ(c)/(n+1)!,
 * the JS table's formula). Its accuracy only decides how often the fast
 * path's check sends a group to the exact path, never the bits.
 */
import { erfSeries } from "../js/special.js";

const TWO_OVER_SQRT_PI = 1.1283791670955126;
const STEPS_PER_UNIT = 128;
const DEGREE = 4;
const ROW = 6;

export function erfFastTable(rows: number): Float64Array {
  const table = new Float64Array(rows * ROW);
  for (let k = 0; k < rows; k++) {
    const c = k / STEPS_PER_UNIT;
    const a = [erfSeries(c)];
    const scale = TWO_OVER_SQRT_PI * Math.exp(-c * c);
    let hPrev = 0, hCur = 1, factorial = 1;
    for (let n = 0; n < DEGREE; n++) {
      factorial *= n + 1;
      a.push((scale * (n % 2 === 0 ? hCur : -hCur)) / factorial);
      const hNext = 2 * c * hCur - 2 * n * hPrev;
      hPrev = hCur;
      hCur = hNext;
    }
    for (let n = 0; n <= DEGREE; n++) table[k * ROW + DEGREE - n] = a[n] / STEPS_PER_UNIT ** n;
  }
  return table;
}
