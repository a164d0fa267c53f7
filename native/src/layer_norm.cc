// Layer-norm kernels (layer_norm.h): the JS kernels' loops, in the same order.
//
// The forward pass's row sums are chains of dependent double additions
// (~4 cycles each) with little other work, so one row at a time leaves the
// adders mostly idle. It walks a block of kBlock rows together, one chain
// per row: every row's sums still add its elements in element order (the
// same bits as the JS kernels), but the chains of different rows overlap.
#include "layer_norm.h"

#include <cmath>

#include "thread_pool.h"

namespace backprop {
namespace {

// Elements from which the forward pass is split over the pool (waking workers costs a few µs).
constexpr double kParallelMin = 1 << 15;
// Rows whose sums run side by side: enough independent chains to keep two adders busy.
constexpr long kBlock = 8;

// Rows r0 .. r0+R−1 of the forward pass.
template <long R, typename T>
void forward_rows(const T* x, long r0, long width, const T* weight, const T* bias, double eps, T* out, double* mean,
                  double* rstd) {
  const double n = static_cast<double>(width);
  const T* p = x + r0 * width;
  double sum[R], m[R], squares[R], s[R];
  for (long q = 0; q < R; q++) sum[q] = 0;
  for (long j = 0; j < width; j++)
    for (long q = 0; q < R; q++) sum[q] += static_cast<double>(p[q * width + j]);
  for (long q = 0; q < R; q++) { m[q] = sum[q] / n; squares[q] = 0; }
  for (long j = 0; j < width; j++)
    for (long q = 0; q < R; q++) {
      const double d = static_cast<double>(p[q * width + j]) - m[q];
      squares[q] += d * d;
    }
  for (long q = 0; q < R; q++) {
    s[q] = 1 / std::sqrt(squares[q] / n + eps);
    mean[r0 + q] = m[q];
    rstd[r0 + q] = s[q];
  }
  for (long q = 0; q < R; q++) {
    const T* row = p + q * width;
    T* o = out + (r0 + q) * width;
    const double mq = m[q], sq = s[q];
    for (long j = 0; j < width; j++) {
      double v = (static_cast<double>(row[j]) - mq) * sq;
      if (weight) v *= static_cast<double>(weight[j]);
      if (bias) v += static_cast<double>(bias[j]);
      o[j] = static_cast<T>(v);
    }
  }
}

}  // namespace

template <typename T>
void layer_norm_forward(const T* x, long rows, long width, const T* weight, const T* bias, double eps, T* out, double* mean,
                        double* rstd) {
  parallel_for(rows, static_cast<double>(rows) * width, kParallelMin, [&](long r0, long r1) {
    long r = r0;
    for (; r + kBlock <= r1; r += kBlock) forward_rows<kBlock>(x, r, width, weight, bias, eps, out, mean, rstd);
    for (; r < r1; r++) forward_rows<1>(x, r, width, weight, bias, eps, out, mean, rstd);
  });
}

template <typename T>
void layer_norm_backward(const T* gy, const T* x, long rows, long width, const T* weight, const double* mean,
                         const double* rstd, T* dx, double* dw, double* db) {
  // One row at a time: each row's loop has enough independent work (the
  // column sums, the products) to hide its two sums' chains.
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
