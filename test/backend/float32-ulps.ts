/** Helpers for comparing float32 kernels bit for bit and in ulps (the wasm kernel tests). */

/** Bits of a float32 array, so that NaN and the sign of zero count. */
export function float32Bits(x: Float32Array): Int32Array {
  return new Int32Array(x.buffer, x.byteOffset, x.length);
}

/** The largest distance in ulps between two float32 arrays (NaN against NaN counts 0; both signs of zero are 0 apart). */
export function maxUlps(got: Float32Array, want: Float32Array): number {
  const g = float32Bits(got), w = float32Bits(want);
  let worst = 0;
  for (let i = 0; i < g.length; i++) {
    if (Number.isNaN(got[i]) && Number.isNaN(want[i])) continue;
    // The distance of the ordered integer forms.
    const order = (b: number) => (b < 0 ? -(b & 0x7fffffff) : b);
    worst = Math.max(worst, Math.abs(order(g[i]) - order(w[i])));
  }
  return worst;
}
