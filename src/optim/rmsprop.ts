/** RMSprop (torch 1.13's single-tensor rule), optionally centered and with momentum. */
import type { TypedArray } from "../backend/backend.js";
import type { Tensor } from "../tensor/tensor.js";
import { Optimizer, checkRange, type ParamGroupInput, type ParamState } from "./optimizer.js";

export interface RMSpropOptions {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
}

export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<RMSpropOptions>>, options: Partial<RMSpropOptions> = {}) {
    super(params, { lr: 0.01, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, ...options });
  }

  protected validate(g: RMSpropOptions): void {
    checkRange("RMSprop", "learning rate", g.lr);
    checkRange("RMSprop", "eps", g.eps);
    checkRange("RMSprop", "momentum", g.momentum);
    checkRange("RMSprop", "weightDecay", g.weightDecay);
    checkRange("RMSprop", "alpha", g.alpha);
  }

  protected updateParameter(param: Tensor, grad: TypedArray, go: number, state: ParamState, g: RMSpropOptions): void {
    if (state.step === undefined) {
      state.step = 0;
      state.squareAvg = this.buffer(param);
    }
    if (g.momentum > 0 && state.momentumBuffer === undefined) state.momentumBuffer = this.buffer(param);
    if (g.centered && state.gradAvg === undefined) state.gradAvg = this.buffer(param);
    state.step = (state.step as number) + 1;
    const p = param.storage;
    const po = param.offset;
    const n = param.size;
    const sq = (state.squareAvg as Tensor).storage;
    const ga = g.centered ? (state.gradAvg as Tensor).storage : null;
    const buf = g.momentum > 0 ? (state.momentumBuffer as Tensor).storage : null;
    const { lr, alpha, eps, weightDecay, momentum } = g;
    for (let i = 0; i < n; i++) {
      const gi = grad[go + i] + weightDecay * p[po + i];
      sq[i] = alpha * sq[i] + (1 - alpha) * (gi * gi);
      let avg: number;
      if (ga !== null) {
        ga[i] = alpha * ga[i] + (1 - alpha) * gi;
        avg = Math.sqrt(sq[i] - ga[i] * ga[i]) + eps;
      } else {
        avg = Math.sqrt(sq[i]) + eps;
      }
      if (buf !== null) {
        buf[i] = momentum * buf[i] + gi / avg;
        p[po + i] = p[po + i] - lr * buf[i];
      } else {
        p[po + i] = p[po + i] - lr * (gi / avg);
      }
    }
  }
}
