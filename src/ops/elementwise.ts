/**
 * Elementwise ops. Each op's forward (one kernel call) and its VJP (tensor
 * ops, so second derivatives work) stand side by side.
 */
import type { BinaryOp, DType, UnaryOp } from "../backend/backend.js";
import { gpu } from "../backend/device-dispatch.js";
import { backend, mapBackend } from "../backend/registry.js";
import { gradMode } from "../graph/mode.js";
import { defineOp, record, traced } from "../graph/node.js";
import { ValueError } from "../errors.js";
import { allocate, allocateUninitialized, isFloat } from "../tensor/dtype.js";
import { broadcastShapes, broadcastStrides, sameShape, sizeOf } from "../tensor/shape.js";
import { Tensor, type TensorLike } from "../tensor/tensor.js";
import { contiguousData, floatResult, operands, resultType } from "./util.js";
import { sumTo } from "./reduce.js";
import { deviceBinary, deviceUnary, deviceWhere } from "./device-ops.js";

// ---------------------------------------------------------------- kernels
// Which backend's kernel runs each call is the registry's choice (src/backend/policy.ts).

function unaryKernel(op: UnaryOp, x: Tensor, dtype: DType, p0 = 0, p1 = 0): Tensor {
  if (gpu.active !== null) {
    const onDevice = deviceUnary(op, x, dtype, p0, p1);
    if (onDevice !== null) return onDevice;
  }
  const { data, offset } = contiguousData(x);
  const out = allocateUninitialized(dtype, x.size);
  mapBackend(x.size).unary(op, data, offset, out, x.size, p0, p1);
  return new Tensor(out, x.shape, dtype);
}

function binaryKernel(op: BinaryOp, name: string, a: Tensor, b: Tensor, dtype: DType): Tensor {
  if (gpu.active !== null) {
    const shape = broadcastShapes(name, a.shape, b.shape);
    const onDevice = deviceBinary(op, a, broadcastStrides(a.shape, a.strides, shape), b, broadcastStrides(b.shape, b.strides, shape), shape, dtype);
    if (onDevice !== null) return onDevice;
  }
  if (sameShape(a.shape, b.shape)) {
    const out = allocateUninitialized(dtype, a.size);
    mapBackend(a.size).binary(op, a.storage, a.offset, a.strides, b.storage, b.offset, b.strides, out, a.shape);
    return new Tensor(out, a.shape, dtype);
  }
  const shape = broadcastShapes(name, a.shape, b.shape);
  const out = allocateUninitialized(dtype, sizeOf(shape));
  mapBackend(out.length).binary(
    op,
    a.storage, a.offset, broadcastStrides(a.shape, a.strides, shape),
    b.storage, b.offset, broadcastStrides(b.shape, b.strides, shape),
    out, shape,
  );
  return new Tensor(out, shape, dtype);
}

/** where(cond, a, b) without recording: the kernel behind `where` and masked gradients. */
export function whereKernel(cond: Tensor, a: Tensor, b: Tensor, dtype: DType): Tensor {
  const shape = broadcastShapes("where", broadcastShapes("where", cond.shape, a.shape), b.shape);
  if (gpu.active !== null) {
    const strides = (t: Tensor) => broadcastStrides(t.shape, t.strides, shape);
    const onDevice = deviceWhere(cond, strides(cond), a, strides(a), b, strides(b), shape, dtype);
    if (onDevice !== null) return onDevice;
  }
  const out = allocate(dtype, sizeOf(shape));
  backend.where(
    cond.storage, cond.offset, broadcastStrides(cond.shape, cond.strides, shape),
    a.storage, a.offset, broadcastStrides(a.shape, a.strides, shape),
    b.storage, b.offset, broadcastStrides(b.shape, b.strides, shape),
    out, shape,
  );
  return new Tensor(out, shape, dtype);
}

// ---------------------------------------------------------------- where (differentiable)

const WHERE = defineOp<{ aShape: readonly number[]; bShape: readonly number[] }>("where", (g, [cond], c, needs) => [
  null,
  needs[1] ? sumTo(where(cond, g, 0), c.aShape) : null,
  needs[2] ? sumTo(where(cond, 0, g), c.bShape) : null,
]);

