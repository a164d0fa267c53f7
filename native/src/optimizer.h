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

// Forces the instruction set of the Adam kernel ("avx512", "avx2",
// "generic"; for tests); false when this CPU lacks it.
bool adam_set_isa(const char* name);
// The instruction set the Adam kernel uses.
const char* adam_isa_name();

// A SIMD Adam kernel updates a prefix of the n elements, a whole number of
// vectors, and returns its length; the scalar loop does the rest.
template <typename T>
using AdamKernel = long (*)(T* p, const T* grad, T* m, T* v, T* v_max, long n, const AdamScalars& s);

struct AdamKernels {
  const char* isa;
  AdamKernel<float> f32;  // expects the scalars to be exact floats
  AdamKernel<double> f64;
};

// Each returns false when this CPU (or this build) lacks the instructions.
bool avx512_adam(AdamKernels* k);
bool avx2_adam(AdamKernels* k);

}  // namespace backprop
