/**
 * Float32 batch-norm kernels over a contiguous [N, C, S] block, with the
 * semantics of the reference JS kernels (src/backend/js/batch-norm.ts):
 * per channel, sums in float64 (four lanes, folded at the end) and every
 * output computed in float64 and rounded once. Per-channel arrays (mean,
 * variance, scale, …) are float64.
 */

/** Lanes 2 and 3 of four floats, widened to two doubles (promote_low widens lanes 0 and 1). */
@inline function widenHigh(v: v128): v128 {
  return f64x2.promote_low_f32x4(i64x2.shuffle(v, v, 1, 1));
}

/** Two f64x2 rounded to float32 and joined into one f32x4 (lo in lanes 0-1, hi in 2-3). */
@inline function narrow(lo: v128, hi: v128): v128 {
  return i64x2.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 2);
}

@inline function fold(lo: v128, hi: v128, tail: f64): f64 {
  return ((f64x2.extract_lane(lo, 0) + tail) + f64x2.extract_lane(lo, 1)) + (f64x2.extract_lane(hi, 0) + f64x2.extract_lane(hi, 1));
}

/** mean[c] and the biased variance[c] of x[:, c, :]. */
export function batchNormStatsF32(x: usize, batch: i32, channels: i32, spatial: i32, mean: usize, variance: usize): void {
  const planeBytes = <usize>channels * <usize>spatial << 2, runBytes = <usize>spatial << 2;
  const count = <f64>batch * <f64>spatial;
  for (let c = 0; c < channels; c++) {
    let lo = f64x2.splat(0), hi = f64x2.splat(0), tail: f64 = 0;
    for (let n = 0; n < batch; n++) {
      let p = x + <usize>n * planeBytes + <usize>c * runBytes;
      let s = 0;
      for (; s + 4 <= spatial; s += 4, p += 16) {
        const v = v128.load(p);
        lo = f64x2.add(lo, f64x2.promote_low_f32x4(v));
        hi = f64x2.add(hi, widenHigh(v));
      }
      for (; s < spatial; s++, p += 4) tail += <f64>load<f32>(p);
    }
    const m = fold(lo, hi, tail) / count;
    const mv = f64x2.splat(m);
    lo = f64x2.splat(0); hi = f64x2.splat(0); tail = 0;
    for (let n = 0; n < batch; n++) {
      let p = x + <usize>n * planeBytes + <usize>c * runBytes;
      let s = 0;
      for (; s + 4 <= spatial; s += 4, p += 16) {
        const v = v128.load(p);
        const dl = f64x2.sub(f64x2.promote_low_f32x4(v), mv), dh = f64x2.sub(widenHigh(v), mv);
        lo = f64x2.add(lo, f64x2.mul(dl, dl));
        hi = f64x2.add(hi, f64x2.mul(dh, dh));
      }
      for (; s < spatial; s++, p += 4) { const d = <f64>load<f32>(p) - m; tail += d * d; }
    }
    store<f64>(mean + (<usize>c << 3), m);
    store<f64>(variance + (<usize>c << 3), fold(lo, hi, tail) / count);
  }
}

/** out[n, c, s] = x[n, c, s]·scale[c] + shift[c]. */
export function batchNormApplyF32(x: usize, batch: i32, channels: i32, spatial: i32, scale: usize, shift: usize, out: usize): void {
  const runBytes = <usize>spatial << 2;
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      const a = load<f64>(scale + (<usize>c << 3)), b = load<f64>(shift + (<usize>c << 3));
      const av = f64x2.splat(a), bv = f64x2.splat(b);
      const at = (<usize>n * <usize>channels + <usize>c) * runBytes;
      let p = x + at, o = out + at;
      let s = 0;
      for (; s + 4 <= spatial; s += 4, p += 16, o += 16) {
        const v = v128.load(p);
        const lo = f64x2.add(f64x2.mul(f64x2.promote_low_f32x4(v), av), bv);
        const hi = f64x2.add(f64x2.mul(widenHigh(v), av), bv);
        v128.store(o, narrow(lo, hi));
      }
      for (; s < spatial; s++, p += 4, o += 4) store<f32>(o, <f32>(<f64>load<f32>(p) * a + b));
    }
  }
}

