// Layer-norm kernels over `rows` contiguous rows of `width` values, bit for
// bit the reference JS kernels (src/backend/js/layer-norm.ts): each row's
// sums in double in element order (-ffp-contract=off keeps every step
// rounded as in JS), every output computed in double and rounded once.
#pragma once

namespace backprop {

// out[r, j] = (x[r, j] − mean[r])·rstd[r]·weight[j] + bias[j] (weight, bias
// null for none); writes mean[r] and rstd[r] = 1/√(var + eps). Rows split over the pool.
template <typename T>
void layer_norm_forward(const T* x, long rows, long width, const T* weight, const T* bias, double eps, T* out, double* mean,
                        double* rstd);

// With x̂ = (x − mean)·rstd and ĝ = gy·weight: dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂));
// dw[j] += Σ_r gy·x̂, db[j] += Σ_r gy, rows in order (one thread). Any of dx, dw, db null to skip.
template <typename T>
void layer_norm_backward(const T* gy, const T* x, long rows, long width, const T* weight, const double* mean,
                         const double* rstd, T* dx, double* dw, double* db);

}  // namespace backprop
