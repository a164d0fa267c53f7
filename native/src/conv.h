// Convolution and pooling kernels: im2col/col2im (the gathers that turn a
// conv into a GEMM and back), max pooling's window argmax, and gather /
// scatter-add along a middle axis (max pooling's values and gradient).
// Semantics match the reference JS kernels (src/backend/js/im2col.ts,
// pool.ts, indexing.ts); each one splits its work over the thread pool.
#pragma once

namespace backprop {

// A conv's sliding window (src/backend/backend.ts, ConvWindow).
struct ConvWindow {
  long kh, kw, stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w, out_h, out_w;
};

// Images [n0, n0 + count) of x (strided [N, C, H, W]; x points at element 0)
// into cols [C·kH·kW, count, oH·oW]; padding positions get 0.
template <typename T>
void im2col(const T* x, const long strides[4], long channels, long height, long width, long n0, long count,
            const ConvWindow& w, T* cols);

// The adjoint: adds cols into images [n0, n0 + count) of the contiguous
// [N, C, H, W] array out.
template <typename T>
void col2im(const T* cols, long channels, long height, long width, long n0, long count, const ConvWindow& w, T* out);

// Adds the column-matrix rows of channel c into its [H, W] plane: row
// (c·kH + ki)·kW + kj, oH·oW values, starts at rows + that·row_stride.
template <typename T>
void col2im_plane(const T* rows, long row_stride, long c, long height, long width, const ConvWindow& w, T* plane);

// One pooled axis (src/backend/backend.ts, PoolAxis).
struct PoolAxis {
  long out, stride, pad, dilation, kernel, size;
};

// Per output position of each of `planes` contiguous [H, W] planes: the
// in-plane index of its window's maximum (first on ties, the last NaN wins).
template <typename T>
void max_pool_indices(const T* x, long planes, const PoolAxis& h, const PoolAxis& w, int* out);

// out[o, j, i] = x[o, index[o, j, i], i]; x [outer, x_axis, inner], index
// and out [outer, idx_axis, inner], all contiguous; indices already checked.
template <typename T>
void gather(const T* x, long outer, long x_axis, long inner, const int* index, long idx_axis, T* out);

// out[o, index[o, j, i], i] += src[o, j, i], in order of j for each (o, i).
template <typename T>
void scatter_add(T* out, long outer, long out_axis, long inner, const int* index, long idx_axis, const T* src);

}  // namespace backprop
