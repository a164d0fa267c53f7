// Convolutions as GEMMs with implicit column matrices (conv_gemm.h). The
// three products, with K = C·kH·kW taps, P = oH·oW positions, O channels:
//   forward       yᵀ [P, O]  = colsᵀ [P, K] · weightᵀ [K, O]   per image
//   weight grad   w̄ᵀ [K, O] += cols  [K, P] · ȳᵀ [P, O]        per image
//   input grad    cols̄ [K, P] = weightᵀ [K, O] · ȳ [O, P]       per image
// The first two put the long sides (P and K, multiples of the micro-kernel's
// MR in the usual shapes) on M and the channels on N, so few tiles are
// padding; their column-matrix operand is packed from the image by
// pack_positions / pack_taps, which is im2col fused into the GEMM's packing.
#include "conv_gemm.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>

#include "gemm_parts.h"
#include "thread_pool.h"
#include "window_bounds.h"

namespace backprop {
namespace {

// Below this many multiply-adds a second thread costs more than it saves.
constexpr double kParallelMinMacs = 1 << 19;
// Elements of scratch per chunk of images the weight gradient prepares at once (8 MB in float32).
constexpr long kChunkElements = 1 << 21;

struct Buffer {
  void* data = nullptr;
  size_t bytes = 0;
  ~Buffer() { std::free(data); }
};
// Scratch kept between calls. Each thread's slots 0 and 1 hold its own panel
// and tile; the calling thread's slots 2 to 4 hold what all threads share.
thread_local Buffer tls[5];

template <typename T>
T* scratch(int slot, long count) {
  Buffer& b = tls[slot];
  return static_cast<T*>(ensure_buffer(b.data, b.bytes, sizeof(T) * size_t(count)));
}

long round_up(long v, long m) { return (v + m - 1) / m * m; }

// dst[j] = row[(shift + j·stride)·step] for j in [0, len) where that column
// lies inside the row (first_inside/end_inside), 0 elsewhere.
template <typename T>
inline void gather_row(const T* row, long shift, long stride, long step, long width, long len, T* dst) {
  const long lo = first_inside(shift, stride, len), hi = end_inside(shift, stride, width, len, lo);
  long j = 0;
  for (; j < lo; j++) dst[j] = 0;
  if (stride * step == 1) {
    const T* src = row + shift;
    for (; j < hi; j++) dst[j] = src[j];
  } else {
    for (; j < hi; j++) dst[j] = row[(shift + j * stride) * step];
  }
  for (; j < len; j++) dst[j] = 0;
}

// An image with a zero border, [C, rows, cols], large enough that every tap
// of every position a product reads lies inside it: reads need no bounds.
struct PaddedImage {
  long rows, cols, plane;
};

// `row_positions` (≥ oW): the positions per output row the reads cover.
PaddedImage padded_image(const ConvShape& g, long row_positions) {
  const ConvWindow& w = g.w;
  PaddedImage p;
  p.rows = std::max(w.pad_top + g.height, (w.out_h - 1) * w.stride_h + (w.kh - 1) * w.dilation_h + 1);
  p.cols = std::max(w.pad_left + g.width, (row_positions - 1) * w.stride_w + (w.kw - 1) * w.dilation_w + 1);
  p.plane = p.rows * p.cols;
  return p;
}

// Image x (strides s) into dst [C, rows, cols] from row pad_top and column pad_left on, zeros around it.
template <typename T>
void pad_image(const T* x, const long s[4], const ConvShape& g, const PaddedImage& p, T* dst) {
  std::fill(dst, dst + g.channels * p.plane, T(0));
  for (long c = 0; c < g.channels; c++) {
    for (long h = 0; h < g.height; h++) {
      const T* src = x + c * s[1] + h * s[2];
      T* d = dst + c * p.plane + (h + g.w.pad_top) * p.cols + g.w.pad_left;
      if (s[3] == 1) std::copy(src, src + g.width, d);
      else for (long j = 0; j < g.width; j++) d[j] = src[j * s[3]];
    }
  }
}

// Where each tap (c, ki, kj) reads in a padded image, relative to its position's first tap.
void tap_offsets(const ConvShape& g, const PaddedImage& p, long* out) {
  const ConvWindow& w = g.w;
  for (long c = 0, t = 0; c < g.channels; c++)
    for (long ki = 0; ki < w.kh; ki++)
      for (long kj = 0; kj < w.kw; kj++) out[t++] = c * p.plane + ki * w.dilation_h * p.cols + kj * w.dilation_w;
}

// The A panel of the forward product: dst[(p - p0)·mr + r] = cols[p, i0 + r],
// tap p's input value at output position i0 + r of image x (0 in the padding
// and past the last position), for taps p in [p0, p0 + kc).
template <typename T>
void pack_positions(const T* x, const long s[4], const ConvShape& g, long i0, long p0, long kc, int mr, T* dst) {
  const ConvWindow& w = g.w;
  const long positions = w.out_h * w.out_w, valid = std::min<long>(mr, positions - i0);
  // The tile's positions as runs along one output row: first r, length, output row and column.
  long run_r[64], run_len[64], run_oh[64], run_ow[64];
  int runs = 0;
  for (long r = 0; r < valid; runs++) {
    const long i = i0 + r, ow = i % w.out_w;
    run_r[runs] = r;
    run_len[runs] = std::min(valid - r, w.out_w - ow);
    run_oh[runs] = i / w.out_w;
    run_ow[runs] = ow;
    r += run_len[runs];
  }
  long c = p0 / (w.kh * w.kw), ki = p0 / w.kw % w.kh, kj = p0 % w.kw;
  for (long p = 0; p < kc; p++, dst += mr) {
    const T* plane = x + c * s[1];
    for (int q = 0; q < runs; q++) {
      T* d = dst + run_r[q];
      const long ih = run_oh[q] * w.stride_h + ki * w.dilation_h - w.pad_top;
      if (ih < 0 || ih >= g.height) {
        for (long j = 0; j < run_len[q]; j++) d[j] = 0;
      } else {
        const long shift = run_ow[q] * w.stride_w + kj * w.dilation_w - w.pad_left;
        gather_row(plane + ih * s[2], shift, w.stride_w, s[3], g.width, run_len[q], d);
      }
    }
    for (long r = valid; r < mr; r++) dst[r] = 0;
    if (++kj == w.kw) {
      kj = 0;
      if (++ki == w.kh) ki = 0, c++;
    }
  }
}

// The A panel of the weight-gradient product: dst[(i - q0)·MR + r] = cols[t0 + r, i],
// tap t0 + r's value at position i of a padded image, for positions i in
// [q0, q0 + kc); 0 for taps past the last. MR is a template argument so
// that the strided stores take constant offsets (half the instructions).
template <typename T, int MR>
void pack_taps_of(const T* padded, const long* offsets, const PaddedImage& pi, const ConvShape& g, long t0, long q0, long kc, T* dst) {
  const ConvWindow& w = g.w;
  const long taps = g.channels * w.kh * w.kw, sw = w.stride_w, row_step = w.stride_h * pi.cols;
  const long oh0 = q0 / w.out_w, ow0 = q0 % w.out_w;
  for (long r = 0; r < MR; r++) {
    T* d = dst + r;
    if (t0 + r >= taps) {
      for (long i = 0; i < kc; i++) d[i * MR] = 0;
      continue;
    }
    // Positions [q0, q0 + kc) in runs along one output row, from (oh0, ow0) on.
    const T* row = padded + offsets[t0 + r] + oh0 * row_step;
    for (long left = kc, ow = ow0; left > 0; row += row_step, ow = 0) {
      const long len = std::min(left, w.out_w - ow);
      const T* src = row + ow * sw;
      if (sw == 1) {
#pragma GCC unroll 8
        for (long j = 0; j < len; j++) d[j * MR] = src[j];
      } else {
        for (long j = 0; j < len; j++) d[j * MR] = src[j * sw];
      }
      d += len * MR;
      left -= len;
    }
  }
}

template <typename T>
void pack_taps(const T* padded, const long* offsets, const PaddedImage& pi, const ConvShape& g, long t0, long q0, long kc, int mr,
               T* dst) {
  switch (mr) {  // the micro-kernels' MR (kernel_*.cc)
    case 14: return pack_taps_of<T, 14>(padded, offsets, pi, g, t0, q0, kc, dst);
    case 6: return pack_taps_of<T, 6>(padded, offsets, pi, g, t0, q0, kc, dst);
    default: return pack_taps_of<T, 4>(padded, offsets, pi, g, t0, q0, kc, dst);
  }
}

}  // namespace

// Forward tiles of one output row's MR neighbouring positions, read in place
// from a padded image (stride 1 along W): worth it unless more than a quarter
// of the row's tiles lies past its end (then tiles run across rows, packed).
bool forward_in_place(const ConvShape& g, long mr) {
  const long per_row = (g.w.out_w + mr - 1) / mr;
  return g.w.stride_w == 1 && 4 * (per_row * mr - g.w.out_w) <= per_row * mr;
}

template <typename T>
bool conv_forward(const T* x, const long s[4], const T* weight, const T* bias, const ConvShape& g, T* out) {
  const MicroKernel<T>& uk = gemm_kernel<T>();
  const ConvWindow& w = g.w;
  const long taps = g.channels * w.kh * w.kw, positions = w.out_h * w.out_w, channels = g.out_channels;
  const int mr = uk.mr, nr = uk.nr;
  const long kc_max = uk.kc, n_pad = round_up(channels, nr);
  if (mr > 64) return false;
  // weightᵀ [K, O] packed once as op(B): slice pc at pc·n_pad, its panel j0 at j0·kc.
  T* packed_weight = scratch<T>(2, taps * n_pad);
  if (!packed_weight) return false;
  for (long pc = 0; pc < taps; pc += kc_max)
    pack_panels(weight, false, 0, taps, 0, channels, pc, std::min(kc_max, taps - pc), nr, packed_weight + pc * n_pad);
  const bool in_place = forward_in_place(g, mr);
  // A unit is one tile of yᵀ in one image: MR positions (of one output row when in place), all channels.
  const long per_row = in_place ? (w.out_w + mr - 1) / mr : 0;
  const long tiles = in_place ? w.out_h * per_row : (positions + mr - 1) / mr;
  const PaddedImage pi = padded_image(g, in_place ? per_row * mr : w.out_w);
  long* offsets = scratch<long>(3, taps);
  if (!offsets) return false;
  tap_offsets(g, pi, offsets);
  std::atomic<bool> failed{false};
  parallel_for(g.batch * tiles, double(g.batch) * positions * taps * channels, kParallelMinMacs, [&](long u0, long u1) {
    T* a = scratch<T>(0, in_place ? g.channels * pi.plane : mr * std::min(kc_max, taps));
    T* tile = scratch<T>(1, mr * n_pad);
    if (!a || !tile) {
      failed = true;
      return;
    }
    long padded_n = -1;
    for (long u = u0; u < u1; u++) {
      const long n = u / tiles, t = u % tiles;
      // The tile's first position i0 (row-major over oH × oW) and how many of its MR positions exist.
      long i0, valid;
      if (in_place) {
        const long oh = t / per_row, ow0 = t % per_row * mr;
        i0 = oh * w.out_w + ow0;
        valid = std::min<long>(mr, w.out_w - ow0);
        if (n != padded_n) pad_image(x + n * s[0], s, g, pi, a), padded_n = n;
        const T* corner = a + oh * w.stride_h * pi.cols + ow0;
        for (long pc = 0; pc < taps; pc += kc_max) {
          const long kc = std::min(kc_max, taps - pc);
          for (long j0 = 0; j0 < channels; j0 += nr)
            uk.fn_at(kc, corner, offsets + pc, packed_weight + pc * n_pad + j0 * kc, tile + j0, n_pad, pc > 0);
        }
      } else {
        i0 = t * mr;
        valid = std::min<long>(mr, positions - i0);
        for (long pc = 0; pc < taps; pc += kc_max) {
          const long kc = std::min(kc_max, taps - pc);
          pack_positions(x + n * s[0], s, g, i0, pc, kc, mr, a);
          for (long j0 = 0; j0 < channels; j0 += nr) uk.fn(kc, a, packed_weight + pc * n_pad + j0 * kc, tile + j0, n_pad, pc > 0);
        }
      }
      // The tile, transposed into NCHW, plus the bias.
      T* y = out + n * channels * positions + i0;
      for (long o = 0; o < channels; o++) {
        const T b = bias ? bias[o] : T(0);
        T* row = y + o * positions;
        if (b == T(0)) for (long r = 0; r < valid; r++) row[r] = tile[r * n_pad + o];
        else for (long r = 0; r < valid; r++) row[r] = tile[r * n_pad + o] + b;
      }
    }
  });
  return !failed;
}

// Whether x[0, n) holds no infinity and no NaN: 0·v is NaN exactly for those (eight independent lanes, so that it vectorises).
template <typename T>
bool all_finite(const T* x, long n) {
  T lanes[8] = {};
  long i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; l++) lanes[l] += T(0) * x[i + l];
  for (; i < n; i++) lanes[0] += T(0) * x[i];
  T sum = 0;
  for (int l = 0; l < 8; l++) sum += lanes[l];
  return sum == sum;
}

