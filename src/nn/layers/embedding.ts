/** Embedding: a [num, dim] table of learnable rows looked up by int32 indices. */
import type { DType } from "../../backend/backend.js";
import { ValueError } from "../../errors.js";
import { zeros } from "../../tensor/creation.js";
import type { Generator } from "../../tensor/random.js";
import type { Tensor } from "../../tensor/tensor.js";
import { embedding, normalizePaddingIdx } from "../functional.js";
import { normal_, zeros_ } from "../init.js";
import { Module } from "../module.js";
import { Parameter } from "../parameter.js";

export interface EmbeddingOptions {
  /** This row starts at zero and gets no gradient (for padding tokens). */
  paddingIdx?: number | null;
  dtype?: DType;
  generator?: Generator;
}

export class Embedding extends Module {
  weight: Parameter;
  readonly paddingIdx: number | null;

  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    for (const [name, v] of [["numEmbeddings", numEmbeddings], ["embeddingDim", embeddingDim]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new ValueError(`Embedding: ${name} must be a non-negative integer, got ${v}`);
    }
    this.weight = new Parameter(zeros([numEmbeddings, embeddingDim], { dtype: options.dtype ?? "float32" }));
    normal_(this.weight, { generator: options.generator }); // N(0, 1), as PyTorch
    this.paddingIdx = normalizePaddingIdx(options.paddingIdx, numEmbeddings);
    if (this.paddingIdx !== null) zeros_(this.weight.narrow(0, this.paddingIdx, 1));
  }

  forward(indices: Tensor): Tensor {
    return embedding(indices, this.weight, { paddingIdx: this.paddingIdx });
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, paddingIdx=${this.paddingIdx}` : ""}`;
  }
}
