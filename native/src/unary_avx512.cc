// exp, sigmoid, tanh, erf and GELU on float32 with AVX-512: 8 double lanes per vector
// (unary.inc). Built with a function-level target attribute and called only
// after the CPU said it has the instructions.
#include "elementwise.h"
#include "gelu_piecewise.h"

#include <cmath>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include <cstdint>

// GCC 12 warns about the _mm512_undefined_* inside its own convert,
// roundscale, gather and shuffle intrinsics (GCC bug 105593), a false alarm.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#define BACKPROP_TARGET __attribute__((target("avx512f,avx2,fma")))

namespace backprop {
namespace {

struct Avx512 {
  using D = __m512d;
  static constexpr int W = 8;
  BACKPROP_TARGET static inline D load(const float* p) { return _mm512_cvtps_pd(_mm256_loadu_ps(p)); }
  BACKPROP_TARGET static inline void store(float* p, D x) { _mm256_storeu_ps(p, _mm512_cvtpd_ps(x)); }
  BACKPROP_TARGET static inline void store_double(double* p, D x) { _mm512_storeu_pd(p, x); }
  // Table lookups (erf): an int32 index per lane.
  using I = __m256i;
  BACKPROP_TARGET static inline I to_index(D x) { return _mm512_cvttpd_epi32(x); }
  BACKPROP_TARGET static inline D from_index(I i) { return _mm512_cvtepi32_pd(i); }
  BACKPROP_TARGET static inline I mul_index(I i, int k) { return _mm256_mullo_epi32(i, _mm256_set1_epi32(k)); }
  BACKPROP_TARGET static inline D gather(const double* base, I i) { return _mm512_i32gather_pd(i, base, 8); }
  // erf's table rows (9 coefficients each): row_start[i] is lane i's; c[d]
  // gets coefficient d of every lane, d < 8, by 8 row loads and an 8 x 8
  // transpose (24 shuffles), which beat 8 gathers.
  static constexpr bool kRowLoads = true;
  BACKPROP_TARGET static inline void rows(const double* table, I row_start, D* c) {
    alignas(32) int32_t at[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(at), row_start);
    D r[8];
    for (int i = 0; i < 8; i++) r[i] = _mm512_loadu_pd(table + at[i]);
    // Pairs of lanes: t[2q] holds rows 2q, 2q+1's even coefficients, t[2q+1] their odd ones.
    D t[8];
    for (int q = 0; q < 4; q++) {
      t[2 * q] = _mm512_unpacklo_pd(r[2 * q], r[2 * q + 1]);
      t[2 * q + 1] = _mm512_unpackhi_pd(r[2 * q], r[2 * q + 1]);
    }
    // Quads of rows: 128-bit blocks 0, 2 (coefficients d, d+4) and 1, 3 (d+2, d+6) gathered per pair.
    D u[8];
    for (int parity = 0; parity < 2; parity++) {
      for (int half = 0; half < 2; half++) {
        const D a = t[4 * half + parity], b = t[4 * half + 2 + parity];
        u[4 * half + parity] = _mm512_shuffle_f64x2(a, b, 0x88);      // coefficients parity, parity+4
        u[4 * half + 2 + parity] = _mm512_shuffle_f64x2(a, b, 0xDD);  // parity+2, parity+6
      }
    }
    for (int e = 0; e < 4; e++) {
      // u[e] (rows 0-3) and u[4+e] (rows 4-7) hold coefficient d0 = {0,1,2,3}[e] in blocks 0, 2 and d0+4 in 1, 3.
      const int d0 = (e & 1) + 2 * (e >> 1);
      c[d0] = _mm512_shuffle_f64x2(u[e], u[4 + e], 0x88);
      c[d0 + 4] = _mm512_shuffle_f64x2(u[e], u[4 + e], 0xDD);
    }
  }
  // GELU's polynomials (gelu_piecewise.h): 16 intervals, a coefficient per
  // lane picked from two registers by the lane's interval.
  static constexpr bool kPiecewise = true;
  using J = __m512i;
  BACKPROP_TARGET static inline D floor(D a) { return _mm512_roundscale_pd(a, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
  BACKPROP_TARGET static inline J piece_index(D whole) { return _mm512_cvtepi32_epi64(_mm512_cvttpd_epi32(whole)); }
  BACKPROP_TARGET static inline D pick(const double* row, J j) {
    return _mm512_permutex2var_pd(_mm512_load_pd(row), j, _mm512_load_pd(row + 8));
  }
  // Every lane: lo < hi, and both round to the same float (bit for bit, so ±0 differ).
  BACKPROP_TARGET static inline bool same_floats(D lo, D hi) {
    const __m256i a = _mm256_castps_si256(_mm512_cvtpd_ps(lo)), b = _mm256_castps_si256(_mm512_cvtpd_ps(hi));
    return _mm512_cmp_pd_mask(lo, hi, _CMP_LT_OQ) == 0xFF && _mm256_movemask_epi8(_mm256_cmpeq_epi32(a, b)) == -1;
  }
  BACKPROP_TARGET static inline bool all_lt(D a, D b) { return _mm512_cmp_pd_mask(a, b, _CMP_LT_OQ) == 0xFF; }
  BACKPROP_TARGET static inline D set1(double x) { return _mm512_set1_pd(x); }
  BACKPROP_TARGET static inline D add(D a, D b) { return _mm512_add_pd(a, b); }
  BACKPROP_TARGET static inline D sub(D a, D b) { return _mm512_sub_pd(a, b); }
  BACKPROP_TARGET static inline D mul(D a, D b) { return _mm512_mul_pd(a, b); }
  BACKPROP_TARGET static inline D div(D a, D b) { return _mm512_div_pd(a, b); }
  BACKPROP_TARGET static inline D fma(D a, D b, D c) { return _mm512_fmadd_pd(a, b, c); }
  BACKPROP_TARGET static inline D fnma(D a, D b, D c) { return _mm512_fnmadd_pd(a, b, c); }
  BACKPROP_TARGET static inline D max(D a, D b) { return _mm512_max_pd(a, b); }
  BACKPROP_TARGET static inline D min(D a, D b) { return _mm512_min_pd(a, b); }
  BACKPROP_TARGET static inline D abs(D a) { return _mm512_abs_pd(a); }
  BACKPROP_TARGET static inline D round(D a) { return _mm512_roundscale_pd(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  BACKPROP_TARGET static inline D scale(D p, D n) { return _mm512_scalef_pd(p, n); }
  BACKPROP_TARGET static inline __mmask8 lt(D a, D b) { return _mm512_cmp_pd_mask(a, b, _CMP_LT_OQ); }
  BACKPROP_TARGET static inline D blend(__mmask8 m, D a, D b) { return _mm512_mask_blend_pd(m, a, b); }
  BACKPROP_TARGET static inline D copysign(D mag, D sign) {
    const __m512i s = _mm512_and_epi64(_mm512_castpd_si512(sign), _mm512_set1_epi64(INT64_MIN));
    return _mm512_castsi512_pd(_mm512_or_epi64(_mm512_castpd_si512(mag), s));
  }
};

#include "unary.inc"

}  // namespace

bool avx512_unary(UnaryKernels* k) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512f")) return false;
  *k = {"avx512", unary_simd::unary_f32<Avx512>, unary_simd::exp_shifted<Avx512>, unary_simd::gelu_backward<Avx512>};
  return true;
}

}  // namespace backprop

#else

namespace backprop {
bool avx512_unary(UnaryKernels*) { return false; }
}  // namespace backprop

#endif
