/**
 * Float32 layer-norm kernels over `rows` contiguous rows of `width` values,
 * bit for bit the reference JS kernels (src/backend/js/layer-norm.ts).
 * Each row's sums run in double in element order, as in JS. The forward
 * keeps that order and still uses lanes by summing four rows side by side
 * (one row per lane, so every lane is one row's sequential sum); the
 * backward adds its lanes into the row sums one by one, in element order.
 * The elementwise parts run in f64x2 lanes with the same operations in the
 * same order, each output rounded once. mean, rstd, dw and db are float64;
 * weight, bias, dx, dw and db are 0 for none.
 */

/** Lanes 2 and 3 of four floats, widened to two doubles (promote_low widens lanes 0 and 1). */
@inline function widenHigh(v: v128): v128 {
  return f64x2.promote_low_f32x4(i64x2.shuffle(v, v, 1, 1));
}

/** Two f64x2 rounded to float32 and joined into one f32x4 (lo in lanes 0-1, hi in 2-3). */
@inline function narrow(lo: v128, hi: v128): v128 {
  return i64x2.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 2);
}

/** The float at p and at the same place in the next three rows (`stride` bytes apart), one per lane. */
@inline function acrossRows(p: usize, stride: usize): v128 {
  let v = v128.load32_zero(p);
  v = v128.load32_lane(p + stride, v, 1);
  v = v128.load32_lane(p + 2 * stride, v, 2);
  return v128.load32_lane(p + 3 * stride, v, 3);
}

/** o[j] = (p[j] − m)·s·weight[j] + bias[j] over one row. */
function normalizeRow(p: usize, width: i32, weight: usize, bias: usize, m: f64, s: f64, o: usize): void {
  const mv = f64x2.splat(m), sv = f64x2.splat(s);
  let wp = weight, bp = bias;
  let j = 0;
  for (; j + 4 <= width; j += 4, p += 16, o += 16, wp += 16, bp += 16) {
    const v = v128.load(p);
    let lo = f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(v), mv), sv);
    let hi = f64x2.mul(f64x2.sub(widenHigh(v), mv), sv);
    if (weight != 0) {
      const wv = v128.load(wp);
      lo = f64x2.mul(lo, f64x2.promote_low_f32x4(wv));
      hi = f64x2.mul(hi, widenHigh(wv));
    }
    if (bias != 0) {
      const bv = v128.load(bp);
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(bv));
      hi = f64x2.add(hi, widenHigh(bv));
    }
    v128.store(o, narrow(lo, hi));
  }
  for (; j < width; j++, p += 4, o += 4, wp += 4, bp += 4) {
    let v = (<f64>load<f32>(p) - m) * s;
    if (weight != 0) v *= <f64>load<f32>(wp);
    if (bias != 0) v += <f64>load<f32>(bp);
    store<f32>(o, <f32>v);
  }
}

/** out[r, j] = (x[r, j] − mean[r])·rstd[r]·weight[j] + bias[j]; writes mean[r] and rstd[r]. */
export function layerNormForwardF32(
  x: usize, rows: i32, width: i32, weight: usize, bias: usize, eps: f64, out: usize, mean: usize, rstd: usize,
): void {
  const rowBytes = <usize>width << 2;
  const n = <f64>width;
  const nv = f64x2.splat(n), ev = f64x2.splat(eps), one = f64x2.splat(1);
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const row = x + <usize>r * rowBytes;
    let sLo = f64x2.splat(0), sHi = f64x2.splat(0);
    let p = row;
    for (let j = 0; j < width; j++, p += 4) {
      const v = acrossRows(p, rowBytes);
      sLo = f64x2.add(sLo, f64x2.promote_low_f32x4(v));
      sHi = f64x2.add(sHi, widenHigh(v));
    }
    const mLo = f64x2.div(sLo, nv), mHi = f64x2.div(sHi, nv);
    let qLo = f64x2.splat(0), qHi = f64x2.splat(0);
    p = row;
    for (let j = 0; j < width; j++, p += 4) {
      const v = acrossRows(p, rowBytes);
      const dLo = f64x2.sub(f64x2.promote_low_f32x4(v), mLo), dHi = f64x2.sub(widenHigh(v), mHi);
      qLo = f64x2.add(qLo, f64x2.mul(dLo, dLo));
      qHi = f64x2.add(qHi, f64x2.mul(dHi, dHi));
    }
    const at = <usize>r << 3;
    v128.store(mean + at, mLo);
    v128.store(mean + at + 16, mHi);
    v128.store(rstd + at, f64x2.div(one, f64x2.sqrt(f64x2.add(f64x2.div(qLo, nv), ev))));
    v128.store(rstd + at + 16, f64x2.div(one, f64x2.sqrt(f64x2.add(f64x2.div(qHi, nv), ev))));
    for (let k = 0; k < 4; k++) {
      const rk = <usize>(r + k);
      normalizeRow(row + <usize>k * rowBytes, width, weight, bias, load<f64>(mean + (rk << 3)), load<f64>(rstd + (rk << 3)), out + rk * rowBytes);
    }
  }
  for (; r < rows; r++) {
    const row = x + <usize>r * rowBytes;
    let sum: f64 = 0;
    for (let j = 0; j < width; j++) sum += <f64>load<f32>(row + (<usize>j << 2));
    const m = sum / n;
    let squares: f64 = 0;
    for (let j = 0; j < width; j++) { const d = <f64>load<f32>(row + (<usize>j << 2)) - m; squares += d * d; }
    const s = 1 / Math.sqrt(squares / n + eps);
    store<f64>(mean + (<usize>r << 3), m);
    store<f64>(rstd + (<usize>r << 3), s);
    normalizeRow(row, width, weight, bias, m, s, out + <usize>r * rowBytes);
  }
}

