/**
 * GELU (x·Φ(x), PyTorch's exact form) and its gradient on float32, computed
 * in float64 lanes and rounded once, as the JS kernels do. erf comes from
 * the JS kernel's own table of Taylor polynomials (src/backend/js/special.ts:
 * centres j/32 below 2.5, degree 8), which the backend copies into
 * ERF_TABLE at start-up; the index, offset and Horner steps (a multiply,
 * then an add: wasm has no fused one) are the JS ones, so GELU's output has
 * the JS kernel's bits. Groups of eight with any |x/√2| ≥ 2.5 (or NaN) take
 * the scalar formula, erfc's continued fraction included (its e^{−x²} is
 * expScalar, not V8's Math.exp: the same float but at a rare near-tie). The gradient's
 * e^{−x²/2} comes from a float64 polynomial (within ~1e-15 of Math.exp), so
 * it agrees with JS to 1 ulp (rare near-ties).
 *
 * Both kernels first take a cheaper path to the same bits (see FAST_TABLE):
 * erf from degree-4 polynomials about centres 1/128 apart, whose result is
 * within a proven bound of the exact path's; a group whose every result
 * lies farther than that bound from a float32 rounding boundary stores it
 * (the exact path's value, within the bound, rounds to the same float),
 * any other group runs the exact path.
 */

const DEGREE = 8;
const ROW_BYTES: usize = (DEGREE + 1) * 8;
/** Centres 0, 1/32, …, 2.5: the JS table's 81 rows. */
const CENTRES = 81;
/**
 * Where the table lies: a fixed address between the static data and the
 * backend's control blocks (src/backend/wasm/arena.ts; the backend checks
 * both bounds), not a data segment, which would put 5.8 KB of zeros into
 * every variant of the embedded binary.
 */
const ERF_TABLE: usize = 10240;

/**
 * The fast path's erf table: for centres c = k/128, k = 0 … 320, the Taylor
 * coefficients of erf(c + u/128) in u (|u| ≤ 1/2) up to degree 4, as six
 * float64s per row, [b4, b3, b2, b1, b0, 0], so that a lane loads its row in
 * three pairs. The backend computes it at start-up (erfFastTable in
 * src/backend/wasm/erf-fast-table.ts) and copies it here, past ERF_TABLE.
 * The first omitted term is below 0.113·256⁻⁵ ≈ 1.03e-13 (|erf⁽⁵⁾/5!| ≤
 * (2/√π)·12/120), so with the rounding of both evaluations the fast erf
 * is within 1.1e-13 of the exact path's (itself within a few 1e-16 of erf).
 */
const FAST_TABLE: usize = 16384;
const FAST_ROWS = 321;
const FAST_ROW_BYTES: usize = 48;
/** A bound on |fast erf − exact-path erf|, four times the proven 1.1e-13. */
const ERF_FAST_BOUND: f64 = 4e-13;
/**
 * A relative bound on |fast e^{−x²/2} − exact path's|, eight times the
 * proven 1.2e-14 (see pdfFast).
 */
const PDF_FAST_BOUND: f64 = 1e-13;
const GRAD_PER_G: f64 = ERF_FAST_BOUND / 2 + 2.842170943040401e-15 + 0.25 * PDF_FAST_BOUND;

const SQRT1_2: f64 = 0.7071067811865476; // Math.SQRT1_2
const INV_SQRT_2PI: f64 = 0.3989422804014327; // 1 / Math.sqrt(2 * Math.PI)
const INV_SQRT_PI: f64 = 0.5641895835477563;

/**
 * Constants in pairs of float64 lanes, loaded from memory rather than built
 * in the loop (see the note on K in elementwise.ts).
 */
