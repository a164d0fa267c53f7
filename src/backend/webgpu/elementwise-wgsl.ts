/**
 * WGSL for the elementwise kernels: unary maps (activations included),
 * binary maps with broadcasting and strides, and the fused activation
 * gradients. Each op is one expression, in float32, with the NaN and
 * infinity behaviour of the JS kernels (src/backend/js/elementwise.ts).
 */
import type { BinaryOp, UnaryOp } from "../backend.js";
import { FLAT_INDEX, MAP_WORKGROUP, NAN_HELPERS, paramsBlock } from "./wgsl-common.js";

/** Math the expressions share: pow with JavaScript's sign rules, log1p, erf. */
const MATH = `
fn pow_js(x: f32, y: f32) -> f32 {
  if (y == 0.0) { return 1.0; }
  if (is_nan(x) || is_nan(y)) { return nan_f32(); }
  if (x == 0.0) {
    if (y > 0.0) { return select(0.0, x, fract(y * 0.5) == 0.5); }
    return select(inf_f32(), select(inf_f32(), -inf_f32(), x < 0.0 || bitcast<u32>(x) == 0x80000000u), fract(y * 0.5) == 0.5);
  }
  let ax = abs(x);
  if (!is_finite(x)) {
    // ±∞ to a finite power: ∞ or 0, negative only for -∞ and an odd integer exponent.
    let odd = x < 0.0 && fract(y * 0.5) == 0.5;
    let r = select(0.0, inf_f32(), y > 0.0);
    return select(r, -r, odd);
  }
  if (!is_finite(y)) {
    if (ax == 1.0) { return nan_f32(); }
    return select(0.0, inf_f32(), (ax > 1.0) == (y > 0.0));
  }
  var r = exp2(y * log2(ax));
  if (x < 0.0) {
    if (fract(y) != 0.0) { return nan_f32(); }
    if (fract(y * 0.5) != 0.0) { r = -r; }
  }
  return r;
}
// log and sqrt outside their domain are unspecified in WGSL; these give what JavaScript and PyTorch give.
fn log_js(v: f32) -> f32 {
  if (is_nan(v) || v < 0.0) { return nan_f32(); }
  if (v == 0.0) { return -inf_f32(); }
  if (!is_finite(v)) { return v; }
  return log(v);
}
fn sqrt_js(v: f32) -> f32 {
  if (is_nan(v) || v < 0.0) { return nan_f32(); }
  if (!is_finite(v) || v == 0.0) { return v; }
  return sqrt(v);
}
fn log1p_f32(e: f32) -> f32 {
  // log(1 + e) loses e's digits when e is tiny; its series keeps them.
  if (abs(e) < 1e-4) { return e * (1.0 - e * 0.5); }
  return log(1.0 + e);
}
fn erf_f32(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let ax = abs(x);
  if (ax < 0.5) {
    // Maclaurin series: 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1)); six terms reach float32 precision below 0.5.
    let x2 = x * x;
    return 1.1283791670955126 * x * (1.0 + x2 * (-1.0 / 3.0 + x2 * (0.1 + x2 * (-1.0 / 42.0 + x2 * (1.0 / 216.0 + x2 * (-1.0 / 1320.0))))));
  }
  if (ax > 4.0) { return sign(x); }
  // Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7).
  let t = 1.0 / (1.0 + 0.3275911 * ax);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  let r = 1.0 - poly * exp(-ax * ax);
  return select(-r, r, x > 0.0);
}
fn tanh_f32(v: f32) -> f32 {
  // Some tanh implementations overflow to NaN for large |v|; beyond 10 float32 rounds it to ±1 anyway.
  if (abs(v) > 10.0) { return sign(v); }
  return tanh(v);
}
`;

