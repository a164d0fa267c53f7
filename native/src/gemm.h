// Batched GEMM on row-major matrices: C[b] = op(A[b]) · op(B[b]).
#pragma once

namespace backprop {

template <typename T>
struct GemmArgs {
  const T* a;            // A[b] starts at a + b * a_batch_stride; [m, k], or [k, m] when trans_a
  long a_batch_stride;   // 0 broadcasts A over the batch
  bool trans_a;
  const T* b;            // B[b]: [k, n], or [n, k] when trans_b
  long b_batch_stride;
  bool trans_b;
  T* c;                  // contiguous [batch, m, n]
  long batch, m, k, n;
};

// Returns false only when the packing buffers cannot be allocated.
template <typename T>
bool gemm(const GemmArgs<T>& g);

// The instruction set the micro-kernels use ("avx512", "avx2" or "generic").
const char* gemm_isa();
// Forces an instruction set (for tests and benchmarks); false if this CPU lacks it.
bool gemm_set_isa(const char* name);

}  // namespace backprop
