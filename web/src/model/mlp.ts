/**
 * The playground's network, the lecture's
 *   h1 = σ(x·W1ᵀ + b1),  h2 = σ(h1·W2ᵀ + b2),  ŷ = h2·W3ᵀ + b3
 * (for classification by squared error ŷ passes through a sigmoid too, as
 * in `backprop train`), computed by an `nn.Sequential(Linear, act, Linear,
 * act, Linear)`. Each layer's weight has PyTorch's layout [out, in], and
 * the parameters carry that Sequential's names ("0.weight", "2.weight",
 * ...), so an exported model loads wherever its state dict does.
 */
import * as bp from "backpropagation";
import type { Activation } from "../config.js";
import type { OutputActivation } from "./head.js";

export interface Layer {
  /** [out, in] */
  weight: bp.nn.Parameter;
  /** [out] */
  bias: bp.nn.Parameter;
  /** The state-dict prefix, e.g. "0" for the first Linear. */
  name: string;
}

export class Mlp {
  readonly layers: Layer[];
  readonly sizes: readonly number[];
  readonly activation: Activation;
  readonly outputActivation: OutputActivation;
  /** The network itself: an nn.Sequential whose Linear layers hold `layers`' tensors. */
  readonly net: bp.nn.Sequential;

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
      const weight = new bp.nn.Parameter(uniform([sizes[k], fanIn]));
      const bias = new bp.nn.Parameter(uniform([sizes[k]]));
      // Sequential numbering: Linear, activation, Linear, activation, ..., Linear.
      this.layers.push({ weight, bias, name: String(2 * (k - 1)) });
    }
    this.net = this.network(this.parameters());
  }

  parameters(): bp.nn.Parameter[] {
    return this.layers.flatMap((l) => [l.weight, l.bias]);
  }

  namedParameters(): [string, bp.nn.Parameter][] {
    return this.layers.flatMap((l): [string, bp.nn.Parameter][] => [[`${l.name}.weight`, l.weight], [`${l.name}.bias`, l.bias]]);
  }

  forward(x: bp.Tensor): bp.Tensor {
    return this.net.forward(x);
  }

  /**
   * The same network as an nn.Sequential computing with `params` (in the
   * order of parameters()): the model's own, or copies sharing their
   * values (the gradient and graph views use those, leaving .grad alone).
   */
  network(params: readonly bp.nn.Parameter[]): bp.nn.Sequential {
    const modules: bp.nn.Module[] = [];
    const last = this.layers.length - 1;
    for (let k = 0; k <= last; k++) {
      // Its own initial values are replaced at once (a throwaway generator leaves the global one alone).
      const linear = new bp.nn.Linear(this.sizes[k], this.sizes[k + 1], { generator: new bp.Generator(0) });
      linear.weight = params[2 * k];
      linear.bias = params[2 * k + 1];
      modules.push(linear);
      if (k < last) modules.push(activationModule(this.activation));
      else if (this.outputActivation === "sigmoid") modules.push(new bp.nn.Sigmoid());
    }
    return new bp.nn.Sequential(...modules);
  }
}

function activationModule(activation: Activation): bp.nn.Module {
  switch (activation) {
    case "sigmoid":
      return new bp.nn.Sigmoid();
    case "tanh":
      return new bp.nn.Tanh();
    case "relu":
      return new bp.nn.ReLU();
    case "linear":
      return new bp.nn.Identity();
  }
}
