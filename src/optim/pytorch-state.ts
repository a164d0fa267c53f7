/**
 * Optimizer state in PyTorch's layout, both ways: torch 1.13's
 * `optimizer.state_dict()` names state and hyperparameters in snake_case
 * (`exp_avg_sq`, `weight_decay`), keeps `step` as a tensor for Adam, AdamW
 * and Adagrad, stores `momentum_buffer: None` for SGD without momentum, and
 * adds flags this library does not have (`maximize`, `foreach`, …).
 *
 * For files, `splitTensors` turns such a state into JSON (tensors replaced
 * by `{ "$tensor": "state.0.exp_avg" }`) plus a flat record of tensors for
 * safetensors; `joinTensors` puts them back together. The hand-off's
 * train.py does the same in Python.
 */
import { StateDictError } from "../errors.js";
import { formatShape } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import type { Optimizer, OptimizerStateDict, ParamState } from "./optimizer.js";

/** One parameter's state as PyTorch keeps it: tensors, step counts (numbers or 0-d tensors), or null. */
export type PyTorchParamState = Record<string, Tensor | number | null>;

export interface PyTorchOptimizerState {
  state: Record<string, PyTorchParamState>;
  param_groups: Record<string, unknown>[];
}

/** The flags torch 1.13 adds to each parameter group, with the values that mean "as this library does". */
const TORCH_FLAGS: Record<string, Record<string, unknown>> = {
  SGD: { maximize: false, foreach: null, differentiable: false },
  Adam: { maximize: false, foreach: null, capturable: false, differentiable: false, fused: false },
  AdamW: { foreach: null, maximize: false, capturable: false },
  RMSprop: { foreach: null, maximize: false, differentiable: false },
  Adagrad: { foreach: null, maximize: false },
};

/** What each optimizer's per-parameter state must hold (SGD: a momentum buffer only with momentum). */
const REQUIRED_STATE: Record<string, (group: Record<string, unknown>) => string[]> = {
  SGD: (g) => (Number(g.momentum) !== 0 ? ["momentumBuffer"] : []),
  Adam: (g) => ["step", "expAvg", "expAvgSq", ...(g.amsgrad ? ["maxExpAvgSq"] : [])],
  AdamW: (g) => ["step", "expAvg", "expAvgSq", ...(g.amsgrad ? ["maxExpAvgSq"] : [])],
  RMSprop: (g) => ["step", "squareAvg", ...(Number(g.momentum) > 0 ? ["momentumBuffer"] : []), ...(g.centered ? ["gradAvg"] : [])],
  Adagrad: () => ["step", "sum"],
};

const toSnake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const toCamel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function optimizerName(optimizer: Optimizer<any>): string {
  return optimizer.constructor.name;
}

/** The optimizer's state and hyperparameters as torch 1.13's `optimizer.state_dict()` lays them out. */
export function toPyTorchOptimizerState(optimizer: Optimizer<any>): PyTorchOptimizerState {
  const name = optimizerName(optimizer);
  const ours = optimizer.stateDict();
  const state: Record<string, PyTorchParamState> = {};
  for (const [id, s] of Object.entries(ours.state)) {
    const out: PyTorchParamState = {};
    for (const [k, v] of Object.entries(s)) out[toSnake(k)] = v;
    state[id] = out;
  }
  // SGD without momentum: PyTorch records a None buffer for every parameter that took a step.
  if (name === "SGD") {
    ours.paramGroups.forEach((g) => {
      if (Number(g.momentum) !== 0) return;
      for (const id of g.params as number[]) if (state[id]) state[id] = { momentum_buffer: null, ...state[id] };
    });
  }
  const param_groups = ours.paramGroups.map((g) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(g)) if (k !== "params") out[toSnake(k)] = v;
    return { ...out, ...(TORCH_FLAGS[name] ?? {}), params: g.params };
  });
  return { state, param_groups };
}

/**
 * A PyTorch-layout optimizer state converted for `optimizer` (which must be
 * over parameters of the same shapes, in the same order), ready for its
 * loadStateDict. Every problem is listed: missing or mis-shaped state
 * entries, missing parameter indices, settings this library lacks.
 */
