// Adam's update, transcribed from src/optim/adam.ts. JS computes every
// expression in double and rounds to the parameter's dtype where it calls
// r(); here `r` does the same, and every other intermediate is a double.
// A fused multiply-add would skip a rounding JS performs, so contraction is
// turned off for this file.
#include "optimizer.h"

#include <cmath>

#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace backprop {

template <typename T>
static inline double r(double x) {
  return static_cast<double>(static_cast<T>(x));
}

template <typename T>
void adam_update(T* p, const T* grad, T* m, T* v, T* v_max, long n, const AdamScalars& s) {
  for (long i = 0; i < n; i++) {
    double pi = p[i];
    if (s.shrink != 1) pi = r<T>(pi * s.shrink);
    const double gi = s.l2 != 0 ? r<T>(pi * s.l2 + double(grad[i])) : double(grad[i]);
    const double mi = r<T>(gi * s.one_minus_beta1 + r<T>(double(m[i]) * s.beta1));
    const double vi = r<T>(r<T>(s.one_minus_beta2 * gi) * gi + r<T>(double(v[i]) * s.beta2));
    m[i] = static_cast<T>(mi);
    v[i] = static_cast<T>(vi);
    double second = vi;
    if (v_max) {
      if (double(v_max[i]) < second || second != second) v_max[i] = static_cast<T>(second);
      second = v_max[i];
    }
    const double denom = r<T>(r<T>(r<T>(std::sqrt(second)) / s.bc2_sqrt) + s.eps);
    p[i] = static_cast<T>(r<T>(pi + r<T>(r<T>(s.neg_step_size * mi) / denom)));
  }
}

template void adam_update<float>(float*, const float*, float*, float*, float*, long, const AdamScalars&);
template void adam_update<double>(double*, const double*, double*, double*, double*, long, const AdamScalars&);

}  // namespace backprop
