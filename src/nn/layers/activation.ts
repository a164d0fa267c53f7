/** Activation layers: thin Module wrappers around the elementwise ops. */
import type { Tensor } from "../../tensor/tensor.js";
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
  constructor(readonly negativeSlope = 0.01) {
    super();
  }

  forward(x: Tensor): Tensor {
    return x.leakyRelu(this.negativeSlope);
  }

  override extraRepr(): string {
    return `negativeSlope=${this.negativeSlope}`;
  }
}

/** GELU in PyTorch's exact form x·Φ(x) (approximate="none"). */
export class GELU extends Module {
  forward(x: Tensor): Tensor {
    return x.gelu();
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
