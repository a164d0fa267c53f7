/**
 * One Adam/AdamW step over float32 parameters, bit-identical to the loop in
 * src/optim/adam.ts. That loop computes in float64 and rounds to float32 at
 * fixed points (so a·b + c rounds once, like a fused multiply-add); doing
 * the same in f64x2 lanes, rounding through f32 at the same points,
 * reproduces it exactly, two parameters at a time.
 */

// @ts-ignore: decorator
@inline function round32(x: v128): v128 {
  return f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(x));
}

// @ts-ignore: decorator
@inline function load2(ptr: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(ptr));
}

// @ts-ignore: decorator
@inline function store2(ptr: usize, x: v128): void {
  v128.store64_lane(ptr, f32x4.demote_f64x2_zero(x), 0);
}

/** The step for two parameters at byte offset `off` of every array (vMax = 0: no amsgrad). */
// @ts-ignore: decorator
@inline function adamLanes(
  p: usize, g: usize, m: usize, v: usize, vMax: usize, off: usize,
  negStep: v128, bc2Sqrt: v128, b1: v128, omb1: v128, b2: v128, omb2: v128, eps: v128, l2: v128, shrink: v128,
  useL2: bool, useShrink: bool,
): void {
  let pv = load2(p + off);
  if (useShrink) pv = round32(f64x2.mul(pv, shrink));
  let gi = load2(g + off);
  if (useL2) gi = round32(f64x2.add(f64x2.mul(pv, l2), gi));
  const mv = round32(f64x2.add(f64x2.mul(gi, omb1), round32(f64x2.mul(load2(m + off), b1))));
  store2(m + off, mv);
  const vv = round32(f64x2.add(f64x2.mul(round32(f64x2.mul(omb2, gi)), gi), round32(f64x2.mul(load2(v + off), b2))));
  store2(v + off, vv);
  let second = vv;
  if (vMax) {
    const cur = load2(vMax + off);
    // The running maximum takes a NaN, as the JS loop does.
    second = v128.bitselect(vv, cur, v128.or(f64x2.lt(cur, vv), f64x2.ne(vv, vv)));
    store2(vMax + off, second);
  }
  const denom = round32(f64x2.add(round32(f64x2.div(round32(f64x2.sqrt(second)), bc2Sqrt)), eps));
  store2(p + off, round32(f64x2.add(pv, round32(f64x2.div(round32(f64x2.mul(negStep, mv)), denom)))));
}

/**
 * p, g, m, v (and vMax unless 0) hold n float32 each, plus two spare
 * floats after the n-th for an odd tail. The scalars are the
 * float32-rounded values src/optim/adam.ts computes; l2 = 0 and shrink = 1
 * switch those terms off.
 */
export function adamF32(
  p: usize, g: usize, m: usize, v: usize, vMax: usize, n: i32,
  negStep: f64, bc2Sqrt: f64, b1: f64, omb1: f64, b2: f64, omb2: f64, eps: f64, l2: f64, shrink: f64,
): void {
  const useL2 = l2 != 0, useShrink = shrink != 1;
  const sNeg = f64x2.splat(negStep), sBc2 = f64x2.splat(bc2Sqrt), sB1 = f64x2.splat(b1), sOmb1 = f64x2.splat(omb1);
  const sB2 = f64x2.splat(b2), sOmb2 = f64x2.splat(omb2), sEps = f64x2.splat(eps), sL2 = f64x2.splat(l2), sShrink = f64x2.splat(shrink);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    adamLanes(p, g, m, v, vMax, <usize>i << 2, sNeg, sBc2, sB1, sOmb1, sB2, sOmb2, sEps, sL2, sShrink, useL2, useShrink);
  }
  if (i < n) {
    // An odd last parameter runs in both lanes of a copy placed just past the
    // end of each array (the caller reserves two spare floats there).
    const off = <usize>i << 2;
    const tmp = p + (<usize>n << 2);
    store<f32>(tmp, load<f32>(p + off)); store<f32>(tmp, load<f32>(p + off), 4);
    const gt = g + (<usize>n << 2); store<f32>(gt, load<f32>(g + off)); store<f32>(gt, load<f32>(g + off), 4);
    const mt = m + (<usize>n << 2); store<f32>(mt, load<f32>(m + off)); store<f32>(mt, load<f32>(m + off), 4);
    const vt = v + (<usize>n << 2); store<f32>(vt, load<f32>(v + off)); store<f32>(vt, load<f32>(v + off), 4);
    if (vMax) { const xt = vMax + (<usize>n << 2); store<f32>(xt, load<f32>(vMax + off)); store<f32>(xt, load<f32>(vMax + off), 4); }
    adamLanes(p, g, m, v, vMax, <usize>n << 2, sNeg, sBc2, sB1, sOmb1, sB2, sOmb2, sEps, sL2, sShrink, useL2, useShrink);
    store<f32>(p + off, load<f32>(tmp)); store<f32>(m + off, load<f32>(mt)); store<f32>(v + off, load<f32>(vt));
    if (vMax) store<f32>(vMax + off, load<f32>(vMax + (<usize>n << 2)));
  }
}