/** Elementwise choice: a where cond is true (nonzero), else b; all three broadcast. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  if (!(cond instanceof Tensor)) throw new ValueError("where: the condition must be a Tensor");
  // Two numbers give a float32 result, as PyTorch's default dtype does.
  const [ta, tb] = typeof a === "number" && typeof b === "number"
    ? [new Tensor(Float32Array.of(a), [], "float32"), new Tensor(Float32Array.of(b), [], "float32")]
    : operands(a, b, "where");
  const dtype = resultType(ta, tb);
  const out = whereKernel(cond, ta, tb, dtype);
  return record(out, WHERE, [cond, ta, tb], [cond], { aShape: ta.shape, bShape: tb.shape });
}

/** g where mask, else 0: the common shape of piecewise derivatives. */
function masked(g: Tensor, mask: Tensor): Tensor {
  return where(mask, g, 0);
}

// ---------------------------------------------------------------- unary ops

const NEG = defineOp("neg", (g) => [g.neg()]);
export function neg(x: Tensor): Tensor {
  return record(unaryKernel("neg", x, x.dtype === "bool" ? "int32" : x.dtype), NEG, [x], null, undefined);
}

const EXP = defineOp("exp", (g, [y]) => [g.mul(y)]);
export function exp(x: Tensor): Tensor {
  const y = unaryKernel("exp", x, floatResult(x.dtype));
  return record(y, EXP, [x], [y], undefined);
}

const LOG = defineOp("log", (g, [x]) => [g.div(x)]);
export function log(x: Tensor): Tensor {
  return record(unaryKernel("log", x, floatResult(x.dtype)), LOG, [x], [x], undefined);
}

const SQRT = defineOp("sqrt", (g, [y]) => [g.div(y.mul(2))]);
export function sqrt(x: Tensor): Tensor {
  const y = unaryKernel("sqrt", x, floatResult(x.dtype));
  return record(y, SQRT, [x], [y], undefined);
}

const ABS = defineOp("abs", (g, [x]) => [g.mul(x.sign())]);
export function abs(x: Tensor): Tensor {
  return record(unaryKernel("abs", x, x.dtype), ABS, [x], [x], undefined);
}

const SIGN = defineOp("sign", (g) => [g.mul(0)]);
export function sign(x: Tensor): Tensor {
  return record(unaryKernel("sign", x, x.dtype === "bool" ? "int32" : x.dtype), SIGN, [x], null, undefined);
}

const SQUARE = defineOp("square", (g, [x]) => [g.mul(x.mul(2))]);
export function square(x: Tensor): Tensor {
  return record(unaryKernel("square", x, x.dtype === "bool" ? "int32" : x.dtype), SQUARE, [x], [x], undefined);
}

const RECIPROCAL = defineOp("reciprocal", (g, [y]) => [g.mul(y.square()).neg()]);
export function reciprocal(x: Tensor): Tensor {
  const y = unaryKernel("reciprocal", x, floatResult(x.dtype));
  return record(y, RECIPROCAL, [x], [y], undefined);
}

const SIN = defineOp("sin", (g, [x]) => [g.mul(x.cos())]);
export function sin(x: Tensor): Tensor {
  return record(unaryKernel("sin", x, floatResult(x.dtype)), SIN, [x], [x], undefined);
}

const COS = defineOp("cos", (g, [x]) => [g.mul(x.sin()).neg()]);
export function cos(x: Tensor): Tensor {
  return record(unaryKernel("cos", x, floatResult(x.dtype)), COS, [x], [x], undefined);
}

/**
 * A first-order gradient in one fused kernel: when no graph is being recorded
 * (a plain backward), nothing needs the intermediate tensors of the composite
 * form, so one pass and one allocation replace three or four. With
 * createGraph the composite is used, so that it can be differentiated again.
 */
function fusedGrad(op: BinaryOp, g: Tensor, y: Tensor, composite: () => Tensor): Tensor {
  if (gradMode.enabled || !sameShape(g.shape, y.shape)) return composite();
  return binaryKernel(op, op, g, y, resultType(g, y));
}

