/**
 * Optimizer: the base class. It owns the parameter groups (each with its
 * own hyperparameters, `lr` among them, which schedulers rewrite), the
 * per-parameter state, and the stateDict format. Subclasses implement
 * `updateParameter`: one fused loop over the parameter's typed arrays, run
 * in place outside the graph, in the parameter's dtype.
 */
import type { DType, TypedArray } from "../backend/backend.js";
import { gpu } from "../backend/device-dispatch.js";
import { hostWrote } from "../backend/device-storage.js";
import { noGrad } from "../graph/mode.js";
import { DTypeError, StateDictError, ValueError } from "../errors.js";
import { contiguousData } from "../ops/util.js";
import { zeroGradOf } from "../autograd/zero-grad.js";
import { allocate, isFloat } from "../tensor/dtype.js";
import { formatShape } from "../tensor/shape.js";
import { Tensor, readInto } from "../tensor/tensor.js";

/** A parameter group as given to a constructor: its parameters plus hyperparameters that override the defaults. */
export type ParamGroupInput<O> = { params: Iterable<Tensor> } & Partial<O>;

/** A parameter group as the optimizer holds it: every hyperparameter filled in. */
export type ParamGroup<O> = O & { params: Tensor[] };

/** A parameter's state: step counters as numbers, buffers as tensors of the parameter's shape and dtype. */
export type ParamState = Record<string, number | Tensor>;

export interface OptimizerStateDict {
  /** State of each parameter, keyed by its index across all groups (as in PyTorch). */
  state: Record<number, ParamState>;
  /** Hyperparameters of each group, with `params` listing parameter indices. */
  paramGroups: Record<string, unknown>[];
}

export interface BaseOptions {
  lr: number;
}

