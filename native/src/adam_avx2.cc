// Adam's update with AVX2: 8 float or 4 double lanes (adam.inc). Built with
// a function-level target attribute, called only after the CPU said it has
// the instructions. No "fma" in the target: the update must not fuse.
#include "optimizer.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define BACKPROP_TARGET __attribute__((target("avx2")))

namespace backprop {
namespace {

struct Avx2 {
  using F = __m256;
  using D = __m256d;
  static constexpr int WF = 8, WD = 4;
  BACKPROP_TARGET static inline F loadf(const float* p) { return _mm256_loadu_ps(p); }
  BACKPROP_TARGET static inline void storef(float* p, F x) { _mm256_storeu_ps(p, x); }
  BACKPROP_TARGET static inline F set1f(float x) { return _mm256_set1_ps(x); }
  BACKPROP_TARGET static inline F mulf(F a, F b) { return _mm256_mul_ps(a, b); }
  BACKPROP_TARGET static inline F addf(F a, F b) { return _mm256_add_ps(a, b); }
  BACKPROP_TARGET static inline F divf(F a, F b) { return _mm256_div_ps(a, b); }
  BACKPROP_TARGET static inline F sqrtf(F a) { return _mm256_sqrt_ps(a); }
  BACKPROP_TARGET static inline F pickf(F vmax, F v) {
    const F take = _mm256_or_ps(_mm256_cmp_ps(vmax, v, _CMP_LT_OQ), _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    return _mm256_blendv_ps(vmax, v, take);
  }
  BACKPROP_TARGET static inline D loadd(const double* p) { return _mm256_loadu_pd(p); }
  BACKPROP_TARGET static inline void stored(double* p, D x) { _mm256_storeu_pd(p, x); }
  BACKPROP_TARGET static inline D set1d(double x) { return _mm256_set1_pd(x); }
  BACKPROP_TARGET static inline D muld(D a, D b) { return _mm256_mul_pd(a, b); }
  BACKPROP_TARGET static inline D addd(D a, D b) { return _mm256_add_pd(a, b); }
  BACKPROP_TARGET static inline D divd(D a, D b) { return _mm256_div_pd(a, b); }
  BACKPROP_TARGET static inline D sqrtd(D a) { return _mm256_sqrt_pd(a); }
  BACKPROP_TARGET static inline D pickd(D vmax, D v) {
    const D take = _mm256_or_pd(_mm256_cmp_pd(vmax, v, _CMP_LT_OQ), _mm256_cmp_pd(v, v, _CMP_UNORD_Q));
    return _mm256_blendv_pd(vmax, v, take);
  }
  BACKPROP_TARGET static inline D lo(F x) { return _mm256_cvtps_pd(_mm256_castps256_ps128(x)); }
  BACKPROP_TARGET static inline D hi(F x) { return _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1)); }
  BACKPROP_TARGET static inline F join(D a, D b) {
    return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm256_cvtpd_ps(a)), _mm256_cvtpd_ps(b), 1);
  }
};

#include "adam.inc"

}  // namespace

bool avx2_adam(AdamKernels* k) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2")) return false;
  *k = {"avx2", adam_f32<Avx2>, adam_f64<Avx2>};
  return true;
}

}  // namespace backprop

#else

namespace backprop {
bool avx2_adam(AdamKernels*) { return false; }
}  // namespace backprop

#endif
