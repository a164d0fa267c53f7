// The fused attention's two elementwise passes (src/ops/fused-attention.ts),
// bit for bit the reference JS kernels (src/backend/js/attention.ts): each
// output computed in double and rounded once, row sums in element order.
#pragma once

namespace backprop {

// In place over batch [L, S] blocks: row i's first min(i + 1, S) (causal) or S values times scale, the rest −∞.
template <typename T>
void attention_scores(T* x, long batch, long L, long S, double scale, bool causal);

// out[r, j] = y·(gy − Σⱼ gy·y)·scale over rows of `width`; out may be gy.
template <typename T>
void softmax_backward(const T* y, const T* gy, long rows, long width, double scale, T* out);

}  // namespace backprop
