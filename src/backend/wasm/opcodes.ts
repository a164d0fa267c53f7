/** Op codes the asm/ kernels understand; ops missing here run the JS kernel. */
import type { BinaryOp, UnaryOp } from "../backend.js";

export const BINARY_CODES: Partial<Record<BinaryOp, number>> = {
  add: 0, sub: 1, mul: 2, div: 3, maximum: 4, minimum: 5, reluBackward: 6, sigmoidBackward: 7, tanhBackward: 8,
};

export const UNARY_CODES: Partial<Record<UnaryOp, number>> = {
  copy: 0, neg: 1, abs: 2, sqrt: 3, square: 4, relu: 5, clamp: 6, leakyRelu: 7, reciprocal: 8,
  exp: 9, sigmoid: 10,
};

/** Maps costly enough per element that copying into wasm memory pays off at much smaller sizes. */
export const TRANSCENDENTAL: ReadonlySet<UnaryOp> = new Set<UnaryOp>(["exp", "sigmoid"]);
