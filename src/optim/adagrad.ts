/** Adagrad (torch 1.13's single-tensor rule), with learning-rate decay. */
import type { TypedArray } from "../backend/backend.js";
import type { Tensor } from "../tensor/tensor.js";
import { Optimizer, checkRange, type ParamGroupInput, type ParamState } from "./optimizer.js";

export interface AdagradOptions {
  lr: number;
  lrDecay: number;
  weightDecay: number;
  initialAccumulatorValue: number;
  eps: number;
}

export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<AdagradOptions>>, options: Partial<AdagradOptions> = {}) {
    super(params, { lr: 0.01, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, ...options });
  }

  protected validate(g: AdagradOptions): void {
    checkRange("Adagrad", "learning rate", g.lr);
    checkRange("Adagrad", "lrDecay", g.lrDecay);
    checkRange("Adagrad", "weightDecay", g.weightDecay);
    checkRange("Adagrad", "initialAccumulatorValue", g.initialAccumulatorValue);
    checkRange("Adagrad", "eps", g.eps);
  }

  protected updateParameter(param: Tensor, grad: TypedArray, go: number, state: ParamState, g: AdagradOptions): void {
    if (state.step === undefined) {
      state.step = 0;
      state.sum = this.buffer(param, g.initialAccumulatorValue);
    }
    const step = (state.step as number) + 1;
    state.step = step;
    const p = param.storage;
    const po = param.offset;
    const n = param.size;
    const sum = (state.sum as Tensor).storage;
    const { lr, lrDecay, weightDecay, eps } = g;
    const clr = lr / (1 + (step - 1) * lrDecay);
    for (let i = 0; i < n; i++) {
      const gi = grad[go + i] + weightDecay * p[po + i];
      sum[i] = sum[i] + gi * gi;
      const std = Math.sqrt(sum[i]) + eps;
      p[po + i] = p[po + i] - clr * (gi / std);
    }
  }
}
