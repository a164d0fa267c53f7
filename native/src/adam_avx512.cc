// Adam's update with AVX-512: 16 float or 8 double lanes (adam.inc). Built
// with a function-level target attribute, called only after the CPU said it
// has the instructions. No "fma" in the target: the update must not fuse.
#include "optimizer.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

// GCC 12 warns about the _mm512_undefined_* inside its own sqrt and convert
// intrinsics (GCC bug 105593), a false alarm.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#define BACKPROP_TARGET __attribute__((target("avx512f,avx512dq")))

namespace backprop {
namespace {

struct Avx512 {
  using F = __m512;
  using D = __m512d;
  static constexpr int WF = 16, WD = 8;
  BACKPROP_TARGET static inline F loadf(const float* p) { return _mm512_loadu_ps(p); }
  BACKPROP_TARGET static inline void storef(float* p, F x) { _mm512_storeu_ps(p, x); }
  BACKPROP_TARGET static inline F set1f(float x) { return _mm512_set1_ps(x); }
  BACKPROP_TARGET static inline F mulf(F a, F b) { return _mm512_mul_ps(a, b); }
  BACKPROP_TARGET static inline F addf(F a, F b) { return _mm512_add_ps(a, b); }
  BACKPROP_TARGET static inline F divf(F a, F b) { return _mm512_div_ps(a, b); }
  BACKPROP_TARGET static inline F sqrtf(F a) { return _mm512_sqrt_ps(a); }
  BACKPROP_TARGET static inline F pickf(F vmax, F v) {
    const __mmask16 k = _mm512_cmp_ps_mask(vmax, v, _CMP_LT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    return _mm512_mask_blend_ps(k, vmax, v);
  }
  BACKPROP_TARGET static inline D loadd(const double* p) { return _mm512_loadu_pd(p); }
  BACKPROP_TARGET static inline void stored(double* p, D x) { _mm512_storeu_pd(p, x); }
  BACKPROP_TARGET static inline D set1d(double x) { return _mm512_set1_pd(x); }
  BACKPROP_TARGET static inline D muld(D a, D b) { return _mm512_mul_pd(a, b); }
  BACKPROP_TARGET static inline D addd(D a, D b) { return _mm512_add_pd(a, b); }
  BACKPROP_TARGET static inline D divd(D a, D b) { return _mm512_div_pd(a, b); }
  BACKPROP_TARGET static inline D sqrtd(D a) { return _mm512_sqrt_pd(a); }
  BACKPROP_TARGET static inline D pickd(D vmax, D v) {
    const __mmask8 k = _mm512_cmp_pd_mask(vmax, v, _CMP_LT_OQ) | _mm512_cmp_pd_mask(v, v, _CMP_UNORD_Q);
    return _mm512_mask_blend_pd(k, vmax, v);
  }
  BACKPROP_TARGET static inline D lo(F x) { return _mm512_cvtps_pd(_mm512_castps512_ps256(x)); }
  BACKPROP_TARGET static inline D hi(F x) { return _mm512_cvtps_pd(_mm512_extractf32x8_ps(x, 1)); }
  BACKPROP_TARGET static inline F join(D a, D b) {
    return _mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtpd_ps(a)), _mm512_cvtpd_ps(b), 1);
  }
};

#include "adam.inc"

}  // namespace

bool avx512_adam(AdamKernels* k) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512dq")) return false;
  *k = {"avx512", adam_f32<Avx512>, adam_f64<Avx512>};
  return true;
}

}  // namespace backprop

#else

namespace backprop {
bool avx512_adam(AdamKernels*) { return false; }
}  // namespace backprop

#endif
