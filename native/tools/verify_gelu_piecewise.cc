// Checks GELU's polynomial fast path (native/src/gelu_piecewise.h) on every
// float32 input it can take: the largest differences of the polynomials
// from the table path's Φ and Φ + xφ (which the bounds in the header must
// exceed), and that the AVX-512 GELU kernel gives the table path's bits for
// every such input (the gradient for several gradients per input). Build and
// run from the repository root on an AVX-512 machine:
//
//   g++ -O2 -std=c++17 -ffp-contract=off -Inative/src native/tools/verify_gelu_piecewise.cc \
//       native/src/elementwise.cc native/src/unary_avx2.cc native/src/thread_pool.cc -pthread -o /tmp/verify_gelu
//   /tmp/verify_gelu
#include "../src/unary_avx512.cc"

#include <cstdio>
#include <cstring>

namespace backprop {
namespace {

using S = Avx512;
using D = S::D;

float from_bits(uint32_t b) { float f; std::memcpy(&f, &b, 4); return f; }
uint32_t bits_of(float f) { uint32_t b; std::memcpy(&b, &f, 4); return b; }

BACKPROP_TARGET int run() {
  const double pdf_scale = 0.5 * M_2_SQRTPI * M_SQRT1_2;
  double worst_cdf = 0, worst_slope = 0;
  long inputs = 0, mismatches = 0;
  const uint32_t last = bits_of(3.5356f);
  alignas(64) float x[8], out[8], want[8], g[8], gout[8], gwant[8];
  alignas(64) double pc[8], tc[8], pp[8], tp[8];
  // Gradients: ordinary, tiny, huge, subnormal.
  const float grads[] = {1.0f, -0.37f, 3.1e-3f, 7.9e4f, 1e-38f, -2.5e-44f, 3e38f};
  for (uint32_t start = 0; start <= last; start += 8) {
    for (int sign = 0; sign < 2; sign++) {
      for (int l = 0; l < 8; l++) x[l] = from_bits((start + l) | (sign ? 0x80000000u : 0u));
      const D v = S::load(x);
      const D z = S::mul(v, S::set1(M_SQRT1_2));
      if (!S::all_lt(S::abs(z), S::set1(2.5))) continue;  // the fast path is not taken
      inputs += 8;
      const D e = unary_simd::erf_table<S>(z);
      const D cdf_half = S::add(S::set1(1.0), e);  // 2·C, C the table path's Φ
      const D cdf = S::mul(S::set1(0.5), cdf_half);
      const D pdf = S::mul(S::mul(v, S::set1(pdf_scale)), unary_simd::exp_core<S>(S::mul(S::mul(S::set1(-0.5), v), v)));
      const D slope = S::add(cdf, pdf);
      _mm512_store_pd(tc, cdf);
      _mm512_store_pd(tp, slope);
      _mm512_store_pd(pc, unary_simd::piecewise<S>(kGeluCdf, v));
      _mm512_store_pd(pp, unary_simd::piecewise<S>(kGeluSlope, v));
      for (int l = 0; l < 8; l++) {
        worst_cdf = std::fmax(worst_cdf, std::fabs(pc[l] - tc[l]));
        worst_slope = std::fmax(worst_slope, std::fabs(pp[l] - tp[l]));
      }
      // The kernel against the table path's formula, bit for bit.
      S::store(want, S::mul(S::mul(S::set1(0.5), v), cdf_half));
      unary_simd::erf_map<S, Unary::Gelu>(x, out, 8);
      for (int l = 0; l < 8; l++) mismatches += bits_of(out[l]) != bits_of(want[l]);
      for (float gs : grads) {
        for (int l = 0; l < 8; l++) g[l] = gs * (l % 3 == 0 ? 1.0f : l % 3 == 1 ? -1.37f : 0.11f);
        S::store(gwant, S::mul(S::load(g), slope));
        unary_simd::gelu_backward<S>(g, x, gout, 8);
        for (int l = 0; l < 8; l++) mismatches += bits_of(gout[l]) != bits_of(gwant[l]);
      }
    }
  }
  std::printf("inputs %ld, largest |poly - table|: cdf %.3e (bound %.3e), slope %.3e (bound %.3e); mismatches %ld\n",
              inputs, worst_cdf, kGeluCdfBound, worst_slope, kGeluSlopeBound, mismatches);
  const bool ok = mismatches == 0 && 2 * worst_cdf <= kGeluCdfBound && 2 * worst_slope <= kGeluSlopeBound;
  std::printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace backprop

int main() { return backprop::run(); }