// Elements of padded images and gradients per chunk of the dot-product weight gradient: about 1 MB in float32, so that a chunk stays in L2.
constexpr long kDotChunkElements = 1 << 18;

// With stride 1, the weight gradient as dot products along positions, with
// nothing packed: on the padded image's grid (position q = oh·cols + ow),
// tap (c, ki, kj) of position q reads padded[offset + q], and ȳ is laid on
// the same grid with zeros at ow ≥ oW (and up to a whole vector past the
// end), so each w̄ element is a dot product of two contiguous runs. The
// grid's extra columns cost multiply-adds by zero, and reads of the image
// the true windows never make: an infinite or NaN input there would turn
// those zeros into NaN, so such a batch returns -1 (not done) for the
// caller to take the packed route.
template <typename T>
int weight_grad_by_dots(const T* x, const long s[4], const T* gy, const ConvShape& g, T* grad_w) {
  const MicroKernel<T>& uk = gemm_kernel<T>();
  const ConvWindow& w = g.w;
  const long taps = g.channels * w.kh * w.kw, channels = g.out_channels;
  const int rows = uk.dot_r, cols = uk.dot_j;
  const PaddedImage pi = padded_image(g, w.out_w);
  const long len = round_up(w.out_h * pi.cols, uk.lanes);
  const long tap_tiles = (taps + rows - 1) / rows, o_pad = round_up(channels, cols), o_tiles = o_pad / cols;
  long* offsets = scratch<long>(1, tap_tiles * rows);
  if (!offsets) return 0;
  tap_offsets(g, pi, offsets);
  for (long t = taps; t < tap_tiles * rows; t++) offsets[t] = 0;  // taps past the last: computed, never read
  // One image's padded planes and the furthest read past them, rounded to whole vectors.
  const long x_image = round_up(std::max(g.channels * pi.plane, offsets[taps - 1] + len), uk.lanes);
  const long g_image = o_pad * len;
  const long chunk = std::max(1L, std::min(g.batch, kDotChunkElements / (x_image + g_image)));
  T* padded = scratch<T>(4, chunk * x_image);
  T* grid = scratch<T>(2, chunk * g_image);
  T* sum = scratch<T>(3, tap_tiles * rows * o_pad);
  if (!padded || !grid || !sum) return 0;
  std::atomic<bool> finite{true};
  for (long first = 0; first < g.batch; first += chunk) {
    const long count = std::min(chunk, g.batch - first);
    parallel_for(count, double(count) * (x_image + g_image), 1 << 15, [&](long n0, long n1) {
      for (long n = n0; n < n1; n++) {
        T* image = padded + n * x_image;
        pad_image(x + (first + n) * s[0], s, g, pi, image);
        std::fill(image + g.channels * pi.plane, image + x_image, T(0));
        if (!all_finite(image, g.channels * pi.plane)) finite = false;
        T* out = grid + n * g_image;
        std::fill(out, out + g_image, T(0));
        for (long o = 0; o < channels; o++)
          for (long oh = 0; oh < w.out_h; oh++) {
            const T* src = gy + (((first + n) * channels + o) * w.out_h + oh) * w.out_w;
            std::copy(src, src + w.out_w, out + o * len + oh * pi.cols);
          }
      }
    });
    if (!finite) return -1;
    // A unit is R taps × J channels of w̄ᵀ; consecutive units share their taps.
    parallel_for(tap_tiles * o_tiles, double(count) * len * taps * o_pad, kParallelMinMacs, [&](long u0, long u1) {
      for (long u = u0; u < u1; u++) {
        const long t = u / o_tiles, o0 = u % o_tiles * cols;
        uk.dot(len, count, padded, x_image, offsets + t * rows, grid + o0 * len, len, g_image, sum + t * rows * o_pad + o0, o_pad,
               first > 0);
      }
    });
  }
  for (long o = 0; o < channels; o++)
    for (long p = 0; p < taps; p++) grad_w[o * taps + p] = sum[p * o_pad + o];
  return 1;
}