const G = memory.data<f64>([
  0.5, 0.5, // 0
  1, 1, // 1
  32, 32, // 2: table steps per unit
  0.03125, 0.03125, // 3: 1/32 (j/32 and j·(1/32) are the same exact value)
  2.5, 2.5, // 4: the table's end
  SQRT1_2, SQRT1_2, // 5
  INV_SQRT_2PI, INV_SQRT_2PI, // 6
  -0.5, -0.5, // 7
  1.4426950408889634, 1.4426950408889634, // 8: log2(e)
  6.93147180369123816490e-01, 6.93147180369123816490e-01, // 9: ln2, high part (n·it is exact)
  1.90821492927058770002e-10, 1.90821492927058770002e-10, // 10: ln2, low part
  // 11..22: Taylor coefficients of e^r, 1/11! down to 1/0!
  2.505210838544172e-8, 2.505210838544172e-8,
  2.755731922398589e-7, 2.755731922398589e-7,
  2.7557319223985893e-6, 2.7557319223985893e-6,
  2.48015873015873e-5, 2.48015873015873e-5,
  1.984126984126984e-4, 1.984126984126984e-4,
  1.388888888888889e-3, 1.388888888888889e-3,
  8.333333333333333e-3, 8.333333333333333e-3,
  4.1666666666666664e-2, 4.1666666666666664e-2,
  0.16666666666666666, 0.16666666666666666,
  0.5, 0.5,
  1, 1,
  1, 1,
  128, 128, // 23: fast-table steps per unit
  4503599627370496, 4503599627370496, // 24: 2⁵², whose sum with 0 ≤ m < 2⁵¹ rounds m to an integer
  -0.0, -0.0, // 25: the sign bit
  // 26: GELU's bound per |x|: bound/2 + 2⁻⁵⁰ (see geluF32).
  ERF_FAST_BOUND / 2 + 8.881784197001252e-16, ERF_FAST_BOUND / 2 + 8.881784197001252e-16,
  // 27: the gradient's bound per |g|: bound/2 + 2⁻⁴⁹ + 1.2·2⁻⁵⁰ + 0.25·PDF_FAST_BOUND (see geluBackwardF32).
  GRAD_PER_G, GRAD_PER_G,
  -6.103515625e-5, -6.103515625e-5, // 28: −1/128²
  45.254833995939045, 45.254833995939045, // 29: 32·√2 = 128·(√π/2)/√(2π), from b1 to φ's scale
], 16);

// @ts-ignore: decorator
@inline function g2(i: i32): v128 {
  return v128.load(G + (<usize>i << 4));
}

/** Where the backend copies the JS erf table (CENTRES·(DEGREE + 1) float64s). */
export function erfTable(): usize {
  return ERF_TABLE;
}

/** Where the backend copies the fast path's table (fastErfRows() rows of six float64s). */
export function fastErfTable(): usize {
  return FAST_TABLE;
}

export function fastErfRows(): i32 {
  return FAST_ROWS;
}

/** Float64s erfTable holds, so that the backend can check the tables agree in size. */
export function erfTableLength(): i32 {
  return CENTRES * (DEGREE + 1);
}

/** erfc(x) for x ≥ 2.5 by the modified Lentz method: the JS kernel's erfcLarge. */
function erfcLarge(x: f64): f64 {
  if (x > 27) return 0;
  const tiny: f64 = 1e-300;
  let f = x, c = x, d: f64 = 0;
  for (let k = 1; k < 300; k++) {
    const a = <f64>k / 2;
    d = x + a * d;
    if (d == 0) d = tiny;
    c = x + a / c;
    if (c == 0) c = tiny;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (abs(delta - 1) < 1e-16) break;
  }
  return (expScalar(-x * x) * INV_SQRT_PI) / f;
}

