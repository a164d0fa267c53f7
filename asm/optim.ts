/**
 * One Adam/AdamW step over float32 parameters, bit-identical to the loop in
 * src/optim/adam.ts. That loop computes in float64 and rounds to float32 at
 * fixed points. A single +, −, ×, ÷ or √ of float32 operands, computed in
 * float64 and rounded to float32, equals the float32 operation (float64
 * has more than 2·24 + 2 bits), so those steps run in f32x4 lanes, four
 * parameters at a time. The steps rounded once after a multiply AND an add
 * (the L2 term, the two moments) would differ as two float32 operations;
 * they run in f64x2 lanes, where the product of two float32 is exact.
 */

// @ts-ignore: decorator
@inline function high(x: v128): v128 {
  return v128.shuffle<f32>(x, x, 2, 3, 2, 3);
}

/**
 * round32(a·b + c) per lane, computed in float64 like the JS loop; a and c
 * hold four float32, bLo and bHi the float64 values of b's low and high pairs.
 */
// @ts-ignore: decorator
@inline function mulAdd(a: v128, bLo: v128, bHi: v128, c: v128): v128 {
  const lo = f64x2.add(f64x2.mul(f64x2.promote_low_f32x4(a), bLo), f64x2.promote_low_f32x4(c));
  const hi = f64x2.add(f64x2.mul(f64x2.promote_low_f32x4(high(a)), bHi), f64x2.promote_low_f32x4(high(c)));
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

/** The step for the four parameters at byte offset `off` of every array (vMax = 0: no amsgrad). */
// @ts-ignore: decorator
@inline function adamLanes(
  p: usize, g: usize, m: usize, v: usize, vMax: usize, off: usize,
  sNeg: v128, sBc2: v128, sB1: v128, sB2: v128, sOmb2: v128, sEps: v128, sShrink: v128, dL2: v128, dOmb1: v128,
  useL2: bool, useShrink: bool,
): void {
  let pv = v128.load(p + off);
  if (useShrink) pv = f32x4.mul(pv, sShrink);
  let gi = v128.load(g + off);
  if (useL2) gi = mulAdd(pv, dL2, dL2, gi);
  const mv = mulAdd(gi, dOmb1, dOmb1, f32x4.mul(v128.load(m + off), sB1));
  v128.store(m + off, mv);
  const vv = mulAdd(f32x4.mul(sOmb2, gi), f64x2.promote_low_f32x4(gi), f64x2.promote_low_f32x4(high(gi)), f32x4.mul(v128.load(v + off), sB2));
  v128.store(v + off, vv);
  let second = vv;
  if (vMax) {
    const cur = v128.load(vMax + off);
    // The running maximum takes a NaN, as the JS loop does.
    second = v128.bitselect(vv, cur, v128.or(f32x4.lt(cur, vv), f32x4.ne(vv, vv)));
    v128.store(vMax + off, second);
  }
  const denom = f32x4.add(f32x4.div(f32x4.sqrt(second), sBc2), sEps);
  v128.store(p + off, f32x4.add(pv, f32x4.div(f32x4.mul(sNeg, mv), denom)));
}

/**
 * p, g, m, v (and vMax unless 0) hold n float32 each, followed by room up to
 * the next multiple of 4 floats: the last vector runs over those spare
 * lanes, whose results the caller ignores. The scalars are the
 * float32-rounded values src/optim/adam.ts computes; l2 = 0 and shrink = 1
 * switch those terms off.
 */
export function adamF32(
  p: usize, g: usize, m: usize, v: usize, vMax: usize, n: i32,
  negStep: f32, bc2Sqrt: f32, b1: f32, omb1: f32, b2: f32, omb2: f32, eps: f32, l2: f32, shrink: f32,
): void {
  const useL2 = l2 != 0, useShrink = shrink != 1;
  const sNeg = f32x4.splat(negStep), sBc2 = f32x4.splat(bc2Sqrt), sB1 = f32x4.splat(b1);
  const sB2 = f32x4.splat(b2), sOmb2 = f32x4.splat(omb2), sEps = f32x4.splat(eps), sShrink = f32x4.splat(shrink);
  const dL2 = f64x2.splat(l2), dOmb1 = f64x2.splat(omb1);
  const end = <usize>((n + 3) & ~3) << 2;
  let off: usize = 0;
  // Two vectors per iteration, whose independent chains (three divisions or roots each) overlap.
  for (; off + 16 < end; off += 32) {
    adamLanes(p, g, m, v, vMax, off, sNeg, sBc2, sB1, sB2, sOmb2, sEps, sShrink, dL2, dOmb1, useL2, useShrink);
    adamLanes(p, g, m, v, vMax, off + 16, sNeg, sBc2, sB1, sB2, sOmb2, sEps, sShrink, dL2, dOmb1, useL2, useShrink);
  }
  if (off < end) adamLanes(p, g, m, v, vMax, off, sNeg, sBc2, sB1, sB2, sOmb2, sEps, sShrink, dL2, dOmb1, useL2, useShrink);
}