template <typename T>
bool conv_weight_grad(const T* x, const long s[4], const T* gy, const ConvShape& g, T* grad_w) {
  const MicroKernel<T>& uk = gemm_kernel<T>();
  const ConvWindow& w = g.w;
  if (w.stride_h == 1 && w.stride_w == 1) {
    const int done = weight_grad_by_dots(x, s, gy, g, grad_w);
    if (done >= 0) return done == 1;
  }
  const long taps = g.channels * w.kh * w.kw, positions = w.out_h * w.out_w, channels = g.out_channels;
  const int mr = uk.mr, nr = uk.nr;
  const long kc_max = uk.kc, n_pad = round_up(channels, nr), tiles = (taps + mr - 1) / mr;
  const double macs = double(g.batch) * positions * taps * channels;
  const PaddedImage pi = padded_image(g, w.out_w);
  // Images are prepared a chunk at a time (scratch bounded whatever the batch); the sums run image by image all the same.
  const long per_image = positions * n_pad + g.channels * pi.plane;
  const long chunk = std::max(1L, std::min(g.batch, kChunkElements / per_image));
  // ȳᵀ [P, O] of each image of the chunk packed as op(B): image n at n·P·n_pad, slice pc at pc·n_pad in it, panel j0 at j0·kc.
  T* packed_gy = scratch<T>(2, chunk * positions * n_pad);
  // w̄ᵀ [K rounded up to MR, O rounded up to NR]: each thread accumulates its own rows.
  T* sum = scratch<T>(3, tiles * mr * n_pad);
  T* padded = scratch<T>(4, chunk * g.channels * pi.plane);
  long* offsets = scratch<long>(1, taps);  // the caller's own slot 1: free until the products
  if (!packed_gy || !sum || !padded || !offsets) return false;
  tap_offsets(g, pi, offsets);
  std::atomic<bool> failed{false};
  for (long first = 0; first < g.batch && !failed; first += chunk) {
    const long count = std::min(chunk, g.batch - first);
    parallel_for(count, double(count) * per_image, 1 << 15, [&](long n0, long n1) {
      for (long n = n0; n < n1; n++) {
        pad_image(x + (first + n) * s[0], s, g, pi, padded + n * g.channels * pi.plane);
        for (long pc = 0; pc < positions; pc += kc_max)
          pack_panels(gy + (first + n) * channels * positions, false, 0, positions, 0, channels, pc, std::min(kc_max, positions - pc), nr,
                      packed_gy + (n * positions + pc) * n_pad);
      }
    });
    // A unit is one MR-row tile of w̄ᵀ (MR taps), summed over the chunk's images.
    parallel_for(tiles, macs * count / g.batch, kParallelMinMacs, [&](long t0, long t1) {
      T* panel = scratch<T>(0, mr * std::min(kc_max, positions));
      if (!panel) {
        failed = true;
        return;
      }
      for (long n = 0; n < count; n++) {
        for (long t = t0; t < t1; t++) {
          for (long pc = 0; pc < positions; pc += kc_max) {
            const long kc = std::min(kc_max, positions - pc);
            pack_taps(padded + n * g.channels * pi.plane, offsets, pi, g, t * mr, pc, kc, mr, panel);
            const T* b = packed_gy + (n * positions + pc) * n_pad;
            for (long j0 = 0; j0 < channels; j0 += nr)
              uk.fn(kc, panel, b + j0 * kc, sum + t * mr * n_pad + j0, n_pad, first + n > 0 || pc > 0);
          }
        }
      }
    });
  }
  if (failed) return false;
  for (long o = 0; o < channels; o++)
    for (long p = 0; p < taps; p++) grad_w[o * taps + p] = sum[p * n_pad + o];
  return true;
}

