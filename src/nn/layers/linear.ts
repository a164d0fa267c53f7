/** Linear: y = x·Wᵀ + b, with weight [out, in], initialised like PyTorch. */
import type { DType } from "../../backend/backend.js";
import { ValueError } from "../../errors.js";
import { zeros } from "../../tensor/creation.js";
import type { Generator } from "../../tensor/random.js";
import type { Tensor } from "../../tensor/tensor.js";
import { linear } from "../functional.js";
import { kaimingUniform_, uniform_ } from "../init.js";
import { Module } from "../module.js";
import { Parameter } from "../parameter.js";

export interface LinearOptions {
  bias?: boolean;
  dtype?: DType;
  /** Source of the initial weights (default: the global generator seeded by bp.manualSeed). */
  generator?: Generator;
}

export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    for (const [name, v] of [["inFeatures", inFeatures], ["outFeatures", outFeatures]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new ValueError(`Linear: ${name} must be a non-negative integer, got ${v}`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const dtype = options.dtype ?? "float32";
    this.weight = new Parameter(zeros([outFeatures, inFeatures], { dtype }));
    this.bias = options.bias ?? true ? new Parameter(zeros([outFeatures], { dtype })) : null;
    this.resetParameters(options.generator);
  }

  /** PyTorch's init: kaiming_uniform_(a=√5), i.e. U(±1/√in), for the weight; U(±1/√in) for the bias. */
  resetParameters(generator?: Generator): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5), generator });
    if (this.bias && this.inFeatures > 0) {
      const bound = 1 / Math.sqrt(this.inFeatures);
      uniform_(this.bias, -bound, bound, { generator });
    }
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}
