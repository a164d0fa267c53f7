/** Shared by the chain-rule tests: PyTorch's four small networks as panel inputs, and every parameter of a network. */
import type { Activation, LossName } from "../../web/src/config.js";
import type { ChainRuleInput, ParamRef } from "../../web/src/viewmodel/chainRule.js";
import torchCases from "./fixtures/chain_rule_torch.json" with { type: "json" };

export type TorchCase = (typeof torchCases.cases)[number];
export const TORCH_CASES: readonly TorchCase[] = torchCases.cases;

export function torchInput(c: TorchCase, param: ParamRef): ChainRuleInput {
  return {
    sizes: c.sizes, weights: c.weights, biases: c.biases,
    activation: c.activation as Activation,
    outputActivation: c.outputActivation as ChainRuleInput["outputActivation"],
    loss: c.loss as LossName, x: c.x, label: c.label, param,
  };
}

/** PyTorch's gradient of the case's loss with respect to one parameter. */
export function torchGradient(c: TorchCase, p: ParamRef): number {
  return p.kind === "weight" ? c.weightGrads[p.layer][p.row * c.sizes[p.layer] + p.col] : c.biasGrads[p.layer][p.row];
}

export function everyParam(sizes: readonly number[]): ParamRef[] {
  const refs: ParamRef[] = [];
  for (let layer = 0; layer < sizes.length - 1; layer++) {
    for (let row = 0; row < sizes[layer + 1]; row++) {
      refs.push({ layer, kind: "bias", row, col: 0 });
      for (let col = 0; col < sizes[layer]; col++) refs.push({ layer, kind: "weight", row, col });
    }
  }
  return refs;
}