export abstract class Optimizer<O extends BaseOptions = BaseOptions> {
  readonly defaults: O;
  readonly paramGroups: ParamGroup<O>[] = [];
  /** State per parameter, created lazily on its first step. */
  readonly state = new Map<Tensor, ParamState>();

  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<O>>, defaults: O) {
    this.defaults = defaults;
    const list = Array.from(params as Iterable<Tensor | ParamGroupInput<O>>);
    if (list.length === 0) throw new ValueError(`${this.name}: got an empty parameter list; pass model.parameters() of a model that has parameters`);
    const groups: ParamGroupInput<O>[] = list[0] instanceof Tensor ? [{ params: list as Tensor[] } as unknown as ParamGroupInput<O>] : (list as ParamGroupInput<O>[]);
    for (const g of groups) this.addParamGroup(g);
  }

  protected get name(): string {
    return this.constructor.name;
  }

  /** Adds a group of parameters with its own hyperparameters (the rest from the defaults). */
  addParamGroup(group: ParamGroupInput<O>): void {
    const params = group.params instanceof Tensor ? [group.params] : Array.from(group.params ?? []);
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new TypeError(`${this.name}: parameter ${i} is not a Tensor (got ${p === null ? "null" : typeof p})`);
      if (!isFloat(p.dtype)) throw new DTypeError(`${this.name}: parameter ${i} is ${p.dtype}; only float32 and float64 tensors can be optimized`);
      if (!p.isLeaf) throw new ValueError(`${this.name}: parameter ${i} is not a leaf tensor (it was computed by "${p.gradFn?.name}"); optimize the leaves it came from`);
      if (seen.has(p)) throw new ValueError(`${this.name}: parameter ${i} appears in more than one parameter group (or twice)`);
      seen.add(p);
    });
    const full = { ...this.defaults, ...group, params } as ParamGroup<O>;
    this.validate(full);
    this.paramGroups.push(full);
  }

  /** Checks a group's hyperparameters; throws a ValueError naming the optimizer and the bad value. */
  protected abstract validate(group: O): void;

  /** Applies one update to `param` (contiguous `p`, gradient `g`, both of `n` elements from their offsets). */
  protected abstract updateParameter(param: Tensor, grad: TypedArray, gradOffset: number, state: ParamState, group: O): void;

  /** One optimization step on every parameter that has a gradient. */
  step(): void {
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          const pGrad = p.grad;
          if (pGrad === null) continue;
          if (!p.isContiguous) throw new ValueError(`${this.name}: parameter of shape ${formatShape(p.shape)} is a strided view; optimizers update contiguous parameters only`);
          const grad = pGrad.dtype === p.dtype ? pGrad : pGrad.to(p.dtype);
          let state = this.state.get(p);
          if (!state) {
            state = {};
            this.state.set(p, state);
          }
          matchStateDType(p, state);
          // On the webgpu backend an optimizer with a device step keeps the parameter, its state and the gradient there.
          if (gpu.active !== null && this.updateOnDevice(p, grad, state, group)) continue;
          const { data, offset } = contiguousData(grad);
          this.updateParameter(p, data, offset, state, group);
          if (p._device !== null) hostWrote(p.storage);
        }
      }
    });
  }

  /**
   * The update on the GPU, for an optimizer with a device kernel (Adam):
   * true when it ran there. The default runs nothing, and the host loop
   * updates the parameter's host copy.
   */
  protected updateOnDevice(_param: Tensor, _grad: Tensor, _state: ParamState, _group: O): boolean {
    return false;
  }

  /** Zeroes every parameter's gradient in place (PyTorch 1.13's default), or sets it to null with setToNone = true. */
  zeroGrad(setToNone = false): void {
    for (const group of this.paramGroups) zeroGradOf(group.params, setToNone);
  }

  /** A copy of the state and hyperparameters, in PyTorch's layout (parameters named by index). */
  stateDict(): OptimizerStateDict {
    const state: Record<number, ParamState> = {};
    let index = 0;
    const paramGroups = this.paramGroups.map((group) => {
      const ids: number[] = [];
      for (const p of group.params) {
        const s = this.state.get(p);
        if (s) state[index] = copyState(s);
        ids.push(index++);
      }
      const { params: _params, ...hyper } = group;
      return { ...cloneHyper(hyper), params: ids };
    });
    return { state, paramGroups };
  }

  /** Restores what stateDict() returned (from an optimizer over parameters of the same shapes). */
  loadStateDict(stateDict: OptimizerStateDict): void {
    const groups = stateDict?.paramGroups;
    if (!Array.isArray(groups) || typeof stateDict.state !== "object") {
      throw new StateDictError(`${this.name}.loadStateDict: expected { state, paramGroups } as returned by stateDict()`);
    }
    if (groups.length !== this.paramGroups.length) {
      throw new StateDictError(`${this.name}.loadStateDict: the state dict has ${groups.length} parameter group(s), this optimizer has ${this.paramGroups.length}`);
    }
    if (stateDict.state === null || Array.isArray(stateDict.state)) {
      throw new StateDictError(`${this.name}.loadStateDict: "state" must be an object of parameter index → state, got ${stateDict.state === null ? "null" : "an array"}`);
    }
    const problems: string[] = [];
    // A damaged state dict (a checkpoint edited or corrupted) must fail here, not as a TypeError inside step().
    let keysSeen: string | null = null;
    groups.forEach((g, gi) => {
      if (g === null || typeof g !== "object") {
        problems.push(`group ${gi} is not an object`);
        return;
      }
      const ids = g.params as number[];
      const mine = this.paramGroups[gi].params;
      if (!Array.isArray(ids) || ids.length !== mine.length) {
        problems.push(`group ${gi} has ${Array.isArray(ids) ? ids.length : "no"} parameters in the state dict, ${mine.length} here`);
        return;
      }
      const { params: _ids, ...hyper } = g;
      const current = this.paramGroups[gi] as unknown as Record<string, unknown>;
      for (const [key, v] of Object.entries(hyper)) {
        if (key in current && key !== "params" && (typeof v !== typeof current[key] || Array.isArray(v) !== Array.isArray(current[key]))) {
          problems.push(`group ${gi} "${key}" is ${JSON.stringify(v)}, expected a value like ${JSON.stringify(current[key])}`);
        }
      }
      try {
        this.validate({ ...current, ...cloneHyper(hyper) } as unknown as O);
      } catch (err) {
        problems.push(`group ${gi}: ${(err as Error).message}`);
      }
      ids.forEach((id, k) => {
        const s = (stateDict.state as Record<number, unknown>)[id];
        if (!s) return;
        if (typeof s !== "object" || Array.isArray(s)) {
          problems.push(`parameter ${id}: its state is not an object`);
          return;
        }
        const keys = Object.entries(s).map(([key, v]) => `${key} (${v instanceof Tensor ? "tensor" : typeof v})`).sort().join(", ");
        if (keysSeen !== null && keys !== keysSeen) problems.push(`parameter ${id}: its state holds ${keys || "nothing"}, another parameter's holds ${keysSeen}`);
        keysSeen ??= keys;
        for (const [key, v] of Object.entries(s)) {
          if (v instanceof Tensor) {
            if (formatShape(v.shape) !== formatShape(mine[k].shape)) {
              problems.push(`parameter ${id} "${key}": shape ${formatShape(v.shape)} in the state dict, parameter shape ${formatShape(mine[k].shape)}`);
            }
          } else if (typeof v !== "number") {
            problems.push(`parameter ${id} "${key}" is ${JSON.stringify(v)}, expected a tensor or a number`);
          }
        }
      });
    });
    if (problems.length) throw new StateDictError(`${this.name}.loadStateDict: ${problems.join("; ")}`);
    this.state.clear();
    groups.forEach((g, gi) => {
      const group = this.paramGroups[gi];
      const { params: ids, ...hyper } = g;
      Object.assign(group, cloneHyper(hyper));
      (ids as number[]).forEach((id, k) => {
        const s = stateDict.state[id];
        if (s) {
          const p = group.params[k];
          const copy = copyState(s);
          matchStateDType(p, copy);
          this.state.set(p, copy);
        }
      });
    });
  }

  /** A zero-filled state buffer shaped and typed like `p`. */
  protected buffer(p: Tensor, fill = 0): Tensor {
    const data = allocate(p.dtype, p.size);
    if (fill !== 0) data.fill(fill);
    return new Tensor(data, p.shape.slice(), p.dtype);
  }
}

