/** RMSprop (torch 1.13's single-tensor rule), optionally centered and with momentum. */
import type { TypedArray } from "../backend/backend.js";
import type { Tensor } from "../tensor/tensor.js";
import { Optimizer, checkRange, loopPerDType, roundingFor, type ParamGroupInput, type ParamState } from "./optimizer.js";

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
    const r = roundingFor(param.dtype);
    const negLr = r(-g.lr), alpha = r(g.alpha), oneMinusAlpha = r(1 - g.alpha), eps = r(g.eps);
    const wd = r(g.weightDecay), momentum = r(g.momentum);
    rmspropLoop(param.dtype)(p, po, grad, go, n, sq, ga, buf, negLr, alpha, oneMinusAlpha, eps, wd, momentum);
  }
}

/** The RMSprop update; scalars already rounded to p's dtype. */
const rmspropLoop = loopPerDType((r) => (
  p: TypedArray, po: number, grad: TypedArray, go: number, n: number, sq: TypedArray, ga: TypedArray | null, buf: TypedArray | null,
  negLr: number, alpha: number, oneMinusAlpha: number, eps: number, wd: number, momentum: number,
): void => {
  for (let i = 0; i < n; i++) {
    const gi = wd !== 0 ? r(p[po + i] * wd + grad[go + i]) : grad[go + i];
    sq[i] = r(r(oneMinusAlpha * gi) * gi + r(sq[i] * alpha));
    let avg: number;
    if (ga !== null) {
      ga[i] = r(gi * oneMinusAlpha + r(ga[i] * alpha));
      avg = r(Math.sqrt(r(-ga[i] * ga[i] + sq[i]))); // centered: √(E[g²] − E[g]²)
    } else {
      avg = r(Math.sqrt(sq[i]));
    }
    avg = r(avg + eps);
    if (buf !== null) {
      buf[i] = r(r(buf[i] * momentum) + r(gi / avg));
      p[po + i] = r(buf[i] * negLr + p[po + i]);
    } else {
      p[po + i] = r(p[po + i] + r(r(negLr * gi) / avg));
    }
  }
});
