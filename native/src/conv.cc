// Convolution and pooling kernels (conv.h). Each splits its work into
// independent units (a column-matrix row of one image, an image channel, a
// plane, an outer slice), so that threads never write the same element and
// every output element is computed in the same order as the JS kernels:
// the results are bit-identical to them.
#include "conv.h"

#include <algorithm>
#include <vector>

#include "thread_pool.h"
#include "window_bounds.h"

namespace backprop {
namespace {

// Below this many elements of work per job, one thread does it all.
constexpr double kParallelMin = 1 << 15;

template <typename Body>
void for_units(long units, long work, const Body& body) {
  parallel_for(units, double(work), kParallelMin, body);
}

}  // namespace

template <typename T>
void im2col(const T* x, const long s[4], long channels, long height, long width, long n0, long count,
            const ConvWindow& w, T* cols) {
  const long rows = channels * w.kh * w.kw, image = w.out_h * w.out_w;
  for_units(rows * count, rows * count * image, [&](long u0, long u1) {
    for (long u = u0; u < u1; u++) {
      const long row = u / count, n = n0 + u % count;
      const long c = row / (w.kh * w.kw), ki = row / w.kw % w.kh, kj = row % w.kw;
      const long row_shift = ki * w.dilation_h - w.pad_top, col_shift = kj * w.dilation_w - w.pad_left;
      const long top = first_inside(row_shift, w.stride_h, w.out_h);
      const long bottom = end_inside(row_shift, w.stride_h, height, w.out_h, top);
      const long lo = first_inside(col_shift, w.stride_w, w.out_w);
      const long hi = end_inside(col_shift, w.stride_w, width, w.out_w, lo);
      T* o = cols + u * image;
      std::fill(o, o + top * w.out_w, T(0));
      const long step = w.stride_w * s[3];
      const T* src = x + n * s[0] + c * s[1] + (top * w.stride_h + row_shift) * s[2] + (lo * w.stride_w + col_shift) * s[3];
      for (long oh = top; oh < bottom; oh++, src += w.stride_h * s[2]) {
        T* r = o + oh * w.out_w;
        std::fill(r, r + lo, T(0));
        if (step == 1) std::copy(src, src + (hi - lo), r + lo);
        else for (long j = lo, i = 0; j < hi; j++, i += step) r[j] = src[i];
        std::fill(r + hi, r + w.out_w, T(0));
      }
      std::fill(o + bottom * w.out_w, o + image, T(0));
    }
  });
}

template <typename T>
void col2im_plane(const T* rows, long row_stride, long c, long height, long width, const ConvWindow& w, T* plane) {
  for (long ki = 0; ki < w.kh; ki++) {
    const long row_shift = ki * w.dilation_h - w.pad_top;
    const long top = first_inside(row_shift, w.stride_h, w.out_h);
    const long bottom = end_inside(row_shift, w.stride_h, height, w.out_h, top);
    for (long kj = 0; kj < w.kw; kj++) {
      const long col_shift = kj * w.dilation_w - w.pad_left;
      const long lo = first_inside(col_shift, w.stride_w, w.out_w);
      const long hi = end_inside(col_shift, w.stride_w, width, w.out_w, lo);
      const T* src = rows + ((c * w.kh + ki) * w.kw + kj) * row_stride;
      T* dst = plane + (top * w.stride_h + row_shift) * width + lo * w.stride_w + col_shift;
      for (long oh = top; oh < bottom; oh++, dst += w.stride_h * width) {
        const T* row = src + oh * w.out_w;
        if (w.stride_w == 1) for (long j = lo; j < hi; j++) dst[j - lo] += row[j];
        else for (long j = lo, d = 0; j < hi; j++, d += w.stride_w) dst[d] += row[j];
      }
    }
  }
}

template <typename T>
void col2im(const T* cols, long channels, long height, long width, long n0, long count, const ConvWindow& w, T* out) {
  const long image = w.out_h * w.out_w, plane = height * width;
  // A unit is one channel of one image: its plane of out is written by that unit alone.
  for_units(channels * count, channels * count * w.kh * w.kw * image, [&](long u0, long u1) {
    for (long u = u0; u < u1; u++) {
      const long c = u / count, n = u % count;
      col2im_plane(cols + n * image, count * image, c, height, width, w, out + ((n0 + n) * channels + c) * plane);
    }
  });
}

// The in-plane index of the maximum of one window (rows [r0, r1), columns
// [c0, c1), dilations dh and dw, row length width), by PyTorch's rule.
template <typename T>
inline long window_argmax(const T* base, long r0, long r1, long dh, long c0, long c1, long dw, long width) {
  long best = r0 * width + c0;
  T best_value = base[best];
  bool nan = false;
  for (long r = r0; r < r1; r += dh) {
    for (long c = c0; c < c1; c += dw) {
      const long i = r * width + c;
      const T v = base[i];
      // Selects, not a branch: on activations the comparison is a coin toss.
      const bool greater = v > best_value;
      nan |= v != v;
      best = greater ? i : best;
      best_value = greater ? v : best_value;
    }
  }
  if (nan) {  // a NaN is the maximum, the last one wins
    for (long r = r0; r < r1; r += dh)
      for (long c = c0; c < c1; c += dw)
        if (base[r * width + c] != base[r * width + c]) best = r * width + c;
  }
  return best;
}

template <typename T>
void max_pool_indices(const T* x, long planes, const PoolAxis& h, const PoolAxis& w, int* out) {
  const long plane_in = h.size * w.size, plane_out = h.out * w.out;
  // Window bounds along each axis, padding skipped: the same in every plane, computed once.
  auto bounds = [](const PoolAxis& a) {
    std::vector<long> b(2 * a.out);
    for (long i = 0; i < a.out; i++) {
      long first = i * a.stride - a.pad;
      b[2 * i + 1] = std::min(first + (a.kernel - 1) * a.dilation + 1, a.size);
      while (first < 0) first += a.dilation;
      b[2 * i] = first;
    }
    return b;
  };
  const std::vector<long> rows = bounds(h), cols = bounds(w);
  for_units(planes, planes * plane_in, [&](long p0, long p1) {
    for (long p = p0; p < p1; p++) {
      const T* base = x + p * plane_in;
      int* o = out + p * plane_out;
      for (long oh = 0; oh < h.out; oh++) {
        const long r0 = rows[2 * oh], r1 = rows[2 * oh + 1];
        for (long ow = 0; ow < w.out; ow++) {
          *o++ = static_cast<int>(window_argmax(base, r0, r1, h.dilation, cols[2 * ow], cols[2 * ow + 1], w.dilation, w.size));
        }
      }
    }
  });
}

template <typename T>
void gather(const T* x, long outer, long x_axis, long inner, const int* index, long idx_axis, T* out) {
  for_units(outer, outer * idx_axis * inner, [&](long o0, long o1) {
    for (long o = o0; o < o1; o++) {
      const T* xo = x + o * x_axis * inner;
      for (long j = 0; j < idx_axis; j++) {
        const long row = (o * idx_axis + j) * inner;
        for (long i = 0; i < inner; i++) out[row + i] = xo[index[row + i] * inner + i];
      }
    }
  });
}

template <typename T>
void scatter_add(T* out, long outer, long out_axis, long inner, const int* index, long idx_axis, const T* src) {
  for_units(outer, outer * idx_axis * inner, [&](long o0, long o1) {
    for (long o = o0; o < o1; o++) {
      T* oo = out + o * out_axis * inner;
      for (long j = 0; j < idx_axis; j++) {
        const long row = (o * idx_axis + j) * inner;
        for (long i = 0; i < inner; i++) oo[index[row + i] * inner + i] += src[row + i];
      }
    }
  });
}

#define BACKPROP_CONV_INSTANTIATE(T)                                                                         \
  template void im2col<T>(const T*, const long[4], long, long, long, long, long, const ConvWindow&, T*);  \
  template void col2im<T>(const T*, long, long, long, long, long, const ConvWindow&, T*);                 \
  template void col2im_plane<T>(const T*, long, long, long, long, const ConvWindow&, T*);                 \
  template void max_pool_indices<T>(const T*, long, const PoolAxis&, const PoolAxis&, int*);              \
  template void gather<T>(const T*, long, long, long, const int*, long, T*);                              \
  template void scatter_add<T>(T*, long, long, long, const int*, long, const T*);
BACKPROP_CONV_INSTANTIATE(float)
BACKPROP_CONV_INSTANTIATE(double)

}  // namespace backprop
