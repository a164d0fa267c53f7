// Batch-norm kernels (batch_norm.h). Sums run in double over kLanes
// interleaved partial sums per channel (independent chains the CPU overlaps
// and the compiler may vectorise), added in a fixed order at the end.
#include "batch_norm.h"

#include <cmath>

#include "thread_pool.h"

namespace backprop {
namespace {

constexpr int kLanes = 8;
// Elements from which a call is split over the pool (waking workers costs a few µs).
constexpr double kParallelMin = 1 << 15;

// Σ over the lanes, in lane order.
double total(const double* lanes) {
  double s = 0;
  for (int l = 0; l < kLanes; l++) s += lanes[l];
  return s;
}

// Adds f(p[i]) for i < n into the lanes.
template <typename F>
void accumulate(long n, double* lanes, const F& f) {
  long i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; l++) lanes[l] += f(i + l);
  for (int l = 0; i < n; i++, l++) lanes[l] += f(i);
}

}  // namespace

template <typename T>
void batch_norm_stats(const T* x, long batch, long channels, long spatial, double* mean, double* variance) {
  const long plane = channels * spatial;
  const double count = static_cast<double>(batch * spatial);
  parallel_for(channels, static_cast<double>(batch) * plane, kParallelMin, [&](long c0, long c1) {
    for (long c = c0; c < c1; c++) {
      double lanes[kLanes] = {};
      for (long n = 0; n < batch; n++) {
        const T* p = x + n * plane + c * spatial;
        accumulate(spatial, lanes, [p](long i) { return static_cast<double>(p[i]); });
      }
      const double m = total(lanes) / count;
      double squares[kLanes] = {};
      for (long n = 0; n < batch; n++) {
        const T* p = x + n * plane + c * spatial;
        accumulate(spatial, squares, [p, m](long i) { const double d = static_cast<double>(p[i]) - m; return d * d; });
      }
      mean[c] = m;
      variance[c] = total(squares) / count;
    }
  });
}

template <typename T>
void batch_norm_apply(const T* x, long batch, long channels, long spatial, const double* scale, const double* shift, T* out) {
  const long plane = channels * spatial;
  parallel_for(channels, static_cast<double>(batch) * plane, kParallelMin, [&](long c0, long c1) {
    for (long n = 0; n < batch; n++) {
      for (long c = c0; c < c1; c++) {
        const double a = scale[c], b = shift[c];
        const T* p = x + n * plane + c * spatial;
        T* o = out + n * plane + c * spatial;
        for (long s = 0; s < spatial; s++) o[s] = static_cast<T>(static_cast<double>(p[s]) * a + b);
      }
    }
  });
}

template <typename T>
void batch_norm_backward(const T* gy, const T* x, long batch, long channels, long spatial, const double* mean,
                         const double* invstd, const double* gain, bool training, double* sum_grad,
                         double* sum_grad_centered, T* dx) {
  const long plane = channels * spatial;
  const double count = static_cast<double>(batch * spatial);
  parallel_for(channels, static_cast<double>(batch) * plane * (dx ? 2 : 1), kParallelMin, [&](long c0, long c1) {
    for (long c = c0; c < c1; c++) {
      const double m = mean[c];
      double sg[kLanes] = {}, sgx[kLanes] = {};
      for (long n = 0; n < batch; n++) {
        const T* g = gy + n * plane + c * spatial;
        const T* p = x + n * plane + c * spatial;
        accumulate(spatial, sg, [g](long i) { return static_cast<double>(g[i]); });
        accumulate(spatial, sgx, [g, p, m](long i) { return static_cast<double>(g[i]) * (static_cast<double>(p[i]) - m); });
      }
      const double sum_g = total(sg), sum_gx = total(sgx);
      sum_grad[c] = sum_g;
      sum_grad_centered[c] = sum_gx;
      if (!dx) continue;
      const double istd = invstd[c], a = istd * (gain ? gain[c] : 1.0);
      const double k = training ? sum_gx * istd * istd / count : 0.0, gm = training ? sum_g / count : 0.0;
      for (long n = 0; n < batch; n++) {
        const T* g = gy + n * plane + c * spatial;
        const T* p = x + n * plane + c * spatial;
        T* o = dx + n * plane + c * spatial;
        if (training) {
          for (long s = 0; s < spatial; s++)
            o[s] = static_cast<T>((static_cast<double>(g[s]) - gm - (static_cast<double>(p[s]) - m) * k) * a);
        } else {
          for (long s = 0; s < spatial; s++) o[s] = static_cast<T>(static_cast<double>(g[s]) * a);
        }
      }
    }
  });
}

template void batch_norm_stats<float>(const float*, long, long, long, double*, double*);
template void batch_norm_stats<double>(const double*, long, long, long, double*, double*);
template void batch_norm_apply<float>(const float*, long, long, long, const double*, const double*, float*);
template void batch_norm_apply<double>(const double*, long, long, long, const double*, const double*, double*);
template void batch_norm_backward<float>(const float*, const float*, long, long, long, const double*, const double*,
                                         const double*, bool, double*, double*, float*);
template void batch_norm_backward<double>(const double*, const double*, long, long, long, const double*, const double*,
                                          const double*, bool, double*, double*, double*);

}  // namespace backprop