/** The WGSL expression of each unary op on `v`, with scalar parameters p0, p1. */
const UNARY_EXPR: Partial<Record<UnaryOp, string>> = {
  copy: "v",
  neg: "-v",
  exp: "exp(v)",
  log: "log_js(v)",
  sqrt: "sqrt_js(v)",
  abs: "abs(v)",
  sign: "select(select(0.0, -1.0, v < 0.0), 1.0, v > 0.0)",
  square: "v * v",
  reciprocal: "1.0 / v",
  sin: "sin(v)",
  cos: "cos(v)",
  tanh: "tanh_f32(v)",
  sigmoid: "1.0 / (1.0 + exp(-v))",
  relu: "select(0.0, v, v > 0.0 || is_nan(v))",
  erf: "erf_f32(v)",
  gelu: "0.5 * v * (1.0 + erf_f32(v * 0.7071067811865476))",
  softplus: "select(log1p_f32(exp(v * p0)) / p0, v, v * p0 > p1)",
  leakyRelu: "select(v * p0, v, v > 0.0)",
  // max applied after min, so min > max gives max everywhere (PyTorch, and the JS kernel).
  clamp: "min_then_max(v, p0, p1)",
  powScalar: "select(pow_js(v, p0), v * v, p0 == 2.0)",
  addScalar: "v + p0",
  mulScalar: "v * p0",
  divScalar: "v / p0",
  rsubScalar: "p0 - v",
};

const CLAMP = `
fn min_then_max(v: f32, lo: f32, hi: f32) -> f32 { let a = select(v, lo, v < lo); return select(a, hi, a > hi); }
`;

/** The WGSL expression of each binary op on `x` (a) and `y` (b). */
const BINARY_EXPR: Partial<Record<BinaryOp, string>> = {
  add: "x + y",
  sub: "x - y",
  mul: "x * y",
  div: "x / y",
  pow: "pow_js(x, y)",
  maximum: "select(y, x, x > y || is_nan(x))",
  minimum: "select(y, x, x < y || is_nan(x))",
  sigmoidBackward: "x * y * (1.0 - y)",
  // (1 − y)(1 + y), not 1 − y²: for y near ±1, 1 − y is exact while y² would lose the digits that matter.
  tanhBackward: "x * ((1.0 - y) * (1.0 + y))",
  reluBackward: "select(x, 0.0, y <= 0.0)",
};

export function supportsUnary(op: UnaryOp): boolean {
  return op in UNARY_EXPR;
}

export function supportsBinary(op: BinaryOp): boolean {
  return op in BINARY_EXPR;
}

/** Unary map: out[i] = op(x[xOff + i]); params [n, xOff, p0, p1]. */
export function unaryWgsl(op: UnaryOp): string {
  return `${paramsBlock(4)}${NAN_HELPERS}${FLAT_INDEX}${MATH}${CLAMP}
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(${MAP_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= param(0u)) { return; }
  let v = x[param(1u) + i];
  let p0 = paramf(2u);
  let p1 = paramf(3u);
  out[i] = ${UNARY_EXPR[op]};
}
`;
}

/** Most dimensions a strided binary map takes after merging (src/backend/js/elementwise.ts collapseDims). */
export const MAX_RANK = 6;

/**
 * Binary map over a shape of `rank` dimensions: each output index is split
 * into coordinates, which the operands' strides (0 where broadcast) turn
 * into their element indices. Params: [n, aOff, bOff, 0, shape×6, aStrides×6, bStrides×6].
 */
export function binaryWgsl(op: BinaryOp, rank: number): string {
  return `${paramsBlock(4 + 3 * MAX_RANK)}${NAN_HELPERS}${FLAT_INDEX}${MATH}
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(${MAP_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= param(0u)) { return; }
  var rest = i;
  var ia = parami(1u);
  var ib = parami(2u);
  for (var d = ${rank - 1}i; d >= 0i; d = d - 1i) {
    let size = param(4u + u32(d));
    let c = i32(rest % size);
    rest = rest / size;
    ia = ia + c * parami(${4 + MAX_RANK}u + u32(d));
    ib = ib + c * parami(${4 + 2 * MAX_RANK}u + u32(d));
  }
  let x = a[ia];
  let y = b[ib];
  out[i] = ${BINARY_EXPR[op]};
}
`;
}
