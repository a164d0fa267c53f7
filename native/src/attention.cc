// The fused attention's elementwise passes (attention.h). The softmax
// gradient's per-row dot products are chains of dependent double additions,
// so a block of rows runs side by side, one chain per row in element order
// (the JS kernel's bits), the chains overlapping.
#include "attention.h"

#include <cmath>

namespace backprop {
namespace {

constexpr long kBlock = 8;

// Rows r0 .. r0+R−1 of softmax_backward: every dot product first, then the
// outputs, so that out may be gy.
template <long R, typename T>
void softmax_backward_rows(const T* y, const T* gy, long r0, long width, double scale, T* out) {
  const T* yb = y + r0 * width;
  const T* gb = gy + r0 * width;
  double dot[R];
  for (long q = 0; q < R; q++) dot[q] = 0;
  for (long j = 0; j < width; j++)
    for (long q = 0; q < R; q++) dot[q] += static_cast<double>(gb[q * width + j]) * static_cast<double>(yb[q * width + j]);
  for (long q = 0; q < R; q++) {
    const T* yr = yb + q * width;
    const T* gr = gb + q * width;
    T* o = out + (r0 + q) * width;
    const double d = dot[q];
    for (long j = 0; j < width; j++)
      o[j] = static_cast<T>(static_cast<double>(yr[j]) * (static_cast<double>(gr[j]) - d) * scale);
  }
}

}  // namespace

template <typename T>
void attention_scores(T* x, long batch, long L, long S, double scale, bool causal) {
  for (long b = 0; b < batch; b++) {
    for (long i = 0; i < L; i++) {
      T* row = x + (b * L + i) * S;
      const long visible = causal ? (i + 1 < S ? i + 1 : S) : S;
      for (long j = 0; j < visible; j++) row[j] = static_cast<T>(static_cast<double>(row[j]) * scale);
      for (long j = visible; j < S; j++) row[j] = -INFINITY;
    }
  }
}

template <typename T>
void softmax_backward(const T* y, const T* gy, long rows, long width, double scale, T* out) {
  long r = 0;
  for (; r + kBlock <= rows; r += kBlock) softmax_backward_rows<kBlock>(y, gy, r, width, scale, out);
  for (; r < rows; r++) softmax_backward_rows<1>(y, gy, r, width, scale, out);
}

template void attention_scores<float>(float*, long, long, long, double, bool);
template void attention_scores<double>(double*, long, long, long, double, bool);
template void softmax_backward<float>(const float*, const float*, long, long, double, float*);
template void softmax_backward<double>(const double*, const double*, long, long, double, double*);

}  // namespace backprop
