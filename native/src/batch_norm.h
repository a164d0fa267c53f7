// Batch-norm kernels over a contiguous [N, C, S] block (S the product of the
// spatial dims), with the semantics of the reference JS kernels
// (src/backend/js/batch-norm.ts). Each splits its channels over the thread
// pool; a channel is always summed by one thread in one fixed order, so
// results do not depend on the thread count.
#pragma once

namespace backprop {

// mean[c] and the biased variance[c] of x[:, c, :], in double.
template <typename T>
void batch_norm_stats(const T* x, long batch, long channels, long spatial, double* mean, double* variance);

// out[n, c, s] = x[n, c, s]·scale[c] + shift[c], in double and rounded once.
template <typename T>
void batch_norm_apply(const T* x, long batch, long channels, long spatial, const double* scale, const double* shift, T* out);

// sum_grad[c] = Σ gy, sum_grad_centered[c] = Σ gy·(x − mean[c]); with dx
// (non-null) the input gradient, training or eval; gain null means 1.
template <typename T>
void batch_norm_backward(const T* gy, const T* x, long batch, long channels, long spatial, const double* mean,
                         const double* invstd, const double* gain, bool training, double* sum_grad,
                         double* sum_grad_centered, T* dx);

}  // namespace backprop
