// Checks GELU's polynomial fast path (native/src/gelu_piecewise.h) on every
// float32 input it can take: the largest differences of the polynomials
// from the table path's Φ and Φ + xφ (which the bounds in the header must
// exceed), and that wherever the AVX-512 fast path commits itself (gelu_pair,
// gelu_backward_pair) it gives the table path's bits (the gradient for
// several gradients per input). Build and
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

// The table path's Φ (cdf) and Φ + xφ (slope) for one vector, as gelu_backward_vector computes them.
BACKPROP_TARGET void table_path(D v, D* cdf_twice, D* slope) {
  const double pdf_scale = 0.5 * M_2_SQRTPI * M_SQRT1_2;
  const D e = unary_simd::erf_table<S>(S::mul(v, S::set1(M_SQRT1_2)));
  *cdf_twice = S::add(S::set1(1.0), e);
  const D cdf = S::mul(S::set1(0.5), *cdf_twice);
  const D pdf = S::mul(S::mul(v, S::set1(pdf_scale)), unary_simd::exp_core<S>(S::mul(S::mul(S::set1(-0.5), v), v)));
  *slope = S::add(cdf, pdf);
}

BACKPROP_TARGET int run() {
  double worst_cdf = 0, worst_slope = 0;
  long inputs = 0, fast = 0, fast_grad = 0, grads_tried = 0, mismatches = 0;
  const uint32_t last = bits_of(3.5356f);
  alignas(64) float x[16], out[16], want[16], g[16], gout[16], gwant[16];
  alignas(64) double pc[8], tc[8], pp[8], tp[8];
  // Gradients: ordinary, tiny, huge, subnormal.
  const float grads[] = {1.0f, -0.37f, 3.1e-3f, 7.9e4f, 1e-38f, -2.5e-44f, 3e38f};
  for (uint32_t start = 0; start <= last; start += 16) {
    for (int sign = 0; sign < 2; sign++) {
      for (int l = 0; l < 16; l++) x[l] = from_bits((start + l) | (sign ? 0x80000000u : 0u));
      const D v[2] = {S::load(x), S::load(x + 8)};
      if (!unary_simd::table_covers<S>(v[0]) || !unary_simd::table_covers<S>(v[1])) continue;  // no fast path
      inputs += 16;
      D cdf_twice[2], slope[2];
      for (int h = 0; h < 2; h++) {
        table_path(v[h], &cdf_twice[h], &slope[h]);
        _mm512_store_pd(tc, S::mul(S::set1(0.5), cdf_twice[h]));
        _mm512_store_pd(tp, slope[h]);
        _mm512_store_pd(pc, unary_simd::piecewise<S>(kGeluCdf, v[h]));
        _mm512_store_pd(pp, unary_simd::piecewise<S>(kGeluSlope, v[h]));
        for (int l = 0; l < 8; l++) {
          worst_cdf = std::fmax(worst_cdf, std::fabs(pc[l] - tc[l]));
          worst_slope = std::fmax(worst_slope, std::fabs(pp[l] - tp[l]));
        }
        // What the table path stores, rounded from double.
        S::store(want + 8 * h, S::mul(S::mul(S::set1(0.5), v[h]), cdf_twice[h]));
      }
      // The fast path, where it commits itself, against the table path bit for bit.
      if (unary_simd::gelu_pair<S>(x, out)) {
        fast += 16;
        for (int l = 0; l < 16; l++) mismatches += bits_of(out[l]) != bits_of(want[l]);
      }
      for (float gs : grads) {
        for (int l = 0; l < 16; l++) g[l] = gs * (l % 3 == 0 ? 1.0f : l % 3 == 1 ? -1.37f : 0.11f);
        for (int h = 0; h < 2; h++) S::store(gwant + 8 * h, S::mul(S::load(g + 8 * h), slope[h]));
        grads_tried += 16;
        if (unary_simd::gelu_backward_pair<S>(g, x, gout)) {
          fast_grad += 16;
          for (int l = 0; l < 16; l++) mismatches += bits_of(gout[l]) != bits_of(gwant[l]);
        }
      }
    }
  }
  std::printf("inputs %ld (fast path taken for %ld; gradients %ld of %ld)\n", inputs, fast, fast_grad, grads_tried);
  std::printf("largest |poly - table|: cdf %.3e (bound %.3e), slope %.3e (bound %.3e); mismatches %ld\n", worst_cdf,
              kGeluCdfBound, worst_slope, kGeluSlopeBound, mismatches);
  const bool ok = mismatches == 0 && 2 * worst_cdf <= kGeluCdfBound && 2 * worst_slope <= kGeluSlopeBound;
  std::printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace backprop

int main() { return backprop::run(); }
