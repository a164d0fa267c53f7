/**
 * Float32 sums over the middle axis of a contiguous [outer, axis, inner]
 * block. They accumulate in float64, as the JS and native kernels do, and
 * round to float32 once: a float32 accumulator loses ~n·2^-24 relative over
 * n terms (2e-5 for 4,800 equal terms), a float64 one ~n·2^-53, far below
 * the one rounding of the result.
 */

/** Lanes 2 and 3 of four floats, widened to two doubles (promote_low widens lanes 0 and 1). */
@inline function widenHigh(v: v128): v128 {
  return f64x2.promote_low_f32x4(i64x2.shuffle(v, v, 1, 1));
}

/**
 * out[o, i] = Σ_k x[o, k, i]. With inner == 1 each row is summed in four
 * float64 lanes and folded at the end; otherwise whole inner rows are added
 * elementwise into `acc` (8·inner bytes of scratch, 16-byte aligned), which
 * is how a bias gradient (sum over the batch) runs.
 */
export function sumF32(x: usize, outer: i32, axis: i32, inner: i32, out: usize, acc: usize): void {
  const rowBytes = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const base = x + <usize>o * <usize>axis * rowBytes;
    const dst = out + <usize>o * rowBytes;
    if (inner == 1) {
      let lo = f64x2.splat(0), hi = f64x2.splat(0);
      let k = 0;
      let p = base;
      for (; k + 4 <= axis; k += 4) {
        const v = v128.load(p);
        lo = f64x2.add(lo, f64x2.promote_low_f32x4(v));
        hi = f64x2.add(hi, widenHigh(v));
        p += 16;
      }
      // The tail joins lane 0 before the lanes combine: the native kernel's order, so the two agree bit for bit.
      let s0: f64 = f64x2.extract_lane(lo, 0);
      for (; k < axis; k++) { s0 += <f64>load<f32>(p); p += 4; }
      const s: f64 = (s0 + f64x2.extract_lane(lo, 1)) + (f64x2.extract_lane(hi, 0) + f64x2.extract_lane(hi, 1));
      store<f32>(dst, <f32>s);
    } else {
      memory.fill(acc, 0, <usize>inner << 3);
      for (let k = 0; k < axis; k++) {
        const row = base + <usize>k * rowBytes;
        let i = 0;
        for (; i + 4 <= inner; i += 4) {
          const v = v128.load(row + (<usize>i << 2));
          const a = acc + (<usize>i << 3);
          v128.store(a, f64x2.add(v128.load(a), f64x2.promote_low_f32x4(v)));
          v128.store(a + 16, f64x2.add(v128.load(a + 16), widenHigh(v)));
        }
        for (; i < inner; i++) {
          const a = acc + (<usize>i << 3);
          store<f64>(a, load<f64>(a) + <f64>load<f32>(row + (<usize>i << 2)));
        }
      }
      for (let i = 0; i < inner; i++) store<f32>(dst + (<usize>i << 2), <f32>load<f64>(acc + (<usize>i << 3)));
    }
  }
}
