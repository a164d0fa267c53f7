/**
 * The gradient without any chain rule: nudge one parameter both ways and
 * watch the loss,
 *
 *   ∂L/∂θ ≈ (L(θ + h) − L(θ − h)) / 2h,
 *
 * on the same example, in float64. The error of the central difference
 * shrinks like h² (the odd terms of the Taylor series cancel), while
 * rounding adds about ε·|L|/h, so h = 1e-5 leaves roughly 1e-10 of both in
 * float64: far below the six digits the panel prints. (Across a ReLU's kink
 * the loss is not smooth, and the estimate can differ there.)
 */
import { checkParam, exampleLoss, type ChainRuleInput, type ParamRef } from "./chainRule.js";

export const DEFAULT_STEP = 1e-5;

export interface FiniteDifference {
  value: number;
  step: number;
  lossPlus: number;
  lossMinus: number;
}

export function centralDifference(input: ChainRuleInput, step = DEFAULT_STEP): FiniteDifference {
  checkParam(input.param, input.sizes);
  return centralDifferenceOf((delta) => exampleLoss(nudged(input, input.param, delta)).value, step, "centralDifference");
}

/**
 * The same estimate for any model: `lossWith(δ)` is the loss with the
 * chosen parameter moved by δ (the recurrent mode passes its own forward
 * pass). `caller` names the function in the error for a bad step.
 */
export function centralDifferenceOf(lossWith: (delta: number) => number, step = DEFAULT_STEP, caller = "centralDifferenceOf"): FiniteDifference {
  if (!(step > 0 && Number.isFinite(step))) throw new RangeError(`${caller}: the step h must be a positive number, got ${step}`);
  const lossPlus = lossWith(step);
  const lossMinus = lossWith(-step);
  return { value: (lossPlus - lossMinus) / (2 * step), step, lossPlus, lossMinus };
}

/** A copy of the input with one parameter moved by `delta` (float64 copies of that layer only). */
function nudged(input: ChainRuleInput, p: ParamRef, delta: number): ChainRuleInput {
  const weights = input.weights.slice();
  const biases = input.biases.slice();
  if (p.kind === "weight") {
    const w = Float64Array.from(weights[p.layer]);
    w[p.row * input.sizes[p.layer] + p.col] += delta;
    weights[p.layer] = w;
  } else {
    const b = Float64Array.from(biases[p.layer]);
    b[p.row] += delta;
    biases[p.layer] = b;
  }
  return { ...input, weights, biases };
}

/** Forward passes central differences need for the whole gradient (two per parameter), against backprop's one forward and one backward. */
export function gradientCost(sizes: readonly number[]): { parameters: number; finiteDifferenceForwards: number } {
  let parameters = 0;
  for (let k = 0; k + 1 < sizes.length; k++) parameters += sizes[k + 1] * (sizes[k] + 1);
  return { parameters, finiteDifferenceForwards: 2 * parameters };
}
