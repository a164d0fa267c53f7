/** Float32 sums over the middle axis of a contiguous [outer, axis, inner] block. */

/**
 * out[o, i] = Σ_k x[o, k, i]. With inner == 1 each row is summed in four
 * lanes and folded at the end; otherwise whole inner rows are added
 * elementwise, which is how a bias gradient (sum over the batch) runs.
 */
export function sumF32(x: usize, outer: i32, axis: i32, inner: i32, out: usize): void {
  const rowBytes = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const base = x + <usize>o * <usize>axis * rowBytes;
    const dst = out + <usize>o * rowBytes;
    if (inner == 1) {
      let acc = f32x4.splat(0);
      let k = 0;
      let p = base;
      for (; k + 4 <= axis; k += 4) { acc = f32x4.add(acc, v128.load(p)); p += 16; }
      let s: f32 = (f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
      for (; k < axis; k++) { s += load<f32>(p); p += 4; }
      store<f32>(dst, s);
    } else {
      memory.copy(dst, base, rowBytes);
      for (let k = 1; k < axis; k++) {
        const row = base + <usize>k * rowBytes;
        let i = 0;
        for (; i + 4 <= inner; i += 4) {
          const off = <usize>i << 2;
          v128.store(dst + off, f32x4.add(v128.load(dst + off), v128.load(row + off)));
        }
        for (; i < inner; i++) {
          const off = <usize>i << 2;
          store<f32>(dst + off, load<f32>(dst + off) + load<f32>(row + off));
        }
      }
    }
  }
}
