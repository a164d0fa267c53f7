/**
 * Adam and AdamW (torch 1.13's single-tensor rules). Adam adds weightDecay·p
 * to the gradient (L2); AdamW shrinks the parameter by (1 − lr·weightDecay)
 * before the update (decoupled). amsgrad keeps the running maximum of the
 * raw second moment and bias-corrects that maximum.
 */
import type { TypedArray } from "../backend/backend.js";
import type { Tensor } from "../tensor/tensor.js";
import { Optimizer, checkRange, type ParamGroupInput, type ParamState } from "./optimizer.js";

export interface AdamOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
}

export class Adam extends Optimizer<AdamOptions> {
  /** True for AdamW: weight decay shrinks the parameter instead of adding to the gradient. */
  protected readonly decoupled: boolean = false;

  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<AdamOptions>>, options: Partial<AdamOptions> = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, ...options });
  }

  protected validate(g: AdamOptions): void {
    checkRange(this.name, "learning rate", g.lr);
    checkRange(this.name, "eps", g.eps);
    if (!Array.isArray(g.betas) || g.betas.length !== 2) {
      checkRange(this.name, "betas (expected [beta1, beta2])", g.betas, 0, 1);
    }
    checkRange(this.name, "beta1 (betas[0])", g.betas[0], 0, 1);
    checkRange(this.name, "beta2 (betas[1])", g.betas[1], 0, 1);
    checkRange(this.name, "weightDecay", g.weightDecay);
  }

  protected updateParameter(param: Tensor, grad: TypedArray, go: number, state: ParamState, g: AdamOptions): void {
    if (state.step === undefined) {
      state.step = 0;
      state.expAvg = this.buffer(param);
      state.expAvgSq = this.buffer(param);
      if (g.amsgrad) state.maxExpAvgSq = this.buffer(param);
    }
    if (g.amsgrad && state.maxExpAvgSq === undefined) state.maxExpAvgSq = this.buffer(param);
    const step = (state.step as number) + 1;
    state.step = step;
    const p = param.storage;
    const po = param.offset;
    const n = param.size;
    const m = (state.expAvg as Tensor).storage;
    const v = (state.expAvgSq as Tensor).storage;
    const vMax = g.amsgrad ? (state.maxExpAvgSq as Tensor).storage : null;
    const [beta1, beta2] = g.betas;
    const { lr, eps, weightDecay } = g;
    const stepSize = lr / (1 - beta1 ** step);
    const bc2Sqrt = Math.sqrt(1 - beta2 ** step);
    const l2 = this.decoupled ? 0 : weightDecay;
    const shrink = this.decoupled ? 1 - lr * weightDecay : 1;
    for (let i = 0; i < n; i++) {
      if (shrink !== 1) p[po + i] = p[po + i] * shrink;
      const gi = grad[go + i] + l2 * p[po + i];
      m[i] = beta1 * m[i] + (1 - beta1) * gi;
      v[i] = beta2 * v[i] + (1 - beta2) * (gi * gi);
      let second = v[i];
      if (vMax !== null) {
        if (vMax[i] < second || Number.isNaN(second)) vMax[i] = second;
        second = vMax[i];
      }
      const denom = Math.sqrt(second) / bc2Sqrt + eps;
      p[po + i] = p[po + i] - stepSize * (m[i] / denom);
    }
  }
}

/** Adam with decoupled weight decay (default 0.01). */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<AdamOptions>>, options: Partial<AdamOptions> = {}) {
    super(params, { weightDecay: 0.01, ...options });
  }
}
