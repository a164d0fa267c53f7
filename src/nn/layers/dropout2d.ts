/** Dropout2d: zeroes whole channels in training mode; identity after eval(). */
import { ValueError } from "../../errors.js";
import type { Generator } from "../../tensor/random.js";
import type { Tensor } from "../../tensor/tensor.js";
import { dropout2d } from "../channel-dropout.js";
import { Module } from "../module.js";

export class Dropout2d extends Module {
  private readonly generator: Generator | undefined;

  constructor(readonly p = 0.5, options: { generator?: Generator } = {}) {
    super();
    if (!(p >= 0 && p <= 1)) throw new ValueError(`Dropout2d: probability p must be between 0 and 1, got ${p}`);
    this.generator = options.generator;
  }

  forward(x: Tensor): Tensor {
    return dropout2d(x, { p: this.p, training: this.training, generator: this.generator });
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
