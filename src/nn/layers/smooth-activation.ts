/** Smooth activation layers (issue #14): SiLU, ELU, Softplus, Mish, as in torch.nn. */
import { ValueError } from "../../errors.js";
import { elu, mish, silu, softplus } from "../../ops/elementwise.js";
import type { Tensor } from "../../tensor/tensor.js";
import { Module } from "../module.js";

function finite(layer: string, name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new ValueError(`${layer}: ${name} must be a finite number, got ${String(v)}`);
  return v;
}

/** x·σ(x) (also called swish). */
export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return silu(x);
  }
}

/** x for x > 0, else α·(exp(x) − 1). `new ELU(0.5)` or `new ELU({ alpha: 0.5 })`. */
export class ELU extends Module {
  readonly alpha: number;

  constructor(alpha: number | { alpha?: number } = 1) {
    super();
    this.alpha = finite("ELU", "alpha", typeof alpha === "object" && alpha !== null ? alpha.alpha ?? 1 : alpha);
  }

  forward(x: Tensor): Tensor {
    return elu(x, this.alpha);
  }

  override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

export interface SoftplusOptions {
  /** Sharpness: softplus(x) = log(1 + exp(βx)) / β (default 1). */
  beta?: number;
  /** Above βx > threshold the layer is linear (default 20). */
  threshold?: number;
}

/** log(1 + exp(βx)) / β, linear above the threshold. `new Softplus(2, 10)` or `new Softplus({ beta: 2, threshold: 10 })`. */
export class Softplus extends Module {
  readonly beta: number;
  readonly threshold: number;

  constructor(beta: number | SoftplusOptions = 1, threshold = 20) {
    super();
    const o = typeof beta === "object" && beta !== null ? beta : { beta, threshold };
    this.beta = finite("Softplus", "beta", o.beta ?? 1);
    this.threshold = finite("Softplus", "threshold", o.threshold ?? 20);
    if (this.beta === 0) throw new ValueError("Softplus: beta must not be 0 (the layer divides by it)");
  }

  forward(x: Tensor): Tensor {
    return softplus(x, this.beta, this.threshold);
  }

  override extraRepr(): string {
    return `beta=${this.beta}, threshold=${this.threshold}`;
  }
}

/** x·tanh(softplus(x)). */
export class Mish extends Module {
  forward(x: Tensor): Tensor {
    return mish(x);
  }
}
