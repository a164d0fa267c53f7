// Elementwise, reduction and softmax kernels on contiguous (or 2-D strided)
// float arrays. Semantics match the reference JS backend (src/backend/js):
// float32 inputs are computed in double where JS would, then rounded once.
#pragma once

namespace backprop {

// Order matters: the addon exports these names and JS indexes them.
enum class Unary { Copy, Neg, Exp, Log, Sqrt, Abs, Sign, Square, Reciprocal, Sin, Cos, Tanh, Sigmoid, Relu, Erf, Gelu,
                   Softplus, LeakyRelu, Clamp, PowScalar, AddScalar, MulScalar, DivScalar, RsubScalar, Count };
// The *Backward ops are fused first-order gradients: a is the incoming
// gradient, b the op's saved output (src/backend/backend.ts, BinaryOp).
enum class Binary { Add, Sub, Mul, Div, Pow, Maximum, Minimum, SigmoidBackward, TanhBackward, ReluBackward, GeluBackward, Count };
enum class Reduce { Sum, Max, Min, Count };

extern const char* const kUnaryNames[];
extern const char* const kBinaryNames[];
extern const char* const kReduceNames[];

template <typename T>
void unary(Unary op, const T* x, T* out, long n, double p0, double p1);

// A SIMD float32 unary kernel (exp, sigmoid, tanh) over all n elements;
// false, doing nothing, for an op it does not cover.
using UnaryKernelF32 = bool (*)(Unary op, const float* x, float* out, long n);
// e[k] = exp(double(x[k]) − shift) for k < n, in double (0 where the
// exponent is below −104, whose float softmax weight is 0 anyway): one
// softmax row's exponentials, computed once instead of twice with libm.
using ExpShiftedF32 = void (*)(const float* x, long n, double shift, double* e);
// out[i] = g[i]·gelu'(x[i]) over n contiguous float32 elements (Binary::GeluBackward).
using GeluBackwardF32 = void (*)(const float* g, const float* x, float* out, long n);
struct UnaryKernels {
  const char* isa;     // "avx512", "avx2", "generic"
  UnaryKernelF32 f32;  // null: the scalar libm loops
  ExpShiftedF32 exp_shifted;  // null: libm
  GeluBackwardF32 gelu_backward;  // null: the scalar loop
};

// erf for the float32 kernels (elementwise.cc): below 2.5, the Taylor
// polynomial of degree kErfDegree about the nearest multiple of
// 1/kErfSteps, whose coefficients are row j of erf_f32_table() (lowest
// degree first); from 2.5 on, the C library's erf. The SIMD kernels gather
// the same rows and round the same way, so they give the same bits.
constexpr int kErfSteps = 32, kErfCentres = 81, kErfDegree = 8;
const double* erf_f32_table();
double erf_f32(double x);
// Each returns false when this CPU (or this build) lacks the instructions.
bool avx512_unary(UnaryKernels* k);
bool avx2_unary(UnaryKernels* k);
// Forces the instruction set of the unary kernels (for tests); false when
// this CPU lacks it.
bool unary_set_isa(const char* name);
const char* unary_isa_name();

// out[i, j] = op(a[i*sa0 + j*sa1], b[i*sb0 + j*sb1]) for i < n0, j < n1; out contiguous.
template <typename T>
void binary(Binary op, const T* a, long sa0, long sa1, const T* b, long sb0, long sb1, T* out, long n0, long n1);

// out[i, j] = cond[i*sc0 + j*sc1] != 0 ? a[...] : b[...] over n0 x n1; out contiguous.
template <typename T>
void where(const unsigned char* cond, long sc0, long sc1, const T* a, long sa0, long sa1, const T* b, long sb0,
           long sb1, T* out, long n0, long n1);

// Gathers a strided view of up to 4 dimensions into contiguous `out`:
// out[i0, i1, i2, i3] = x[i0*s[0] + i1*s[1] + i2*s[2] + i3*s[3]].
template <typename T>
void copy_strided(const T* x, const long* sizes, const long* strides, T* out);

// Reduces the middle axis of a contiguous [outer, axis, inner] block.
template <typename T>
void reduce(Reduce op, const T* x, long outer, long axis, long inner, T* out);

// Stable (log-)softmax along the middle axis of [outer, axis, inner].
template <typename T>
void softmax(const T* x, long outer, long axis, long inner, T* out, bool log);

}  // namespace backprop
