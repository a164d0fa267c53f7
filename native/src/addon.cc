// The Node-API face of the native kernels. Every function takes typed arrays
// and element offsets exactly as the Backend interface does
// (src/backend/backend.ts), checks that each access stays inside its array,
// and runs the kernel on the arrays' memory directly: no copies.
#include <node_api.h>

#include <cstdio>
#include <algorithm>
#include <cstring>
#include <initializer_list>

#include "batch_norm.h"
#include "layer_norm.h"
#include "attention.h"
#include "conv.h"
#include "conv_gemm.h"
#include "elementwise.h"
#include "gemm.h"
#include "optimizer.h"
#include "thread_pool.h"

namespace backprop {
namespace {

constexpr size_t kMaxArgs = 32;

// The arguments of one call, with helpers that read them and remember the
// first problem; `ok()` says whether all reads succeeded.
struct Args {
  napi_env env;
  const char* fn;
  napi_value argv[kMaxArgs];
  size_t argc = kMaxArgs;
  bool failed = false;

  Args(napi_env e, napi_callback_info info, const char* name) : env(e), fn(name) {
    if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) fail("could not read arguments");
  }

  void fail(const char* what) {
    if (failed) return;
    failed = true;
    char msg[256];
    std::snprintf(msg, sizeof msg, "native %s: %s", fn, what);
    napi_throw_type_error(env, nullptr, msg);
  }

  void range_error(const char* what, long need, long have) {
    if (failed) return;
    failed = true;
    char msg[256];
    std::snprintf(msg, sizeof msg, "native %s: %s needs %ld elements but the array has %ld", fn, what, need, have);
    napi_throw_range_error(env, nullptr, msg);
  }

  bool ok() const { return !failed; }

  napi_value at(size_t i) {
    if (i >= argc) { fail("missing argument"); return nullptr; }
    return argv[i];
  }

  long integer(size_t i) {
    int64_t v = 0;
    napi_value a = at(i);
    if (a && napi_get_value_int64(env, a, &v) != napi_ok) fail("expected an integer argument");
    return static_cast<long>(v);
  }

  double number(size_t i) {
    double v = 0;
    napi_value a = at(i);
    if (a && napi_get_value_double(env, a, &v) != napi_ok) fail("expected a number argument");
    return v;
  }

  bool boolean(size_t i) {
    bool v = false;
    napi_value a = at(i);
    if (a && napi_get_value_bool(env, a, &v) != napi_ok) fail("expected a boolean argument");
    return v;
  }

  // A typed array argument: its element type, data and length in elements.
  struct Array {
    napi_typedarray_type type = napi_float32_array;
    void* data = nullptr;
    long length = 0;
  };

  // A typed array of one of the `allowed` element types: its type, data and length.
  Array typed(size_t i, std::initializer_list<napi_typedarray_type> allowed, const char* expected) {
    Array r;
    napi_value a = at(i);
    if (!a) return r;
    bool is_typed = false;
    napi_is_typedarray(env, a, &is_typed);
    size_t len = 0;
    bool ok = is_typed && napi_get_typedarray_info(env, a, &r.type, &len, &r.data, nullptr, nullptr) == napi_ok;
    if (ok) {
      ok = false;
      for (napi_typedarray_type t : allowed) ok = ok || r.type == t;
    }
    if (!ok) {
      fail(expected);
      return r;
    }
    r.length = static_cast<long>(len);
    return r;
  }

  Array floats(size_t i) {
    return typed(i, {napi_float32_array, napi_float64_array}, "expected a Float32Array or Float64Array");
  }