// With stride 1, convᵀ(ȳ, w) is a conv of ȳ with w flipped in space and its
// channels swapped, padded by dilation·(k − 1) − pad: the forward's in-place
// product then serves the input gradient too, with no col2im.
template <typename T>
bool input_grad_as_conv(const T* gy, const T* weight, const ConvShape& g, T* grad_x) {
  const ConvWindow& w = g.w;
  const long taps = w.kh * w.kw;
  ConvShape t{g.batch, g.out_channels, w.out_h, w.out_w, g.channels,
              {w.kh, w.kw, 1, 1, w.dilation_h * (w.kh - 1) - w.pad_top, w.dilation_w * (w.kw - 1) - w.pad_left,
               w.dilation_h, w.dilation_w, g.height, g.width}};
  T* flipped = scratch<T>(4, g.channels * g.out_channels * taps);
  if (!flipped) return false;
  for (long o = 0; o < g.out_channels; o++)
    for (long c = 0; c < g.channels; c++)
      for (long k = 0; k < taps; k++) flipped[(c * g.out_channels + o) * taps + k] = weight[(o * g.channels + c) * taps + taps - 1 - k];
  const long s[4] = {g.out_channels * w.out_h * w.out_w, w.out_h * w.out_w, w.out_w, 1};
  return conv_forward(gy, s, flipped, static_cast<const T*>(nullptr), t, grad_x);
}

