/**
 * The fused attention's two elementwise passes on float32, as the JS
 * kernels compute them (src/backend/js/attention.ts): the scores scaled in
 * double and rounded once, causally masked with −∞; and the softmax's
 * gradient y·(gy − Σ gy·y)·scale, the row's sum in double in element order,
 * each output in double (the same two products) and rounded once. Every
 * step is a correctly rounded double operation in the same order, so the
 * results are the JS kernels' bits.
 */

/**
 * In place over `batch` contiguous [L, S] blocks of x: row i's first
 * min(i + 1, S) values (causal) or all S times scale, the rest −∞.
 */
export function attentionScoresF32(x: usize, batch: i32, L: i32, S: i32, scale: f64, causal: i32): void {
  const s = f64x2.splat(scale);
  const masked = f32x4.splat(-Infinity);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < L; i++) {
      const visible = causal ? min(i + 1, S) : S;
      let j = 0;
      // Four at a time: two float64 pairs, each product rounded once to float32.
      for (; j + 4 <= visible; j += 4) {
        const at = x + (<usize>j << 2);
        const v = v128.load(at);
        const lo = f32x4.demote_f64x2_zero(f64x2.mul(f64x2.promote_low_f32x4(v), s));
        const hi = f32x4.demote_f64x2_zero(f64x2.mul(f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3)), s));
        v128.store(at, v128.shuffle<f32>(lo, hi, 0, 1, 4, 5));
      }
      for (; j < visible; j++) {
        const at = x + (<usize>j << 2);
        store<f32>(at, <f32>(<f64>load<f32>(at) * scale));
      }
      for (; j + 4 <= S; j += 4) v128.store(x + (<usize>j << 2), masked);
      for (; j < S; j++) store<f32>(x + (<usize>j << 2), -Infinity);
      x += <usize>S << 2;
    }
  }
}

/**
 * out[r, j] = y[r, j]·(gy[r, j] − Σⱼ gy[r, j]·y[r, j])·scale over `rows` rows
 * of `width`; out may be gy. The products gy·y of two floats are exact in
 * double, and the sum adds them in element order.
 */
export function softmaxBackwardF32(y: usize, gy: usize, rows: i32, width: i32, scale: f64, out: usize): void {
  const s = f64x2.splat(scale);
  const rowBytes = <usize>width << 2;
  for (let r = 0; r < rows; r++) {
    let dot: f64 = 0;
    for (let j = 0; j < width; j++) {
      const at = <usize>j << 2;
      dot += <f64>load<f32>(gy + at) * <f64>load<f32>(y + at);
    }
    const d = f64x2.splat(dot);
    let j = 0;
    for (; j + 4 <= width; j += 4) {
      const at = <usize>j << 2;
      const yv = v128.load(y + at), gv = v128.load(gy + at);
      const yh = v128.shuffle<f32>(yv, yv, 2, 3, 2, 3), gh = v128.shuffle<f32>(gv, gv, 2, 3, 2, 3);
      const lo = f64x2.mul(f64x2.mul(f64x2.promote_low_f32x4(yv), f64x2.sub(f64x2.promote_low_f32x4(gv), d)), s);
      const hi = f64x2.mul(f64x2.mul(f64x2.promote_low_f32x4(yh), f64x2.sub(f64x2.promote_low_f32x4(gh), d)), s);
      v128.store(out + at, v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5));
    }
    for (; j < width; j++) {
      const at = <usize>j << 2;
      store<f32>(out + at, <f32>((<f64>load<f32>(y + at) * (<f64>load<f32>(gy + at) - dot)) * scale));
    }
    y += rowBytes;
    gy += rowBytes;
    out += rowBytes;
  }
}