/** The JS kernel's erf, step for step. */
function erfScalar(x: f64): f64 {
  if (x != x) return NaN;
  if (x == 0) return x;
  const ax = abs(x);
  if (ax >= 2.5) {
    const r = erfcLarge(ax);
    return x > 0 ? 1 - r : r - 1;
  }
  const j = <i32>(ax * 32 + 0.5);
  const h = ax - <f64>j / 32;
  const row = ERF_TABLE + <usize>j * ROW_BYTES;
  let r = load<f64>(row + (<usize>DEGREE << 3));
  for (let d = DEGREE - 1; d >= 0; d--) r = r * h + load<f64>(row + (<usize>d << 3));
  return x > 0 ? r : -r;
}

function geluScalar(v: f64): f64 {
  return 0.5 * v * (1 + erfScalar(v * SQRT1_2));
}

function geluGradScalar(g: f64, x: f64): f64 {
  return g * (0.5 * (1 + erfScalar(x * SQRT1_2)) + x * INV_SQRT_2PI * expScalar(-0.5 * x * x));
}

/** Four pairs of results of erf4, stored here rather than returned (a function returns one v128). */
const ERF4 = memory.data(64, 16);

/** Each lane's centre j (the nearest multiple of 1/32 to |z|), the offset h = |z| − j/32, and the table rows. */
// @ts-ignore: decorator
@inline function centre(z: v128): v128 {
  return i32x4.trunc_sat_f64x2_s_zero(f64x2.add(f64x2.mul(f64x2.abs(z), g2(2)), g2(0)));
}
// @ts-ignore: decorator
@inline function offset(z: v128, j: v128): v128 {
  return f64x2.sub(f64x2.abs(z), f64x2.mul(f64x2.convert_low_i32x4_s(j), g2(3)));
}
// @ts-ignore: decorator
@inline function row0(j: v128): usize {
  return ERF_TABLE + <usize>i32x4.extract_lane(j, 0) * ROW_BYTES;
}
// @ts-ignore: decorator
@inline function row1(j: v128): usize {
  return ERF_TABLE + <usize>i32x4.extract_lane(j, 1) * ROW_BYTES;
}
/** Coefficient d (a byte offset) of the rows at r0 (lane 0) and r1 (lane 1). */
// @ts-ignore: decorator
@inline function coefficients(r0: usize, r1: usize, d: usize): v128 {
  return v128.load64_lane(r1 + d, v128.load64_zero(r0 + d), 1);
}
// @ts-ignore: decorator
@inline function signed(r: v128, z: v128): v128 {
  return v128.bitselect(r, f64x2.neg(r), f64x2.gt(z, f64x2.splat(0)));
}

/**
 * erf of four pairs of float64 lanes, every |z| < 2.5, into ERF4: erfScalar's
 * table branch. The four Horner chains advance together, so that their
 * multiply-add latencies overlap.
 */
function erf4(z0: v128, z1: v128, z2: v128, z3: v128): void {
  const j0 = centre(z0), j1 = centre(z1), j2 = centre(z2), j3 = centre(z3);
  const h0 = offset(z0, j0), h1 = offset(z1, j1), h2 = offset(z2, j2), h3 = offset(z3, j3);
  const a0 = row0(j0), b0 = row1(j0), a1 = row0(j1), b1 = row1(j1);
  const a2 = row0(j2), b2 = row1(j2), a3 = row0(j3), b3 = row1(j3);
  const top: usize = <usize>DEGREE << 3;
  let r0 = coefficients(a0, b0, top), r1 = coefficients(a1, b1, top);
  let r2 = coefficients(a2, b2, top), r3 = coefficients(a3, b3, top);
  for (let d: isize = top - 8; d >= 0; d -= 8) {
    r0 = f64x2.add(f64x2.mul(r0, h0), coefficients(a0, b0, d));
    r1 = f64x2.add(f64x2.mul(r1, h1), coefficients(a1, b1, d));
    r2 = f64x2.add(f64x2.mul(r2, h2), coefficients(a2, b2, d));
    r3 = f64x2.add(f64x2.mul(r3, h3), coefficients(a3, b3, d));
  }
  v128.store(ERF4, signed(r0, z0));
  v128.store(ERF4, signed(r1, z1), 16);
  v128.store(ERF4, signed(r2, z2), 32);
  v128.store(ERF4, signed(r3, z3), 48);
}

