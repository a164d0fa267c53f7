/** Shape-only and regularising layers: Identity, Flatten, Dropout. */
import { ValueError } from "../../errors.js";
import type { Generator } from "../../tensor/random.js";
import type { Tensor } from "../../tensor/tensor.js";
import { dropout } from "../functional.js";
import { Module } from "../module.js";

export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** Flattens dims startDim..endDim (default 1..-1: everything but the batch dim). */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}

export interface DropoutLayerOptions {
  /** Source of the masks (default: the global generator). */
  generator?: Generator;
}

/** Zeroes elements with probability p in training mode (scaling the rest by 1/(1 − p)); identity after eval(). */
export class Dropout extends Module {
  private readonly generator: Generator | undefined;

  constructor(readonly p = 0.5, options: DropoutLayerOptions = {}) {
    super();
    if (!(p >= 0 && p <= 1)) throw new ValueError(`Dropout: probability p must be between 0 and 1, got ${p}`);
    this.generator = options.generator;
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, { generator: this.generator });
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
