/**
 * The playground's network, written as the lecture writes it:
 *   h1 = σ(x·W1ᵀ + b1),  h2 = σ(h1·W2ᵀ + b2),  ŷ = h2·W3ᵀ + b3
 * (for classification by squared error ŷ passes through a sigmoid too, as
 * in `backprop train`). Each layer's weight has PyTorch's layout [out, in],
 * and the parameters are named as `nn.Sequential(Linear, act, Linear, act,
 * Linear)` names them ("0.weight", "2.weight", ...), so an exported model
 * loads wherever that Sequential's state dict does.
 */
import * as bp from "backpropagation";
import type { Activation } from "../config.js";
import type { OutputActivation } from "./head.js";

export interface Layer {
  /** [out, in] */
  weight: bp.Tensor;
  /** [out] */
  bias: bp.Tensor;
  /** The state-dict prefix, e.g. "0" for the first Linear. */
  name: string;
}

/** The values the forward pass went through (kept for the views). */
export interface ForwardTrace {
  /** Pre-activations z_k = h_{k-1}·W_kᵀ + b_k, one per layer. */
  z: bp.Tensor[];
  /** Layer outputs h_k = act(z_k); the last one is ŷ (output activation or none). */
  h: bp.Tensor[];
}

export class Mlp {
  readonly layers: Layer[];
  readonly sizes: readonly number[];
  readonly activation: Activation;
  readonly outputActivation: OutputActivation;

  /** sizes = [inputs, hidden..., outputs]; initialised like torch.nn.Linear: U(-1/√in, 1/√in). */
  constructor(sizes: readonly number[], activation: Activation, outputActivation: OutputActivation, seed: number) {
    if (sizes.length < 2) throw new RangeError(`Mlp: need at least an input and an output size, got [${sizes.join(", ")}]`);
    this.sizes = sizes.slice();
    this.activation = activation;
    this.outputActivation = outputActivation;
    const generator = new bp.Generator(seed);
    this.layers = [];
    for (let k = 1; k < sizes.length; k++) {
      const fanIn = sizes[k - 1];
      const bound = 1 / Math.sqrt(fanIn);
      const uniform = (shape: number[]) =>
        bp.rand(shape, { generator }).mul(2 * bound).sub(bound).detach();
      const weight = uniform([sizes[k], fanIn]);
      const bias = uniform([sizes[k]]);
      weight.requiresGrad = true;
      bias.requiresGrad = true;
      // Sequential numbering: Linear, activation, Linear, activation, ..., Linear.
      this.layers.push({ weight, bias, name: String(2 * (k - 1)) });
    }
  }

  parameters(): bp.Tensor[] {
    return this.layers.flatMap((l) => [l.weight, l.bias]);
  }

  namedParameters(): [string, bp.Tensor][] {
    return this.layers.flatMap((l): [string, bp.Tensor][] => [[`${l.name}.weight`, l.weight], [`${l.name}.bias`, l.bias]]);
  }

  forward(x: bp.Tensor): bp.Tensor {
    return this.trace(x).h[this.layers.length - 1];
  }

  /** The forward pass, keeping every pre-activation and layer output. */
  trace(x: bp.Tensor, params: readonly bp.Tensor[] = this.parameters()): ForwardTrace {
    const z: bp.Tensor[] = [];
    const h: bp.Tensor[] = [];
    let input = x;
    const last = this.layers.length - 1;
    for (let k = 0; k <= last; k++) {
      const pre = input.matmul(params[2 * k].T).add(params[2 * k + 1]);
      const out = k < last ? activate(pre, this.activation) : this.outputActivation === "sigmoid" ? pre.sigmoid() : pre;
      z.push(pre);
      h.push(out);
      input = out;
    }
    return { z, h };
  }
}

export function activate(t: bp.Tensor, activation: Activation): bp.Tensor {
  switch (activation) {
    case "sigmoid":
      return t.sigmoid();
    case "tanh":
      return t.tanh();
    case "relu":
      return t.relu();
  }
}