// @ts-ignore: decorator
@inline function erf4Result(i: i32): v128 {
  return v128.load(ERF4 + (<usize>i << 4));
}

/**
 * erf(z) in two float64 lanes, |z| < 2.5, from FAST_TABLE: the centre
 * k = round(128·|z|) (the sum with 2⁵² leaves k in the low bits), the exact
 * offset u = 128·|z| − k, Horner's rule, and z's sign.
 */
// @ts-ignore: decorator
@inline function erfFast(z: v128, aux: usize): v128 {
  const m = f64x2.mul(f64x2.abs(z), g2(23));
  const kk = f64x2.add(m, g2(24));
  const k = f64x2.sub(kk, g2(24));
  const u = f64x2.sub(m, k);
  const ra = FAST_TABLE + <usize>i32x4.extract_lane(kk, 0) * FAST_ROW_BYTES;
  const rb = FAST_TABLE + <usize>i32x4.extract_lane(kk, 2) * FAST_ROW_BYTES;
  const a0 = v128.load(ra), b0 = v128.load(rb);
  const a1 = v128.load(ra, 16), b1 = v128.load(rb, 16);
  const a2 = v128.load(ra, 32), b2 = v128.load(rb, 32);
  let r = f64x2.add(f64x2.mul(v128.shuffle<f64>(a0, b0, 0, 2), u), v128.shuffle<f64>(a0, b0, 1, 3));
  r = f64x2.add(f64x2.mul(r, u), v128.shuffle<f64>(a1, b1, 0, 2));
  r = f64x2.add(f64x2.mul(r, u), v128.shuffle<f64>(a1, b1, 1, 3));
  r = f64x2.add(f64x2.mul(r, u), v128.shuffle<f64>(a2, b2, 0, 2));
  if (aux) {
    // For pdfFast: b1 (∝ e^{−c²}) and t = −(2c + h)·h = −(k + m)·u/128², so that z² = c² − t.
    v128.store(aux, v128.shuffle<f64>(a1, b1, 1, 3));
    v128.store(aux, f64x2.mul(f64x2.mul(f64x2.add(k, m), u), g2(28)), 16);
  }
  return v128.or(r, v128.and(z, g2(25)));
}

/** Four pairs of erfFast's by-products for the gradient (b1 and t per pair). */
const FAST_AUX = memory.data(128, 16);

/**
 * x·e^{−x²/2}/√(2π) in two lanes from erfFast's by-products at aux:
 * e^{−z²} = e^{−c²}·e^t, e^{−c²} = b1·128·√π/2 (b1 = (2/√π)·e^{−c²}/128), and
 * e^t (|t| < 0.02) by Taylor to degree 6 (error below 1e-16). Relative to the
 * exact path's (x·(1/√(2π)))·expLanes((−0.5·x)·x): within 1.2e-14 (expLanes'
 * truncation 6e-15; z = x·(1/√2) rounded, so z² is x²/2 within 4.5e-16
 * relative, 2.8e-15 in e^{−z²} for z² < 6.25; b1 and the roundings ~2e-15).
 */
// @ts-ignore: decorator
@inline function pdfFast(x: v128, aux: usize): v128 {
  const t = v128.load(aux, 16);
  let p = f64x2.add(f64x2.mul(g2(16), t), g2(17));
  p = f64x2.add(f64x2.mul(p, t), g2(18));
  p = f64x2.add(f64x2.mul(p, t), g2(19));
  p = f64x2.add(f64x2.mul(p, t), g2(20));
  p = f64x2.add(f64x2.mul(p, t), g2(21));
  p = f64x2.add(f64x2.mul(p, t), g2(22));
  return f64x2.mul(f64x2.mul(f64x2.mul(x, v128.load(aux)), p), g2(29));
}