  // Bool tensors' storage.
  Array bytes(size_t i) { return typed(i, {napi_uint8_array}, "expected a Uint8Array condition"); }
};

bool same_type(Args& args, const Args::Array& x, const Args::Array& y) {
  if (x.type != y.type) args.fail("arrays must all be Float32Array or all Float64Array");
  return args.ok();
}

// Highest element index touched by start + Σ (size_d - 1) * stride_d, checked
// against the array's length; strides may not be negative.
bool check_extent(Args& args, const char* what, const Args::Array& arr, long offset, long last_step) {
  if (!args.ok()) return false;
  if (offset < 0 || last_step < 0) { args.fail("offsets and strides must be non-negative"); return false; }
  if (offset + last_step >= arr.length) { args.range_error(what, offset + last_step + 1, arr.length); return false; }
  return true;
}

napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

// matmul(a, aOff, aBatchStride, transA, b, bOff, bBatchStride, transB, out, batch, m, k, n)
napi_value Matmul(napi_env env, napi_callback_info info) {
  Args args(env, info, "matmul");
  Args::Array a = args.floats(0), b = args.floats(4), out = args.floats(8);
  const long a_off = args.integer(1), a_bs = args.integer(2), b_off = args.integer(5), b_bs = args.integer(6);
  const bool ta = args.boolean(3), tb = args.boolean(7);
  const long batch = args.integer(9), m = args.integer(10), k = args.integer(11), n = args.integer(12);
  if (!args.ok() || !same_type(args, a, b) || !same_type(args, a, out)) return nullptr;
  if (batch < 0 || m < 0 || k < 0 || n < 0) { args.fail("sizes must be non-negative"); return nullptr; }
  if (batch == 0 || m == 0 || n == 0) return undefined(env);
  if (k > 0) {
    if (!check_extent(args, "A", a, a_off, (batch - 1) * a_bs + m * k - 1)) return nullptr;
    if (!check_extent(args, "B", b, b_off, (batch - 1) * b_bs + k * n - 1)) return nullptr;
  }
  if (!check_extent(args, "out", out, 0, batch * m * n - 1)) return nullptr;
  bool done;
  if (a.type == napi_float32_array) {
    GemmArgs<float> g{static_cast<const float*>(a.data) + a_off, a_bs, ta, static_cast<const float*>(b.data) + b_off,
                      b_bs, tb, static_cast<float*>(out.data), batch, m, k, n};
    done = gemm(g);
  } else {
    GemmArgs<double> g{static_cast<const double*>(a.data) + a_off, a_bs, ta, static_cast<const double*>(b.data) + b_off,
                       b_bs, tb, static_cast<double*>(out.data), batch, m, k, n};
    done = gemm(g);
  }
  if (!done) { napi_throw_error(env, nullptr, "native matmul: out of memory for the packing buffers"); return nullptr; }
  return undefined(env);
}

// unary(op, x, xOff, out, n, p0, p1)
napi_value UnaryFn(napi_env env, napi_callback_info info) {
  Args args(env, info, "unary");
  const long op = args.integer(0);
  Args::Array x = args.floats(1), out = args.floats(3);
  const long x_off = args.integer(2), n = args.integer(4);
  const double p0 = args.number(5), p1 = args.number(6);
  if (!args.ok() || !same_type(args, x, out)) return nullptr;
  if (op < 0 || op >= static_cast<long>(Unary::Count)) { args.fail("unknown op"); return nullptr; }
  if (n <= 0) return undefined(env);
  if (!check_extent(args, "x", x, x_off, n - 1) || !check_extent(args, "out", out, 0, n - 1)) return nullptr;
  if (x.type == napi_float32_array) unary(Unary(op), static_cast<const float*>(x.data) + x_off, static_cast<float*>(out.data), n, p0, p1);
  else unary(Unary(op), static_cast<const double*>(x.data) + x_off, static_cast<double*>(out.data), n, p0, p1);
  return undefined(env);
}

// binary(op, a, aOff, sa0, sa1, b, bOff, sb0, sb1, out, n0, n1)
napi_value BinaryFn(napi_env env, napi_callback_info info) {
  Args args(env, info, "binary");
  const long op = args.integer(0);
  Args::Array a = args.floats(1), b = args.floats(5), out = args.floats(9);
  const long a_off = args.integer(2), sa0 = args.integer(3), sa1 = args.integer(4);
  const long b_off = args.integer(6), sb0 = args.integer(7), sb1 = args.integer(8);
  const long n0 = args.integer(10), n1 = args.integer(11);
  if (!args.ok() || !same_type(args, a, b) || !same_type(args, a, out)) return nullptr;
  if (op < 0 || op >= static_cast<long>(Binary::Count)) { args.fail("unknown op"); return nullptr; }
  if (n0 <= 0 || n1 <= 0) return undefined(env);
  if (!check_extent(args, "a", a, a_off, (n0 - 1) * sa0 + (n1 - 1) * sa1) ||
      !check_extent(args, "b", b, b_off, (n0 - 1) * sb0 + (n1 - 1) * sb1) ||
      !check_extent(args, "out", out, 0, n0 * n1 - 1))
    return nullptr;
  if (a.type == napi_float32_array)
    binary(Binary(op), static_cast<const float*>(a.data) + a_off, sa0, sa1, static_cast<const float*>(b.data) + b_off,
           sb0, sb1, static_cast<float*>(out.data), n0, n1);
  else
    binary(Binary(op), static_cast<const double*>(a.data) + a_off, sa0, sa1,
           static_cast<const double*>(b.data) + b_off, sb0, sb1, static_cast<double*>(out.data), n0, n1);
  return undefined(env);
}

// where(cond, cOff, sc0, sc1, a, aOff, sa0, sa1, b, bOff, sb0, sb1, out, n0, n1); cond a Uint8Array
napi_value WhereFn(napi_env env, napi_callback_info info) {
  Args args(env, info, "where");
  Args::Array c = args.bytes(0), a = args.floats(4), b = args.floats(8), out = args.floats(12);
  const long c_off = args.integer(1), sc0 = args.integer(2), sc1 = args.integer(3);
  const long a_off = args.integer(5), sa0 = args.integer(6), sa1 = args.integer(7);
  const long b_off = args.integer(9), sb0 = args.integer(10), sb1 = args.integer(11);
  const long n0 = args.integer(13), n1 = args.integer(14);
  if (!args.ok() || !same_type(args, a, b) || !same_type(args, a, out)) return nullptr;
  if (n0 <= 0 || n1 <= 0) return undefined(env);
  if (!check_extent(args, "cond", c, c_off, (n0 - 1) * sc0 + (n1 - 1) * sc1) ||
      !check_extent(args, "a", a, a_off, (n0 - 1) * sa0 + (n1 - 1) * sa1) ||
      !check_extent(args, "b", b, b_off, (n0 - 1) * sb0 + (n1 - 1) * sb1) ||
      !check_extent(args, "out", out, 0, n0 * n1 - 1))
    return nullptr;
  const unsigned char* cp = static_cast<const unsigned char*>(c.data) + c_off;
  if (a.type == napi_float32_array)
    where(cp, sc0, sc1, static_cast<const float*>(a.data) + a_off, sa0, sa1, static_cast<const float*>(b.data) + b_off,
          sb0, sb1, static_cast<float*>(out.data), n0, n1);
  else
    where(cp, sc0, sc1, static_cast<const double*>(a.data) + a_off, sa0, sa1,
          static_cast<const double*>(b.data) + b_off, sb0, sb1, static_cast<double*>(out.data), n0, n1);
  return undefined(env);
}

// copyStrided(x, xOff, n0, n1, n2, n3, s0, s1, s2, s3, out): up to 4 dims, sizes ≥ 1
napi_value CopyStridedFn(napi_env env, napi_callback_info info) {
  Args args(env, info, "copyStrided");
  Args::Array x = args.floats(0), out = args.floats(10);
  const long x_off = args.integer(1);
  long sizes[4], strides[4];
  for (int d = 0; d < 4; d++) { sizes[d] = args.integer(2 + d); strides[d] = args.integer(6 + d); }
  if (!args.ok() || !same_type(args, x, out)) return nullptr;
  long total = 1, last = 0;
  for (int d = 0; d < 4; d++) {
    if (sizes[d] < 1) { args.fail("sizes must be at least 1"); return nullptr; }
    total *= sizes[d];
    last += (sizes[d] - 1) * strides[d];
  }
  if (!check_extent(args, "x", x, x_off, last) || !check_extent(args, "out", out, 0, total - 1)) return nullptr;
  if (x.type == napi_float32_array)
    copy_strided(static_cast<const float*>(x.data) + x_off, sizes, strides, static_cast<float*>(out.data));
  else
    copy_strided(static_cast<const double*>(x.data) + x_off, sizes, strides, static_cast<double*>(out.data));
  return undefined(env);
}

// reduce(op, x, xOff, outer, axis, inner, out)
napi_value ReduceFn(napi_env env, napi_callback_info info) {
  Args args(env, info, "reduce");
  const long op = args.integer(0);
  Args::Array x = args.floats(1), out = args.floats(6);
  const long x_off = args.integer(2), outer = args.integer(3), axis = args.integer(4), inner = args.integer(5);
  if (!args.ok() || !same_type(args, x, out)) return nullptr;
  if (op < 0 || op >= static_cast<long>(Reduce::Count)) { args.fail("unknown op"); return nullptr; }
  if (outer < 0 || axis < 0 || inner < 0) { args.fail("sizes must be non-negative"); return nullptr; }
  if (outer == 0 || inner == 0) return undefined(env);
  if ((axis > 0 && !check_extent(args, "x", x, x_off, outer * axis * inner - 1)) ||
      !check_extent(args, "out", out, 0, outer * inner - 1))
    return nullptr;
  if (x.type == napi_float32_array)
    reduce(Reduce(op), static_cast<const float*>(x.data) + x_off, outer, axis, inner, static_cast<float*>(out.data));
  else
    reduce(Reduce(op), static_cast<const double*>(x.data) + x_off, outer, axis, inner, static_cast<double*>(out.data));
  return undefined(env);
}

// softmax(x, xOff, outer, axis, inner, out, log)
napi_value SoftmaxFn(napi_env env, napi_callback_info info) {
  Args args(env, info, "softmax");
  Args::Array x = args.floats(0), out = args.floats(5);
  const long x_off = args.integer(1), outer = args.integer(2), axis = args.integer(3), inner = args.integer(4);
  const bool log = args.boolean(6);
  if (!args.ok() || !same_type(args, x, out)) return nullptr;
  if (outer < 0 || axis < 0 || inner < 0) { args.fail("sizes must be non-negative"); return nullptr; }
  const long total = outer * axis * inner;
  if (total == 0) return undefined(env);
  if (!check_extent(args, "x", x, x_off, total - 1) || !check_extent(args, "out", out, 0, total - 1)) return nullptr;
  if (x.type == napi_float32_array)
    softmax(static_cast<const float*>(x.data) + x_off, outer, axis, inner, static_cast<float*>(out.data), log);
  else
    softmax(static_cast<const double*>(x.data) + x_off, outer, axis, inner, static_cast<double*>(out.data), log);
  return undefined(env);
}

// adam(p, pOff, grad, gOff, m, v, vMax | null, n, negStepSize, bc2Sqrt, beta1,
//      oneMinusBeta1, beta2, oneMinusBeta2, eps, l2, shrink); m, v, vMax hold n values
napi_value AdamFn(napi_env env, napi_callback_info info) {
  Args args(env, info, "adam");
  Args::Array p = args.floats(0), g = args.floats(2), m = args.floats(4), v = args.floats(5);
  const long p_off = args.integer(1), g_off = args.integer(3), n = args.integer(7);
  napi_value vmax_arg = args.at(6);
  napi_valuetype vmax_type = napi_null;
  if (vmax_arg) napi_typeof(env, vmax_arg, &vmax_type);
  Args::Array vmax;
  const bool amsgrad = vmax_type != napi_null && vmax_type != napi_undefined;
  if (amsgrad) vmax = args.floats(6);
  AdamScalars s;
  s.neg_step_size = args.number(8);
  s.bc2_sqrt = args.number(9);
  s.beta1 = args.number(10);
  s.one_minus_beta1 = args.number(11);
  s.beta2 = args.number(12);
  s.one_minus_beta2 = args.number(13);
  s.eps = args.number(14);
  s.l2 = args.number(15);
  s.shrink = args.number(16);
  if (!args.ok() || !same_type(args, p, g) || !same_type(args, p, m) || !same_type(args, p, v) ||
      (amsgrad && !same_type(args, p, vmax)))
    return nullptr;
  if (n <= 0) return undefined(env);
  if (!check_extent(args, "param", p, p_off, n - 1) || !check_extent(args, "grad", g, g_off, n - 1) ||
      !check_extent(args, "expAvg", m, 0, n - 1) || !check_extent(args, "expAvgSq", v, 0, n - 1) ||
      (amsgrad && !check_extent(args, "maxExpAvgSq", vmax, 0, n - 1)))
    return nullptr;
  if (p.type == napi_float32_array)
    adam_update(static_cast<float*>(p.data) + p_off, static_cast<const float*>(g.data) + g_off,
                static_cast<float*>(m.data), static_cast<float*>(v.data),
                amsgrad ? static_cast<float*>(vmax.data) : nullptr, n, s);
  else
    adam_update(static_cast<double*>(p.data) + p_off, static_cast<const double*>(g.data) + g_off,
                static_cast<double*>(m.data), static_cast<double*>(v.data),
                amsgrad ? static_cast<double*>(vmax.data) : nullptr, n, s);
  return undefined(env);
}

// ---------------------------------------------------------------- convolution and pooling (conv.h)

// Reads a ConvWindow from 10 integer arguments starting at i.
bool read_window(Args& args, size_t i, ConvWindow* w) {
  long v[10];
  for (int d = 0; d < 10; d++) v[d] = args.integer(i + d);
  *w = {v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]};
  if (!args.ok()) return false;
  if (w->kh < 1 || w->kw < 1 || w->stride_h < 1 || w->stride_w < 1 || w->dilation_h < 1 || w->dilation_w < 1 ||
      w->pad_top < 0 || w->pad_left < 0 || w->out_h < 0 || w->out_w < 0) {
    args.fail("kernel, stride and dilation must be positive, padding and output sizes non-negative");
    return false;
  }
  return true;
}

