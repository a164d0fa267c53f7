/**
 * Records one forward pass of a module for export: every op that ran, its
 * inputs and attributes, and which submodule ran it. The module runs in eval
 * mode without a graph; its modes are restored afterwards.
 */
import { noGrad } from "../graph/mode.js";
import { tracer, type TraceHook } from "../graph/node.js";
import type { Module } from "../nn/module.js";
import type { Tensor } from "../tensor/tensor.js";

export interface TracedOp {
  readonly out: Tensor;
  /** The op's name as it recorded itself (e.g. "add", "conv", "batchNorm"). */
  readonly name: string;
  readonly inputs: readonly (Tensor | null)[];
  readonly saved: readonly Tensor[] | null;
  readonly attrs: unknown;
  /** The innermost submodule whose forward ran the op, e.g. "2 (Linear)"; "" outside any. */
  readonly module: string;
}

export interface Trace {
  /** Each op's output → the op that produced it (the last report wins: composites replace their steps). */
  readonly ops: Map<Tensor, TracedOp>;
  readonly output: unknown;
}

export function traceForward(module: Module, inputs: readonly Tensor[]): Trace {
  const ops = new Map<Tensor, TracedOp>();
  const path: string[] = [];
  const modes = module.modules().map((m) => [m, m.training] as const);
  const restore: (() => void)[] = [];
  // Each module's forward is wrapped on the instance so an op knows which module ran it.
  for (const [name, m] of module.namedModules()) {
    const own = Object.prototype.hasOwnProperty.call(m, "forward");
    const original = m.forward;
    const label = `${name === "" ? "(root)" : name} (${m.constructor.name})`;
    m.forward = function (this: Module, ...args: unknown[]) {
      path.push(label);
      try {
        return original.apply(this, args);
      } finally {
        path.pop();
      }
    };
    restore.push(() => {
      if (own) m.forward = original;
      else delete (m as { forward?: unknown }).forward;
    });
  }
  const previous = tracer.hook;
  const hook: TraceHook = (out, name, opInputs, saved, attrs) => {
    ops.set(out, { out, name, inputs: opInputs, saved, attrs, module: path.length > 0 ? path[path.length - 1] : "" });
  };
  module.eval();
  tracer.hook = hook;
  try {
    const output = noGrad(() => module.forward(...inputs));
    return { ops, output };
  } finally {
    tracer.hook = previous;
    for (const undo of restore) undo();
    for (const [m, training] of modes) m.training = training;
  }
}
