// Adam's update. The scalar loop below is the definition: a transcription
// of src/optim/adam.ts, which computes every expression in double and rounds
// to the parameter's dtype where it calls r(); here `r` does the same, and
// every other intermediate is a double. The SIMD kernels (adam.inc) give the
// same bits faster; the scalar loop finishes their ragged tails and serves
// CPUs without them. A fused multiply-add would skip a rounding JS performs:
// the build turns contraction off (binding.gyp: -ffp-contract=off).
#include "optimizer.h"

#include <cmath>
#include <cstring>
#include <initializer_list>

#include "thread_pool.h"

#if defined(__clang__)
#pragma clang fp contract(off)
#endif

namespace backprop {
namespace {

template <typename T>
inline double r(double x) {
  return static_cast<double>(static_cast<T>(x));
}

template <typename T>
void adam_scalar(T* p, const T* grad, T* m, T* v, T* v_max, long n, const AdamScalars& s) {
  for (long i = 0; i < n; i++) {
    double pi = p[i];
    if (s.shrink != 1) pi = r<T>(pi * s.shrink);
    const double gi = s.l2 != 0 ? r<T>(pi * s.l2 + double(grad[i])) : double(grad[i]);
    const double mi = r<T>(gi * s.one_minus_beta1 + r<T>(double(m[i]) * s.beta1));
    const double vi = r<T>(r<T>(s.one_minus_beta2 * gi) * gi + r<T>(double(v[i]) * s.beta2));
    m[i] = static_cast<T>(mi);
    v[i] = static_cast<T>(vi);
    double second = vi;
    if (v_max) {
      if (double(v_max[i]) < second || second != second) v_max[i] = static_cast<T>(second);
      second = v_max[i];
    }
    const double denom = r<T>(r<T>(r<T>(std::sqrt(second)) / s.bc2_sqrt) + s.eps);
    p[i] = static_cast<T>(r<T>(pi + r<T>(r<T>(s.neg_step_size * mi) / denom)));
  }
}

AdamKernels detect_best() {
  AdamKernels k;
  if (avx512_adam(&k) || avx2_adam(&k)) return k;
  return {"generic", nullptr, nullptr};
}

AdamKernels& kernels() {
  static AdamKernels k = detect_best();
  return k;
}

// The float kernels hold the scalars in float lanes; adam.ts always passes
// floats, but anything else must take the scalar loop to keep its bits.
bool exact_floats(const AdamScalars& s) {
  for (double x : {s.neg_step_size, s.bc2_sqrt, s.beta1, s.one_minus_beta1, s.beta2, s.one_minus_beta2, s.eps, s.l2,
                   s.shrink})
    if (double(float(x)) != x) return false;
  return true;
}

template <typename T> AdamKernel<T> kernel_for(const AdamKernels& k, const AdamScalars& s);
template <> AdamKernel<float> kernel_for<float>(const AdamKernels& k, const AdamScalars& s) {
  return k.f32 && exact_floats(s) ? k.f32 : nullptr;
}
template <> AdamKernel<double> kernel_for<double>(const AdamKernels& k, const AdamScalars&) { return k.f64; }

template <typename T>
struct Job {
  T *p, *m, *v, *v_max;
  const T* grad;
  long n;
  const AdamScalars* s;
  AdamKernel<T> kernel;
};

// Elements are independent, so any split gives the same bits; chunk edges
// sit on multiples of 64 elements (whole cache lines, whole vectors).
template <typename T>
void run_range(const Job<T>& job, long i0, long i1) {
  long done = i0;
  if (job.kernel) {
    done += job.kernel(job.p + i0, job.grad + i0, job.m + i0, job.v + i0, job.v_max ? job.v_max + i0 : nullptr,
                       i1 - i0, *job.s);
  }
  adam_scalar(job.p + done, job.grad + done, job.m + done, job.v + done, job.v_max ? job.v_max + done : nullptr,
              i1 - done, *job.s);
}

template <typename T>
void run_part(void* ctx, int part, int parts) {
  const Job<T>& job = *static_cast<const Job<T>*>(ctx);
  const long blocks = (job.n + 63) / 64;
  const long i0 = blocks * part / parts * 64, i1 = blocks * (part + 1) / parts * 64;
  run_range(job, i0, i1 < job.n ? i1 : job.n);
}

// Below this many parameters (about 12 us on one AVX-512 core, as for the
// GEMM) a second thread costs more than it saves.
constexpr long kParallelMin = 1 << 14;
// Chunks per thread, so that a descheduled thread delays the step by little.
constexpr long kChunksPerThread = 4;

}  // namespace

template <typename T>
void adam_update(T* p, const T* grad, T* m, T* v, T* v_max, long n, const AdamScalars& s) {
  Job<T> job{p, m, v, v_max, grad, n, &s, kernel_for<T>(kernels(), s)};
  const long threads = pool_threads();
  if (threads <= 1 || n < kParallelMin) {
    run_range(job, 0, n);
    return;
  }
  parallel_run(static_cast<int>(threads * kChunksPerThread), run_part<T>, &job);
}

const char* adam_isa_name() { return kernels().isa; }

bool adam_set_isa(const char* name) {
  AdamKernels k;
  if (std::strcmp(name, "avx512") == 0) {
    if (!avx512_adam(&k)) return false;
  } else if (std::strcmp(name, "avx2") == 0) {
    if (!avx2_adam(&k)) return false;
  } else if (std::strcmp(name, "generic") == 0) {
    k = {"generic", nullptr, nullptr};
  } else {
    return false;
  }
  kernels() = k;
  return true;
}

template void adam_update<float>(float*, const float*, float*, float*, float*, long, const AdamScalars&);
template void adam_update<double>(double*, const double*, double*, double*, double*, long, const AdamScalars&);

}  // namespace backprop
