/**
 * Adam and AdamW (torch 1.13's single-tensor rules). Adam adds weightDecay·p
 * to the gradient (L2); AdamW shrinks the parameter by (1 − lr·weightDecay)
 * before the update (decoupled). amsgrad keeps the running maximum of the
 * raw second moment and bias-corrects that maximum.
 */
import type { AdamScalars, TypedArray } from "../backend/backend.js";
import { backend } from "../backend/registry.js";
import { deviceAdam } from "../ops/device-ops.js";
import type { Tensor } from "../tensor/tensor.js";
import { Optimizer, checkRange, loopPerDType, roundingFor, type ParamGroupInput, type ParamState } from "./optimizer.js";

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
    const scalars = this.nextStep(param, state, g);
    const p = param.storage;
    const m = (state.expAvg as Tensor).storage;
    const v = (state.expAvgSq as Tensor).storage;
    const vMax = g.amsgrad ? (state.maxExpAvgSq as Tensor).storage : null;
    // A backend with a fused kernel (native, wasm) does the same arithmetic in one call.
    if (backend.adam?.(p, param.offset, grad, go, m, v, vMax, param.size, scalars)) return;
    adamLoop(param.dtype)(p, param.offset, grad, go, m, v, vMax, param.size, scalars);
  }

  protected override updateOnDevice(param: Tensor, grad: Tensor, state: ParamState, g: AdamOptions): boolean {
    this.initState(param, state, g);
    const vMax = g.amsgrad ? state.maxExpAvgSq as Tensor : null;
    return deviceAdam(param, grad, state.expAvg as Tensor, state.expAvgSq as Tensor, vMax, () => this.nextStep(param, state, g));
  }

  private initState(param: Tensor, state: ParamState, g: AdamOptions): void {
    if (state.step === undefined) {
      state.step = 0;
      state.expAvg = this.buffer(param);
      state.expAvgSq = this.buffer(param);
    }
    if (g.amsgrad && state.maxExpAvgSq === undefined) state.maxExpAvgSq = this.buffer(param);
  }

  /** Counts the step and returns its scalars, as PyTorch computes them in double, then casts them to the parameter's dtype. */
  private nextStep(param: Tensor, state: ParamState, g: AdamOptions): AdamScalars {
    this.initState(param, state, g);
    const step = (state.step as number) + 1;
    state.step = step;
    const r = roundingFor(param.dtype);
    const [beta1, beta2] = g.betas;
    const negStepSize = r(-(g.lr / (1 - beta1 ** step)));
    const bc2Sqrt = r(Math.sqrt(1 - beta2 ** step));
    const l2 = this.decoupled ? 0 : r(g.weightDecay);
    const shrink = this.decoupled ? r(1 - g.lr * g.weightDecay) : 1;
    return { negStepSize, bc2Sqrt, beta1: r(beta1), oneMinusBeta1: r(1 - beta1), beta2: r(beta2), oneMinusBeta2: r(1 - beta2), eps: r(g.eps), l2, shrink };
  }
}

/** Adam with decoupled weight decay (default 0.01). */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<AdamOptions>>, options: Partial<AdamOptions> = {}) {
    super(params, { weightDecay: 0.01, ...options });
  }
}

/** The update of src/optim/adam.ts in JS, for every dtype and size a backend's fused kernel declines (exported as the reference for device kernels, test/webgpu). */
export const adamLoop = loopPerDType((r) => (
  p: TypedArray, po: number, grad: TypedArray, go: number, m: TypedArray, v: TypedArray, vMax: TypedArray | null, n: number,
  s: AdamScalars,
): void => {
  const { negStepSize, bc2Sqrt, beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps, l2, shrink } = s;
  for (let i = 0; i < n; i++) {
    if (shrink !== 1) p[po + i] = r(p[po + i] * shrink);
    const gi = l2 !== 0 ? r(p[po + i] * l2 + grad[go + i]) : grad[go + i];
    m[i] = r(gi * oneMinusBeta1 + r(m[i] * beta1));
    v[i] = r(r(oneMinusBeta2 * gi) * gi + r(v[i] * beta2));
    let second = v[i];
    if (vMax !== null) {
      if (vMax[i] < second || Number.isNaN(second)) vMax[i] = second;
      second = vMax[i];
    }
    const denom = r(r(r(Math.sqrt(second)) / bc2Sqrt) + eps);
    p[po + i] = r(p[po + i] + r(r(negStepSize * m[i]) / denom));
  }
});
