/**
 * The backward engine, after PyTorch's engine.cpp: one pass counts, for every
 * node reachable from the roots, how many edges point at it; a second pass
 * runs a node only when all of its consumers have delivered their gradient
 * (so gradients arriving along several paths are summed first), calls its
 * VJP, and hands the results on. Both passes use explicit stacks, never
 * recursion, so a chain of 100,000 ops cannot overflow the call stack.
 * Buffers the pass has used up (gradients handed on, a VJP's intermediate
 * steps, internal activations whose saved values it frees) go to the
 * recycler (src/tensor/recycler.ts).
 */
import { AnomalyError, AutogradError } from "../errors.js";
import type { TypedArray } from "../backend/backend.js";
import { allocationMark, allocationsSince, recordAllocations } from "../tensor/memory.js";
import { dtypeOfArray } from "../tensor/dtype.js";
import { RECYCLE_MIN_BYTES, recycle } from "../tensor/recycler.js";
import { forgetInternal, releaseSaved } from "../graph/internal-activations.js";
import { formatShape, sameShape } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { gradMode } from "../graph/mode.js";
import { Node, type Edge } from "../graph/node.js";

export interface RunOptions {
  retainGraph: boolean;
  createGraph: boolean;
  /** bp.grad: return the gradients of these tensors instead of accumulating into leaves. */
  inputs?: readonly Tensor[];
  allowUnused?: boolean;
}

let epoch = 0;

function ordinal(i: number): string {
  const teen = i % 100 >= 11 && i % 100 <= 13;
  const last = i % 10;
  return `${i}${teen ? "th" : last === 1 ? "st" : last === 2 ? "nd" : last === 3 ? "rd" : "th"}`;
}

function hasNonFinite(t: Tensor): boolean {
  const d = t.data();
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return true;
  return false;
}

/**
 * Makes an incoming gradient fit the tensor it is for: same dtype, same shape.
 * `from` and `input` only describe the source in the error (built lazily: this is a hot path).
 */
function conform(g: Tensor, dtype: string, shape: readonly number[], from: string, input = -1): Tensor {
  if (!sameShape(g.shape, shape)) {
    const where = input >= 0 ? `the gradient of "${from}" for its input ${input}` : from;
    throw new AutogradError(`backward: ${where} has shape ${formatShape(g.shape)} but the tensor it is for has shape ${formatShape(shape)} (internal error in that VJP or hook)`);
  }
  return g.dtype === dtype ? g : g.to(dtype as Tensor["dtype"]);
}

export function runBackward(roots: readonly Tensor[], rootGrads: readonly Tensor[], opts: RunOptions): (Tensor | null)[] | undefined {
  return recordAllocations((fresh) => backwardPass(roots, rootGrads, opts, fresh));
}

