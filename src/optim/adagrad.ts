/** Adagrad (torch 1.13's single-tensor rule), with learning-rate decay. */
import type { TypedArray } from "../backend/backend.js";
import type { Tensor } from "../tensor/tensor.js";
import { Optimizer, checkRange, loopPerDType, roundingFor, type ParamGroupInput, type ParamState } from "./optimizer.js";

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
    const r = roundingFor(param.dtype);
    const negClr = r(-(g.lr / (1 + (step - 1) * g.lrDecay)));
    const wd = r(g.weightDecay), eps = r(g.eps);
    adagradLoop(param.dtype)(p, po, grad, go, n, sum, negClr, wd, eps);
  }
}

/** The Adagrad update; scalars already rounded to p's dtype. */
const adagradLoop = loopPerDType((r) => (
  p: TypedArray, po: number, grad: TypedArray, go: number, n: number, sum: TypedArray, negClr: number, wd: number, eps: number,
): void => {
  for (let i = 0; i < n; i++) {
    const gi = wd !== 0 ? r(p[po + i] * wd + grad[go + i]) : grad[go + i];
    sum[i] = r(gi * gi + sum[i]);
    const std = r(r(Math.sqrt(sum[i])) + eps);
    p[po + i] = r(p[po + i] + r(r(negClr * gi) / std));
  }
});