// im2col(x, xOff, sN, sC, sH, sW, channels, height, width, n0, count, kH, kW, strideH, strideW, padTop, padLeft,
//        dilationH, dilationW, outH, outW, cols)
napi_value Im2colFn(napi_env env, napi_callback_info info) {
  Args args(env, info, "im2col");
  Args::Array x = args.floats(0), cols = args.floats(21);
  const long x_off = args.integer(1);
  long s[4];
  for (int d = 0; d < 4; d++) s[d] = args.integer(2 + d);
  const long channels = args.integer(6), height = args.integer(7), width = args.integer(8), n0 = args.integer(9),
             count = args.integer(10);
  ConvWindow w;
  if (!read_window(args, 11, &w) || !same_type(args, x, cols)) return nullptr;
  if (channels < 0 || height < 1 || width < 1 || n0 < 0 || count < 0) { args.fail("sizes must be non-negative"); return nullptr; }
  const long total = channels * w.kh * w.kw * count * w.out_h * w.out_w;
  if (total == 0) return undefined(env);
  const long last = (n0 + count - 1) * s[0] + (channels - 1) * s[1] + (height - 1) * s[2] + (width - 1) * s[3];
  if (!check_extent(args, "x", x, x_off, last) || !check_extent(args, "cols", cols, 0, total - 1)) return nullptr;
  if (x.type == napi_float32_array)
    im2col(static_cast<const float*>(x.data) + x_off, s, channels, height, width, n0, count, w, static_cast<float*>(cols.data));
  else
    im2col(static_cast<const double*>(x.data) + x_off, s, channels, height, width, n0, count, w, static_cast<double*>(cols.data));
  return undefined(env);
}