/**
 * sumGrad[c] = Σ gy, sumGradCentered[c] = Σ gy·(x − mean[c]); with dx ≠ 0
 * the input gradient (gain 0: a weight of 1; training 0: eval's gy·invstd·w).
 */
export function batchNormBackwardF32(
  gy: usize, x: usize, batch: i32, channels: i32, spatial: i32, mean: usize, invstd: usize, gain: usize, training: i32,
  sumGrad: usize, sumGradCentered: usize, dx: usize,
): void {
  const planeBytes = <usize>channels * <usize>spatial << 2, runBytes = <usize>spatial << 2;
  const count = <f64>batch * <f64>spatial;
  for (let c = 0; c < channels; c++) {
    const m = load<f64>(mean + (<usize>c << 3));
    const mv = f64x2.splat(m);
    let gLo = f64x2.splat(0), gHi = f64x2.splat(0), gTail: f64 = 0;
    let xLo = f64x2.splat(0), xHi = f64x2.splat(0), xTail: f64 = 0;
    for (let n = 0; n < batch; n++) {
      const at = <usize>n * planeBytes + <usize>c * runBytes;
      let g = gy + at, p = x + at;
      let s = 0;
      for (; s + 4 <= spatial; s += 4, g += 16, p += 16) {
        const gv = v128.load(g), xv = v128.load(p);
        const gl = f64x2.promote_low_f32x4(gv), gh = widenHigh(gv);
        gLo = f64x2.add(gLo, gl);
        gHi = f64x2.add(gHi, gh);
        xLo = f64x2.add(xLo, f64x2.mul(gl, f64x2.sub(f64x2.promote_low_f32x4(xv), mv)));
        xHi = f64x2.add(xHi, f64x2.mul(gh, f64x2.sub(widenHigh(xv), mv)));
      }
      for (; s < spatial; s++, g += 4, p += 4) {
        const gs = <f64>load<f32>(g);
        gTail += gs;
        xTail += gs * (<f64>load<f32>(p) - m);
      }
    }
    const sg = fold(gLo, gHi, gTail), sgx = fold(xLo, xHi, xTail);
    store<f64>(sumGrad + (<usize>c << 3), sg);
    store<f64>(sumGradCentered + (<usize>c << 3), sgx);
    if (dx == 0) continue;
    const istd = load<f64>(invstd + (<usize>c << 3));
    const a = istd * (gain != 0 ? load<f64>(gain + (<usize>c << 3)) : 1.0);
    const k: f64 = training != 0 ? sgx * istd * istd / count : 0.0, gm: f64 = training != 0 ? sg / count : 0.0;
    const av = f64x2.splat(a), kv = f64x2.splat(k), gmv = f64x2.splat(gm);
    for (let n = 0; n < batch; n++) {
      const at = <usize>n * planeBytes + <usize>c * runBytes;
      let g = gy + at, p = x + at, o = dx + at;
      let s = 0;
      if (training == 0) {
        for (; s + 4 <= spatial; s += 4, g += 16, o += 16) {
          const gv = v128.load(g);
          v128.store(o, narrow(f64x2.mul(f64x2.promote_low_f32x4(gv), av), f64x2.mul(widenHigh(gv), av)));
        }
        for (; s < spatial; s++, g += 4, o += 4) store<f32>(o, <f32>(<f64>load<f32>(g) * a));
        continue;
      }
      for (; s + 4 <= spatial; s += 4, g += 16, p += 16, o += 16) {
        const gv = v128.load(g), xv = v128.load(p);
        const lo = f64x2.mul(f64x2.sub(f64x2.sub(f64x2.promote_low_f32x4(gv), gmv), f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(xv), mv), kv)), av);
        const hi = f64x2.mul(f64x2.sub(f64x2.sub(widenHigh(gv), gmv), f64x2.mul(f64x2.sub(widenHigh(xv), mv), kv)), av);
        v128.store(o, narrow(lo, hi));
      }
      for (; s < spatial; s++, g += 4, p += 4, o += 4) {
        store<f32>(o, <f32>((<f64>load<f32>(g) - gm - (<f64>load<f32>(p) - m) * k) * a));
      }
    }
  }
}