function copyState(s: ParamState): ParamState {
  const out: ParamState = {};
  for (const [k, v] of Object.entries(s)) {
    if (v instanceof Tensor) {
      const data = allocate(v.dtype, v.size);
      readInto(v, data);
      out[k] = new Tensor(data, v.shape.slice(), v.dtype);
    } else {
      out[k] = v;
    }
  }
  return out;
}

function cloneHyper(h: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(h)) out[k] = Array.isArray(v) ? [...v] : v;
  return out;
}

/** After Module.to(dtype) the state buffers follow the parameter's dtype. */
function matchStateDType(p: Tensor, state: ParamState): void {
  for (const [k, v] of Object.entries(state)) {
    if (v instanceof Tensor && v.dtype !== p.dtype) {
      const data = allocate(p.dtype, v.size);
      readInto(v, data);
      state[k] = new Tensor(data, v.shape.slice(), p.dtype);
    }
  }
}

/** Rounds a number to a dtype: identity for float64, Math.fround for float32. */
export type Round = (x: number) => number;

const exact: Round = (x) => x;

/**
 * The rounding of `dtype`. The update loops wrap each intermediate that
 * PyTorch materialises as a tensor in r(…), and round scalar
 * hyperparameters the way PyTorch casts them, so that float32 updates
 * round exactly as PyTorch's do (bit for bit on the CPU with FMA, where
 * PyTorch's `add(x, alpha)` is fused: written r(x·alpha + y) here).
 */
export function roundingFor(dtype: DType): Round {
  return dtype === "float32" ? Math.fround : exact;
}

/**
 * An update loop built once per float dtype, with that dtype's rounding as
 * a constant of its closure. V8 then inlines `r`; a loop that called an `r`
 * it had just read from roundingFor(…) ran about 8× slower on float32
 * (measured on the SGD step of the lecture network).
 */
export function loopPerDType<F>(build: (r: Round) => F): (dtype: DType) => F {
  const float32 = build(Math.fround), float64 = build(exact);
  return (dtype) => (dtype === "float32" ? float32 : float64);
}

/** Throws unless `value` is a finite number ≥ 0 (or in [lo, hi) when given). */
export function checkRange(op: string, what: string, value: unknown, lo = 0, hi = Infinity, hiInclusive = false): void {
  const ok = typeof value === "number" && value >= lo && (hiInclusive ? value <= hi : value < hi);
  if (!ok) {
    const range = hi === Infinity ? `>= ${lo}` : `in [${lo}, ${hi}${hiInclusive ? "]" : ")"}`;
    throw new ValueError(`${op}: invalid ${what} ${JSON.stringify(value)}; it must be a number ${range}`);
  }
}
