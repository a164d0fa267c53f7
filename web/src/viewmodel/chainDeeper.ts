/**
 * Everything the chain-rule panel shows beyond the matrix product, for one
 * parameter on one example: the finite-difference estimate, the sum over
 * paths, the layer-by-layer backward pass, and what the gradient would cost
 * without backprop. Plain float64 arithmetic, computed in the worker beside
 * the product.
 */
import { backwardSteps, gradientFromDelta, type BackwardStep } from "./backwardPass.js";
import type { ChainRuleInput } from "./chainRule.js";
import { enumeratePaths, summarizePaths, type PathSummary } from "./chainPaths.js";
import { centralDifference, gradientCost, type FiniteDifference } from "./finiteDifference.js";

/** Lines of the path table: beyond this the smallest paths are summed into one line. */
export const PATH_ROWS = 32;

export interface DeeperChain {
  sizes: number[];
  finiteDifference: FiniteDifference;
  paths: PathSummary;
  backward: BackwardStep[];
  /** e.g. "∂L/∂W1[2,1] = δ1[2] · x[1]" */
  fromDelta: string;
  cost: { parameters: number; finiteDifferenceForwards: number };
}

export function explainDeeper(input: ChainRuleInput): DeeperChain {
  return {
    sizes: [...input.sizes],
    finiteDifference: centralDifference(input),
    paths: summarizePaths(enumeratePaths(input), PATH_ROWS),
    backward: backwardSteps(input),
    fromDelta: gradientFromDelta(input.param),
    cost: gradientCost(input.sizes),
  };
}
