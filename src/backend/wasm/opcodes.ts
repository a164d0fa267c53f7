/**
 * The ops the asm/ kernels accelerate, in the kernels' numbering: an op's
 * code is its index here (`kernelCodes`), and asm/elementwise.ts names the
 * same numbers (test/backend/kernel-op-codes.test.ts compares them). Ops
 * missing here run the JS kernel.
 */
import { kernelCodes, type BinaryOp, type UnaryOp } from "../kernel-ops.js";

/** In asm/elementwise.ts's binary numbering (`const ADD = 0, …`). */
export const WASM_BINARY_OPS = [
  "add", "sub", "mul", "div", "maximum", "minimum", "reluBackward", "sigmoidBackward", "tanhBackward", "geluBackward",
] as const satisfies readonly BinaryOp[];

/** In asm/elementwise.ts's unary numbering (`const COPY = 0, …`). */
export const WASM_UNARY_OPS = [
  "copy", "neg", "abs", "sqrt", "square", "relu", "clamp", "leakyRelu", "reciprocal", "exp", "sigmoid", "gelu",
] as const satisfies readonly UnaryOp[];

export const BINARY_CODES: ReadonlyMap<BinaryOp, number> = kernelCodes<BinaryOp>(WASM_BINARY_OPS);
export const UNARY_CODES: ReadonlyMap<UnaryOp, number> = kernelCodes<UnaryOp>(WASM_UNARY_OPS);

/** Maps costly enough per element that copying into wasm memory pays off at much smaller sizes. */
export const TRANSCENDENTAL: ReadonlySet<UnaryOp> = new Set<UnaryOp>(["exp", "sigmoid", "gelu"]);
/** The binary maps as costly (GELU's gradient). */
export const TRANSCENDENTAL_BINARY: ReadonlySet<BinaryOp> = new Set<BinaryOp>(["geluBackward"]);
