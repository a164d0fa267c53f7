// AVX2 + FMA micro-kernels: NR = two 256-bit vectors of B, MR = 6 rows of A,
// 12 accumulators + 2 B vectors + 1 broadcast = 15 of the 16 registers.
#include "microkernel.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define BACKPROP_TARGET __attribute__((target("avx2,fma")))

namespace backprop {
namespace {

struct F32x8 {
  using T = float;
  using V = __m256;
  static constexpr int W = 8;
  BACKPROP_TARGET static inline V zero() { return _mm256_setzero_ps(); }
  BACKPROP_TARGET static inline V load(const T* p) { return _mm256_load_ps(p); }
  BACKPROP_TARGET static inline V loadu(const T* p) { return _mm256_loadu_ps(p); }
  BACKPROP_TARGET static inline V set1(T v) { return _mm256_set1_ps(v); }
  BACKPROP_TARGET static inline V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  BACKPROP_TARGET static inline V add(V a, V b) { return _mm256_add_ps(a, b); }
  BACKPROP_TARGET static inline void storeu(T* p, V v) { _mm256_storeu_ps(p, v); }
};

struct F64x4 {
  using T = double;
  using V = __m256d;
  static constexpr int W = 4;
  BACKPROP_TARGET static inline V zero() { return _mm256_setzero_pd(); }
  BACKPROP_TARGET static inline V load(const T* p) { return _mm256_load_pd(p); }
  BACKPROP_TARGET static inline V loadu(const T* p) { return _mm256_loadu_pd(p); }
  BACKPROP_TARGET static inline V set1(T v) { return _mm256_set1_pd(v); }
  BACKPROP_TARGET static inline V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  BACKPROP_TARGET static inline V add(V a, V b) { return _mm256_add_pd(a, b); }
  BACKPROP_TARGET static inline void storeu(T* p, V v) { _mm256_storeu_pd(p, v); }
};

#include "tile.inc"

}  // namespace

bool avx2_kernels(MicroKernel<float>* f32, MicroKernel<double>* f64) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return false;
  *f32 = {"avx2", 6, 16, 144, 256, 4096, tile<F32x8, 6, 2>, tile_at<F32x8, 6, 2>, 3, 3, 8, dot_block<F32x8, 3, 3>, nullptr};
  *f64 = {"avx2", 6, 8, 96, 256, 2048, tile<F64x4, 6, 2>, tile_at<F64x4, 6, 2>, 3, 3, 4, dot_block<F64x4, 3, 3>, nullptr};
  return true;
}

}  // namespace backprop

#else

namespace backprop {
bool avx2_kernels(MicroKernel<float>*, MicroKernel<double>*) { return false; }
}  // namespace backprop

#endif
