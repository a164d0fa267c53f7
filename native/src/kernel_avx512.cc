// AVX-512 micro-kernels: NR = two 512-bit vectors of B, MR rows of A
// broadcast one at a time, 2 x MR accumulators held in registers (of 32).
// Compiled with a function-level target attribute, so this file builds with
// the default flags and is only called after the CPU said it supports it.
#include "microkernel.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define BACKPROP_TARGET __attribute__((target("avx512f,avx512dq,avx512vl,avx2,fma")))

namespace backprop {
namespace {

struct F32x16 {
  using T = float;
  using V = __m512;
  static constexpr int W = 16;
  BACKPROP_TARGET static inline V zero() { return _mm512_setzero_ps(); }
  BACKPROP_TARGET static inline V load(const T* p) { return _mm512_load_ps(p); }
  BACKPROP_TARGET static inline V loadu(const T* p) { return _mm512_loadu_ps(p); }
  BACKPROP_TARGET static inline V set1(T v) { return _mm512_set1_ps(v); }
  BACKPROP_TARGET static inline V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  BACKPROP_TARGET static inline V add(V a, V b) { return _mm512_add_ps(a, b); }
  BACKPROP_TARGET static inline void storeu(T* p, V v) { _mm512_storeu_ps(p, v); }
};

struct F64x8 {
  using T = double;
  using V = __m512d;
  static constexpr int W = 8;
  BACKPROP_TARGET static inline V zero() { return _mm512_setzero_pd(); }
  BACKPROP_TARGET static inline V load(const T* p) { return _mm512_load_pd(p); }
  BACKPROP_TARGET static inline V loadu(const T* p) { return _mm512_loadu_pd(p); }
  BACKPROP_TARGET static inline V set1(T v) { return _mm512_set1_pd(v); }
  BACKPROP_TARGET static inline V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  BACKPROP_TARGET static inline V add(V a, V b) { return _mm512_add_pd(a, b); }
  BACKPROP_TARGET static inline void storeu(T* p, V v) { _mm512_storeu_pd(p, v); }
};

#include "tile.inc"

}  // namespace

bool avx512_kernels(MicroKernel<float>* f32, MicroKernel<double>* f64) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512dq")) return false;
  // kc = 1024: each slice of K beyond the first reads and rewrites C's tiles,
  // and on large products those are out of cache; 1024-deep slices (A block
  // 688 KB, in L2) measured ~6% faster than 512 at n = 2048, the same below.
  // nc = 2048 keeps a packed B block at 8 MB, as 512 x 4096 was.
  // Products at most one vector wide (attention heads of 16, narrow
  // layers) take a 16 x 1-vector tile: no columns of padding, and 16-row
  // tiles fit 16- and 32-row operands exactly.
  static const MicroKernel<float> narrow32 = {"avx512", 16, 16, 160, 1024, 2048, tile<F32x16, 16, 1>, tile_at<F32x16, 16, 1>,
                                              4, 6, 16, dot_block<F32x16, 4, 6>, pack_panels_avx512};
  static const MicroKernel<double> narrow64 = {"avx512", 16, 8, 112, 384, 2048, tile<F64x8, 16, 1>, tile_at<F64x8, 16, 1>,
                                               4, 6, 8, dot_block<F64x8, 4, 6>, pack_panels_avx512};
  *f32 = {"avx512", 14, 32, 168, 1024, 2048, tile<F32x16, 14, 2>, tile_at<F32x16, 14, 2>, 4, 6, 16, dot_block<F32x16, 4, 6>,
          pack_panels_avx512, &narrow32};
  *f64 = {"avx512", 14, 16, 112, 384, 2048, tile<F64x8, 14, 2>, tile_at<F64x8, 14, 2>, 4, 6, 8, dot_block<F64x8, 4, 6>,
          pack_panels_avx512, &narrow64};
  return true;
}

}  // namespace backprop

#else

namespace backprop {
bool avx512_kernels(MicroKernel<float>*, MicroKernel<double>*) { return false; }
}  // namespace backprop

#endif
