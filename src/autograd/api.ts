/** The user-facing autograd entry points: backward, grad, detach, hooks. */
import { AutogradError, ValueError } from "../errors.js";
import { onesLike } from "../tensor/creation.js";
import { formatShape, sameShape } from "../tensor/shape.js";
import { Tensor, type BackwardOptions, type GradHook, type HookHandle, viewOf } from "../tensor/tensor.js";
import { runBackward } from "./engine.js";

function rootGradient(op: string, t: Tensor, gradient: Tensor | null | undefined, index?: number): Tensor {
  const which = index === undefined ? "" : ` (output ${index})`;
  if (!t._requiresGrad) {
    throw new AutogradError(`${op}: the tensor${which} does not require grad and has no gradFn; set requiresGrad on the leaves it was computed from`);
  }
  if (gradient === undefined || gradient === null) {
    if (t.size !== 1) {
      throw new AutogradError(
        `${op}: a gradient can be implied only for a tensor with one element, but this one${which} has shape ${formatShape(t.shape)}; pass a gradient of that shape, e.g. bp.onesLike(y)`,
      );
    }
    return onesLike(t);
  }
  if (!(gradient instanceof Tensor)) {
    throw new ValueError(`${op}: the gradient must be a Tensor of shape ${formatShape(t.shape)}, got ${Array.isArray(gradient) ? "an array (wrap it with bp.tensor)" : typeof gradient}`);
  }
  if (!sameShape(gradient.shape, t.shape)) {
    throw new AutogradError(`${op}: the gradient has shape ${formatShape(gradient.shape)} but the tensor${which} has shape ${formatShape(t.shape)}; they must match`);
  }
  return gradient.dtype === t.dtype ? gradient : gradient.to(t.dtype);
}

/**
 * y.backward(gradient?, { retainGraph, createGraph }), or y.backward({ retainGraph, createGraph })
 * for a one-element y: accumulates into the leaves' .grad.
 */
export function backward(t: Tensor, options?: BackwardOptions): void;
export function backward(t: Tensor, gradient?: Tensor | null, options?: BackwardOptions): void;
export function backward(t: Tensor, gradientOrOptions?: Tensor | BackwardOptions | null, maybeOptions?: BackwardOptions): void {
  let gradient: Tensor | null | undefined;
  let options: BackwardOptions;
  if (isBackwardOptions(gradientOrOptions)) {
    if (maybeOptions !== undefined) throw new ValueError("backward: got options twice; call backward(options) or backward(gradient, options)");
    gradient = undefined;
    options = gradientOrOptions;
  } else {
    gradient = gradientOrOptions;
    options = maybeOptions ?? {};
  }
  if (typeof options !== "object" || options === null) throw new ValueError(`backward: the options must be an object like { retainGraph: true }, got ${options === null ? "null" : typeof options}`);
  for (const key of Object.keys(options)) {
    if (key !== "retainGraph" && key !== "createGraph") throw new ValueError(`backward: unknown option "${key}"; the options are "retainGraph" and "createGraph"`);
  }
  const g = rootGradient("backward", t, gradient);
  const createGraph = options.createGraph ?? false;
  runBackward([t], [g], { retainGraph: options.retainGraph ?? createGraph, createGraph });
}

/** A plain object in the gradient's place is the options: backward({ retainGraph: true }). */
function isBackwardOptions(v: unknown): v is BackwardOptions {
  return typeof v === "object" && v !== null && !(v instanceof Tensor) && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

export interface GradOptions {
  gradOutputs?: (Tensor | null)[] | Tensor | null;
  retainGraph?: boolean;
  createGraph?: boolean;
  allowUnused?: boolean;
}

/** bp.grad(outputs, inputs): the gradients of the outputs w.r.t. the inputs, without touching .grad. */
export function grad(outputs: Tensor | readonly Tensor[], inputs: Tensor | readonly Tensor[], options: GradOptions = {}): (Tensor | null)[] {
  const outs = outputs instanceof Tensor ? [outputs] : [...outputs];
  const ins = inputs instanceof Tensor ? [inputs] : [...inputs];
  if (ins.length === 0) throw new ValueError("grad: inputs must contain at least one tensor");
  const gos = options.gradOutputs === undefined || options.gradOutputs === null
    ? outs.map(() => null)
    : options.gradOutputs instanceof Tensor ? [options.gradOutputs] : options.gradOutputs;
  if (gos.length !== outs.length) {
    throw new ValueError(`grad: got ${outs.length} outputs but ${gos.length} gradOutputs; pass one gradient (or null) per output`);
  }
  const roots = outs.map((o, i) => rootGradient("grad", o, gos[i], outs.length > 1 ? i : undefined));
  const createGraph = options.createGraph ?? false;
  return runBackward(outs, roots, {
    retainGraph: options.retainGraph ?? createGraph,
    createGraph,
    inputs: ins,
    allowUnused: options.allowUnused ?? false,
  })!;
}

/** A tensor sharing this one's data, cut from the graph (a leaf that does not require grad). */
export function detach(t: Tensor): Tensor {
  return viewOf(t, t.shape, t.strides, t.offset);
}

export function registerHook(t: Tensor, fn: GradHook): HookHandle {
  if (!t._requiresGrad) {
    throw new AutogradError("registerHook: cannot register a hook on a tensor that does not require grad");
  }
  const list = t.gradFn ? (t.gradFn.hooks ??= []) : (t._hooks ??= []);
  list.push(fn);
  return {
    remove() {
      const i = list.indexOf(fn);
      if (i >= 0) list.splice(i, 1);
    },
  };
}

/** Makes a non-leaf keep its gradient in .grad after backward (a no-op on leaves). */
export function retainGrad(t: Tensor): void {
  if (t.isLeaf) return;
  registerHook(t, (g) => {
    // Its own contiguous copy, as for leaves (g may be a view shared with other gradients).
    t.grad = t.grad ? t.grad.add(g).detach() : g.clone().detach();
  });
}

Object.defineProperties(Tensor.prototype, {
  backward: { value(this: Tensor, g?: Tensor | BackwardOptions | null, o?: BackwardOptions) { backward(this, g as Tensor | null | undefined, o); }, writable: true, configurable: true },
  detach: { value(this: Tensor) { return detach(this); }, writable: true, configurable: true },
  registerHook: { value(this: Tensor, fn: GradHook) { return registerHook(this, fn); }, writable: true, configurable: true },
  retainGrad: { value(this: Tensor) { retainGrad(this); }, writable: true, configurable: true },
});