// tanh' = 1 - tanh², from the saved output.
const TANH = defineOp("tanh", (g, [y]) => [fusedGrad("tanhBackward", g, y, () => g.mul(y.square().neg().add(1)))]);
export function tanh(x: Tensor): Tensor {
  const y = unaryKernel("tanh", x, floatResult(x.dtype));
  return record(y, TANH, [x], [y], undefined);
}

// σ' = σ(1 - σ), from the saved output: the factor ∂h/∂z of the lecture's layers.
const SIGMOID = defineOp("sigmoid", (g, [y]) => [fusedGrad("sigmoidBackward", g, y, () => g.mul(y.mul(y.neg().add(1))))]);
export function sigmoid(x: Tensor): Tensor {
  const y = unaryKernel("sigmoid", x, floatResult(x.dtype));
  return record(y, SIGMOID, [x], [y], undefined);
}

// relu'(0) = 0, as in PyTorch (which also passes the gradient at NaN).
const RELU = defineOp("relu", (g, [y]) => [fusedGrad("reluBackward", g, y, () => where(y.le(0), 0, g))]);
export function relu(x: Tensor): Tensor {
  const y = unaryKernel("relu", x, x.dtype);
  return record(y, RELU, [x], [y], undefined);
}

const LEAKY_RELU = defineOp<number>("leakyRelu", (g, [x], slope) => [where(x.gt(0), g, g.mul(slope))]);
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  // In float32 the slope is a float32 number too, as in PyTorch (one rounding of v * slope).
  const slope = x.dtype === "float32" ? Math.fround(negativeSlope) : negativeSlope;
  return record(unaryKernel("leakyRelu", x, x.dtype, slope), LEAKY_RELU, [x], [x], slope);
}

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const ERF = defineOp("erf", (g, [x]) => [g.mul(x.square().neg().exp().mul(TWO_OVER_SQRT_PI))]);
export function erf(x: Tensor): Tensor {
  return record(unaryKernel("erf", x, floatResult(x.dtype)), ERF, [x], [x], undefined);
}

// gelu(x) = x·Φ(x) (PyTorch's exact form); gelu' = Φ(x) + x·φ(x).
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const GELU = defineOp("gelu", (g, [x]) => [fusedGrad("geluBackward", g, x, () => {
  const cdf = x.mul(Math.SQRT1_2).erf().add(1).mul(0.5);
  const pdf = x.square().mul(-0.5).exp().mul(INV_SQRT_2PI);
  return g.mul(cdf.add(x.mul(pdf)));
})]);
export function gelu(x: Tensor): Tensor {
  return record(unaryKernel("gelu", x, floatResult(x.dtype)), GELU, [x], [x], undefined);
}

// softplus'(x) = σ(βx), and 1 above the linear threshold.
const SOFTPLUS = defineOp<{ beta: number; threshold: number }>("softplus", (g, [x], c) => {
  const bx = x.mul(c.beta);
  return [where(bx.gt(c.threshold), g, g.mul(bx.sigmoid()))];
});
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  return record(unaryKernel("softplus", x, floatResult(x.dtype), beta, threshold), SOFTPLUS, [x], [x], { beta, threshold });
}

// The gradient passes where min ≤ x ≤ max, bounds included, as in PyTorch.
const CLAMP = defineOp<{ min: number; max: number }>("clamp", (g, [x], c) => {
  let mask: Tensor | null = null;
  if (c.min !== -Infinity) mask = x.ge(c.min);
  if (c.max !== Infinity) mask = mask ? logicalAnd(mask, x.le(c.max)) : x.le(c.max);
  return [mask ? masked(g, mask) : g];
});
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  if ((min === undefined || min === null) && (max === undefined || max === null)) {
    throw new ValueError("clamp: at least one of min and max must be given");
  }
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  const dtype = isFloat(x.dtype) || (Number.isInteger(lo) || lo === -Infinity) && (Number.isInteger(hi) || hi === Infinity) ? x.dtype : "float32";
  return record(unaryKernel("clamp", x, dtype, lo, hi), CLAMP, [x], [x], { min: lo, max: hi });
}

