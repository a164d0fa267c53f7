// The innermost piece of the GEMM: C[MR x NR] (+)= A_panel · B_panel, where
// A_panel is MR rows of A packed column by column (kc columns of MR values)
// and B_panel is NR columns of B packed row by row (kc rows of NR values).
// One implementation per instruction set; the driver picks one at run time.
#pragma once

namespace backprop {

template <typename T>
using MicroKernelFn = void (*)(long kc, const T* a, const T* b, T* c, long ldc, bool accumulate);

// The same with A read in place: step p's MR values are a[offsets[p] + r].
template <typename T>
using MicroKernelAtFn = void (*)(long kc, const T* a, const long* offsets, const T* b, T* c, long ldc, bool accumulate);

// A block of dot products along positions (tile.inc, dot_block): a conv's weight gradient without packing.
template <typename T>
using DotBlockFn = void (*)(long len, long images, const T* x, long x_image, const long* xoff, const T* g, long ldg, long g_image,
                            T* c, long ldc, bool accumulate);

// Packs panels for the GEMM (gemm_parts.h, pack_panels); null: the portable loops.
template <typename T>
using PackFn = void (*)(const T* x, bool adjacent, long ld, long k, long first, long count, long p0, long kc, int w, T* dst);

template <typename T>
struct MicroKernel {
  const char* isa;  // "avx512", "avx2", "generic"
  int mr, nr;       // tile shape
  int mc, kc, nc;   // cache blocking: A block mc x kc (L2), B block kc x nc (L3)
  MicroKernelFn<T> fn;
  MicroKernelAtFn<T> fn_at;
  int dot_r, dot_j, lanes;  // dot_block's taps × channels, and its vectors' lanes
  DotBlockFn<T> dot;
  PackFn<T> pack;
  // A kernel one vector wide for products with n <= its nr (null: none),
  // which the full-width tile would half fill with padding.
  const MicroKernel* narrow = nullptr;
};

// Each returns false when this CPU (or this build) lacks the instructions.
bool avx512_kernels(MicroKernel<float>* f32, MicroKernel<double>* f64);
bool avx2_kernels(MicroKernel<float>* f32, MicroKernel<double>* f64);
void generic_kernels(MicroKernel<float>* f32, MicroKernel<double>* f64);

// pack_avx512.cc: PackFn with AVX-512 transposes (call only where avx512_kernels succeeded).
void pack_panels_avx512(const float* x, bool adjacent, long ld, long k, long first, long count, long p0, long kc, int w, float* dst);
void pack_panels_avx512(const double* x, bool adjacent, long ld, long k, long first, long count, long p0, long kc, int w, double* dst);

}  // namespace backprop