// col2im(cols, channels, height, width, n0, count, kH, kW, strideH, strideW, padTop, padLeft, dilationH, dilationW,
//        outH, outW, out)
napi_value Col2imFn(napi_env env, napi_callback_info info) {
  Args args(env, info, "col2im");
  Args::Array cols = args.floats(0), out = args.floats(16);
  const long channels = args.integer(1), height = args.integer(2), width = args.integer(3), n0 = args.integer(4),
             count = args.integer(5);
  ConvWindow w;
  if (!read_window(args, 6, &w) || !same_type(args, cols, out)) return nullptr;
  if (channels < 0 || height < 1 || width < 1 || n0 < 0 || count < 0) { args.fail("sizes must be non-negative"); return nullptr; }
  const long total = channels * w.kh * w.kw * count * w.out_h * w.out_w;
  if (total == 0) return undefined(env);
  if (!check_extent(args, "cols", cols, 0, total - 1) ||
      !check_extent(args, "out", out, 0, (n0 + count) * channels * height * width - 1))
    return nullptr;
  if (cols.type == napi_float32_array)
    col2im(static_cast<const float*>(cols.data), channels, height, width, n0, count, w, static_cast<float*>(out.data));
  else
    col2im(static_cast<const double*>(cols.data), channels, height, width, n0, count, w, static_cast<double*>(out.data));
  return undefined(env);
}

// Reads a ConvShape: batch, channels, height, width, outChannels from i, the window from i + 5.
bool read_conv_shape(Args& args, size_t i, ConvShape* g) {
  g->batch = args.integer(i);
  g->channels = args.integer(i + 1);
  g->height = args.integer(i + 2);
  g->width = args.integer(i + 3);
  g->out_channels = args.integer(i + 4);
  if (!read_window(args, i + 5, &g->w)) return false;
  if (g->batch < 0 || g->channels < 1 || g->height < 1 || g->width < 1 || g->out_channels < 1) {
    args.fail("batch must be non-negative, channels and sizes positive");
    return false;
  }
  return true;
}

// Index of x's last element for images [0, N) read with strides s.
long strided_last(const ConvShape& g, const long s[4]) {
  return (g.batch - 1) * s[0] + (g.channels - 1) * s[1] + (g.height - 1) * s[2] + (g.width - 1) * s[3];
}

napi_value boolean(napi_env env, bool v) {
  napi_value r;
  napi_get_boolean(env, v, &r);
  return r;
}

// conv2d(x, xOff, sN, sC, sH, sW, batch, channels, height, width, outChannels, <window: 10>, weight, wOff,
//        bias | null, biasOff, out) -> false when scratch memory runs out
napi_value Conv2dFn(napi_env env, napi_callback_info info) {
  Args args(env, info, "conv2d");
  Args::Array x = args.floats(0), weight = args.floats(21), out = args.floats(25);
  long s[4];
  for (int d = 0; d < 4; d++) s[d] = args.integer(2 + d);
  const long x_off = args.integer(1), w_off = args.integer(22), b_off = args.integer(24);
  ConvShape g;
  if (!read_conv_shape(args, 6, &g) || !same_type(args, x, weight) || !same_type(args, x, out)) return nullptr;
  napi_valuetype bias_type = napi_null;
  napi_typeof(env, args.at(23), &bias_type);
  Args::Array bias;
  if (bias_type != napi_null && bias_type != napi_undefined) {
    bias = args.floats(23);
    if (!same_type(args, x, bias) || !check_extent(args, "bias", bias, b_off, g.out_channels - 1)) return nullptr;
  }
  const long taps = g.channels * g.w.kh * g.w.kw, positions = g.w.out_h * g.w.out_w;
  if (g.batch == 0 || positions == 0) return boolean(env, true);
  if (!check_extent(args, "x", x, x_off, strided_last(g, s)) || !check_extent(args, "weight", weight, w_off, g.out_channels * taps - 1) ||
      !check_extent(args, "out", out, 0, g.batch * g.out_channels * positions - 1))
    return nullptr;
  bool ok;
  if (x.type == napi_float32_array)
    ok = conv_forward(static_cast<const float*>(x.data) + x_off, s, static_cast<const float*>(weight.data) + w_off,
                      bias.data ? static_cast<const float*>(bias.data) + b_off : nullptr, g, static_cast<float*>(out.data));
  else
    ok = conv_forward(static_cast<const double*>(x.data) + x_off, s, static_cast<const double*>(weight.data) + w_off,
                      bias.data ? static_cast<const double*>(bias.data) + b_off : nullptr, g, static_cast<double*>(out.data));
  return boolean(env, ok);
}

