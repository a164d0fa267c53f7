// A whole 2-d convolution (groups 1) and its two gradients as GEMMs whose
// column-matrix operand is packed straight from the image into the
// micro-kernel's panels: no column matrix is ever written out, the weight is
// packed once per call, and the results land in NCHW directly (bias added on
// the way). Threads split images (forward, input gradient) or rows of the
// weight gradient, so every element is computed in the same order whatever
// the thread count.
#pragma once

#include "conv.h"

namespace backprop {

// A conv2d's input [N, C, H, W], its output channels and its window.
struct ConvShape {
  long batch, channels, height, width, out_channels;
  ConvWindow w;
};

// out [N, O, oH, oW] = conv(x, weight) + bias. x strided (strides s, all ≥ 0),
// weight contiguous [O, C·kH·kW], bias [O] or null. Each output element is
// the GEMM's: taps summed in order in kc-deep slices, then the bias added.
// False only when scratch memory cannot be allocated.
template <typename T>
bool conv_forward(const T* x, const long s[4], const T* weight, const T* bias, const ConvShape& g, T* out);

// grad_w [O, C·kH·kW] = Σ over images and positions of gy times the window of x;
// gy contiguous [N, O, oH, oW]. Summed image by image, positions in order.
template <typename T>
bool conv_weight_grad(const T* x, const long s[4], const T* gy, const ConvShape& g, T* grad_w);

// grad_x [N, C, H, W] (overwritten) = convᵀ(gy, weight): the column-matrix
// gradient weightᵀ·gy of each image, added back into its image (col2im).
template <typename T>
bool conv_input_grad(const T* gy, const T* weight, const ConvShape& g, T* grad_x);

}  // namespace backprop