/**
 * All-ones in lanes 0 and 1 where every value within `tol` of y rounds to the
 * float32 that y rounds to (y ± tol round alike: rounding is monotonic), so
 * that the exact path's value, within tol, rounds to it too; lanes 2 and 3
 * all-ones. Zero results (whose y ± tol straddle ±0), NaN and infinities fail.
 */
// @ts-ignore: decorator
@inline function settled(y: v128, tol: v128): v128 {
  return i32x4.eq(f32x4.demote_f64x2_zero(f64x2.sub(y, tol)), f32x4.demote_f64x2_zero(f64x2.add(y, tol)));
}

/**
 * e^x in two float64 lanes for x in [−373, 0] (GELU's −x²/2 in the table's
 * range, half of expScalar's argument): x = n·ln2 + r, |r| ≤ ln2/2,
 * e^r by its Taylor series to degree 11 (error ≤ 0.35¹²/12! ≈ 6e-15), times
 * 2^n built from the exponent bits. Also softmax's (asm/softmax.ts).
 */
export function expLanes(x: v128): v128 {
  const n = f64x2.nearest(f64x2.mul(x, g2(8)));
  let r = f64x2.sub(x, f64x2.mul(n, g2(9)));
  r = f64x2.sub(r, f64x2.mul(n, g2(10)));
  // Estrin's scheme: a short dependency chain. Coefficient k (of r^k) is g2(22 − k).
  const r2 = f64x2.mul(r, r), r4 = f64x2.mul(r2, r2), r8 = f64x2.mul(r4, r4);
  const p01 = f64x2.add(g2(22), f64x2.mul(g2(21), r)), p23 = f64x2.add(g2(20), f64x2.mul(g2(19), r));
  const p45 = f64x2.add(g2(18), f64x2.mul(g2(17), r)), p67 = f64x2.add(g2(16), f64x2.mul(g2(15), r));
  const p89 = f64x2.add(g2(14), f64x2.mul(g2(13), r)), pab = f64x2.add(g2(12), f64x2.mul(g2(11), r));
  const p = f64x2.add(
    f64x2.add(p01, f64x2.mul(r2, p23)),
    f64x2.add(f64x2.mul(r4, f64x2.add(p45, f64x2.mul(r2, p67))), f64x2.mul(r8, f64x2.add(p89, f64x2.mul(r2, pab)))));
  const bits = i64x2.shl(i64x2.add(i64x2.extend_low_i32x4_s(i32x4.trunc_sat_f64x2_s_zero(n)), i64x2.splat(1023)), 52);
  return f64x2.mul(p, bits);
}

/**
 * e^x for x ≤ 0 (NaN passes through), as (e^{x/2})² so that expLanes'
 * scale stays a normal double down to e^−745 (a subnormal, then 0). Within
 * a few 1e-15 of Math.exp; AssemblyScript's own would add its 2 KB table to
 * every variant of the embedded binary.
 */
function expScalar(x: f64): f64 {
  if (x != x) return x;
  if (x < -746) return 0;
  const h = f64x2.extract_lane(expLanes(f64x2.splat(x * 0.5)), 0);
  return h * h;
}

/** The two float64 halves of four floats. */
// @ts-ignore: decorator
@inline function low(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}
// @ts-ignore: decorator
@inline function high(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
}

/** Every lane's |z| < 2.5 (false for NaN). */
// @ts-ignore: decorator
@inline function inTable(z0: v128, z1: v128, z2: v128, z3: v128): bool {
  const end = g2(4);
  return i64x2.all_true(v128.and(
    v128.and(f64x2.lt(f64x2.abs(z0), end), f64x2.lt(f64x2.abs(z1), end)),
    v128.and(f64x2.lt(f64x2.abs(z2), end), f64x2.lt(f64x2.abs(z3), end))));
}