// conv2dWeightGrad(x, xOff, sN, sC, sH, sW, batch, channels, height, width, outChannels, <window: 10>, gy, gyOff, out)
// -> false when scratch memory runs out; gy contiguous [N, O, oH, oW], out [O, C·kH·kW]
napi_value Conv2dWeightGradFn(napi_env env, napi_callback_info info) {
  Args args(env, info, "conv2dWeightGrad");
  Args::Array x = args.floats(0), gy = args.floats(21), out = args.floats(23);
  long s[4];
  for (int d = 0; d < 4; d++) s[d] = args.integer(2 + d);
  const long x_off = args.integer(1), gy_off = args.integer(22);
  ConvShape g;
  if (!read_conv_shape(args, 6, &g) || !same_type(args, x, gy) || !same_type(args, x, out)) return nullptr;
  const long taps = g.channels * g.w.kh * g.w.kw, positions = g.w.out_h * g.w.out_w;
  if (!check_extent(args, "out", out, 0, g.out_channels * taps - 1)) return nullptr;
  if (g.batch == 0 || positions == 0) {
    std::fill_n(static_cast<char*>(out.data), (x.type == napi_float32_array ? 4 : 8) * g.out_channels * taps, 0);
    return boolean(env, true);
  }
  if (!check_extent(args, "x", x, x_off, strided_last(g, s)) ||
      !check_extent(args, "gy", gy, gy_off, g.batch * g.out_channels * positions - 1))
    return nullptr;
  bool ok;
  if (x.type == napi_float32_array)
    ok = conv_weight_grad(static_cast<const float*>(x.data) + x_off, s, static_cast<const float*>(gy.data) + gy_off, g,
                          static_cast<float*>(out.data));
  else
    ok = conv_weight_grad(static_cast<const double*>(x.data) + x_off, s, static_cast<const double*>(gy.data) + gy_off, g,
                          static_cast<double*>(out.data));
  return boolean(env, ok);
}

// conv2dInputGrad(gy, gyOff, batch, channels, height, width, outChannels, <window: 10>, weight, wOff, out)
// -> false when scratch memory runs out; gy contiguous [N, O, oH, oW], out [N, C, H, W] (overwritten)
napi_value Conv2dInputGradFn(napi_env env, napi_callback_info info) {
  Args args(env, info, "conv2dInputGrad");
  Args::Array gy = args.floats(0), weight = args.floats(17), out = args.floats(19);
  const long gy_off = args.integer(1), w_off = args.integer(18);
  ConvShape g;
  if (!read_conv_shape(args, 2, &g) || !same_type(args, gy, weight) || !same_type(args, gy, out)) return nullptr;
  const long taps = g.channels * g.w.kh * g.w.kw, positions = g.w.out_h * g.w.out_w;
  const long size = g.batch * g.channels * g.height * g.width;
  if (size == 0) return boolean(env, true);
  if (!check_extent(args, "out", out, 0, size - 1)) return nullptr;
  if (positions == 0) {
    std::fill_n(static_cast<char*>(out.data), (gy.type == napi_float32_array ? 4 : 8) * size, 0);
    return boolean(env, true);
  }
  if (!check_extent(args, "gy", gy, gy_off, g.batch * g.out_channels * positions - 1) ||
      !check_extent(args, "weight", weight, w_off, g.out_channels * taps - 1))
    return nullptr;
  bool ok;
  if (gy.type == napi_float32_array)
    ok = conv_input_grad(static_cast<const float*>(gy.data) + gy_off, static_cast<const float*>(weight.data) + w_off, g,
                         static_cast<float*>(out.data));
  else
    ok = conv_input_grad(static_cast<const double*>(gy.data) + gy_off, static_cast<const double*>(weight.data) + w_off, g,
                         static_cast<double*>(out.data));
  return boolean(env, ok);
}

// Reads a PoolAxis from 6 integer arguments starting at i; every window must hold an input element.
bool read_pool_axis(Args& args, size_t i, PoolAxis* a) {
  *a = {args.integer(i), args.integer(i + 1), args.integer(i + 2), args.integer(i + 3), args.integer(i + 4), args.integer(i + 5)};
  if (!args.ok()) return false;
  bool ok = a->out >= 0 && a->stride >= 1 && a->pad >= 0 && a->dilation >= 1 && a->kernel >= 1 && a->size >= 1;
  for (long o = 0; ok && o < a->out; o++) {
    long first = o * a->stride - a->pad;
    const long end = std::min(first + (a->kernel - 1) * a->dilation + 1, a->size);
    while (first < 0) first += a->dilation;
    ok = first < end;
  }
  if (!ok) args.fail("every pooling window must cover an input element");
  return ok;
}

// maxPoolIndices(x, xOff, planes, hOut, hStride, hPad, hDilation, hKernel, hSize, wOut, ..., wSize, out)
napi_value MaxPoolIndicesFn(napi_env env, napi_callback_info info) {
  Args args(env, info, "maxPoolIndices");
  Args::Array x = args.floats(0), out = args.typed(15, {napi_int32_array}, "expected an Int32Array of indices");
  const long x_off = args.integer(1), planes = args.integer(2);
  PoolAxis h, w;
  if (!read_pool_axis(args, 3, &h) || !read_pool_axis(args, 9, &w)) return nullptr;
  if (planes < 0) { args.fail("sizes must be non-negative"); return nullptr; }
  if (planes == 0 || h.out == 0 || w.out == 0) return undefined(env);
  if (!check_extent(args, "x", x, x_off, planes * h.size * w.size - 1) ||
      !check_extent(args, "out", out, 0, planes * h.out * w.out - 1))
    return nullptr;
  int* o = static_cast<int*>(out.data);
  if (x.type == napi_float32_array) max_pool_indices(static_cast<const float*>(x.data) + x_off, planes, h, w, o);
  else max_pool_indices(static_cast<const double*>(x.data) + x_off, planes, h, w, o);
  return undefined(env);
}

// Reads the [outer, axis, inner] arrays of gather and scatterAdd and checks every index is inside [0, dataAxis).
bool check_indexed(Args& args, const Args::Array& data, long outer, long data_axis, long inner, const Args::Array& index,
                   long idx_axis, const Args::Array& other) {
  if (!args.ok() || !same_type(args, data, other)) return false;
  if (outer < 0 || data_axis < 0 || inner < 0 || idx_axis < 0) { args.fail("sizes must be non-negative"); return false; }
  const long n = outer * idx_axis * inner;
  if (n == 0) return true;
  if (!check_extent(args, "data", data, 0, outer * data_axis * inner - 1) || !check_extent(args, "index", index, 0, n - 1) ||
      !check_extent(args, "src/out", other, 0, n - 1))
    return false;
  const int* idx = static_cast<const int*>(index.data);
  for (long i = 0; i < n; i++) {
    if (idx[i] < 0 || idx[i] >= data_axis) { args.fail("index out of range"); return false; }
  }
  return true;
}

