/**
 * The backward engine, after PyTorch's engine.cpp: one pass counts, for every
 * node reachable from the roots, how many edges point at it; a second pass
 * runs a node only when all of its consumers have delivered their gradient
 * (so gradients arriving along several paths are summed first), calls its
 * VJP, and hands the results on. Both passes use explicit stacks, never
 * recursion, so a chain of 100,000 ops cannot overflow the call stack.
 * Which of the pass's buffers are dead (gradients handed on, a VJP's
 * intermediate steps) is the business of its BufferLedger
 * (src/autograd/buffer-ledger.ts); this file only tells it what happens.
 */
import { AnomalyError, AutogradError } from "../errors.js";
import { recordAllocations } from "../tensor/memory.js";
import { formatShape, sameShape } from "../tensor/shape.js";
import type { GradHook, Tensor } from "../tensor/tensor.js";
import { BufferLedger } from "./buffer-ledger.js";
import { accumulateInPlace } from "./grad-in-place.js";
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
  return recordAllocations((fresh) => backwardPass(roots, rootGrads, opts, new BufferLedger(fresh, !opts.createGraph)));
}

function backwardPass(roots: readonly Tensor[], rootGrads: readonly Tensor[], opts: RunOptions, ledger: BufferLedger): (Tensor | null)[] | undefined {
  const e = ++epoch;
  // Gradients a VJP returned that were added into a waiting one: dead once the node's edges are done, unless shared.
  const addedIn: Tensor[] = [];
  // Adds a gradient to what is waiting at a node or leaf.
  const accumulate = (prev: Tensor | null, g: Tensor): Tensor => {
    const sum = prev ? prev.add(g) : g;
    ledger.hold(sum);
    if (prev) { ledger.release(prev); addedIn.push(g); }
    return sum;
  };
  // Runs the hooks in order, each on the previous one's result.
  const runHooks = (hooks: readonly GradHook[], g: Tensor, dtype: string, shape: readonly number[], what: string): Tensor => {
    for (const h of hooks) {
      ledger.escape(g);
      const r = h(g);
      if (r) { ledger.escape(r); g = conform(r, dtype, shape, what); }
    }
    return g;
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
      node._grad = null;
      let grads: (Tensor | null)[] | null = null;
      if (delivered !== null && node._needed) {
        let g = delivered;
        if (node.hooks) g = runHooks(node.hooks, g, node.dtype, node.shape, `a hook on the output of "${node.name}"`);
        const ci = capture ? captureNode.get(node) : undefined;
        if (ci !== undefined) { captured[ci] = g; ledger.escape(g); }
        if (node.saved === null && node.hadSaved) {
          throw new AutogradError(
            `backward: trying to backward through the graph a second time: the values "${node.name}" saved for its gradient were freed after the first backward; pass { retainGraph: true } to the first backward() if you need to call it again`,
          );
        }
        // bp.grad: inputs that lead to no requested tensor need no gradient either.
        const needs = capture ? neededEdges(node, captureLeaf) : node.needs;
        const mark = ledger.mark();
        grads = node.op.vjp(g, node.saved ?? [], node.ctx, needs);
        ledger.releaseTemporaries(mark, grads);
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
      if (delivered) ledger.release(delivered);
      for (let i = 0; i < addedIn.length; i++) ledger.discard(addedIn[i]);
      addedIn.length = 0;
      if (!opts.retainGraph) node.saved = null;
    }

    // Leaves last: hooks see the total gradient, then it is accumulated (or captured).
    for (const [leaf, total] of leafGrads) {
      // bp.grad touches only the requested leaves: others' hooks do not run.
      const ci = capture ? captureLeaf.get(leaf) : undefined;
      if (capture && ci === undefined) continue;
      let g = total;
      if (leaf._hooks) g = runHooks(leaf._hooks, g, leaf.dtype, leaf.shape, "a hook on a leaf");
      if (ci !== undefined) { captured[ci] = g; ledger.escape(g); }
      else if (opts.createGraph) leaf.grad = leaf.grad ? leaf.grad.add(g) : g;
      // An existing .grad takes the sum in place (PyTorch's AccumulateGrad), so g's buffer is used up here.
      else if (leaf.grad) { if (!accumulateInPlace(leaf.grad, g)) leaf.grad = leaf.grad.add(g).detach(); }
      // The leaf keeps the pass's own buffer if nothing else can hold it, else a contiguous copy.
      else leaf.grad = ledger.adopt(g) ? g.detach() : g.clone().detach();
      ledger.release(total);
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
