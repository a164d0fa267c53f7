/**
 * `bp.tidy(fn)`: a scope, usually one training step, after which the
 * graph's tensors that the step did not return are released and their
 * buffers go straight to the next step's allocations.
 *
 * Why it exists: tensor storage is garbage-collected, and V8 frees a dead
 * typed array only when a collection finds it, so a training loop piles up
 * tens of megabytes of dead activations between collections. The backward
 * pass's ledger (buffer-ledger.ts) recycles gradients because it can prove
 * them dead; activations it cannot, since user code may still hold any
 * tensor an op returned. Here the caller promises it does not (what the
 * callback does not return, it does not use afterwards), and the rest is
 * derived:
 *
 * - Only buffers allocated inside the scope are candidates, and only those
 *   a graph tensor built inside it (one with a `gradFn`) points at — the
 *   activations — or that an op marked as its own scratch (a tensor it
 *   saved for its backward and never returned: construction-log.ts).
 *   Optimizer state, running statistics and inputs are leaves in buffers
 *   of their own, and are never touched.
 * - Parameters and their gradients are kept: the graphs built in the scope
 *   reach every leaf they used (a gradient made with createGraph may share
 *   a graph tensor's buffer).
 * - What the callback returns is kept, with everything its graph still
 *   needs: the values saved for backward (and any tensor in an op's
 *   context) of every node it can reach. Returning the loss before calling
 *   `backward()` outside the scope therefore works.
 * - Every tensor made in the scope whose buffer is recycled — the graph
 *   tensor, its views, the ops' internal wrappers, a `detach()`ed copy — is
 *   pointed at a stand-in that throws ReleasedTensorError on use
 *   (tensor/released.ts): breaking the promise gives an error, never
 *   another tensor's values. (A tensor made before the scope cannot point
 *   at a buffer allocated inside it.) The one thing that cannot be
 *   detected is a raw typed array taken from `t.storage` inside the scope
 *   and read after it; `data()` returns a copy.
 *
 * Nested scopes hand what they keep to the enclosing scope, which may
 * release it in turn. A callback that throws releases nothing.
 */
import { ValueError } from "../errors.js";
import type { Node } from "../graph/node.js";
import { constructionLog, isScratch } from "../tensor/construction-log.js";
import { recordAllocations, type StorageKey } from "../tensor/memory.js";
import { isRecycled, recycleStorage } from "../tensor/recycler.js";
import { isReleased, markReleased } from "../tensor/released.js";
import { storageKey, Tensor } from "../tensor/tensor.js";

/**
 * Runs `fn` and returns its value. When it returns, every tensor computed
 * inside it by a recorded op (one with a `gradFn`) that is not reachable
 * from that value is released: its buffer is reused by the next tensors of
 * the same size, and using it afterwards throws ReleasedTensorError.
 * Parameters, inputs, gradients and optimizer state are never released.
 * `fn` must be synchronous.
 */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== "function") {
    throw new ValueError(`tidy: expected a function to run, got ${fn === null ? "null" : typeof fn}; write bp.tidy(() => { ...one training step... })`);
  }
  const outerLog = constructionLog.current;
  const log: Tensor[] = [];
  constructionLog.current = log;
  let released = false;
  try {
    const [result, fresh] = recordAllocations((allocated) => [fn(), allocated] as const);
    if (isPromiseLike(result)) {
      throw new ValueError("tidy: the callback returned a Promise; tidy scopes synchronous code only (awaiting inside would let other code's tensors into the scope): await outside bp.tidy, and tidy the synchronous step inside");
    }
    releaseUnreachable(log, fresh, result);
    released = true;
    return result;
  } finally {
    constructionLog.current = outerLog;
    // The enclosing scope saw these tensors made too: it may release what this one kept.
    if (outerLog !== null) {
      for (let i = 0; i < log.length; i++) if (!released || !isReleased(log[i])) outerLog.push(log[i]);
    }
  }
}

function isPromiseLike(value: unknown): boolean {
  return value !== null && (typeof value === "object" || typeof value === "function")
    && typeof (value as { then?: unknown }).then === "function";
}

/**
 * Recycles the fresh buffers that graph tensors made in the scope point at,
 * unless something that outlives the scope may reach them, and marks every
 * tensor made in the scope that points at one of them released.
 */