template <typename T>
bool conv_input_grad(const T* gy, const T* weight, const ConvShape& g, T* grad_x) {
  const MicroKernel<T>& uk = gemm_kernel<T>();
  const ConvWindow& w = g.w;
  if (w.stride_h == 1 && w.stride_w == 1 && w.pad_top <= w.dilation_h * (w.kh - 1) && w.pad_left <= w.dilation_w * (w.kw - 1) &&
      8 * (round_up(g.channels, uk.nr) - g.channels) <= round_up(g.channels, uk.nr) &&
      forward_in_place(ConvShape{g.batch, g.out_channels, w.out_h, w.out_w, g.channels,
                                 {w.kh, w.kw, 1, 1, 0, 0, w.dilation_h, w.dilation_w, g.height, g.width}}, uk.mr))
    return input_grad_as_conv(gy, weight, g, grad_x);
  const long taps = g.channels * w.kh * w.kw, positions = w.out_h * w.out_w, channels = g.out_channels;
  const int mr = uk.mr, nr = uk.nr;
  const long kc_max = uk.kc, m_pad = round_up(taps, mr), n_pad = round_up(positions, nr), plane = g.height * g.width;
  // weightᵀ [K, O] packed once as op(A) (the weight kept [O, K] is Aᵀ): slice oc at oc·m_pad, its panel t at t·mr·kc.
  T* packed_weight = scratch<T>(2, m_pad * channels);
  if (!packed_weight) return false;
  for (long oc = 0; oc < channels; oc += kc_max)
    pack_panels(weight, true, taps, channels, 0, taps, oc, std::min(kc_max, channels - oc), mr, packed_weight + oc * m_pad);
  std::atomic<bool> failed{false};
  parallel_for(g.batch, double(g.batch) * positions * taps * channels, kParallelMinMacs, [&](long n0, long n1) {
    T* packed_gy = scratch<T>(0, channels * n_pad);
    T* cols = scratch<T>(1, m_pad * n_pad);
    if (!packed_gy || !cols) {
      failed = true;
      return;
    }
    for (long n = n0; n < n1; n++) {
      const T* gy_n = gy + n * channels * positions;
      for (long oc = 0; oc < channels; oc += kc_max)
        pack_panels(gy_n, true, positions, channels, 0, positions, oc, std::min(kc_max, channels - oc), nr, packed_gy + oc * n_pad);
      for (long i0 = 0; i0 < m_pad; i0 += mr) {
        for (long j0 = 0; j0 < positions; j0 += nr) {
          for (long oc = 0; oc < channels; oc += kc_max) {
            const long kc = std::min(kc_max, channels - oc);
            uk.fn(kc, packed_weight + oc * m_pad + i0 * kc, packed_gy + oc * n_pad + j0 * kc, cols + i0 * n_pad + j0, n_pad, oc > 0);
          }
        }
      }
      T* image = grad_x + n * g.channels * plane;
      std::fill(image, image + g.channels * plane, T(0));
      for (long c = 0; c < g.channels; c++) col2im_plane(cols, n_pad, c, g.height, g.width, w, image + c * plane);
    }
  });
  return !failed;
}

#define BACKPROP_CONV_GEMM_INSTANTIATE(T)                                                           \
  template bool conv_forward<T>(const T*, const long[4], const T*, const T*, const ConvShape&, T*); \
  template bool conv_weight_grad<T>(const T*, const long[4], const T*, const ConvShape&, T*);      \
  template bool conv_input_grad<T>(const T*, const T*, const ConvShape&, T*);
BACKPROP_CONV_GEMM_INSTANTIATE(float)
BACKPROP_CONV_GEMM_INSTANTIATE(double)

}  // namespace backprop
