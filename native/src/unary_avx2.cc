// exp, sigmoid, tanh, erf and GELU on float32 with AVX2 and FMA: 4 double lanes per
// vector (unary.inc). Built with a function-level target attribute and
// called only after the CPU said it has the instructions.
#include "elementwise.h"
#include "gelu_piecewise.h"

#include <cmath>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

// GCC 12 warns about the undefined source vector inside its own
// _mm256_i32gather_pd (as GCC bug 105593 for AVX-512), a false alarm.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#define BACKPROP_TARGET __attribute__((target("avx2,fma")))

namespace backprop {
namespace {

struct Avx2 {
  using D = __m256d;
  static constexpr int W = 4;
  static constexpr bool kPiecewise = false;  // GELU: the table path only
  BACKPROP_TARGET static inline D load(const float* p) { return _mm256_cvtps_pd(_mm_loadu_ps(p)); }
  BACKPROP_TARGET static inline void store(float* p, D x) { _mm_storeu_ps(p, _mm256_cvtpd_ps(x)); }
  BACKPROP_TARGET static inline void store_double(double* p, D x) { _mm256_storeu_pd(p, x); }
  // Table lookups (erf): an int32 index per lane.
  using I = __m128i;
  BACKPROP_TARGET static inline I to_index(D x) { return _mm256_cvttpd_epi32(x); }
  BACKPROP_TARGET static inline D from_index(I i) { return _mm256_cvtepi32_pd(i); }
  BACKPROP_TARGET static inline I mul_index(I i, int k) { return _mm_mullo_epi32(i, _mm_set1_epi32(k)); }
  BACKPROP_TARGET static inline D gather(const double* base, I i) { return _mm256_i32gather_pd(base, i, 8); }
  static constexpr bool kRowLoads = false;  // erf's coefficients by gathers
  BACKPROP_TARGET static inline bool all_lt(D a, D b) { return _mm256_movemask_pd(_mm256_cmp_pd(a, b, _CMP_LT_OQ)) == 0xF; }
  BACKPROP_TARGET static inline D set1(double x) { return _mm256_set1_pd(x); }
  BACKPROP_TARGET static inline D add(D a, D b) { return _mm256_add_pd(a, b); }
  BACKPROP_TARGET static inline D sub(D a, D b) { return _mm256_sub_pd(a, b); }
  BACKPROP_TARGET static inline D mul(D a, D b) { return _mm256_mul_pd(a, b); }
  BACKPROP_TARGET static inline D div(D a, D b) { return _mm256_div_pd(a, b); }
  BACKPROP_TARGET static inline D fma(D a, D b, D c) { return _mm256_fmadd_pd(a, b, c); }
  BACKPROP_TARGET static inline D fnma(D a, D b, D c) { return _mm256_fnmadd_pd(a, b, c); }
  BACKPROP_TARGET static inline D max(D a, D b) { return _mm256_max_pd(a, b); }
  BACKPROP_TARGET static inline D min(D a, D b) { return _mm256_min_pd(a, b); }
  BACKPROP_TARGET static inline D abs(D a) { return _mm256_andnot_pd(_mm256_set1_pd(-0.0), a); }
  BACKPROP_TARGET static inline D round(D a) { return _mm256_round_pd(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  // p·2^n with 2^n built from its exponent bits; n stays within [-1022, 1023]
  // for the callers' clamped arguments (a NaN n gives garbage times NaN p).
  BACKPROP_TARGET static inline D scale(D p, D n) {
    const __m256i e = _mm256_cvtepi32_epi64(_mm256_cvtpd_epi32(n));
    return _mm256_mul_pd(p, _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_add_epi64(e, _mm256_set1_epi64x(1023)), 52)));
  }
  BACKPROP_TARGET static inline D lt(D a, D b) { return _mm256_cmp_pd(a, b, _CMP_LT_OQ); }
  BACKPROP_TARGET static inline D blend(D m, D a, D b) { return _mm256_blendv_pd(a, b, m); }
  BACKPROP_TARGET static inline D copysign(D mag, D sign) {
    return _mm256_or_pd(mag, _mm256_and_pd(sign, _mm256_set1_pd(-0.0)));
  }
};

#include "unary.inc"

}  // namespace

bool avx2_unary(UnaryKernels* k) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return false;
  *k = {"avx2", unary_simd::unary_f32<Avx2>, unary_simd::exp_shifted<Avx2>, unary_simd::gelu_backward<Avx2>};
  return true;
}

}  // namespace backprop

#else

namespace backprop {
bool avx2_unary(UnaryKernels*) { return false; }
}  // namespace backprop

#endif