function backwardPass(
  roots: readonly Tensor[], rootGrads: readonly Tensor[], opts: RunOptions, fresh: ReadonlySet<TypedArray>,
): (Tensor | null)[] | undefined {
  const e = ++epoch;
  // Gradient buffers that user code has seen (through a hook), so they cannot become a leaf's .grad as they are.
  const exposed = new Set<TypedArray>();
  // Buffers already adopted as some leaf's .grad in this pass.
  const adopted = new Set<TypedArray>();
  // Gradients delivered but not yet used, counted per buffer. When a
  // buffer's count falls to zero nothing can read it any more, unless it
  // left the pass (a hook saw it, a leaf adopted it, bp.grad returns it, or
  // createGraph recorded it into a new graph); otherwise it is recycled.
  const pending = new Map<TypedArray, number>();
  // (Buffers too small to recycle are not counted: a chain of scalar ops stays cheap.)
  const hold = (t: Tensor): void => {
    if (t.storage.byteLength >= RECYCLE_MIN_BYTES) pending.set(t.storage, (pending.get(t.storage) ?? 0) + 1);
  };
  const release = (t: Tensor): void => {
    const buffer = t.storage;
    if (buffer.byteLength < RECYCLE_MIN_BYTES) return;
    const count = pending.get(buffer);
    if (count === undefined) return;
    if (count > 1) { pending.set(buffer, count - 1); return; }
    pending.delete(buffer);
    if (!opts.createGraph && fresh.has(buffer) && !exposed.has(buffer) && !adopted.has(buffer)) recycle(buffer, t.dtype);
  };
  // Adds a gradient to what is waiting at a node or leaf.
  const accumulate = (prev: Tensor | null, g: Tensor): Tensor => {
    const sum = prev ? prev.add(g) : g;
    hold(sum);
    if (prev) release(prev);
    return sum;
  };
  const capture = opts.inputs !== undefined;
  const captureLeaf = new Map<Tensor, number>();
  const captureNode = new Map<Node, number>();
  const captured: (Tensor | null)[] = [];
  if (opts.inputs) {
    opts.inputs.forEach((t, i) => {
      captured.push(null);
      if (!t._requiresGrad) {
        throw new AutogradError(`grad: input ${i} does not require grad, so no gradient can be computed for it`);
      }
      if (t.gradFn) captureNode.set(t.gradFn as Node, i);
      else captureLeaf.set(t, i);
    });
  }

  // Pass 1: discover the reachable nodes and count the edges into each.
  const order: Node[] = [];
  const stack: Node[] = [];
  const visit = (n: Node) => {
    if (n._epoch !== e) {
      n._epoch = e;
      n._deps = 0;
      n._grad = null;
      n._needed = !capture;
      stack.push(n);
      order.push(n);
    }
  };
  for (const r of roots) if (r.gradFn) visit(r.gradFn as Node);
  while (stack.length > 0) {
    const n = stack.pop()!;
    for (const edge of n.next) {
      if (edge instanceof Node) {
        visit(edge);
        edge._deps++;
      }
    }
  }

  // bp.grad: only run the nodes on a path to a requested input.
  if (capture) markNeeded(order, captureLeaf, captureNode);

  // Seed the roots.
  const leafGrads = new Map<Tensor, Tensor>();
  const ready: Node[] = [];
  for (let i = 0; i < roots.length; i++) {
    const r = roots[i];
    const g = rootGrads[i];
    if (r.gradFn) {
      const n = r.gradFn as Node;
      n._grad = accumulate(n._grad, g);
    } else {
      leafGrads.set(r, accumulate(leafGrads.get(r) ?? null, g));
    }
  }
  for (const r of roots) {
    const n = r.gradFn as Node | null;
    if (n && n._deps === 0 && !ready.includes(n)) ready.push(n);
  }

  const prevEnabled = gradMode.enabled;
  gradMode.enabled = opts.createGraph;
  try {
    // Pass 2: run each node once all its consumers have delivered.
    while (ready.length > 0) {
      const node = ready.pop()!;
      const delivered = node._grad;
      let g = delivered;
      node._grad = null;
      let grads: (Tensor | null)[] | null = null;
      if (g !== null && node._needed) {
        if (node.hooks) {
          for (const h of node.hooks) {
            exposed.add(g.storage);
            const r = h(g);
            if (r) { exposed.add(r.storage); g = conform(r, node.dtype, node.shape, `a hook on the output of "${node.name}"`); }
          }
        }
        if (capture) {
          const ci = captureNode.get(node);
          if (ci !== undefined) { captured[ci] = g; exposed.add(g.storage); }
        }
        if (node.saved === null && node.hadSaved) {
          throw new AutogradError(
            `backward: trying to backward through the graph a second time: the values "${node.name}" saved for its gradient were freed after the first backward; pass { retainGraph: true } to the first backward() if you need to call it again`,
          );
        }
        // bp.grad: inputs that lead to no requested tensor need no gradient either.
        const needs = capture ? neededEdges(node, captureLeaf) : node.needs;
        if (opts.createGraph && node.saved !== null) forgetInternal(node.saved);
        const mark = allocationMark();
        grads = node.op.vjp(g, node.saved ?? [], node.ctx, needs);
        // (Most VJPs allocate only what they return: skip the copy of an empty span.)
        if (!opts.createGraph && allocationMark() > mark) recycleTemporaries(allocationsSince(mark), grads);
        if (capture) for (let i = 0; i < needs.length; i++) if (!needs[i]) grads[i] = null;
        if (gradMode.anomaly) checkAnomaly(node, grads);
      }
      for (let i = 0; i < node.next.length; i++) {
        const edge: Edge = node.next[i];
        if (edge === null) continue;
        const gi = grads ? grads[i] : null;
        if (edge instanceof Node) {
          if (gi) edge._grad = accumulate(edge._grad, conform(gi, edge.dtype, edge.shape, node.op.name, i));
          if (--edge._deps === 0) ready.push(edge);
        } else if (gi) {
          leafGrads.set(edge, accumulate(leafGrads.get(edge) ?? null, conform(gi, edge.dtype, edge.shape, node.op.name, i)));
        }
      }
      // Used up: its results have been delivered (and hold their buffers if they share them).
      if (delivered) release(delivered);
      if (!opts.retainGraph) {
        if (node.saved !== null && !opts.createGraph) releaseSaved(node.saved, pending);
        node.saved = null;
      }
    }

    // Leaves last: hooks see the total gradient, then it is accumulated (or captured).
    for (const [leaf, g0] of leafGrads) {
      // bp.grad touches only the requested leaves: others' hooks do not run.
      const ci = capture ? captureLeaf.get(leaf) : undefined;
      if (capture && ci === undefined) continue;
      let g = g0;
      if (leaf._hooks) {
        for (const h of leaf._hooks) {
          exposed.add(g.storage);
          const r = h(g);
          if (r) { exposed.add(r.storage); g = conform(r, leaf.dtype, leaf.shape, "a hook on a leaf"); }
        }
      }
      if (ci !== undefined) { captured[ci] = g; exposed.add(g.storage); }
      else if (opts.createGraph) leaf.grad = leaf._grad ? leaf._grad.add(g) : g;
      else if (leaf._grad) setUnreadGrad(leaf, leaf._grad.add(g).detach(), fresh);
      else if (adoptable(g, fresh, exposed, adopted)) { adopted.add(g.storage); setUnreadGrad(leaf, g.detach(), fresh); }
      // Otherwise a fresh contiguous copy: the gradient may be a stride-0
      // expansion, or share storage with the root gradient, a hook's tensor
      // or another leaf's .grad (add passes its gradient through), and
      // optimizers and clipGradNorm_ update .grad in place.
      else setUnreadGrad(leaf, g.clone().detach(), fresh);
      release(g0);
    }
  } finally {
    gradMode.enabled = prevEnabled;
  }

  if (!capture) return undefined;
  if (!opts.allowUnused) {
    const unused = captured.findIndex((c) => c === null);
    if (unused >= 0) {
      throw new AutogradError(`grad: input ${unused} was not used to compute the outputs (its gradient would be null); pass { allowUnused: true } to get null for it`);
    }
  }
  return captured;
}

