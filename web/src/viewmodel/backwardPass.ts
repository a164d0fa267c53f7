/**
 * The backward pass as a sequence of steps, one per layer, from the loss
 * back to the inputs. Each step computes δ_k = ∂L/∂z_k for every unit of
 * layer k once:
 *
 *   δ_K = ∂L/∂ŷ ⊙ out'(z_K),     δ_k = (W_{k+1}ᵀ · δ_{k+1}) ⊙ act'(z_k),
 *
 * and that one vector then serves every weight and bias of the layer
 * (∂L/∂W_k[j,i] = δ_k[j] · h_{k-1}[i], ∂L/∂b_k[j] = δ_k[j]) and the layer
 * below. Reusing δ instead of walking each parameter's paths again is the
 * whole trick of backpropagation. The last step reaches the inputs
 * (∂L/∂x = W_1ᵀ · δ_1), where no parameter waits, so the pass ends.
 */
import { exampleLoss, layerSlope, outputSymbol, paramName, type ExampleInput, type ParamRef } from "./chainRule.js";

export interface BackwardStep {
  /** The diagram column whose nodes light up: layers (inputs = 0) count up to sizes.length - 1. */
  column: number;
  /** "δ3" for a layer, "∂L/∂x" for the inputs. */
  symbol: string;
  /** The gradient arriving at each node of the column. */
  values: Float64Array;
  /** The weights and biases of this layer that use the δ (0 at the inputs). */
  weights: number;
  biases: number;
  /** One line saying what the step computes and who reuses it. */
  text: string;
}

export function backwardSteps(input: ExampleInput): BackwardStep[] {
  const { sizes, weights } = input;
  const layers = sizes.length - 1;
  const { trace: { z }, grad } = exampleLoss(input);
  const steps: BackwardStep[] = [];
  let upstream = grad; // ∂L/∂h_k for the layer about to be processed
  for (let k = layers - 1; k >= 0; k--) {
    const delta = new Float64Array(sizes[k + 1]);
    for (let j = 0; j < delta.length; j++) delta[j] = upstream[j] * layerSlope(input, k, z[k][j]);
    const n = k + 1; // the lecture's 1-based layer number
    const nWeights = sizes[k + 1] * sizes[k];
    const slope = k === layers - 1 ? (input.outputActivation === "sigmoid" ? "σ'" : "1") : actSymbol(input.activation);
    const from = k === layers - 1 ? "∂L/∂ŷ" : `W${n + 1}ᵀ·δ${n + 1}`;
    steps.push({
      column: n,
      symbol: `δ${n}`,
      values: delta,
      weights: nWeights,
      biases: sizes[k + 1],
      text: `δ${n} = ${from} ⊙ ${slope}(z${n}), computed once for the ${sizes[k + 1]} units of ${outputSymbol(k, layers)}; δ of layer ${n} reused by all ${nWeights} weights of layer ${n} (∂L/∂W${n}[j,i] = δ${n}[j]·${k === 0 ? "x" : `h${k}`}[i]) and its ${sizes[k + 1]} biases, then sent back through W${n}`,
    });
    // ∂L/∂h_{k-1} = W_kᵀ · δ_k (at k = 0: ∂L/∂x).
    const nIn = sizes[k];
    const back = new Float64Array(nIn);
    for (let j = 0; j < delta.length; j++) {
      for (let i = 0; i < nIn; i++) back[i] += weights[k][j * nIn + i] * delta[j];
    }
    upstream = back;
  }
  steps.push({
    column: 0,
    symbol: "∂L/∂x",
    values: upstream,
    weights: 0,
    biases: 0,
    text: `∂L/∂x = W1ᵀ·δ1 reaches the ${sizes[0]} inputs; no parameter waits there, so the backward pass ends`,
  });
  return steps;
}

/** How the selected parameter's gradient reads off its layer's δ: "∂L/∂W1[2,1] = δ1[2] · x[1]". */
export function gradientFromDelta(p: ParamRef): string {
  const n = p.layer + 1;
  if (p.kind === "bias") return `∂L/∂${paramName(p)} = δ${n}[${p.row}]`;
  return `∂L/∂${paramName(p)} = δ${n}[${p.row}] · ${p.layer === 0 ? "x" : `h${p.layer}`}[${p.col}]`;
}

function actSymbol(a: ExampleInput["activation"]): string {
  return a === "sigmoid" ? "σ'" : `${a}'`;
}
