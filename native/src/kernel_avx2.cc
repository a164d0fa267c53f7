// AVX2 + FMA micro-kernels: NR = two 256-bit vectors of B, MR = 6 rows of A,
// 12 accumulators + 2 B vectors + 1 broadcast = 15 of the 16 registers.
#include "microkernel.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define BACKPROP_AVX2 __attribute__((target("avx2,fma")))

namespace backprop {
namespace {

struct F32x8 {
  using T = float;
  using V = __m256;
  static constexpr int W = 8;
  BACKPROP_AVX2 static inline V zero() { return _mm256_setzero_ps(); }
  BACKPROP_AVX2 static inline V load(const T* p) { return _mm256_load_ps(p); }
  BACKPROP_AVX2 static inline V loadu(const T* p) { return _mm256_loadu_ps(p); }
  BACKPROP_AVX2 static inline V set1(T v) { return _mm256_set1_ps(v); }
  BACKPROP_AVX2 static inline V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  BACKPROP_AVX2 static inline V add(V a, V b) { return _mm256_add_ps(a, b); }
  BACKPROP_AVX2 static inline void storeu(T* p, V v) { _mm256_storeu_ps(p, v); }
};

struct F64x4 {
  using T = double;
  using V = __m256d;
  static constexpr int W = 4;
  BACKPROP_AVX2 static inline V zero() { return _mm256_setzero_pd(); }
  BACKPROP_AVX2 static inline V load(const T* p) { return _mm256_load_pd(p); }
  BACKPROP_AVX2 static inline V loadu(const T* p) { return _mm256_loadu_pd(p); }
  BACKPROP_AVX2 static inline V set1(T v) { return _mm256_set1_pd(v); }
  BACKPROP_AVX2 static inline V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  BACKPROP_AVX2 static inline V add(V a, V b) { return _mm256_add_pd(a, b); }
  BACKPROP_AVX2 static inline void storeu(T* p, V v) { _mm256_storeu_pd(p, v); }
};

// Same scheme as the AVX-512 tile, with half-width vectors.
template <class S, int MR>
BACKPROP_AVX2 void tile(long kc, const typename S::T* a, const typename S::T* b, typename S::T* c, long ldc,
                        bool accumulate) {
  using V = typename S::V;
  V lo[MR], hi[MR];
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++) { lo[r] = S::zero(); hi[r] = S::zero(); }
#pragma GCC unroll 2
  for (long p = 0; p < kc; p++) {
    const V b0 = S::load(b), b1 = S::load(b + S::W);
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
      const V av = S::set1(a[r]);
      lo[r] = S::fma(av, b0, lo[r]);
      hi[r] = S::fma(av, b1, hi[r]);
    }
    a += MR;
    b += 2 * S::W;
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++) {
    typename S::T* row = c + r * ldc;
    if (accumulate) {
      lo[r] = S::add(lo[r], S::loadu(row));
      hi[r] = S::add(hi[r], S::loadu(row + S::W));
    }
    S::storeu(row, lo[r]);
    S::storeu(row + S::W, hi[r]);
  }
}

}  // namespace

bool avx2_kernels(MicroKernel<float>* f32, MicroKernel<double>* f64) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return false;
  *f32 = {"avx2", 6, 16, 144, 256, 4096, tile<F32x8, 6>};
  *f64 = {"avx2", 6, 8, 96, 256, 2048, tile<F64x4, 6>};
  return true;
}

}  // namespace backprop

#else

namespace backprop {
bool avx2_kernels(MicroKernel<float>*, MicroKernel<double>*) { return false; }
}  // namespace backprop

#endif
