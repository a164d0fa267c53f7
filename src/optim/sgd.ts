/** Stochastic gradient descent with momentum, dampening, Nesterov and L2 weight decay (torch 1.13's rule). */
import type { TypedArray } from "../backend/backend.js";
import { ValueError } from "../errors.js";
import type { Tensor } from "../tensor/tensor.js";
import { Optimizer, checkRange, loopPerDType, roundingFor, type ParamGroupInput, type ParamState } from "./optimizer.js";

export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
}

export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<SGDOptions>>, options: Partial<SGDOptions> & { lr: number }) {
    if (options?.lr === undefined) throw new ValueError("SGD: lr is required, e.g. new SGD(model.parameters(), { lr: 0.1 })");
    super(params, { momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, ...options });
  }

  protected validate(g: SGDOptions): void {
    checkRange("SGD", "learning rate", g.lr);
    checkRange("SGD", "momentum", g.momentum);
    checkRange("SGD", "weightDecay", g.weightDecay);
    checkRange("SGD", "dampening", g.dampening, -Infinity);
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) {
      throw new ValueError(`SGD: nesterov requires momentum > 0 and dampening = 0, got momentum=${g.momentum}, dampening=${g.dampening}`);
    }
  }

  protected updateParameter(param: Tensor, grad: TypedArray, go: number, state: ParamState, g: SGDOptions): void {
    const r = roundingFor(param.dtype);
    // The momentum buffer starts as a copy of the first (decayed) gradient, as in PyTorch.
    const first = g.momentum !== 0 && state.momentumBuffer === undefined;
    if (first) state.momentumBuffer = this.buffer(param);
    const buf = g.momentum !== 0 ? (state.momentumBuffer as Tensor).storage : null;
    sgdLoop(param.dtype)(param.storage, param.offset, grad, go, param.size, buf, first, g.nesterov,
      r(-g.lr), r(g.weightDecay), r(g.momentum), r(1 - g.dampening));
  }
}

/** p ← p − lr·d with d the (decayed, momentum-averaged) gradient; scalars already rounded to p's dtype. */
const sgdLoop = loopPerDType((r) => (
  p: TypedArray, po: number, grad: TypedArray, go: number, n: number, buf: TypedArray | null, first: boolean, nesterov: boolean,
  negLr: number, wd: number, momentum: number, keep: number,
): void => {
  for (let i = 0; i < n; i++) {
    let d = wd !== 0 ? r(p[po + i] * wd + grad[go + i]) : grad[go + i];
    if (buf !== null) {
      buf[i] = first ? d : r(d * keep + r(buf[i] * momentum));
      d = nesterov ? r(buf[i] * momentum + d) : buf[i];
    }
    p[po + i] = r(d * negLr + p[po + i]);
  }
});
