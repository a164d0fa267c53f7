// Where a conv window's tap falls inside the input: output index i reads
// input index i·stride + shift, which must lie in [0, size). Shared by
// im2col/col2im (conv.cc) and the conv GEMM drivers (conv_gemm.cc).
#pragma once

#include <algorithm>

namespace backprop {

// First output index whose input index i·stride + shift is ≥ 0.
inline long first_inside(long shift, long stride, long out_size) {
  if (stride == 1) return shift >= 0 ? 0 : std::min(out_size, -shift);  // no division: the common case, in inner loops
  return shift >= 0 ? 0 : std::min(out_size, (-shift + stride - 1) / stride);
}

// One past the last output index whose input index i·stride + shift is < size (at least lo).
inline long end_inside(long shift, long stride, long size, long out_size, long lo) {
  if (stride == 1) return std::max(lo, std::min(out_size, std::max(0L, size - shift)));
  const long hi = size - 1 - shift < 0 ? 0 : std::min(out_size, (size - 1 - shift) / stride + 1);
  return std::max(lo, hi);
}

}  // namespace backprop