// @ts-ignore: decorator
@inline function narrow(lo: v128, hi: v128): v128 {
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

/** 0.5·v·(1 + erf(z)), the JS kernel's order; e = erf(z). */
// @ts-ignore: decorator
@inline function geluLanes(v: v128, e: v128): v128 {
  return f64x2.mul(f64x2.mul(g2(0), v), f64x2.add(g2(1), e));
}

/** g·(0.5·(1 + erf(z)) + x·φ-scale·e^{−x²/2}), the JS kernel's order; e = erf(z). */
// @ts-ignore: decorator
@inline function geluGradLanes(g: v128, x: v128, e: v128): v128 {
  const cdf = f64x2.mul(g2(0), f64x2.add(g2(1), e));
  const pdf = f64x2.mul(f64x2.mul(x, g2(6)), expLanes(f64x2.mul(f64x2.mul(g2(7), x), x)));
  return f64x2.mul(g, f64x2.add(cdf, pdf));
}

/** g·(0.5·(1 + erf) + pdf): geluGradLanes with the fast path's pdf. */
// @ts-ignore: decorator
@inline function gradFast(g: v128, e: v128, pdf: v128): v128 {
  return f64x2.mul(g, f64x2.add(f64x2.mul(g2(0), f64x2.add(g2(1), e)), pdf));
}

/** out[i] = gelu(x[i]) for i < n. */
export function geluF32(x: usize, out: usize, n: i32): void {
  let i = 0;
  // Eight floats (four float64 pairs) per iteration; a group with any lane past the table goes scalar.
  for (; i + 8 <= n; i += 8) {
    const v = v128.load(x), w = v128.load(x, 16);
    const x0 = low(v), x1 = high(v), x2 = low(w), x3 = high(w);
    const s = g2(5);
    const z0 = f64x2.mul(x0, s), z1 = f64x2.mul(x1, s), z2 = f64x2.mul(x2, s), z3 = f64x2.mul(x3, s);
    if (inTable(z0, z1, z2, z3)) {
      const y0 = geluLanes(x0, erfFast(z0, 0)), y1 = geluLanes(x1, erfFast(z1, 0));
      const y2 = geluLanes(x2, erfFast(z2, 0)), y3 = geluLanes(x3, erfFast(z3, 0));
      // y = x/2·(1 + erf): the erfs differ by at most the bound, 1 + erf rounds on both
      // paths (2⁻⁵¹ in all) and so does the product (2⁻⁵²·|y| each, |y| ≤ |x|):
      // |y − exact y| ≤ |x|·(bound/2 + 2⁻⁵²) + 2⁻⁵¹·|y| ≤ |x|·(bound/2 + 2⁻⁵⁰).
      const t0 = f64x2.mul(f64x2.abs(x0), g2(26)), t1 = f64x2.mul(f64x2.abs(x1), g2(26));
      const t2 = f64x2.mul(f64x2.abs(x2), g2(26)), t3 = f64x2.mul(f64x2.abs(x3), g2(26));
      if (i32x4.all_true(v128.and(v128.and(settled(y0, t0), settled(y1, t1)), v128.and(settled(y2, t2), settled(y3, t3))))) {
        v128.store(out, narrow(y0, y1));
        v128.store(out, narrow(y2, y3), 16);
      } else {
        erf4(z0, z1, z2, z3);
        v128.store(out, narrow(geluLanes(x0, erf4Result(0)), geluLanes(x1, erf4Result(1))));
        v128.store(out, narrow(geluLanes(x2, erf4Result(2)), geluLanes(x3, erf4Result(3))), 16);
      }
    } else {
      for (let j: usize = 0; j < 32; j += 4) store<f32>(out + j, <f32>geluScalar(<f64>load<f32>(x + j)));
    }
    x += 32; out += 32;
  }
  for (; i < n; i++) {
    store<f32>(out, <f32>geluScalar(<f64>load<f32>(x)));
    x += 4; out += 4;
  }
}

/** out[i] = g[i·gStep]·gelu'(x[i·xStep]) for i < n, steps 0 or 1 (binaryF32's GELU_BACKWARD). */
export function geluBackwardF32(g: usize, gStep: i32, x: usize, xStep: i32, out: usize, n: i32): void {
  const gInc: usize = gStep ? 32 : 0, xInc: usize = xStep ? 32 : 0;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const gv = gStep ? v128.load(g) : v128.load32_splat(g), gw = gStep ? v128.load(g, 16) : gv;
    const xv = xStep ? v128.load(x) : v128.load32_splat(x), xw = xStep ? v128.load(x, 16) : xv;
    const x0 = low(xv), x1 = high(xv), x2 = low(xw), x3 = high(xw);
    const s = g2(5);
    const z0 = f64x2.mul(x0, s), z1 = f64x2.mul(x1, s), z2 = f64x2.mul(x2, s), z3 = f64x2.mul(x3, s);
    if (inTable(z0, z1, z2, z3)) {
      const g0 = low(gv), g1 = high(gv), g2_ = low(gw), g3 = high(gw);
      const e0 = erfFast(z0, FAST_AUX), e1 = erfFast(z1, FAST_AUX + 32), e2 = erfFast(z2, FAST_AUX + 64), e3 = erfFast(z3, FAST_AUX + 96);
      const y0 = gradFast(g0, e0, pdfFast(x0, FAST_AUX)), y1 = gradFast(g1, e1, pdfFast(x1, FAST_AUX + 32));
      const y2 = gradFast(g2_, e2, pdfFast(x2, FAST_AUX + 64)), y3 = gradFast(g3, e3, pdfFast(x3, FAST_AUX + 96));
      // y = g·(cdf + pdf). The erfs differ by at most the bound, so the CDFs 0.5·(1 + erf)
      // by bound/2 + 2⁻⁵² (1 + erf rounds); the pdfs by |pdf|·PDF_FAST_BOUND ≤ 0.25·that
      // (|x·φ(x)| ≤ 0.25); the sums by those plus 2⁻⁵²·1.2 (|cdf + pdf| ≤ 1.2), and the
      // products by |g| times that plus 2⁻⁵²·|y| ≤ 2⁻⁵²·1.2·|g|: ≤ |g|·GRAD_PER_G in all.
      const t0 = f64x2.mul(f64x2.abs(g0), g2(27)), t1 = f64x2.mul(f64x2.abs(g1), g2(27));
      const t2 = f64x2.mul(f64x2.abs(g2_), g2(27)), t3 = f64x2.mul(f64x2.abs(g3), g2(27));
      if (i32x4.all_true(v128.and(v128.and(settled(y0, t0), settled(y1, t1)), v128.and(settled(y2, t2), settled(y3, t3))))) {
        v128.store(out, narrow(y0, y1));
        v128.store(out, narrow(y2, y3), 16);
      } else {
        erf4(z0, z1, z2, z3);
        v128.store(out, narrow(geluGradLanes(g0, x0, erf4Result(0)), geluGradLanes(g1, x1, erf4Result(1))));
        v128.store(out, narrow(geluGradLanes(g2_, x2, erf4Result(2)), geluGradLanes(g3, x3, erf4Result(3))), 16);
      }
    } else {
      for (let j = 0; j < 8; j++) {
        store<f32>(out + (<usize>j << 2), <f32>geluGradScalar(
          <f64>load<f32>(g + (gStep ? <usize>j << 2 : 0)), <f64>load<f32>(x + (xStep ? <usize>j << 2 : 0))));
      }
    }
    g += gInc; x += xInc; out += 32;
  }
  for (; i < n; i++) {
    store<f32>(out, <f32>geluGradScalar(<f64>load<f32>(g), <f64>load<f32>(x)));
    g += gStep ? 4 : 0; x += xStep ? 4 : 0; out += 4;
  }
}
