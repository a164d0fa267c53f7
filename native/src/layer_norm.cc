// Layer-norm kernels (layer_norm.h): the JS kernels' loops, in the same order.
#include "layer_norm.h"

#include <cmath>

#include "thread_pool.h"

namespace backprop {
namespace {

// Elements from which the forward pass is split over the pool (waking workers costs a few µs).
constexpr double kParallelMin = 1 << 15;

}  // namespace

template <typename T>
void layer_norm_forward(const T* x, long rows, long width, const T* weight, const T* bias, double eps, T* out, double* mean,
                        double* rstd) {
  const double n = static_cast<double>(width);
  parallel_for(rows, static_cast<double>(rows) * width, kParallelMin, [&](long r0, long r1) {
    for (long r = r0; r < r1; r++) {
      const T* p = x + r * width;
      T* o = out + r * width;
      double sum = 0;
      for (long j = 0; j < width; j++) sum += static_cast<double>(p[j]);
      const double m = sum / n;
      double squares = 0;
      for (long j = 0; j < width; j++) {
        const double d = static_cast<double>(p[j]) - m;
        squares += d * d;
      }
      const double s = 1 / std::sqrt(squares / n + eps);
      mean[r] = m;
      rstd[r] = s;
      for (long j = 0; j < width; j++) {
        double v = (static_cast<double>(p[j]) - m) * s;
        if (weight) v *= static_cast<double>(weight[j]);
        if (bias) v += static_cast<double>(bias[j]);
        o[j] = static_cast<T>(v);
      }
    }
  });
}

template <typename T>
void layer_norm_backward(const T* gy, const T* x, long rows, long width, const T* weight, const double* mean,
                         const double* rstd, T* dx, double* dw, double* db) {
  const double n = static_cast<double>(width);
  for (long r = 0; r < rows; r++) {
    const T* g = gy + r * width;
    const T* p = x + r * width;
    const double m = mean[r], s = rstd[r];
    double sum_g = 0, sum_gx = 0;
    for (long j = 0; j < width; j++) {
      const double gj = static_cast<double>(g[j]);
      const double xhat = (static_cast<double>(p[j]) - m) * s;
      if (dw) dw[j] += gj * xhat;
      if (db) db[j] += gj;
      const double gw = weight ? gj * static_cast<double>(weight[j]) : gj;
      sum_g += gw;
      sum_gx += gw * xhat;
    }
    if (!dx) continue;
    const double mean_g = sum_g / n, mean_gx = sum_gx / n;
    T* o = dx + r * width;
    for (long j = 0; j < width; j++) {
      const double xhat = (static_cast<double>(p[j]) - m) * s;
      const double gw = weight ? static_cast<double>(g[j]) * static_cast<double>(weight[j]) : static_cast<double>(g[j]);
      o[j] = static_cast<T>(s * (gw - mean_g - xhat * mean_gx));
    }
  }
}

template void layer_norm_forward<float>(const float*, long, long, const float*, const float*, double, float*, double*, double*);
template void layer_norm_forward<double>(const double*, long, long, const double*, const double*, double, double*, double*,
                                         double*);
template void layer_norm_backward<float>(const float*, const float*, long, long, const float*, const double*, const double*,
                                         float*, double*, double*);
template void layer_norm_backward<double>(const double*, const double*, long, long, const double*, const double*,
                                          const double*, double*, double*, double*);

}  // namespace backprop
