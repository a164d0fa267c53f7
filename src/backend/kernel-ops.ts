/**
 * The kernel ops, in one ordered list per kernel family. The `UnaryOp`,
 * `BinaryOp` and `ReduceOp` types of src/backend/backend.ts are these lists'
 * elements. A fast backend accelerates a subset and numbers it with
 * `kernelCodes`: the code of an op is its index in that backend's own
 * ordered list (the native addon exports its list; the wasm one is
 * src/backend/wasm/opcodes.ts). test/backend/kernel-op-codes.test.ts reads
 * native/src and asm/ and fails when their enums disagree with these lists.
 */

/** Elementwise maps of one input. `p0`/`p1` carry the op's scalar parameters. */
export const UNARY_OPS = [
  "copy", // out = x (also casts between array types)
  "neg",
  "exp",
  "log",
  "sqrt",
  "abs",
  "sign",
  "square",
  "reciprocal",
  "sin",
  "cos",
  "tanh",
  "sigmoid",
  "relu",
  "erf",
  "gelu",
  "softplus", // p0 = beta, p1 = threshold (PyTorch's defaults 1 and 20)
  "leakyRelu", // p0 = negative slope
  "clamp", // p0 = min, p1 = max (use ±Infinity for no bound)
  "powScalar", // x ** p0
  "addScalar", // x + p0
  "mulScalar", // x * p0
  "divScalar", // x / p0
  "rsubScalar", // p0 - x
  "nonzero", // 1 where x != 0 (casts to bool)
  "isfinite", // 1 where x is finite
] as const;

/** Elementwise maps of two (broadcast) inputs. Comparisons write 0/1. */
export const BINARY_OPS = [
  "add",
  "sub",
  "mul",
  "div",
  "pow",
  "maximum",
  "minimum",
  "eq",
  "ne",
  "gt",
  "ge",
  "lt",
  "le",
  "and",
  // Fused first-order gradients (a = the incoming gradient, b = the op's saved output, or input for GELU):
  "sigmoidBackward", // a · b · (1 − b)
  "tanhBackward", // a · (1 − b²)
  "reluBackward", // b > 0 ? a : 0 (NaN passes a, as in PyTorch)
  "geluBackward", // a · (Φ(b) + b·φ(b)), b = GELU's saved input (Φ, φ: the standard normal cdf and pdf)
] as const;

/** Reductions of the middle axis of an [outer, axis, inner] block. */
export const REDUCE_OPS = ["sum", "prod", "max", "min", "argmax", "argmin"] as const;

export type UnaryOp = (typeof UNARY_OPS)[number];
export type BinaryOp = (typeof BINARY_OPS)[number];
export type ReduceOp = (typeof REDUCE_OPS)[number];

/** A backend's op codes: each op's index in the backend's own ordered list of the ops it accelerates. */
export function kernelCodes<Op extends string>(accelerated: readonly Op[]): ReadonlyMap<Op, number> {
  return new Map(accelerated.map((name, code) => [name, code]));
}
