/**
 * The weight penalty the trainer adds to the loss (TensorFlow Playground's
 * "regularization"): λ·Σ|w| for L1, λ·½Σw² for L2, over the weights only
 * (biases are left free, as there). The ½ makes L2's gradient λ·w.
 */
import * as bp from "backpropagation";
import type { RegularizationKind } from "../config.js";

/** The penalty as a tensor (so that backward() reaches the weights), or null when there is none. */
export function penaltyTensor(weights: readonly bp.Tensor[], kind: RegularizationKind, rate: number): bp.Tensor | null {
  if (kind === "none" || rate === 0 || weights.length === 0) return null;
  let total: bp.Tensor | null = null;
  for (const w of weights) {
    const term = kind === "l1" ? w.abs().sum() : w.mul(w).sum().mul(0.5);
    total = total ? total.add(term) : term;
  }
  return total!.mul(rate);
}

/** The same penalty as a number, from plain weight values (for the status line). */
export function penaltyValue(weights: readonly ArrayLike<number>[], kind: RegularizationKind, rate: number): number {
  if (kind === "none" || rate === 0) return 0;
  let sum = 0;
  for (const w of weights) {
    for (let i = 0; i < w.length; i++) sum += kind === "l1" ? Math.abs(w[i]) : 0.5 * w[i] * w[i];
  }
  return rate * sum;
}
