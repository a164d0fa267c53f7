// Elementwise maps, reductions and softmax. Each op is a small functor, and
// each loop is instantiated per op (a switch outside the loop picks it), so
// the compiler inlines and vectorises the body: no per-element calls.
#include "elementwise.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <vector>

namespace backprop {

const char* const kUnaryNames[] = {"copy", "neg", "exp", "log", "sqrt", "abs", "sign", "square", "reciprocal", "sin",
                                   "cos", "tanh", "sigmoid", "relu", "erf", "gelu", "softplus", "leakyRelu", "clamp",
                                   "powScalar", "addScalar", "mulScalar", "divScalar", "rsubScalar", nullptr};
const char* const kBinaryNames[] = {"add", "sub", "mul", "div", "pow", "maximum", "minimum",
                                    "sigmoidBackward", "tanhBackward", "reluBackward", "geluBackward", nullptr};
const char* const kReduceNames[] = {"sum", "max", "min", nullptr};

namespace {

template <typename T, class F>
void map(const T* x, T* out, long n, F f) {
  for (long i = 0; i < n; i++) out[i] = static_cast<T>(f(x[i]));
}

// One row of a binary op; the common stride patterns get their own loops so
// that the contiguous and the broadcast-scalar cases vectorise.
template <typename T, class F>
void binary_row(const T* a, long sa, const T* b, long sb, T* out, long n, F f) {
  if (sa == 1 && sb == 1) {
    for (long j = 0; j < n; j++) out[j] = f(a[j], b[j]);
  } else if (sa == 1 && sb == 0) {
    const T bv = *b;
    for (long j = 0; j < n; j++) out[j] = f(a[j], bv);
  } else if (sa == 0 && sb == 1) {
    const T av = *a;
    for (long j = 0; j < n; j++) out[j] = f(av, b[j]);
  } else {
    for (long j = 0; j < n; j++) out[j] = f(a[j * sa], b[j * sb]);
  }
}

template <typename T, class F>
void binary_2d(const T* a, long sa0, long sa1, const T* b, long sb0, long sb1, T* out, long n0, long n1, F f) {
  for (long i = 0; i < n0; i++) binary_row(a + i * sa0, sa1, b + i * sb0, sb1, out + i * n1, n1, f);
}

// erf for the float32 kernels (see elementwise.h): GELU and its gradient
// call it per element, and the C library's double erf costs ~30 ns. The
// table is built as the JS kernel's (src/backend/js/special.ts), with
// coefficients from erf⁽ⁿ⁺¹⁾(c) = (2/√π)(−1)ⁿHₙ(c)e^{−c²}; within a few
// double ulps, far below a float's.
struct ErfTable {
  double c[kErfCentres][kErfDegree + 1];
  ErfTable() {
    for (int j = 0; j < kErfCentres; j++) {
      const double x = double(j) / kErfSteps, scale = M_2_SQRTPI * std::exp(-x * x);
      c[j][0] = std::erf(x);
      double h_prev = 0, h = 1, factorial = 1;  // Hermite H₀ = 1; H_{n+1} = 2x·Hₙ − 2n·H_{n−1}
      for (int n = 0; n < kErfDegree; n++) {
        factorial *= n + 1;
        c[j][n + 1] = scale * (n % 2 == 0 ? h : -h) / factorial;
        const double next = 2 * x * h - 2 * n * h_prev;
        h_prev = h;
        h = next;
      }
    }
  }
};
const ErfTable& erf_table() {
  static const ErfTable table;
  return table;
}

}  // namespace

const double* erf_f32_table() { return &erf_table().c[0][0]; }

double erf_f32(double x) {
  const double ax = std::fabs(x);
  if (!(ax < 2.5)) return std::erf(x);
  const long j = long(ax * kErfSteps + 0.5);
  const double h = ax - double(j) / kErfSteps;
  const double* c = erf_table().c[j];
  double r = c[kErfDegree];
  for (int d = kErfDegree - 1; d >= 0; d--) r = r * h + c[d];
  return std::copysign(r, x);
}

namespace {

// The erf a kernel of element type T uses: the table for float, the C library's for double.
template <typename T>
inline double erf_for(double x) {
  if constexpr (std::is_same_v<T, float>) return erf_f32(x);
  else return std::erf(x);
}

// NaN-propagating max/min, as the JS backend (and PyTorch) define them.
template <typename T> inline T max_nan(T x, T y) { return (x > y || x != x) ? x : y; }
template <typename T> inline T min_nan(T x, T y) { return (x < y || x != x) ? x : y; }

UnaryKernels detect_unary() {
  UnaryKernels k{"generic", nullptr, nullptr, nullptr};
  const char* forced = std::getenv("BACKPROP_NATIVE_ISA");
  if (forced && std::strcmp(forced, "generic") == 0) return k;
  if (!(forced && std::strcmp(forced, "avx2") == 0) && avx512_unary(&k)) return k;
  if (avx2_unary(&k)) return k;
  return k;
}

UnaryKernels& unary_kernels() {
  static UnaryKernels k = detect_unary();
  return k;
}

// float32 exp/sigmoid/tanh go to the SIMD kernel when there is one; double
// keeps libm (its results must stay within an ulp of V8's Math functions).
template <typename T>
bool unary_simd(Unary, const T*, T*, long) { return false; }
template <>
bool unary_simd<float>(Unary op, const float* x, float* out, long n) {
  const UnaryKernelF32 f = unary_kernels().f32;
  return f && f(op, x, out, n);
}

// Binary::GeluBackward on float32 rows that walk a and b contiguously, in SIMD where there is a kernel.
template <typename T>
bool gelu_backward_simd(const T*, long, long, const T*, long, long, T*, long, long) { return false; }
template <>
bool gelu_backward_simd<float>(const float* a, long sa0, long sa1, const float* b, long sb0, long sb1, float* out, long n0,
                               long n1) {
  const GeluBackwardF32 f = unary_kernels().gelu_backward;
  if (!f || sa1 != 1 || sb1 != 1) return false;
  for (long i = 0; i < n0; i++) f(a + i * sa0, b + i * sb0, out + i * n1, n1);
  return true;
}

// A float32 softmax row's exponentials in SIMD where there is a kernel (see ExpShiftedF32).
template <typename T>
bool exp_shifted_simd(const T*, long, double, double*) { return false; }
template <>
bool exp_shifted_simd<float>(const float* x, long n, double shift, double* e) {
  const ExpShiftedF32 f = unary_kernels().exp_shifted;
  if (!f) return false;
  f(x, n, shift, e);
  return true;
}

template <typename T>
bool has_exp_shifted_simd() { return false; }
template <>
bool has_exp_shifted_simd<float>() { return unary_kernels().exp_shifted != nullptr; }

}  // namespace

const char* unary_isa_name() { return unary_kernels().isa; }

bool unary_set_isa(const char* name) {
  UnaryKernels k{"generic", nullptr, nullptr, nullptr};
  if (std::strcmp(name, "avx512") == 0) {
    if (!avx512_unary(&k)) return false;
  } else if (std::strcmp(name, "avx2") == 0) {
    if (!avx2_unary(&k)) return false;
  } else if (std::strcmp(name, "generic") != 0) {
    return false;
  }
  unary_kernels() = k;
  return true;
}

template <typename T>
void unary(Unary op, const T* x, T* out, long n, double p0, double p1) {
  if (unary_simd(op, x, out, n)) return;
  switch (op) {
    case Unary::Copy: map(x, out, n, [](T v) { return v; }); return;
    case Unary::Neg: map(x, out, n, [](T v) { return -v; }); return;
    case Unary::Exp: map(x, out, n, [](double v) { return std::exp(v); }); return;
    case Unary::Log: map(x, out, n, [](double v) { return std::log(v); }); return;
    case Unary::Sqrt: map(x, out, n, [](T v) { return std::sqrt(v); }); return;
    case Unary::Abs: map(x, out, n, [](T v) { return std::fabs(v); }); return;
    case Unary::Sign: map(x, out, n, [](T v) { return v > 0 ? T(1) : v < 0 ? T(-1) : T(0); }); return;  // NaN and -0 give 0, as in PyTorch
    case Unary::Square: map(x, out, n, [](T v) { return v * v; }); return;
    case Unary::Reciprocal: map(x, out, n, [](T v) { return T(1) / v; }); return;
    case Unary::Sin: map(x, out, n, [](double v) { return std::sin(v); }); return;
    case Unary::Cos: map(x, out, n, [](double v) { return std::cos(v); }); return;
    case Unary::Tanh: map(x, out, n, [](double v) { return std::tanh(v); }); return;
    case Unary::Sigmoid: map(x, out, n, [](double v) { return 1.0 / (1.0 + std::exp(-v)); }); return;
    case Unary::Relu: map(x, out, n, [](T v) { return v > 0 ? v : v != v ? v : T(0); }); return;
    case Unary::Erf: map(x, out, n, [](double v) { return erf_for<T>(v); }); return;
    case Unary::Gelu: map(x, out, n, [](double v) { return 0.5 * v * (1.0 + erf_for<T>(v * M_SQRT1_2)); }); return;
    case Unary::Softplus:  // p0 = beta, p1 = threshold above which softplus(x) = x
      map(x, out, n, [p0, p1](double v) { const double s = v * p0; return s > p1 ? v : std::log1p(std::exp(s)) / p0; });
      return;
    case Unary::LeakyRelu: map(x, out, n, [p0](double v) { return v > 0 ? v : v * p0; }); return;
    // max applied after min, so that min > max gives max everywhere, as in PyTorch.
    case Unary::Clamp: map(x, out, n, [p0, p1](double v) { const double lo = (v < p0) ? p0 : v; return (lo > p1) ? p1 : lo; }); return;
    case Unary::PowScalar:
      if (p0 == 2) map(x, out, n, [](T v) { return v * v; });
      else map(x, out, n, [p0](double v) { return std::pow(v, p0); });
      return;
    // The scalar is a double, as in JS: compute in double, round once.
    case Unary::AddScalar: map(x, out, n, [p0](double v) { return v + p0; }); return;
    case Unary::MulScalar: map(x, out, n, [p0](double v) { return v * p0; }); return;
    case Unary::DivScalar: map(x, out, n, [p0](double v) { return v / p0; }); return;
    case Unary::RsubScalar: map(x, out, n, [p0](double v) { return p0 - v; }); return;
    case Unary::Count: return;
  }
}

template <typename T>
void binary(Binary op, const T* a, long sa0, long sa1, const T* b, long sb0, long sb1, T* out, long n0, long n1) {
  switch (op) {
    // +, -, *, / of two floats rounded once in float equal JS's double result rounded to float.
    case Binary::Add: binary_2d(a, sa0, sa1, b, sb0, sb1, out, n0, n1, [](T x, T y) { return x + y; }); return;
    case Binary::Sub: binary_2d(a, sa0, sa1, b, sb0, sb1, out, n0, n1, [](T x, T y) { return x - y; }); return;
    case Binary::Mul: binary_2d(a, sa0, sa1, b, sb0, sb1, out, n0, n1, [](T x, T y) { return x * y; }); return;
    case Binary::Div: binary_2d(a, sa0, sa1, b, sb0, sb1, out, n0, n1, [](T x, T y) { return x / y; }); return;
    case Binary::Pow:
      binary_2d(a, sa0, sa1, b, sb0, sb1, out, n0, n1,
                [](T x, T y) { return static_cast<T>(std::pow(double(x), double(y))); });
      return;
    case Binary::Maximum: binary_2d(a, sa0, sa1, b, sb0, sb1, out, n0, n1, max_nan<T>); return;
    case Binary::Minimum: binary_2d(a, sa0, sa1, b, sb0, sb1, out, n0, n1, min_nan<T>); return;
    // JS evaluates the whole expression in double and rounds once; so do these.
    case Binary::SigmoidBackward:
      binary_2d(a, sa0, sa1, b, sb0, sb1, out, n0, n1,
                [](T g, T y) { return static_cast<T>(double(g) * double(y) * (1.0 - double(y))); });
      return;
    case Binary::TanhBackward:
      binary_2d(a, sa0, sa1, b, sb0, sb1, out, n0, n1,
                [](T g, T y) { return static_cast<T>(double(g) * (1.0 - double(y) * double(y))); });
      return;
    // NaN in y passes the gradient, as in PyTorch; the zero is +0.
    case Binary::ReluBackward: binary_2d(a, sa0, sa1, b, sb0, sb1, out, n0, n1, [](T g, T y) { return y <= 0 ? T(0) : g; }); return;
    // g·(Φ(x) + x·φ(x)), x = GELU's input, in double as the JS kernel.
    case Binary::GeluBackward:
      if (gelu_backward_simd(a, sa0, sa1, b, sb0, sb1, out, n0, n1)) return;
      binary_2d(a, sa0, sa1, b, sb0, sb1, out, n0, n1, [](T g, T x) {
        const double v = x;
        return static_cast<T>(double(g) * (0.5 * (1.0 + erf_for<T>(v * M_SQRT1_2)) + v * (0.5 * M_2_SQRTPI * M_SQRT1_2) * std::exp(-0.5 * v * v)));
      });
      return;
    case Binary::Count: return;
  }
}

namespace {

// Sums accumulate in double, as the JS backend does. float32 rows go four
// lanes at a time (the wasm kernel's order, so the two agree bit for bit;
// rounded to float, the order almost never shows). float64 rows are added
// in order, as the JS kernel does, so float64 sums are bit-identical on
// every backend.
template <typename T>
double sum_row(const T* x, long n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  long k = 0;
  for (; k + 4 <= n; k += 4) { s0 += x[k]; s1 += x[k + 1]; s2 += x[k + 2]; s3 += x[k + 3]; }
  for (; k < n; k++) s0 += x[k];
  return (s0 + s1) + (s2 + s3);
}

template <>
double sum_row<double>(const double* x, long n) {
  double s = 0;
  for (long k = 0; k < n; k++) s += x[k];
  return s;
}

// Max/min over a row: NaN wins, tracked separately so the loop vectorises.
template <typename T, bool IsMax>
T extreme_row(const T* x, long n) {
  T best = IsMax ? -INFINITY : INFINITY;
  bool nan = false;
  for (long k = 0; k < n; k++) {
    const T v = x[k];
    nan |= v != v;
    best = IsMax ? (v > best ? v : best) : (v < best ? v : best);
  }
  return nan ? T(NAN) : best;
}

constexpr long kColumnBlock = 256;

// Reduction of a strided axis: walk rows of `inner` contiguous values and
// combine them into a block of accumulators.
template <typename T>
void reduce_columns(Reduce op, const T* x, long axis, long inner, T* out) {
  for (long i0 = 0; i0 < inner; i0 += kColumnBlock) {
    const long w = inner - i0 < kColumnBlock ? inner - i0 : kColumnBlock;
    if (op == Reduce::Sum) {
      double acc[kColumnBlock] = {};
      for (long k = 0; k < axis; k++) {
        const T* row = x + k * inner + i0;
        for (long i = 0; i < w; i++) acc[i] += row[i];
      }
      for (long i = 0; i < w; i++) out[i0 + i] = static_cast<T>(acc[i]);
    } else {
      const bool is_max = op == Reduce::Max;
      T acc[kColumnBlock];
      bool nan[kColumnBlock] = {};
      for (long i = 0; i < w; i++) acc[i] = is_max ? -INFINITY : INFINITY;
      for (long k = 0; k < axis; k++) {
        const T* row = x + k * inner + i0;
        if (is_max) for (long i = 0; i < w; i++) { const T v = row[i]; nan[i] |= v != v; acc[i] = v > acc[i] ? v : acc[i]; }
        else for (long i = 0; i < w; i++) { const T v = row[i]; nan[i] |= v != v; acc[i] = v < acc[i] ? v : acc[i]; }
      }
      for (long i = 0; i < w; i++) out[i0 + i] = nan[i] ? T(NAN) : acc[i];
    }
  }
}

}  // namespace

template <typename T>
void reduce(Reduce op, const T* x, long outer, long axis, long inner, T* out) {
  for (long o = 0; o < outer; o++) {
    const T* block = x + o * axis * inner;
    if (inner == 1) {
      switch (op) {
        case Reduce::Sum: out[o] = static_cast<T>(sum_row(block, axis)); break;
        case Reduce::Max: out[o] = extreme_row<T, true>(block, axis); break;
        case Reduce::Min: out[o] = extreme_row<T, false>(block, axis); break;
        case Reduce::Count: break;
      }
    } else {
      reduce_columns(op, block, axis, inner, out + o * inner);
    }
  }
}

namespace {

// Rows of a contiguous float32 softmax handled side by side.
constexpr long kSoftmaxBlock = 8;

// Softmax of rows o0 .. o0+R−1 (contiguous, `axis` long), each row's max,
// exponentials (SIMD, into e), sum and outputs as the one-row loop below
// computes them; the rows' dependent chains (the max, the sum) run side by
// side, one per row, so that they overlap.
template <long R, typename T>
void softmax_rows(const T* x, long o0, long axis, T* out, double* e) {
  const T* src = x + o0 * axis;
  double m[R], sum[R];
  for (long q = 0; q < R; q++) { m[q] = -INFINITY; sum[q] = 0; }
  for (long k = 0; k < axis; k++)
    for (long q = 0; q < R; q++) {
      const double v = src[q * axis + k];
      m[q] = (v > m[q] || v != v) ? v : m[q];
    }
  // All -inf: shift by 0 so the result is NaN/-inf as in PyTorch.
  for (long q = 0; q < R; q++) exp_shifted_simd(src + q * axis, axis, m[q] == -INFINITY ? 0 : m[q], e + q * axis);
  for (long k = 0; k < axis; k++)
    for (long q = 0; q < R; q++) sum[q] += e[q * axis + k];
  for (long q = 0; q < R; q++) {
    const double inv = 1 / sum[q];
    T* dst = out + (o0 + q) * axis;
    const double* eq = e + q * axis;
    for (long k = 0; k < axis; k++) dst[k] = static_cast<T>(eq[k] * inv);
  }
}

}  // namespace

template <typename T>
void softmax(const T* x, long outer, long axis, long inner, T* out, bool log) {
  // Contiguous float32 rows keep their exponentials here (computed once, in SIMD).
  thread_local std::vector<double> exps;
  const bool rows = inner == 1 && !log;
  if (rows && long(exps.size()) < kSoftmaxBlock * axis) exps.resize(kSoftmaxBlock * axis);
  if (rows && has_exp_shifted_simd<T>()) {
    long o = 0;
    for (; o + kSoftmaxBlock <= outer; o += kSoftmaxBlock) softmax_rows<kSoftmaxBlock>(x, o, axis, out, exps.data());
    for (; o < outer; o++) softmax_rows<1>(x, o, axis, out, exps.data());
    return;
  }
  for (long o = 0; o < outer; o++) {
    for (long i = 0; i < inner; i++) {
      const T* src = x + o * axis * inner + i;
      T* dst = out + o * axis * inner + i;
      double m = -INFINITY;
      for (long k = 0; k < axis; k++) { const double v = src[k * inner]; if (v > m || v != v) m = v; }
      // All -inf: shift by 0 so the result is NaN/-inf as in PyTorch.
      const double shift = m == -INFINITY ? 0 : m;
      if (rows && exp_shifted_simd(src, axis, shift, exps.data())) {
        double sum = 0;
        for (long k = 0; k < axis; k++) sum += exps[k];
        const double inv = 1 / sum;
        for (long k = 0; k < axis; k++) dst[k] = static_cast<T>(exps[k] * inv);
        continue;
      }
      double sum = 0;
      for (long k = 0; k < axis; k++) sum += std::exp(double(src[k * inner]) - shift);
      if (log) {
        const double lse = std::log(sum);
        for (long k = 0; k < axis; k++) dst[k * inner] = static_cast<T>(double(src[k * inner]) - shift - lse);
      } else {
        const double inv = 1 / sum;
        for (long k = 0; k < axis; k++) dst[k * inner] = static_cast<T>(std::exp(double(src[k * inner]) - shift) * inv);
      }
    }
  }
}

namespace {

constexpr long kTransposeBlock = 32;

// out[r, c] = x[r*rs + c*cs] for an rows x cols block. When the source walks
// a column (cs != 1), copy in square tiles so that both the reads and the
// writes stay within a few cache lines.
template <typename T>
void copy_2d(const T* x, long rows, long cols, long rs, long cs, T* out) {
  if (cs == 1) {
    for (long r = 0; r < rows; r++)
      for (long c = 0; c < cols; c++) out[r * cols + c] = x[r * rs + c];
    return;
  }
  for (long r0 = 0; r0 < rows; r0 += kTransposeBlock) {
    const long r1 = r0 + kTransposeBlock < rows ? r0 + kTransposeBlock : rows;
    for (long c0 = 0; c0 < cols; c0 += kTransposeBlock) {
      const long c1 = c0 + kTransposeBlock < cols ? c0 + kTransposeBlock : cols;
      for (long r = r0; r < r1; r++)
        for (long c = c0; c < c1; c++) out[r * cols + c] = x[r * rs + c * cs];
    }
  }
}

}  // namespace

template <typename T>
void copy_strided(const T* x, const long* sizes, const long* strides, T* out) {
  const long plane = sizes[2] * sizes[3];
  for (long i0 = 0; i0 < sizes[0]; i0++)
    for (long i1 = 0; i1 < sizes[1]; i1++)
      copy_2d(x + i0 * strides[0] + i1 * strides[1], sizes[2], sizes[3], strides[2], strides[3],
              out + (i0 * sizes[1] + i1) * plane);
}

template <typename T>
void where(const unsigned char* cond, long sc0, long sc1, const T* a, long sa0, long sa1, const T* b, long sb0,
           long sb1, T* out, long n0, long n1) {
  for (long i = 0; i < n0; i++) {
    const unsigned char* c = cond + i * sc0;
    const T* ar = a + i * sa0;
    const T* br = b + i * sb0;
    T* o = out + i * n1;
    // The masked gradient of relu and friends: a contiguous mask choosing
    // between a contiguous tensor and a broadcast scalar.
    if (sc1 == 1 && sa1 == 1 && sb1 == 0) {
      const T bv = *br;
      for (long j = 0; j < n1; j++) o[j] = c[j] ? ar[j] : bv;
    } else if (sc1 == 1 && sa1 == 0 && sb1 == 1) {
      const T av = *ar;
      for (long j = 0; j < n1; j++) o[j] = c[j] ? av : br[j];
    } else {
      for (long j = 0; j < n1; j++) o[j] = c[j * sc1] ? ar[j * sa1] : br[j * sb1];
    }
  }
}

template void where<float>(const unsigned char*, long, long, const float*, long, long, const float*, long, long, float*,
                           long, long);
template void where<double>(const unsigned char*, long, long, const double*, long, long, const double*, long, long,
                            double*, long, long);
template void copy_strided<float>(const float*, const long*, const long*, float*);
template void copy_strided<double>(const double*, const long*, const long*, double*);
template void unary<float>(Unary, const float*, float*, long, double, double);
template void unary<double>(Unary, const double*, double*, long, double, double);
template void binary<float>(Binary, const float*, long, long, const float*, long, long, float*, long, long);
template void binary<double>(Binary, const double*, long, long, const double*, long, long, double*, long, long);
template void reduce<float>(Reduce, const float*, long, long, long, float*);
template void reduce<double>(Reduce, const double*, long, long, long, double*);
template void softmax<float>(const float*, long, long, long, float*, bool);
template void softmax<double>(const double*, long, long, long, double*, bool);

}  // namespace backprop