const POW_SCALAR = defineOp<number>("pow", (g, [x], p) => [p === 0 ? g.mul(0) : g.mul(x.pow(p - 1).mul(p))]);
function powScalar(x: Tensor, p: number): Tensor {
  const dtype = isFloat(x.dtype) || (Number.isInteger(p) && p >= 0) ? x.dtype : "float32";
  return record(unaryKernel("powScalar", x, dtype, p), POW_SCALAR, [x], [x], p);
}

/** Elementwise cast; the gradient is cast back. */
const CAST = defineOp<DType>("to", (g, _s, from) => [g.to(from)]);
export function to(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  // Casts with no gradient still report to an export trace (src/onnx), which otherwise sees a constant.
  if (dtype === "bool") return traced(unaryKernel("nonzero", x, "bool"), "to", [x], { from: x.dtype });
  const out = unaryKernel("copy", x, dtype);
  return isFloat(dtype) && isFloat(x.dtype) ? record(out, CAST, [x], null, x.dtype) : traced(out, "to", [x], { from: x.dtype });
}

export function isfinite(x: Tensor): Tensor {
  return traced(unaryKernel("isfinite", x, "bool"), "isfinite", [x], {});
}

// ---------------------------------------------------------------- binary ops

type Shapes = { aShape: readonly number[]; bShape: readonly number[] };

const ADD = defineOp<Shapes>("add", (g, _s, c, needs) => [
  needs[0] ? sumTo(g, c.aShape) : null,
  needs[1] ? sumTo(g, c.bShape) : null,
]);
// ---------------------------------------------------------------- tensor ⊕ number fast path
// A float tensor combined with a JS number needs no broadcast and no 0-d
// operand tensor: one unary kernel with the number as its parameter.

const ADD_SCALAR = defineOp<number>("add", (g) => [g]);
const MUL_SCALAR = defineOp<number>("mul", (g, _s, c) => [g.mul(c)]);
const DIV_SCALAR = defineOp<number>("div", (g, _s, c) => [g.div(c)]);
const RSUB_SCALAR = defineOp<number>("sub", (g) => [g.neg()]);

function scalarOp(op: UnaryOp, def: typeof MUL_SCALAR, x: Tensor, c: number): Tensor {
  // PyTorch casts the number to the tensor's dtype first: float32 x * 0.7 is
  // x * fround(0.7) rounded once, which differs from rounding x * 0.7.
  const p = x.dtype === "float32" ? Math.fround(c) : c;
  return record(unaryKernel(op, x, x.dtype, p), def, [x], null, p);
}

function isFloatTensor(a: TensorLike): a is Tensor {
  return a instanceof Tensor && (a.dtype === "float32" || a.dtype === "float64");
}

export function add(a: TensorLike, b: TensorLike): Tensor {
  if (typeof b === "number" && isFloatTensor(a)) return scalarOp("addScalar", ADD_SCALAR, a, b);
  const [ta, tb] = operands(a, b, "add");
  const out = binaryKernel("add", "add", ta, tb, arithmeticType(ta, tb));
  return record(out, ADD, [ta, tb], null, { aShape: ta.shape, bShape: tb.shape });
}

const SUB = defineOp<Shapes>("sub", (g, _s, c, needs) => [
  needs[0] ? sumTo(g, c.aShape) : null,
  needs[1] ? sumTo(g.neg(), c.bShape) : null,
]);
export function sub(a: TensorLike, b: TensorLike): Tensor {
  if (typeof b === "number" && isFloatTensor(a)) return scalarOp("addScalar", ADD_SCALAR, a, -b);
  if (typeof a === "number" && isFloatTensor(b)) return scalarOp("rsubScalar", RSUB_SCALAR, b, a);
  const [ta, tb] = operands(a, b, "sub");
  const out = binaryKernel("sub", "sub", ta, tb, arithmeticType(ta, tb));
  return record(out, SUB, [ta, tb], null, { aShape: ta.shape, bShape: tb.shape });
}

