/**
 * Special functions that JavaScript's Math lacks, accurate to a few units in
 * the last place of a float64 (PyTorch's golden values are compared in float64).
 */

const TWO_OVER_SQRT_PI = 1.1283791670955126;
const INV_SQRT_PI = 0.5641895835477563;

/**
 * erf(x). Below 2.5, from a table of Taylor polynomials: erf(c + h) for the
 * centre c nearest |x| on a grid of step 1/32 (|h| ≤ 1/64), by Horner's
 * rule, with coefficients from erf⁽ⁿ⁺¹⁾(c) = (2/√π)·(−1)ⁿ·Hₙ(c)·e^{−c²} (Hₙ
 * the physicists' Hermite polynomials) and erf(c) from erfSeries: within a
 * few ulp of glibc's erf and several times faster than the series, which
 * matters because GELU calls it per element. From 2.5 on, 1 − erfc(x) from
 * erfc's continued fraction, so that 1 + erf(x) keeps erfc's digits for
 * negative x (GELU's cancelling tail).
 */
export function erf(x: number): number {
  if (x !== x) return NaN;
  if (x === 0) return x; // keeps the sign of −0
  const ax = Math.abs(x);
  if (ax >= ERF_TABLE_END) {
    const r = erfcLarge(ax);
    return x > 0 ? 1 - r : r - 1;
  }
  const j = (ax * ERF_STEPS_PER_UNIT + 0.5) | 0;
  const h = ax - j / ERF_STEPS_PER_UNIT;
  const base = j * (ERF_DEGREE + 1);
  let r = ERF_TABLE[base + ERF_DEGREE];
  for (let d = ERF_DEGREE - 1; d >= 0; d--) r = r * h + ERF_TABLE[base + d];
  return x > 0 ? r : -r;
}

const ERF_STEPS_PER_UNIT = 32;
const ERF_TABLE_END = 2.5;
/** Degree of each polynomial: the first omitted term is below 1e-19 of erf(c) at every centre. */
const ERF_DEGREE = 8;
/** Exported for the wasm kernels (asm/gelu.ts), which evaluate erf from the same table. */
export const ERF_TABLE: Float64Array = erfTable();

/** For each centre c = j/32, the Taylor coefficients of erf(c + h) in h, lowest degree first. */
function erfTable(): Float64Array {
  const centres = ERF_TABLE_END * ERF_STEPS_PER_UNIT + 1; // the last one, c = 2.5, serves |x| just under 2.5
  const table = new Float64Array(centres * (ERF_DEGREE + 1));
  for (let j = 0; j < centres; j++) {
    const c = j / ERF_STEPS_PER_UNIT;
    const base = j * (ERF_DEGREE + 1);
    table[base] = erfSeries(c);
    // a_{n+1} = (2/√π)·e^{−c²}·(−1)ⁿ·Hₙ(c)/(n+1)!, with H₀ = 1, H₁ = 2c, H_{n+1} = 2c·Hₙ − 2n·H_{n−1}.
    const scale = TWO_OVER_SQRT_PI * Math.exp(-c * c);
    let hPrev = 0, hCur = 1, factorial = 1;
    for (let n = 0; n < ERF_DEGREE; n++) {
      factorial *= n + 1;
      table[base + n + 1] = (scale * (n % 2 === 0 ? hCur : -hCur)) / factorial;
      const hNext = 2 * c * hCur - 2 * n * hPrev;
      hPrev = hCur;
      hCur = hNext;
    }
  }
  return table;
}

/**
 * erf by a series of positive terms below 2.5 and by the continued fraction
 * of erfc beyond: slow (up to ~60 terms) but accurate to a few ulp; it fills
 * erf's table and serves as its reference.
 */
export function erfSeries(x: number): number {
  if (x !== x) return NaN;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // erf(x) = (2/√π)·e^{−x²}·Σ 2ⁿ·x^(2n+1) / (1·3·5···(2n+1)): every term positive, so no cancellation.
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
      if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
    }
    return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
  }
  const r = erfcLarge(ax);
  return x > 0 ? 1 - r : r - 1;
}

/**
 * erfc(x) for x ≥ 2.5 from the continued fraction
 * erfc(x) = e^{-x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))),
 * evaluated by the modified Lentz method.
 */
function erfcLarge(x: number): number {
  if (x > 27) return 0;
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 300; k++) {
    const a = k / 2;
    d = x + a * d;
    d = d === 0 ? tiny : d;
    c = x + a / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return (Math.exp(-x * x) * INV_SQRT_PI) / f;
}
