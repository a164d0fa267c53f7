// Portable micro-kernel in plain C++: fixed-size loops that the compiler
// vectorises for whatever the baseline target offers (SSE2, NEON, ...).
#include "microkernel.h"

namespace backprop {
namespace {

// With `offsets` (tile_at), step p's MR values of A are a[offsets[p] + r] (microkernel.h).
template <typename T, int MR, int NR, bool At>
inline void tile_body(long kc, const T* a, const long* offsets, const T* b, T* c, long ldc, bool accumulate) {
  T acc[MR][NR] = {};
  for (long p = 0; p < kc; p++) {
    const T* ap = At ? a + offsets[p] : a;
    for (int r = 0; r < MR; r++) {
      const T av = ap[r];
      for (int j = 0; j < NR; j++) acc[r][j] += av * b[j];
    }
    if (!At) a += MR;
    b += NR;
  }
  for (int r = 0; r < MR; r++) {
    T* row = c + r * ldc;
    if (accumulate) for (int j = 0; j < NR; j++) row[j] += acc[r][j];
    else for (int j = 0; j < NR; j++) row[j] = acc[r][j];
  }
}

template <typename T, int MR, int NR>
void tile(long kc, const T* a, const T* b, T* c, long ldc, bool accumulate) {
  tile_body<T, MR, NR, false>(kc, a, nullptr, b, c, ldc, accumulate);
}

template <typename T, int MR, int NR>
void tile_at(long kc, const T* a, const long* offsets, const T* b, T* c, long ldc, bool accumulate) {
  tile_body<T, MR, NR, true>(kc, a, offsets, b, c, ldc, accumulate);
}

// tile.inc's dot_block with one lane: plain sums in order of q.
template <typename T, int R, int J>
void dot_block(long len, long images, const T* x, long x_image, const long* xoff, const T* g, long ldg, long g_image, T* c, long ldc,
               bool accumulate) {
  T acc[R][J] = {};
  for (long n = 0; n < images; n++, x += x_image, g += g_image)
    for (long q = 0; q < len; q++)
      for (int r = 0; r < R; r++)
        for (int j = 0; j < J; j++) acc[r][j] += x[xoff[r] + q] * g[j * ldg + q];
  for (int r = 0; r < R; r++)
    for (int j = 0; j < J; j++) c[r * ldc + j] = accumulate ? c[r * ldc + j] + acc[r][j] : acc[r][j];
}

}  // namespace

void generic_kernels(MicroKernel<float>* f32, MicroKernel<double>* f64) {
  *f32 = {"generic", 4, 8, 128, 256, 2048, tile<float, 4, 8>, tile_at<float, 4, 8>, 2, 4, 1, dot_block<float, 2, 4>, nullptr};
  *f64 = {"generic", 4, 4, 128, 256, 2048, tile<double, 4, 4>, tile_at<double, 4, 4>, 2, 4, 1, dot_block<double, 2, 4>, nullptr};
}

}  // namespace backprop