const MUL = defineOp("mul", (g, [a, b], _c, needs) => [
  needs[0] ? sumTo(g.mul(b), a.shape) : null,
  needs[1] ? sumTo(g.mul(a), b.shape) : null,
]);
export function mul(a: TensorLike, b: TensorLike): Tensor {
  if (typeof b === "number" && isFloatTensor(a)) return scalarOp("mulScalar", MUL_SCALAR, a, b);
  const [ta, tb] = operands(a, b, "mul");
  const out = binaryKernel("mul", "mul", ta, tb, arithmeticType(ta, tb));
  return record(out, MUL, [ta, tb], [ta, tb], undefined);
}

const DIV = defineOp("div", (g, [a, b], _c, needs) => [
  needs[0] ? sumTo(g.div(b), a.shape) : null,
  needs[1] ? sumTo(g.mul(a).div(b.square()).neg(), b.shape) : null,
]);
/** True division: integer inputs give float32, as in PyTorch. */
export function div(a: TensorLike, b: TensorLike): Tensor {
  if (typeof b === "number" && isFloatTensor(a)) return scalarOp("divScalar", DIV_SCALAR, a, b);
  const [ta, tb] = operands(a, b, "div");
  const out = binaryKernel("div", "div", ta, tb, floatResult(resultType(ta, tb)));
  return record(out, DIV, [ta, tb], [ta, tb], undefined);
}

// d(a^b)/da = b·a^(b-1) (0 where b = 0); d(a^b)/db = a^b·ln a (0 where a = 0 and b ≥ 0), as in PyTorch.
const POW = defineOp("pow", (g, [a, b, y], _c, needs) => [
  needs[0] ? sumTo(where(b.eq(0), 0, g.mul(b).mul(a.pow(b.sub(1)))), a.shape) : null,
  needs[1] ? sumTo(where(logicalAnd(a.eq(0), b.ge(0)), 0, g.mul(y).mul(a.log())), b.shape) : null,
]);
export function pow(a: TensorLike, b: TensorLike): Tensor {
  if (a instanceof Tensor && typeof b === "number") return powScalar(a, b);
  const [ta, tb] = operands(a, b, "pow");
  const out = binaryKernel("pow", "pow", ta, tb, arithmeticType(ta, tb));
  return record(out, POW, [ta, tb], [ta, tb, out], undefined);
}

// Ties split the gradient evenly, as PyTorch's maximum/minimum do. Each
// side loses the gradient only where it strictly lost the comparison, so a
// NaN (which compares false) passes it to both sides, as in PyTorch.
function extremumVjp(name: string, aLoses: "lt" | "gt", bLoses: "lt" | "gt") {
  return defineOp(name, (g, [a, b], _c, needs) => {
    const tie = a.eq(b);
    const half = g.mul(0.5);
    return [
      needs[0] ? sumTo(where(tie, half, where(a[aLoses](b), 0, g)), a.shape) : null,
      needs[1] ? sumTo(where(tie, half, where(a[bLoses](b), 0, g)), b.shape) : null,
    ];
  });
}
const MAXIMUM = extremumVjp("maximum", "lt", "gt");
const MINIMUM = extremumVjp("minimum", "gt", "lt");
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  const [ta, tb] = operands(a, b, "maximum");
  return record(binaryKernel("maximum", "maximum", ta, tb, arithmeticType(ta, tb)), MAXIMUM, [ta, tb], [ta, tb], undefined);
}
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  const [ta, tb] = operands(a, b, "minimum");
  return record(binaryKernel("minimum", "minimum", ta, tb, arithmeticType(ta, tb)), MINIMUM, [ta, tb], [ta, tb], undefined);
}

function arithmeticType(a: Tensor, b: Tensor): DType {
  const t = resultType(a, b);
  return t === "bool" ? "int32" : t;
}

// ---------------------------------------------------------------- comparisons (no gradient)