// gather(x, outer, xAxis, inner, index, idxAxis, out)
napi_value GatherFn(napi_env env, napi_callback_info info) {
  Args args(env, info, "gather");
  Args::Array x = args.floats(0), index = args.typed(4, {napi_int32_array}, "expected an Int32Array index"), out = args.floats(6);
  const long outer = args.integer(1), x_axis = args.integer(2), inner = args.integer(3), idx_axis = args.integer(5);
  if (!check_indexed(args, x, outer, x_axis, inner, index, idx_axis, out)) return nullptr;
  if (outer * idx_axis * inner == 0) return undefined(env);
  const int* idx = static_cast<const int*>(index.data);
  if (x.type == napi_float32_array)
    gather(static_cast<const float*>(x.data), outer, x_axis, inner, idx, idx_axis, static_cast<float*>(out.data));
  else
    gather(static_cast<const double*>(x.data), outer, x_axis, inner, idx, idx_axis, static_cast<double*>(out.data));
  return undefined(env);
}

// scatterAdd(out, outer, outAxis, inner, index, idxAxis, src)
napi_value ScatterAddFn(napi_env env, napi_callback_info info) {
  Args args(env, info, "scatterAdd");
  Args::Array out = args.floats(0), index = args.typed(4, {napi_int32_array}, "expected an Int32Array index"), src = args.floats(6);
  const long outer = args.integer(1), out_axis = args.integer(2), inner = args.integer(3), idx_axis = args.integer(5);
  if (!check_indexed(args, out, outer, out_axis, inner, index, idx_axis, src)) return nullptr;
  if (outer * idx_axis * inner == 0) return undefined(env);
  const int* idx = static_cast<const int*>(index.data);
  if (out.type == napi_float32_array)
    scatter_add(static_cast<float*>(out.data), outer, out_axis, inner, idx, idx_axis, static_cast<const float*>(src.data));
  else
    scatter_add(static_cast<double*>(out.data), outer, out_axis, inner, idx, idx_axis, static_cast<const double*>(src.data));
  return undefined(env);
}

// info() -> { isa, adamIsa, unaryIsa, threads }
napi_value Info(napi_env env, napi_callback_info) {
  napi_value obj, isa, adam_isa, unary_isa, threads;
  napi_create_object(env, &obj);
  napi_create_string_utf8(env, gemm_isa(), NAPI_AUTO_LENGTH, &isa);
  napi_create_int32(env, pool_threads(), &threads);
  napi_create_string_utf8(env, adam_isa_name(), NAPI_AUTO_LENGTH, &adam_isa);
  napi_set_named_property(env, obj, "isa", isa);
  napi_set_named_property(env, obj, "adamIsa", adam_isa);
  napi_create_string_utf8(env, unary_isa_name(), NAPI_AUTO_LENGTH, &unary_isa);
  napi_set_named_property(env, obj, "unaryIsa", unary_isa);
  napi_set_named_property(env, obj, "threads", threads);
  return obj;
}

// setThreads(n)
napi_value SetThreads(napi_env env, napi_callback_info info) {
  Args args(env, info, "setThreads");
  const long n = args.integer(0);
  if (!args.ok()) return nullptr;
  if (n < 1) { args.fail("the thread count must be at least 1"); return nullptr; }
  pool_set_threads(static_cast<int>(n));
  return undefined(env);
}

// setIsa(name) -> boolean: false when this CPU lacks the instruction set
napi_value SetIsa(napi_env env, napi_callback_info info) {
  Args args(env, info, "setIsa");
  char name[32] = {};
  size_t len = 0;
  napi_value a = args.at(0);
  if (!a || napi_get_value_string_utf8(env, a, name, sizeof name, &len) != napi_ok) {
    args.fail("expected an instruction set name");
    return nullptr;
  }
  // The Adam and unary kernels follow the GEMM's choice, so tests can reach each one.
  const bool ok = gemm_set_isa(name);
  if (ok) { adam_set_isa(name); unary_set_isa(name); }
  napi_value r;
  napi_get_boolean(env, ok, &r);
  return r;
}

// ---- Batch-norm kernels (batch_norm.h) over a contiguous [N, C, S] block.

// True when argument i is null or undefined.
bool is_null(Args& args, size_t i) {
  napi_value a = args.at(i);
  napi_valuetype t = napi_null;
  if (a) napi_typeof(args.env, a, &t);
  return t == napi_null || t == napi_undefined;
}

// A Float64Array of at least `need` elements (per-channel statistics and sums).
bool doubles_arg(Args& args, size_t i, const char* what, long need, double** out) {
  Args::Array a = args.typed(i, {napi_float64_array}, "expected a Float64Array of per-channel values");
  if (!check_extent(args, what, a, 0, need - 1)) return false;
  *out = static_cast<double*>(a.data);
  return true;
}

// Reads batch, channels, spatial at i..i+2: non-negative, and true when there is work.
bool read_layout(Args& args, size_t i, long* batch, long* channels, long* spatial, bool* any) {
  *batch = args.integer(i);
  *channels = args.integer(i + 1);
  *spatial = args.integer(i + 2);
  if (!args.ok()) return false;
  if (*batch < 0 || *channels < 0 || *spatial < 0) { args.fail("sizes must be non-negative"); return false; }
  *any = *batch > 0 && *channels > 0 && *spatial > 0;
  return true;
}

// batchNormStats(x, xOff, batch, channels, spatial, mean, variance)
napi_value BatchNormStatsFn(napi_env env, napi_callback_info info) {
  Args args(env, info, "batchNormStats");
  Args::Array x = args.floats(0);
  const long x_off = args.integer(1);
  long batch, channels, spatial;
  bool any;
  if (!read_layout(args, 2, &batch, &channels, &spatial, &any)) return nullptr;
  if (!any) return undefined(env);
  double *mean, *variance;
  if (!check_extent(args, "x", x, x_off, batch * channels * spatial - 1) || !doubles_arg(args, 5, "mean", channels, &mean) ||
      !doubles_arg(args, 6, "variance", channels, &variance))
    return nullptr;
  if (x.type == napi_float32_array) batch_norm_stats(static_cast<const float*>(x.data) + x_off, batch, channels, spatial, mean, variance);
  else batch_norm_stats(static_cast<const double*>(x.data) + x_off, batch, channels, spatial, mean, variance);
  return undefined(env);
}

