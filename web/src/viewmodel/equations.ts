/**
 * The network's forward pass and loss written out in the lecture's symbols,
 * for the current settings, e.g. for the default:
 *   h1 = σ(W1·x + b1),  h2 = σ(W2·h1 + b2),  ŷ = σ(W3·h2 + b3),  L = mean((ŷ − y)²)
 */
import type { Activation, LossName } from "../config.js";
import { outputSymbol } from "./chainRule.js";

const ACTIVATION_SYMBOL: Record<Activation, string> = { sigmoid: "σ", tanh: "tanh", relu: "relu", linear: "" };

export function networkEquations(layers: number, activation: Activation, outputActivation: "sigmoid" | "none", loss: LossName): string[] {
  const lines: string[] = [];
  for (let k = 0; k < layers; k++) {
    const input = k === 0 ? "x" : outputSymbol(k - 1, layers);
    const affine = `W${k + 1}·${input} + b${k + 1}`;
    const last = k === layers - 1;
    // A linear activation leaves the affine map as it is.
    const wrapped = !last ? (activation === "linear" ? affine : `${ACTIVATION_SYMBOL[activation]}(${affine})`) : outputActivation === "sigmoid" ? `σ(${affine})` : affine;
    lines.push(`${outputSymbol(k, layers)} = ${wrapped}`);
  }
  lines.push(loss === "cross-entropy" ? "L = −mean(log softmax(ŷ)[y])" : "L = mean((ŷ − y)²)");
  return lines;
}