function compare(op: BinaryOp, a: TensorLike, b: TensorLike): Tensor {
  const [ta, tb] = operands(a, b, op);
  return traced(binaryKernel(op, op, ta, tb, "bool"), op, [ta, tb], {});
}
export const eq = (a: TensorLike, b: TensorLike) => compare("eq", a, b);
export const ne = (a: TensorLike, b: TensorLike) => compare("ne", a, b);
export const gt = (a: TensorLike, b: TensorLike) => compare("gt", a, b);
export const ge = (a: TensorLike, b: TensorLike) => compare("ge", a, b);
export const lt = (a: TensorLike, b: TensorLike) => compare("lt", a, b);
export const le = (a: TensorLike, b: TensorLike) => compare("le", a, b);
export const logicalAnd = (a: TensorLike, b: TensorLike) => compare("and", a, b);

export function logicalNot(x: Tensor): Tensor {
  return compare("eq", x, 0);
}

// ---------------------------------------------------------------- issue #14: log1p, expm1, silu, elu, mish

/**
 * An elementwise map computed in JS in float64 and rounded once to `dtype`:
 * for the maps no backend has a kernel for (Math.log1p and Math.expm1 keep
 * their precision near 0, where log(1 + x) and exp(x) − 1 lose it).
 */
function mapKernel(x: Tensor, dtype: DType, f: (v: number) => number): Tensor {
  const { data, offset } = contiguousData(x);
  const out = allocate(dtype, x.size);
  for (let i = 0; i < x.size; i++) out[i] = f(data[offset + i]);
  return new Tensor(out, x.shape, dtype);
}

// log1p' = 1 / (1 + x)
const LOG1P = defineOp("log1p", (g, [x]) => [g.div(x.add(1))]);
/** log(1 + x), accurate for small x. */
export function log1p(x: Tensor): Tensor {
  return record(mapKernel(x, floatResult(x.dtype), Math.log1p), LOG1P, [x], [x], undefined);
}

// expm1' = exp(x) = y + 1, from the saved output.
const EXPM1 = defineOp("expm1", (g, [y]) => [g.mul(y.add(1))]);
/** exp(x) − 1, accurate for small x. */
export function expm1(x: Tensor): Tensor {
  const y = mapKernel(x, floatResult(x.dtype), Math.expm1);
  return record(y, EXPM1, [x], [y], undefined);
}

// silu(x) = x·σ(x); silu' = σ(x)·(1 + x·(1 − σ(x))).
const SILU = defineOp("silu", (g, [x]) => {
  const s = x.sigmoid();
  return [g.mul(s.mul(x.mul(s.neg().add(1)).add(1)))];
});
/** x·σ(x) (also called swish). */
export function silu(x: Tensor): Tensor {
  const dtype = floatResult(x.dtype);
  const xf = x.dtype === dtype ? x : unaryKernel("copy", x, dtype);
  const y = binaryKernel("mul", "silu", xf, unaryKernel("sigmoid", xf, dtype), dtype);
  return record(y, SILU, [x], [x], undefined);
}

// elu'(x) = 1 for x > 0, else α·exp(x) (α at 0, as in PyTorch).
const ELU = defineOp<number>("elu", (g, [x], alpha) => [where(x.gt(0), g, g.mul(x.exp().mul(alpha)))]);
/** x for x > 0, else α·(exp(x) − 1). */
export function elu(x: Tensor, alpha = 1): Tensor {
  if (typeof alpha !== "number" || Number.isNaN(alpha)) throw new ValueError(`elu: alpha must be a number, got ${alpha}`);
  const a = x.dtype === "float32" ? Math.fround(alpha) : alpha;
  const y = mapKernel(x, floatResult(x.dtype), (v) => (v > 0 ? v : a * Math.expm1(v)));
  return record(y, ELU, [x], [x], a);
}

// mish(x) = x·tanh(softplus(x)); mish' = t + x·σ(x)·(1 − t²) with t = tanh(softplus(x)).
const MISH = defineOp("mish", (g, [x]) => {
  const t = x.softplus().tanh();
  return [g.mul(t.add(x.mul(x.sigmoid()).mul(t.square().neg().add(1))))];
});
/** x·tanh(softplus(x)). */
export function mish(x: Tensor): Tensor {
  const y = mapKernel(x, floatResult(x.dtype), (v) => v * Math.tanh(v > 20 ? v : Math.log1p(Math.exp(v))));
  return record(y, MISH, [x], [x], undefined);
}