export function fromPyTorchOptimizerState(optimizer: Optimizer<any>, pt: PyTorchOptimizerState): OptimizerStateDict {
  const name = optimizerName(optimizer);
  const where = `fromPyTorchOptimizerState (${name})`;
  if (!pt || typeof pt !== "object" || !Array.isArray(pt.param_groups) || typeof pt.state !== "object" || pt.state === null) {
    throw new StateDictError(`${where}: expected { state, param_groups } as torch's optimizer.state_dict() returns`);
  }
  if (pt.param_groups.length !== optimizer.paramGroups.length) {
    throw new StateDictError(`${where}: the state has ${pt.param_groups.length} parameter group(s), this optimizer has ${optimizer.paramGroups.length}`);
  }
  const problems: string[] = [];
  const state: Record<number, ParamState> = {};
  const hyperKeys = Object.keys(optimizer.defaults);
  const paramGroups = pt.param_groups.map((g, gi) => {
    const mine = optimizer.paramGroups[gi];
    const ids = g.params;
    const group: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(g)) {
      const key = toCamel(k);
      if (hyperKeys.includes(key)) group[key] = Array.isArray(v) ? [...v] : v;
      else if (k === "maximize" && v === true) problems.push(`group ${gi}: maximize=True is not supported here (this library minimizes)`);
    }
    const missingHyper = hyperKeys.filter((k) => !(k in group));
    if (missingHyper.length) problems.push(`group ${gi}: missing hyperparameter(s) ${missingHyper.map((k) => `"${toSnake(k)}"`).join(", ")}`);
    if (!Array.isArray(ids) || ids.length !== mine.params.length) {
      problems.push(`group ${gi}: ${Array.isArray(ids) ? ids.length : "no"} parameter index(es) in the state, ${mine.params.length} parameters here`);
      return { ...group, params: [] };
    }
    const required = REQUIRED_STATE[name]?.({ ...optimizer.defaults, ...group }) ?? [];
    ids.forEach((id: unknown, k: number) => {
      const s = pt.state[String(id)];
      if (s === undefined || s === null) return; // no step taken for this parameter yet
      const shape = mine.params[k].shape;
      const converted: ParamState = {};
      for (const [key, v] of Object.entries(s)) {
        const ck = toCamel(key);
        if (v === null) continue; // SGD's momentum_buffer=None
        if (v instanceof Tensor) {
          if (ck === "step") {
            if (v.size !== 1) problems.push(`state ${id} "${key}": a step count must be one number, got shape ${formatShape(v.shape)}`);
            else converted.step = v.item();
          } else if (formatShape(v.shape) !== formatShape(shape)) {
            problems.push(`state ${id} "${key}": shape ${formatShape(v.shape)}, parameter ${k} of group ${gi} has shape ${formatShape(shape)}`);
          } else converted[ck] = v;
        } else if (typeof v === "number") converted[ck] = v;
        else problems.push(`state ${id} "${key}": expected a tensor or a number, got ${typeof v}`);
      }
      const missing = required.filter((r) => !(r in converted) && !problems.some((p) => p.startsWith(`state ${id} "${toSnake(r)}"`)));
      if (missing.length) problems.push(`state ${id}: missing ${missing.map((r) => `"${toSnake(r)}"`).join(", ")}`);
      state[id as number] = converted;
    });
    return { ...group, params: ids as number[] };
  });
  if (problems.length) throw new StateDictError(`${where}: ${problems.length} problem(s):\n  ${problems.join("\n  ")}`);
  return { state, paramGroups };
}

/** Loads a PyTorch-layout state into `optimizer` (see fromPyTorchOptimizerState). */
export function loadPyTorchOptimizerState(optimizer: Optimizer<any>, pt: PyTorchOptimizerState): void {
  optimizer.loadStateDict(fromPyTorchOptimizerState(optimizer, pt));
}

/** Splits a nested state into JSON-ready data (tensors as `{ $tensor: key }`) and the tensors by key. */
export function splitTensors(value: unknown): { json: unknown; tensors: Record<string, Tensor> } {
  const tensors: Record<string, Tensor> = {};
  const walk = (v: unknown, key: string): unknown => {
    if (v instanceof Tensor) {
      tensors[key] = v;
      return { $tensor: key };
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, key ? `${key}.${i}` : String(i)));
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x, key ? `${key}.${k}` : k);
      return out;
    }
    return v;
  };
  return { json: walk(value, ""), tensors };
}

/** The inverse of splitTensors; a placeholder naming a tensor that is not there is an error (every one is listed). */
export function joinTensors(json: unknown, tensors: Record<string, Tensor>, source = "joinTensors"): unknown {
  const missing: string[] = [];
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") {
      const rec = v as Record<string, unknown>;
      if (typeof rec.$tensor === "string") {
        const t = tensors[rec.$tensor];
        if (!t) missing.push(`"${rec.$tensor}"`);
        return t ?? null;
      }
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(rec)) out[k] = walk(x);
      return out;
    }
    return v;
  };
  const out = walk(json);
  if (missing.length) throw new StateDictError(`${source}: the JSON names tensor(s) the safetensors file does not hold: ${missing.join(", ")}`);
  return out;
}
