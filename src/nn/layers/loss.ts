/** Loss modules: hold the options, forward(input, target) calls the function in bp.nn.functional. */
import type { Tensor } from "../../tensor/tensor.js";
import {
  binaryCrossEntropy, binaryCrossEntropyWithLogits, crossEntropy, l1Loss, mseLoss, nllLoss, smoothL1Loss,
  type BCEOptions, type BCEWithLogitsOptions, type CrossEntropyOptions, type LossOptions, type NLLOptions, type Reduction,
  type SmoothL1Options,
} from "../losses.js";
import { Module } from "../module.js";

/**
 * The shared shape of the loss modules: options stored, forward(input, target).
 * Class weights (`weight`, `posWeight`) become buffers, so they are saved in
 * stateDict() and converted by to(), as in PyTorch.
 */
abstract class Loss<O extends LossOptions & { weight?: Tensor | null; posWeight?: Tensor | null }> extends Module {
  readonly reduction: Reduction;
  protected readonly settings: O;

  constructor(options: O = {} as O) {
    super();
    const { weight, posWeight, ...rest } = options;
    this.settings = rest as O;
    this.reduction = options.reduction ?? "mean";
    if (weight) this.registerBuffer("weight", weight);
    if (posWeight) this.registerBuffer("posWeight", posWeight);
  }

  /** The options with the (possibly converted) weight buffers. */
  get options(): O {
    const self = this as unknown as { weight?: Tensor; posWeight?: Tensor };
    return { ...this.settings, weight: self.weight ?? null, posWeight: self.posWeight ?? null };
  }

  abstract override forward(input: Tensor, target: Tensor): Tensor;

  override extraRepr(): string {
    return this.reduction === "mean" ? "" : `reduction="${this.reduction}"`;
  }
}

export class MSELoss extends Loss<LossOptions> {
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, this.options);
  }
}

export class L1Loss extends Loss<LossOptions> {
  forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, this.options);
  }
}

export class SmoothL1Loss extends Loss<SmoothL1Options> {
  forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, this.options);
  }
}

export class BCELoss extends Loss<BCEOptions> {
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, this.options);
  }
}

export class BCEWithLogitsLoss extends Loss<BCEWithLogitsOptions> {
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, this.options);
  }
}

export class NLLLoss extends Loss<NLLOptions> {
  forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, this.options);
  }
}

export class CrossEntropyLoss extends Loss<CrossEntropyOptions> {
  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, this.options);
  }
}