// batchNormApply(x, xOff, batch, channels, spatial, scale, shift, out)
napi_value BatchNormApplyFn(napi_env env, napi_callback_info info) {
  Args args(env, info, "batchNormApply");
  Args::Array x = args.floats(0), out = args.floats(7);
  const long x_off = args.integer(1);
  long batch, channels, spatial;
  bool any;
  if (!read_layout(args, 2, &batch, &channels, &spatial, &any) || !same_type(args, x, out)) return nullptr;
  if (!any) return undefined(env);
  const long n = batch * channels * spatial;
  double *scale, *shift;
  if (!check_extent(args, "x", x, x_off, n - 1) || !check_extent(args, "out", out, 0, n - 1) ||
      !doubles_arg(args, 5, "scale", channels, &scale) || !doubles_arg(args, 6, "shift", channels, &shift))
    return nullptr;
  if (x.type == napi_float32_array)
    batch_norm_apply(static_cast<const float*>(x.data) + x_off, batch, channels, spatial, scale, shift, static_cast<float*>(out.data));
  else
    batch_norm_apply(static_cast<const double*>(x.data) + x_off, batch, channels, spatial, scale, shift, static_cast<double*>(out.data));
  return undefined(env);
}

// batchNormBackward(gy, gyOff, x, xOff, batch, channels, spatial, mean, invstd, gain | null, training,
//                   sumGrad, sumGradCentered, dx | null)
napi_value BatchNormBackwardFn(napi_env env, napi_callback_info info) {
  Args args(env, info, "batchNormBackward");
  Args::Array gy = args.floats(0), x = args.floats(2);
  const long gy_off = args.integer(1), x_off = args.integer(3);
  long batch, channels, spatial;
  bool any;
  if (!read_layout(args, 4, &batch, &channels, &spatial, &any) || !same_type(args, gy, x)) return nullptr;
  const bool training = args.boolean(10);
  const bool has_gain = !is_null(args, 9), has_dx = !is_null(args, 13);
  Args::Array dx;
  if (has_dx) {
    dx = args.floats(13);
    if (!same_type(args, x, dx)) return nullptr;
  }
  if (!args.ok()) return nullptr;
  if (!any) return undefined(env);
  const long n = batch * channels * spatial;
  double *mean, *invstd, *gain = nullptr, *sum_grad, *sum_grad_centered;
  if (!check_extent(args, "gy", gy, gy_off, n - 1) || !check_extent(args, "x", x, x_off, n - 1) ||
      (has_dx && !check_extent(args, "dx", dx, 0, n - 1)) || !doubles_arg(args, 7, "mean", channels, &mean) ||
      !doubles_arg(args, 8, "invstd", channels, &invstd) || (has_gain && !doubles_arg(args, 9, "gain", channels, &gain)) ||
      !doubles_arg(args, 11, "sumGrad", channels, &sum_grad) ||
      !doubles_arg(args, 12, "sumGradCentered", channels, &sum_grad_centered))
    return nullptr;
  if (x.type == napi_float32_array)
    batch_norm_backward(static_cast<const float*>(gy.data) + gy_off, static_cast<const float*>(x.data) + x_off, batch, channels,
                        spatial, mean, invstd, gain, training, sum_grad, sum_grad_centered,
                        has_dx ? static_cast<float*>(dx.data) : nullptr);
  else
    batch_norm_backward(static_cast<const double*>(gy.data) + gy_off, static_cast<const double*>(x.data) + x_off, batch, channels,
                        spatial, mean, invstd, gain, training, sum_grad, sum_grad_centered,
                        has_dx ? static_cast<double*>(dx.data) : nullptr);
  return undefined(env);
}

// An optional float array at i (null or undefined for none) of x's type with `need` elements from `off`.
bool optional_floats(Args& args, size_t i, const char* what, const Args::Array& x, long off, long need, void** out) {
  *out = nullptr;
  if (is_null(args, i)) return args.ok();
  Args::Array a = args.floats(i);
  if (!same_type(args, x, a) || !check_extent(args, what, a, off, need - 1)) return false;
  *out = static_cast<char*>(a.data) + off * (a.type == napi_float32_array ? 4 : 8);
  return true;
}

// Reads rows, width at i, i+1: non-negative, and true when there is work.
bool read_rows(Args& args, size_t i, long* rows, long* width, bool* any) {
  *rows = args.integer(i);
  *width = args.integer(i + 1);
  if (!args.ok()) return false;
  if (*rows < 0 || *width < 0) { args.fail("sizes must be non-negative"); return false; }
  *any = *rows > 0 && *width > 0;
  return true;
}

// layerNormForward(x, xOff, rows, width, weight | null, wOff, bias | null, bOff, eps, out, mean, rstd)
napi_value LayerNormForwardFn(napi_env env, napi_callback_info info) {
  Args args(env, info, "layerNormForward");
  Args::Array x = args.floats(0), out = args.floats(9);
  const long x_off = args.integer(1), w_off = args.integer(5), b_off = args.integer(7);
  const double eps = args.number(8);
  long rows, width;
  bool any;
  if (!read_rows(args, 2, &rows, &width, &any) || !same_type(args, x, out)) return nullptr;
  if (!any) return undefined(env);
  const long n = rows * width;
  void *weight, *bias;
  double *mean, *rstd;
  if (!check_extent(args, "x", x, x_off, n - 1) || !check_extent(args, "out", out, 0, n - 1) ||
      !optional_floats(args, 4, "weight", x, w_off, width, &weight) || !optional_floats(args, 6, "bias", x, b_off, width, &bias) ||
      !doubles_arg(args, 10, "mean", rows, &mean) || !doubles_arg(args, 11, "rstd", rows, &rstd))
    return nullptr;
  if (x.type == napi_float32_array)
    layer_norm_forward(static_cast<const float*>(x.data) + x_off, rows, width, static_cast<const float*>(weight),
                       static_cast<const float*>(bias), eps, static_cast<float*>(out.data), mean, rstd);
  else
    layer_norm_forward(static_cast<const double*>(x.data) + x_off, rows, width, static_cast<const double*>(weight),
                       static_cast<const double*>(bias), eps, static_cast<double*>(out.data), mean, rstd);
  return undefined(env);
}

