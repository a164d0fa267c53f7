/**
 * Graph nodes. Each op output that needs a gradient gets one Node: the op's
 * definition (name + VJP), the edges to its inputs, and what the VJP needs
 * saved from the forward pass.
 */
import type { DType } from "../backend/backend.js";
import type { GradHook, GradNode, Tensor } from "../tensor/tensor.js";
import { gradMode } from "./mode.js";
import { guardSaved, inplaceWrites } from "./versions.js";

/**
 * A vector-Jacobian product: given the gradient of the op's output, the
 * gradients of its inputs (null where `needs[i]` is false or none flows).
 * Written with tensor ops, so it is itself differentiable (createGraph).
 */
export type Vjp<Ctx> = (grad: Tensor, saved: readonly Tensor[], ctx: Ctx, needs: readonly boolean[]) => (Tensor | null)[];

/** One row of the derivative table: an op's name and its VJP. */
export interface OpDef<Ctx = unknown> {
  readonly name: string;
  readonly vjp: Vjp<Ctx>;
}

export function defineOp<Ctx = undefined>(name: string, vjp: Vjp<Ctx>): OpDef<Ctx> {
  return { name, vjp };
}

/** Where a gradient goes next: the producing node of a non-leaf, the leaf tensor itself, or nowhere. */
export type Edge = Node | Tensor | null;

export class Node implements GradNode {
  readonly op: OpDef<any>;
  readonly next: Edge[];
  readonly needs: boolean[];
  saved: readonly Tensor[] | null;
  readonly hadSaved: boolean;
  readonly ctx: unknown;
  /** Output's dtype and shape: incoming gradients are checked and cast against them. */
  readonly dtype: DType;
  readonly shape: readonly number[];
  hooks: GradHook[] | null = null;
  /** Stack trace of the forward call, recorded in anomaly mode. */
  readonly createdAt: string | undefined;

  // Engine bookkeeping for the backward pass in progress.
  _epoch = 0;
  _deps = 0;
  _grad: Tensor | null = null;
  _needed = false;

  constructor(op: OpDef<any>, next: Edge[], needs: boolean[], saved: readonly Tensor[] | null, ctx: unknown, out: Tensor) {
    this.op = op;
    this.next = next;
    this.needs = needs;
    this.saved = saved;
    this.hadSaved = saved !== null && saved.length > 0;
    this.ctx = ctx;
    this.dtype = out.dtype;
    this.shape = out.shape;
    this.createdAt = gradMode.anomaly ? creationStack() : undefined;
  }

  get name(): string {
    return this.op.name;
  }
}

/** The stack of the forward call, deep enough to reach the user's code through composite ops. */
function creationStack(): string | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = Math.max(limit, 50);
  try {
    return new Error().stack;
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * Connects `out` to the graph if recording is on and any input requires a
 * gradient; otherwise returns `out` untouched. Every differentiable op ends
 * with this call.
 */
export function record<Ctx>(out: Tensor, op: OpDef<Ctx>, inputs: readonly Tensor[], saved: readonly Tensor[] | null, ctx: Ctx): Tensor {
  if (tracer.hook !== null) tracer.hook(out, op.name, inputs, saved, ctx);
  if (!gradMode.enabled) return out;
  let any = false;
  for (let i = 0; i < inputs.length; i++) if (inputs[i]._requiresGrad) { any = true; break; }
  if (!any) return out;
  const n = inputs.length;
  const next = new Array<Edge>(n);
  const needs = new Array<boolean>(n);
  for (let i = 0; i < n; i++) {
    const t = inputs[i];
    if (t._requiresGrad) {
      next[i] = (t.gradFn as Node | null) ?? t;
      needs[i] = true;
    } else {
      next[i] = null;
      needs[i] = false;
    }
  }
  // Once anything was written in place, nodes check that what they saved still holds (versions.ts).
  const def = inplaceWrites.seen && saved !== null && saved.length > 0 ? guardSaved(op, saved) : op;
  out.gradFn = new Node(def, next, needs, saved, ctx, out);
  out._requiresGrad = true;
  return out;
}

/**
 * Export tracing (src/onnx): while `hook` is set it sees every op as it runs,
 * recorded or not (tracing runs under noGrad). Later reports about the same
 * output win, so a composite that calls `traced` on its result replaces the
 * steps it was built from.
 */
export type TraceHook = (out: Tensor, name: string, inputs: readonly (Tensor | null)[], saved: readonly Tensor[] | null, attrs: unknown) => void;
export const tracer: { hook: TraceHook | null } = { hook: null };

/** Reports `out` to an active export trace as one op `name` of `inputs` with `attrs`; returns `out`. Free when not tracing. */
export function traced<T extends Tensor>(out: T, name: string, inputs: readonly (Tensor | null)[], attrs: object): T {
  if (tracer.hook !== null) tracer.hook(out, name, inputs, null, attrs);
  return out;
}