/**
 * Whether a leaf can keep `g` as its .grad without a copy: g fills a buffer
 * of its own that this pass allocated (so only the pass's temporaries
 * could share it, and they are gone when it ends), no hook has seen that
 * buffer, and no other leaf took it (add hands one gradient to both inputs).
 */
function adoptable(g: Tensor, fresh: ReadonlySet<TypedArray>, exposed: ReadonlySet<TypedArray>, adopted: ReadonlySet<TypedArray>): boolean {
  const buffer = g.storage;
  return g.offset === 0 && g.isContiguous && buffer.length === g.size
    && fresh.has(buffer) && !exposed.has(buffer) && !adopted.has(buffer);
}

/**
 * Recycles the buffers a VJP allocated for its intermediate steps (the
 * exp and product in logSoftmax's ȳ − exp(y)·Σȳ, say): the library's VJPs
 * keep nothing, so what they allocated and did not return is dead. Not
 * with createGraph, whose VJPs record those intermediates in a new graph.
 */
function recycleTemporaries(allocated: readonly TypedArray[], grads: readonly (Tensor | null)[]): void {
  for (let i = 0; i < allocated.length; i++) {
    const buffer = allocated[i];
    let returned = false;
    for (let j = 0; j < grads.length; j++) if (grads[j]?.storage === buffer) { returned = true; break; }
    if (!returned) recycle(buffer, dtypeOfArray(buffer));
  }
}

/**
 * Stores a .grad computed by this pass. If its buffer is one the pass
 * allocated, nothing else holds it, and zeroGrad may recycle it unless
 * someone reads .grad before then.
 */
function setUnreadGrad(leaf: Tensor, grad: Tensor, fresh: ReadonlySet<TypedArray>): void {
  leaf._grad = grad;
  leaf._gradUnread = fresh.has(grad.storage);
}

/** Marks nodes from which a requested input can be reached (reverse topological sweep). */
function markNeeded(order: Node[], leaves: Map<Tensor, number>, nodes: Map<Node, number>): void {
  // `order` lists nodes in discovery order; a node's inputs may appear later,
  // so iterate to a fixed point from a proper topological order instead.
  const indeg = new Map<Node, number>();
  for (const n of order) indeg.set(n, n._deps);
  const topo: Node[] = [];
  const queue = order.filter((n) => n._deps === 0);
  while (queue.length > 0) {
    const n = queue.pop()!;
    topo.push(n);
    for (const edge of n.next) {
      if (edge instanceof Node) {
        const d = indeg.get(edge)! - 1;
        indeg.set(edge, d);
        if (d === 0) queue.push(edge);
      }
    }
  }
  for (let i = topo.length - 1; i >= 0; i--) {
    const n = topo[i];
    let needed = nodes.has(n);
    for (const edge of n.next) {
      if (edge === null) continue;
      if (edge instanceof Node ? edge._needed : leaves.has(edge)) { needed = true; break; }
    }
    n._needed = needed;
  }
}

/** Which inputs of `node` lead to a tensor bp.grad asked for (`_needed` is set by markNeeded). */
function neededEdges(node: Node, leaves: Map<Tensor, number>): boolean[] {
  const out = new Array<boolean>(node.next.length);
  for (let i = 0; i < node.next.length; i++) {
    const edge = node.next[i];
    out[i] = node.needs[i] && edge !== null && (edge instanceof Node ? edge._needed : leaves.has(edge));
  }
  return out;
}

function checkAnomaly(node: Node, grads: readonly (Tensor | null)[]): void {
  for (let i = 0; i < grads.length; i++) {
    const g = grads[i];
    if (g && hasNonFinite(g)) {
      // Drop the "Error" line and the frames of the graph recording itself.
      const where = node.createdAt
        ? node.createdAt.split("\n").slice(1).filter((line) => !/[\\/]autograd[\\/]node\./.test(line)).join("\n")
        : "  (created outside detectAnomaly, so its origin was not recorded)";
      throw new AnomalyError(
        `detectAnomaly: the backward of "${node.name}" returned NaN or Inf in its ${ordinal(i + 1)} output (the gradient for input ${i}).\nThe "${node.name}" op was created at:\n${where}`,
      );
    }
  }
}
