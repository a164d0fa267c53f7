/** Activation layers: thin Module wrappers around the elementwise ops. */
import type { Tensor } from "../../tensor/tensor.js";
import { ValueError } from "../../errors.js";
import { gelu, type GeluApproximate } from "../functional.js";
import { Module } from "../module.js";

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}

export class LeakyReLU extends Module {
  readonly negativeSlope: number;

  /** new LeakyReLU(0.2) or new LeakyReLU({ negativeSlope: 0.2 }). */
  constructor(negativeSlope: number | { negativeSlope?: number } = 0.01) {
    super();
    this.negativeSlope = typeof negativeSlope === "number" ? negativeSlope : negativeSlope.negativeSlope ?? 0.01;
  }

  forward(x: Tensor): Tensor {
    return x.leakyRelu(this.negativeSlope);
  }

  override extraRepr(): string {
    return `negativeSlope=${this.negativeSlope}`;
  }
}

/** GELU: x·Φ(x), or with { approximate: "tanh" } PyTorch's tanh approximation. */
export class GELU extends Module {
  readonly approximate: GeluApproximate;

  constructor(options: { approximate?: GeluApproximate } = {}) {
    super();
    this.approximate = options.approximate ?? "none";
    if (this.approximate !== "none" && this.approximate !== "tanh") {
      throw new ValueError(`GELU: approximate must be "none" or "tanh", got ${JSON.stringify(this.approximate)}`);
    }
  }

  forward(x: Tensor): Tensor {
    return gelu(x, { approximate: this.approximate });
  }

  override extraRepr(): string {
    return this.approximate === "none" ? "" : `approximate="${this.approximate}"`;
  }
}

export class Softmax extends Module {
  constructor(readonly dim: number) {
    super();
    if (!Number.isInteger(dim)) throw new TypeError(`Softmax: dim must be an integer, got ${dim}`);
  }

  forward(x: Tensor): Tensor {
    return x.softmax(this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

export class LogSoftmax extends Module {
  constructor(readonly dim: number) {
    super();
    if (!Number.isInteger(dim)) throw new TypeError(`LogSoftmax: dim must be an integer, got ${dim}`);
  }

  forward(x: Tensor): Tensor {
    return x.logSoftmax(this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
