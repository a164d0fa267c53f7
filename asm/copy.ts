/**
 * The strided copy of a view into contiguous storage (contiguous(), a
 * permute's or a narrow's copy, the heads of attention gathered and
 * scattered): float32 elements walked with element strides over a shape,
 * written row-major. Runs of the innermost dimension with step 1 move four
 * floats per instruction; loads and stores move bits, so NaN payloads and
 * signed zeros come through unchanged.
 */

/**
 * out[i] for i in row-major order over `shape` = the f32 at
 * src + 4·Σ index[d]·stride[d]. `dims` holds nd i32 sizes, then nd i32
 * element strides (none negative), then nd i32 words of scratch for the
 * index counters. nd ≥ 1; every size ≥ 1.
 */
export function copyStridedF32(src: usize, dims: usize, nd: i32, out: usize): void {
  const strides = dims + (<usize>nd << 2), counter = strides + (<usize>nd << 2);
  let total: i32 = 1;
  for (let d = 0; d < nd; d++) {
    total *= load<i32>(dims + (<usize>d << 2));
    store<i32>(counter + (<usize>d << 2), 0);
  }
  const n = load<i32>(dims + (<usize>(nd - 1) << 2));
  const step = load<i32>(strides + (<usize>(nd - 1) << 2));
  const stepBytes = <usize>step << 2;
  let at = src;
  for (let done = 0; done < total; done += n) {
    if (step == 1) {
      let j = 0;
      for (; j + 4 <= n; j += 4) v128.store(out + (<usize>j << 2), v128.load(at + (<usize>j << 2)));
      for (; j < n; j++) store<f32>(out + (<usize>j << 2), load<f32>(at + (<usize>j << 2)));
    } else {
      let from = at;
      for (let j = 0; j < n; j++) {
        store<f32>(out + (<usize>j << 2), load<f32>(from));
        from += stepBytes;
      }
    }
    out += <usize>n << 2;
    // Odometer over the outer dimensions, innermost first.
    for (let d = nd - 2; d >= 0; d--) {
      const c = counter + (<usize>d << 2);
      const size = load<i32>(dims + (<usize>d << 2)), stride = <usize>load<i32>(strides + (<usize>d << 2)) << 2;
      const next = load<i32>(c) + 1;
      if (next < size) {
        store<i32>(c, next);
        at += stride;
        break;
      }
      store<i32>(c, 0);
      at -= stride * <usize>(size - 1);
    }
  }
}