function releaseUnreachable(log: readonly Tensor[], fresh: ReadonlySet<StorageKey>, result: unknown): void {
  if (log.length === 0 || fresh.size === 0) return;
  const pinned = new Set<StorageKey>();
  const graph = new GraphWalk(pinned);
  // What the callback returns, and all its graph still needs.
  collectTensors(result, (t) => graph.keep(t), new Set());
  graph.run(true);
  // Leaves that outlive the step: parameters (those made here too) and
  // their gradients. The graphs built here reach every leaf they use.
  for (let i = 0; i < log.length; i++) {
    const t = log[i];
    if (t.gradFn !== null) graph.visit(t.gradFn as Node);
    else if (t._requiresGrad) graph.keepLeaf(t);
  }
  graph.run(false);
  const doomed = new Set<StorageKey>();
  for (let i = 0; i < log.length; i++) {
    const t = log[i];
    if ((t.gradFn === null && !isScratch(t)) || isReleased(t)) continue;
    const key = storageKey(t);
    if (fresh.has(key) && !pinned.has(key) && !isRecycled(key)) doomed.add(key);
  }
  if (doomed.size === 0) return;
  // Views, detached copies and the ops' own wrappers of a doomed buffer go with it.
  for (let i = 0; i < log.length; i++) {
    const t = log[i];
    if (!isReleased(t) && doomed.has(storageKey(t))) markReleased(t);
  }
  for (const key of doomed) recycleStorage(key);
}

/** A walk over graph nodes that pins the buffers of the tensors they hold. */
class GraphWalk {
  private readonly seen = new Set<Node>();
  private readonly pending: Node[] = [];

  constructor(private readonly pinned: Set<StorageKey>) {}

  /** Pins `t` and, through its node, everything its graph holds. */
  keep(t: Tensor): void {
    if (isReleased(t)) return;
    this.pinned.add(storageKey(t));
    if (t.gradFn !== null) this.visit(t.gradFn as Node);
    else this.keepLeaf(t);
  }

  /** A leaf's buffer and its gradient's. */
  keepLeaf(t: Tensor): void {
    this.pinned.add(storageKey(t));
    const g = t.grad;
    if (g !== null && !isReleased(g)) this.pinned.add(storageKey(g));
  }

  visit(node: Node): void {
    if (!this.seen.has(node)) { this.seen.add(node); this.pending.push(node); }
  }

  /**
   * Visits the pending nodes and every node they reach. `holdings`: pin
   * what each node saved and keeps in its context (a graph that may still
   * run backward); otherwise only the leaves it reaches are pinned.
   */
  run(holdings: boolean): void {
    const keep = (t: Tensor): void => this.keep(t);
    while (this.pending.length > 0) {
      const node = this.pending.pop()!;
      if (holdings) {
        if (node.saved !== null) for (let i = 0; i < node.saved.length; i++) this.keep(node.saved[i]);
        collectTensors(node.ctx, keep, new Set(), 3, true);
      }
      for (let i = 0; i < node.next.length; i++) {
        const edge = node.next[i];
        if (edge instanceof Tensor) this.keepLeaf(edge);
        else if (edge !== null) this.visit(edge);
      }
    }
  }
}

/**
 * Calls `visit` for each tensor in `value`, looking inside arrays, Maps and
 * plain objects (any object when `anyObject`: an op's context may be a class
 * instance) up to `depth` levels; typed arrays hold no tensors and are skipped.
 */
function collectTensors(value: unknown, visit: (t: Tensor) => void, seen: Set<object>, depth = 8, anyObject = false): void {
  if (value instanceof Tensor) { visit(value); return; }
  if (value === null || typeof value !== "object" || depth === 0 || seen.has(value) || ArrayBuffer.isView(value)) return;
  seen.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) collectTensors(value[i], visit, seen, depth - 1, anyObject);
  } else if (value instanceof Map) {
    for (const v of value.values()) collectTensors(v, visit, seen, depth - 1, anyObject);
  } else if (anyObject || isPlainObject(value)) {
    for (const key of Object.keys(value)) collectTensors((value as Record<string, unknown>)[key], visit, seen, depth - 1, anyObject);
  }
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