// layerNormBackward(gy, gyOff, x, xOff, rows, width, weight | null, wOff, mean, rstd, dx | null, dw | null, db | null)
napi_value LayerNormBackwardFn(napi_env env, napi_callback_info info) {
  Args args(env, info, "layerNormBackward");
  Args::Array gy = args.floats(0), x = args.floats(2);
  const long gy_off = args.integer(1), x_off = args.integer(3), w_off = args.integer(7);
  long rows, width;
  bool any;
  if (!read_rows(args, 4, &rows, &width, &any) || !same_type(args, gy, x)) return nullptr;
  if (!any) return undefined(env);
  const long n = rows * width;
  void *weight, *dx;
  double *mean, *rstd, *dw = nullptr, *db = nullptr;
  if (!check_extent(args, "gy", gy, gy_off, n - 1) || !check_extent(args, "x", x, x_off, n - 1) ||
      !optional_floats(args, 6, "weight", x, w_off, width, &weight) || !doubles_arg(args, 8, "mean", rows, &mean) ||
      !doubles_arg(args, 9, "rstd", rows, &rstd) || !optional_floats(args, 10, "dx", x, 0, n, &dx) ||
      (!is_null(args, 11) && !doubles_arg(args, 11, "dw", width, &dw)) ||
      (!is_null(args, 12) && !doubles_arg(args, 12, "db", width, &db)))
    return nullptr;
  if (x.type == napi_float32_array)
    layer_norm_backward(static_cast<const float*>(gy.data) + gy_off, static_cast<const float*>(x.data) + x_off, rows, width,
                        static_cast<const float*>(weight), mean, rstd, static_cast<float*>(dx), dw, db);
  else
    layer_norm_backward(static_cast<const double*>(gy.data) + gy_off, static_cast<const double*>(x.data) + x_off, rows, width,
                        static_cast<const double*>(weight), mean, rstd, static_cast<double*>(dx), dw, db);
  return undefined(env);
}

// attentionScores(x, batch, L, S, scale, causal): in place over batch [L, S] blocks from 0
napi_value AttentionScoresFn(napi_env env, napi_callback_info info) {
  Args args(env, info, "attentionScores");
  Args::Array x = args.floats(0);
  const long batch = args.integer(1), L = args.integer(2), S = args.integer(3);
  const double scale = args.number(4);
  const bool causal = args.boolean(5);
  if (!args.ok()) return nullptr;
  if (batch < 0 || L < 0 || S < 0) { args.fail("sizes must be non-negative"); return nullptr; }
  const long n = batch * L * S;
  if (n == 0) return undefined(env);
  if (!check_extent(args, "x", x, 0, n - 1)) return nullptr;
  if (x.type == napi_float32_array) attention_scores(static_cast<float*>(x.data), batch, L, S, scale, causal);
  else attention_scores(static_cast<double*>(x.data), batch, L, S, scale, causal);
  return undefined(env);
}

// softmaxBackward(y, yOff, gy, gyOff, rows, width, scale, out): out from 0, and may be gy (gyOff 0)
napi_value SoftmaxBackwardFn(napi_env env, napi_callback_info info) {
  Args args(env, info, "softmaxBackward");
  Args::Array y = args.floats(0), gy = args.floats(2), out = args.floats(7);
  const long y_off = args.integer(1), gy_off = args.integer(3);
  const double scale = args.number(6);
  long rows, width;
  bool any;
  if (!read_rows(args, 4, &rows, &width, &any) || !same_type(args, y, gy) || !same_type(args, y, out)) return nullptr;
  if (!any) return undefined(env);
  const long n = rows * width;
  if (!check_extent(args, "y", y, y_off, n - 1) || !check_extent(args, "gy", gy, gy_off, n - 1) ||
      !check_extent(args, "out", out, 0, n - 1))
    return nullptr;
  // The kernel reads a row of gy before writing that row of out: out may be gy itself, but no other overlap.
  if (out.data == gy.data && gy_off != 0) { args.fail("out may share gy's array only at gyOff 0"); return nullptr; }
  if (y.type == napi_float32_array)
    softmax_backward(static_cast<const float*>(y.data) + y_off, static_cast<const float*>(gy.data) + gy_off, rows, width, scale,
                     static_cast<float*>(out.data));
  else
    softmax_backward(static_cast<const double*>(y.data) + y_off, static_cast<const double*>(gy.data) + gy_off, rows, width, scale,
                     static_cast<double*>(out.data));
  return undefined(env);
}

napi_value names(napi_env env, const char* const* list) {
  napi_value arr;
  napi_create_array(env, &arr);
  for (uint32_t i = 0; list[i]; i++) {
    napi_value s;
    napi_create_string_utf8(env, list[i], NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, arr, i, s);
  }
  return arr;
}

}  // namespace
}  // namespace backprop

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  using namespace backprop;
  const napi_property_descriptor props[] = {
      {"matmul", nullptr, Matmul, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unary", nullptr, UnaryFn, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"binary", nullptr, BinaryFn, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"where", nullptr, WhereFn, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"copyStrided", nullptr, CopyStridedFn, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reduce", nullptr, ReduceFn, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"softmax", nullptr, SoftmaxFn, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adam", nullptr, AdamFn, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"im2col", nullptr, Im2colFn, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"col2im", nullptr, Col2imFn, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2d", nullptr, Conv2dFn, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dWeightGrad", nullptr, Conv2dWeightGradFn, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dInputGrad", nullptr, Conv2dInputGradFn, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPoolIndices", nullptr, MaxPoolIndicesFn, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gather", nullptr, GatherFn, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"scatterAdd", nullptr, ScatterAddFn, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormStats", nullptr, BatchNormStatsFn, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormApply", nullptr, BatchNormApplyFn, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormBackward", nullptr, BatchNormBackwardFn, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"layerNormForward", nullptr, LayerNormForwardFn, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"layerNormBackward", nullptr, LayerNormBackwardFn, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"attentionScores", nullptr, AttentionScoresFn, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"softmaxBackward", nullptr, SoftmaxBackwardFn, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setIsa", nullptr, SetIsa, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unaryOps", nullptr, nullptr, nullptr, nullptr, names(env, kUnaryNames), napi_default, nullptr},
      {"binaryOps", nullptr, nullptr, nullptr, nullptr, names(env, kBinaryNames), napi_default, nullptr},
      {"reduceOps", nullptr, nullptr, nullptr, nullptr, names(env, kReduceNames), napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
