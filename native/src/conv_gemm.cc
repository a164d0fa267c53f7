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

struct Buffer {
  void* data = nullptr;
  size_t bytes = 0;
  ~Buffer() { std::free(data); }
};
// Scratch kept between calls. Each thread's slots 0 and 1 hold its own panel
// and tile; the calling thread's slots 2 and 3 hold what all threads share.
thread_local Buffer tls[4];

template <typename T>
T* scratch(int slot, long count) {
  Buffer& b = tls[slot];
  return static_cast<T*>(ensure_buffer(b.data, b.bytes, sizeof(T) * size_t(count)));
}

long round_up(long v, long m) { return (v + m - 1) / m * m; }

// dst[j] = row[(shift + j·stride)·step] for j in [0, len) where that column
// lies inside the row (first_inside/end_inside), 0 elsewhere; dst is `gap` apart.
template <typename T>
inline void gather_row(const T* row, long shift, long stride, long step, long width, long len, T* dst, long gap) {
  const long lo = first_inside(shift, stride, len), hi = end_inside(shift, stride, width, len, lo);
  long j = 0;
  for (; j < lo; j++) dst[j * gap] = 0;
  if (stride * step == 1 && gap == 1) {
    const T* src = row + shift;
    for (; j < hi; j++) dst[j] = src[j];
  } else {
    for (; j < hi; j++) dst[j * gap] = row[(shift + j * stride) * step];
  }
  for (; j < len; j++) dst[j * gap] = 0;
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
        gather_row(plane + ih * s[2], shift, w.stride_w, s[3], g.width, run_len[q], d, 1);
      }
    }
    for (long r = valid; r < mr; r++) dst[r] = 0;
    if (++kj == w.kw) {
      kj = 0;
      if (++ki == w.kh) ki = 0, c++;
    }
  }
}

// The A panel of the weight-gradient product: dst[(i - q0)·mr + r] = cols[t0 + r, i],
// tap t0 + r's input value at position i of image x, for positions i in
// [q0, q0 + kc); 0 for taps past the last.
template <typename T>
void pack_taps(const T* x, const long s[4], const ConvShape& g, long t0, long q0, long kc, int mr, T* dst) {
  const ConvWindow& w = g.w;
  const long taps = g.channels * w.kh * w.kw;
  for (long r = 0; r < mr; r++) {
    T* d = dst + r;
    const long p = t0 + r;
    if (p >= taps) {
      for (long i = 0; i < kc; i++) d[i * mr] = 0;
      continue;
    }
    const long c = p / (w.kh * w.kw), ki = p / w.kw % w.kh, kj = p % w.kw;
    const T* plane = x + c * s[1];
    const long row_shift = ki * w.dilation_h - w.pad_top, col_shift = kj * w.dilation_w - w.pad_left;
    // Positions [q0, q0 + kc) in runs along one output row.
    for (long i = q0, end = q0 + kc; i < end;) {
      const long oh = i / w.out_w, ow = i % w.out_w, len = std::min(end - i, w.out_w - ow);
      T* dd = d + (i - q0) * mr;
      const long ih = oh * w.stride_h + row_shift;
      if (ih < 0 || ih >= g.height) {
        for (long j = 0; j < len; j++) dd[j * mr] = 0;
      } else {
        gather_row(plane + ih * s[2], ow * w.stride_w + col_shift, w.stride_w, s[3], g.width, len, dd, mr);
      }
      i += len;
    }
  }
}

}  // namespace

