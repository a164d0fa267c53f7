// The GEMM's building blocks, for drivers that pack their own operands
// (conv_gemm.cc packs a conv's column matrix straight from the image).
#pragma once

#include <cstddef>

#include "microkernel.h"

namespace backprop {

// The micro-kernel the GEMM uses for T on this CPU.
template <typename T>
const MicroKernel<T>& gemm_kernel();

// Packs `count` lines (rows of op(A) or columns of op(B)) from `first` on,
// depth p in [p0, p0+kc), into w-wide panels stored depth step by depth
// step; lines past the matrix are zero. `adjacent`: the operand stores a
// depth step's lines next to each other, ld apart per step (Aᵀ kept [k, m],
// B kept [k, n]); otherwise each line is contiguous along K (k apart).
template <typename T>
void pack_panels(const T* x, bool adjacent, long ld, long k, long first, long count, long p0, long kc, int w, T* dst);

// A 64-byte-aligned buffer of at least `need` bytes in buf (have: its size),
// reallocated when too small; null when memory runs out.
void* ensure_buffer(void*& buf, size_t& have, size_t need);

}  // namespace backprop