/**
 * With x̂ = (x − mean)·rstd and ĝ = gy·weight: dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂));
 * dw[j] += Σ_r gy·x̂ and db[j] += Σ_r gy (columns in lanes: each column's sum stays in row order).
 */
export function layerNormBackwardF32(
  gy: usize, x: usize, rows: i32, width: i32, weight: usize, mean: usize, rstd: usize, dx: usize, dw: usize, db: usize,
): void {
  const rowBytes = <usize>width << 2;
  const n = <f64>width;
  for (let r = 0; r < rows; r++) {
    const gRow = gy + <usize>r * rowBytes, xRow = x + <usize>r * rowBytes;
    const m = load<f64>(mean + (<usize>r << 3)), s = load<f64>(rstd + (<usize>r << 3));
    const mv = f64x2.splat(m), sv = f64x2.splat(s);
    let sumG: f64 = 0, sumGX: f64 = 0;
    let g = gRow, p = xRow, wp = weight, dwp = dw, dbp = db;
    let j = 0;
    for (; j + 4 <= width; j += 4, g += 16, p += 16, wp += 16, dwp += 32, dbp += 32) {
      const gv = v128.load(g), xv = v128.load(p);
      const gLo = f64x2.promote_low_f32x4(gv), gHi = widenHigh(gv);
      const xLo = f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(xv), mv), sv);
      const xHi = f64x2.mul(f64x2.sub(widenHigh(xv), mv), sv);
      if (dw != 0) {
        v128.store(dwp, f64x2.add(v128.load(dwp), f64x2.mul(gLo, xLo)));
        v128.store(dwp + 16, f64x2.add(v128.load(dwp + 16), f64x2.mul(gHi, xHi)));
      }
      if (db != 0) {
        v128.store(dbp, f64x2.add(v128.load(dbp), gLo));
        v128.store(dbp + 16, f64x2.add(v128.load(dbp + 16), gHi));
      }
      let wLo = gLo, wHi = gHi;
      if (weight != 0) {
        const wv = v128.load(wp);
        wLo = f64x2.mul(gLo, f64x2.promote_low_f32x4(wv));
        wHi = f64x2.mul(gHi, widenHigh(wv));
      }
      const pLo = f64x2.mul(wLo, xLo), pHi = f64x2.mul(wHi, xHi);
      // Added lane by lane in element order, as the scalar loop does.
      sumG = (((sumG + f64x2.extract_lane(wLo, 0)) + f64x2.extract_lane(wLo, 1)) + f64x2.extract_lane(wHi, 0)) + f64x2.extract_lane(wHi, 1);
      sumGX = (((sumGX + f64x2.extract_lane(pLo, 0)) + f64x2.extract_lane(pLo, 1)) + f64x2.extract_lane(pHi, 0)) + f64x2.extract_lane(pHi, 1);
    }
    for (; j < width; j++, g += 4, p += 4, wp += 4, dwp += 8, dbp += 8) {
      const gs = <f64>load<f32>(g);
      const xhat = (<f64>load<f32>(p) - m) * s;
      if (dw != 0) store<f64>(dwp, load<f64>(dwp) + gs * xhat);
      if (db != 0) store<f64>(dbp, load<f64>(dbp) + gs);
      const gw = weight != 0 ? gs * <f64>load<f32>(wp) : gs;
      sumG += gw;
      sumGX += gw * xhat;
    }
    if (dx == 0) continue;
    const meanG = sumG / n, meanGX = sumGX / n;
    const gmv = f64x2.splat(meanG), kv = f64x2.splat(meanGX);
    g = gRow; p = xRow; wp = weight;
    let o = dx + <usize>r * rowBytes;
    j = 0;
    for (; j + 4 <= width; j += 4, g += 16, p += 16, wp += 16, o += 16) {
      const gv = v128.load(g), xv = v128.load(p);
      let wLo = f64x2.promote_low_f32x4(gv), wHi = widenHigh(gv);
      if (weight != 0) {
        const wv = v128.load(wp);
        wLo = f64x2.mul(wLo, f64x2.promote_low_f32x4(wv));
        wHi = f64x2.mul(wHi, widenHigh(wv));
      }
      const xLo = f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(xv), mv), sv);
      const xHi = f64x2.mul(f64x2.sub(widenHigh(xv), mv), sv);
      const lo = f64x2.mul(sv, f64x2.sub(f64x2.sub(wLo, gmv), f64x2.mul(xLo, kv)));
      const hi = f64x2.mul(sv, f64x2.sub(f64x2.sub(wHi, gmv), f64x2.mul(xHi, kv)));
      v128.store(o, narrow(lo, hi));
    }
    for (; j < width; j++, g += 4, p += 4, wp += 4, o += 4) {
      const xhat = (<f64>load<f32>(p) - m) * s;
      const gw = weight != 0 ? <f64>load<f32>(g) * <f64>load<f32>(wp) : <f64>load<f32>(g);
      store<f32>(o, <f32>(s * (gw - meanG - xhat * meanGX)));
    }
  }
}
