// Optimizer updates on flat parameter arrays, rounding exactly where the JS
// optimizers (src/optim/) round, so that both give identical bits.
#pragma once

namespace backprop {

// The Adam/AdamW scalars, computed and rounded to the parameter's dtype by
// the caller exactly as src/optim/adam.ts does.
struct AdamScalars {
  double neg_step_size, bc2_sqrt, beta1, one_minus_beta1, beta2, one_minus_beta2, eps;
  double l2;      // weight decay added to the gradient (Adam), else 0
  double shrink;  // 1 - lr * weight decay applied to the parameter (AdamW), else 1
};

// One Adam step over n parameters. `v_max` is null unless amsgrad.
template <typename T>
void adam_update(T* p, const T* grad, T* m, T* v, T* v_max, long n, const AdamScalars& s);

}  // namespace backprop
