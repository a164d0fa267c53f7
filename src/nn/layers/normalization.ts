/** LayerNorm over the trailing dims, with learnable elementwise scale and shift. */
import type { DType } from "../../backend/backend.js";
import { ValueError } from "../../errors.js";
import { ones, zeros } from "../../tensor/creation.js";
import type { Tensor } from "../../tensor/tensor.js";
import { layerNorm } from "../functional.js";
import { Module } from "../module.js";
import { Parameter } from "../parameter.js";

export interface LayerNormOptions {
  eps?: number;
  elementwiseAffine?: boolean;
  dtype?: DType;
}

export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  weight: Parameter | null;
  bias: Parameter | null;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
    if (this.normalizedShape.length === 0 || this.normalizedShape.some((s) => !Number.isInteger(s) || s < 1)) {
      throw new ValueError(`LayerNorm: normalizedShape must be a positive integer or a non-empty list of them, got ${JSON.stringify(normalizedShape)}`);
    }
    this.eps = options.eps ?? 1e-5;
    this.elementwiseAffine = options.elementwiseAffine ?? true;
    const dtype = options.dtype ?? "float32";
    this.weight = this.elementwiseAffine ? new Parameter(ones(this.normalizedShape, { dtype })) : null;
    this.bias = this.elementwiseAffine ? new Parameter(zeros(this.normalizedShape, { dtype })) : null;
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `[${this.normalizedShape.join(", ")}], eps=${this.eps}, elementwiseAffine=${this.elementwiseAffine}`;
  }
}