template <typename T>
bool conv_forward(const T* x, const long s[4], const T* weight, const T* bias, const ConvShape& g, T* out) {
  const MicroKernel<T>& uk = gemm_kernel<T>();
  const ConvWindow& w = g.w;
  const long taps = g.channels * w.kh * w.kw, positions = w.out_h * w.out_w, channels = g.out_channels;
  const int mr = uk.mr, nr = uk.nr;
  const long kc_max = uk.kc, n_pad = round_up(channels, nr), tiles = (positions + mr - 1) / mr;
  if (mr > 64) return false;
  // weightᵀ [K, O] packed once as op(B): slice pc at pc·n_pad, its panel j0 at j0·kc.
  T* packed_weight = scratch<T>(2, taps * n_pad);
  if (!packed_weight) return false;
  for (long pc = 0; pc < taps; pc += kc_max)
    pack_panels(weight, false, 0, taps, 0, channels, pc, std::min(kc_max, taps - pc), nr, packed_weight + pc * n_pad);
  std::atomic<bool> failed{false};
  // A unit is one MR-row tile of yᵀ in one image: MR positions, all channels.
  parallel_for(g.batch * tiles, double(g.batch) * positions * taps * channels, kParallelMinMacs, [&](long u0, long u1) {
    T* panel = scratch<T>(0, mr * std::min(kc_max, taps));
    T* tile = scratch<T>(1, mr * n_pad);
    if (!panel || !tile) {
      failed = true;
      return;
    }
    for (long u = u0; u < u1; u++) {
      const long n = u / tiles, i0 = u % tiles * mr, valid = std::min<long>(mr, positions - i0);
      for (long pc = 0; pc < taps; pc += kc_max) {
        const long kc = std::min(kc_max, taps - pc);
        pack_positions(x + n * s[0], s, g, i0, pc, kc, mr, panel);
        for (long j0 = 0; j0 < channels; j0 += nr) uk.fn(kc, panel, packed_weight + pc * n_pad + j0 * kc, tile + j0, n_pad, pc > 0);
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

template <typename T>
bool conv_weight_grad(const T* x, const long s[4], const T* gy, const ConvShape& g, T* grad_w) {
  const MicroKernel<T>& uk = gemm_kernel<T>();
  const ConvWindow& w = g.w;
  const long taps = g.channels * w.kh * w.kw, positions = w.out_h * w.out_w, channels = g.out_channels;
  const int mr = uk.mr, nr = uk.nr;
  const long kc_max = uk.kc, n_pad = round_up(channels, nr), tiles = (taps + mr - 1) / mr;
  const double macs = double(g.batch) * positions * taps * channels;
  // ȳᵀ [P, O] of every image packed as op(B): image n at n·P·n_pad, slice pc at pc·n_pad in it, panel j0 at j0·kc.
  T* packed_gy = scratch<T>(2, g.batch * positions * n_pad);
  // w̄ᵀ [K rounded up to MR, O rounded up to NR]: each thread accumulates its own rows.
  T* sum = scratch<T>(3, tiles * mr * n_pad);
  if (!packed_gy || !sum) return false;
  parallel_for(g.batch, double(g.batch) * positions * channels, 1 << 15, [&](long n0, long n1) {
    for (long n = n0; n < n1; n++)
      for (long pc = 0; pc < positions; pc += kc_max)
        pack_panels(gy + n * channels * positions, false, 0, positions, 0, channels, pc, std::min(kc_max, positions - pc), nr,
                    packed_gy + (n * positions + pc) * n_pad);
  });
  std::atomic<bool> failed{false};
  // A unit is one MR-row tile of w̄ᵀ (MR taps), summed over every image.
  parallel_for(tiles, macs, kParallelMinMacs, [&](long t0, long t1) {
    T* panel = scratch<T>(0, mr * std::min(kc_max, positions));
    if (!panel) {
      failed = true;
      return;
    }
    for (long n = 0; n < g.batch; n++) {
      for (long t = t0; t < t1; t++) {
        for (long pc = 0; pc < positions; pc += kc_max) {
          const long kc = std::min(kc_max, positions - pc);
          pack_taps(x + n * s[0], s, g, t * mr, pc, kc, mr, panel);
          const T* b = packed_gy + (n * positions + pc) * n_pad;
          for (long j0 = 0; j0 < channels; j0 += nr) uk.fn(kc, panel, b + j0 * kc, sum + t * mr * n_pad + j0, n_pad, n > 0 || pc > 0);
        }
      }
    }
  });
  if (failed) return false;
  for (long o = 0; o < channels; o++)
    for (long p = 0; p < taps; p++) grad_w[o * taps + p] = sum[p * n_pad + o];
  return true;
}

template <typename T>
bool conv_input_grad(const T* gy, const T* weight, const ConvShape& g, T* grad_x) {
  const MicroKernel<T>& uk = gemm_kernel<T>();
  const ConvWindow& w = g.w;
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
