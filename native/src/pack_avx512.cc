// AVX-512 packing for the GEMM (gemm_parts.h, pack_panels): the same panels
// as the portable loops, written a vector at a time. Packing a row-major A
// (or a transposed B) moves each value across the panel's depth steps; the
// portable loop does that one value per load and store, ~12% of a 512 x 512
// float32 product's time (perf). Here 16 x 16 (float) or 8 x 8 (double)
// blocks are transposed in registers instead.
#include "microkernel.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define BACKPROP_TARGET __attribute__((target("avx512f")))

// GCC 12 flags the intrinsics' own "undefined" pass-through operand of the
// shuffles (_mm512_undefined_ps) as maybe uninitialized; it is never read.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace backprop {
namespace {

struct Pack32 {
  using T = float;
  using V = __m512;
  using M = __mmask16;
  static constexpr int W = 16;
  BACKPROP_TARGET static inline M first(long n) { return static_cast<M>((1u << n) - 1); }
  BACKPROP_TARGET static inline V zero() { return _mm512_setzero_ps(); }
  BACKPROP_TARGET static inline V load(M m, const T* p) { return _mm512_maskz_loadu_ps(m, p); }
  BACKPROP_TARGET static inline void store(T* p, M m, V v) { _mm512_mask_storeu_ps(p, m, v); }
  // r[i] = row i (16 values) in, r[j] = column j out.
  BACKPROP_TARGET static inline void transpose(V* r) {
    V a[16], b[16];
    for (int i = 0; i < 8; i++) {
      a[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
      a[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    // b[4q + j], 128-bit lane L: column 4L + j of rows 4q .. 4q+3.
    for (int q = 0; q < 4; q++) {
      const __m512d x = _mm512_castps_pd(a[4 * q]), y = _mm512_castps_pd(a[4 * q + 2]);
      const __m512d z = _mm512_castps_pd(a[4 * q + 1]), w = _mm512_castps_pd(a[4 * q + 3]);
      b[4 * q] = _mm512_castpd_ps(_mm512_unpacklo_pd(x, y));
      b[4 * q + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(x, y));
      b[4 * q + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(z, w));
      b[4 * q + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(z, w));
    }
    for (int j = 0; j < 4; j++) {
      const V c0 = _mm512_shuffle_f32x4(b[j], b[4 + j], 0x88), c1 = _mm512_shuffle_f32x4(b[j], b[4 + j], 0xDD);
      const V d0 = _mm512_shuffle_f32x4(b[8 + j], b[12 + j], 0x88), d1 = _mm512_shuffle_f32x4(b[8 + j], b[12 + j], 0xDD);
      r[j] = _mm512_shuffle_f32x4(c0, d0, 0x88);
      r[4 + j] = _mm512_shuffle_f32x4(c1, d1, 0x88);
      r[8 + j] = _mm512_shuffle_f32x4(c0, d0, 0xDD);
      r[12 + j] = _mm512_shuffle_f32x4(c1, d1, 0xDD);
    }
  }
};

struct Pack64 {
  using T = double;
  using V = __m512d;
  using M = __mmask8;
  static constexpr int W = 8;
  BACKPROP_TARGET static inline M first(long n) { return static_cast<M>((1u << n) - 1); }
  BACKPROP_TARGET static inline V zero() { return _mm512_setzero_pd(); }
  BACKPROP_TARGET static inline V load(M m, const T* p) { return _mm512_maskz_loadu_pd(m, p); }
  BACKPROP_TARGET static inline void store(T* p, M m, V v) { _mm512_mask_storeu_pd(p, m, v); }
  BACKPROP_TARGET static inline void transpose(V* r) {
    V a[8];
    for (int i = 0; i < 4; i++) {
      a[2 * i] = _mm512_unpacklo_pd(r[2 * i], r[2 * i + 1]);
      a[2 * i + 1] = _mm512_unpackhi_pd(r[2 * i], r[2 * i + 1]);
    }
    // a[2h + j], 128-bit lane L: column 2L + j of rows 2h, 2h+1.
    for (int j = 0; j < 2; j++) {
      const V c = _mm512_shuffle_f64x2(a[j], a[2 + j], 0x88), d = _mm512_shuffle_f64x2(a[j], a[2 + j], 0xDD);
      const V e = _mm512_shuffle_f64x2(a[4 + j], a[6 + j], 0x88), f = _mm512_shuffle_f64x2(a[4 + j], a[6 + j], 0xDD);
      r[j] = _mm512_shuffle_f64x2(c, e, 0x88);
      r[2 + j] = _mm512_shuffle_f64x2(d, f, 0x88);
      r[4 + j] = _mm512_shuffle_f64x2(c, e, 0xDD);
      r[6 + j] = _mm512_shuffle_f64x2(d, f, 0xDD);
    }
  }
};

// pack_panels (gemm_parts.h) for any panel width w: each panel is cut into
// groups of W lines; masked loads read only the lines and depth steps that
// exist (the rest are zero) and masked stores write only the panel's w lanes.
template <class S>
BACKPROP_TARGET void pack(const typename S::T* x, bool adjacent, long ld, long k, long first, long count, long p0, long kc,
                          int w, typename S::T* dst) {
  using T = typename S::T;
  using V = typename S::V;
  constexpr int W = S::W;
  const int groups = (w + W - 1) / W;
  if (adjacent) {
    // Depth step p's lines lie side by side in row p0 + p. Rows are far
    // apart (a new page each, often): walk each row once, across all the
    // panels, rather than every row once per panel.
    const long panels = (count + w - 1) / w;
    for (long p = 0; p < kc; p++) {
      const T* row = x + (p0 + p) * ld + first;
      for (long i = 0; i < panels; i++) {
        const long lines = count - i * w < w ? count - i * w : w;
        T* out = dst + i * w * kc + p * w;
        for (int g = 0; g < groups; g++) {
          const long have = lines - g * W;
          const int valid = have <= 0 ? 0 : have >= W ? W : static_cast<int>(have);
          const int width = w - g * W < W ? w - g * W : W;
          S::store(out + g * W, S::first(width), S::load(S::first(valid), row + i * w + g * W));
        }
      }
    }
    return;
  }
  for (long l0 = 0; l0 < count; l0 += w, dst += w * kc) {
    const long lines = count - l0 < w ? count - l0 : w;
    for (int g = 0; g < groups; g++) {
      const long have = lines - g * W;
      const int valid = have <= 0 ? 0 : have >= W ? W : static_cast<int>(have);
      const int width = w - g * W < W ? w - g * W : W;
      const typename S::M store_mask = S::first(width);
      // Each line is contiguous along the depth: transpose W x W blocks.
      const T* src = x + (first + l0 + g * W) * k + p0;
      for (long pb = 0; pb < kc; pb += W) {
        const int depth = kc - pb < W ? static_cast<int>(kc - pb) : W;
        const typename S::M depth_mask = S::first(depth);
        V r[W];
        for (int i = 0; i < W; i++) r[i] = i < valid ? S::load(depth_mask, src + i * k + pb) : S::zero();
        S::transpose(r);
        for (int j = 0; j < depth; j++) S::store(dst + (pb + j) * w + g * W, store_mask, r[j]);
      }
    }
  }
}

}  // namespace

void pack_panels_avx512(const float* x, bool adjacent, long ld, long k, long first, long count, long p0, long kc, int w,
                        float* dst) {
  pack<Pack32>(x, adjacent, ld, k, first, count, p0, kc, w, dst);
}

void pack_panels_avx512(const double* x, bool adjacent, long ld, long k, long first, long count, long p0, long kc, int w,
                        double* dst) {
  pack<Pack64>(x, adjacent, ld, k, first, count, p0, kc, w, dst);
}

}  // namespace backprop

#endif
