/**
 * Internal activations: the outputs that one layer of an nn.Sequential
 * hands to the next, which the caller never sees. Once the next layer has
 * run, the only references left to such a tensor's buffer are the values
 * the graph saved for backward (a ReLU's output, a Linear's input). So the
 * buffer is dead when the last of those saved references is freed — by a
 * backward pass without retainGraph — or at once if nothing saved it (a
 * pre-activation that sigmoid's derivative does not need; any activation
 * under noGrad). It then goes to the recycler (src/tensor/recycler.ts).
 *
 * nn.Sequential decides what counts as internal (only between layers whose
 * forward it knows keeps no reference), and so do the library's composite
 * functions for their intermediate steps (the log-probabilities inside
 * crossEntropy, the difference inside mseLoss). This file counts, for each
 * such buffer, the saved references the graph holds, and the engine calls
 * `releaseSaved` as it frees a node's saved values.
 */
import type { TypedArray } from "../backend/backend.js";
import { recycle } from "../tensor/recycler.js";
import type { Tensor } from "../tensor/tensor.js";
import { Node } from "./node.js";

/** Saved references still held by the graph, per internal buffer (weak: an abandoned graph takes its entries with it). */
const savedReferences = new WeakMap<TypedArray, number>();

/** Layers are a handful of ops: a longer walk means something unexpected, and the activation is left to the collector. */
const MAX_NODES_PER_LAYER = 64;

/**
 * Declares `activation` internal: it was produced by one layer (or step of
 * a composite function), read only by the next (whose output is
 * `consumerOutput`), and is dropped by the caller.
 * Counts the graph's saved references to its buffer (in the node that
 * produced it and in the nodes the consumer recorded), or recycles the
 * buffer now if there are none.
 */
export function markInternal(activation: Tensor, consumerOutput: Tensor): void {
  const buffer = activation.storage;
  // A view of part of a buffer, or a buffer the consumer's output still shows: not ours to free.
  if (activation.offset !== 0 || buffer.length !== activation.size || consumerOutput.storage === buffer) return;
  const producer = activation.gradFn as Node | null;
  let count = producer ? countIn(producer, buffer) : 0;
  const start = consumerOutput.gradFn as Node | null;
  if (start !== null && start !== producer) {
    const seen = new Set<Node>([start]);
    const stack: Node[] = [start];
    while (stack.length > 0) {
      const node = stack.pop()!;
      count += countIn(node, buffer);
      for (const edge of node.next) {
        if (!(edge instanceof Node) || edge === producer || seen.has(edge)) continue;
        if (seen.size === MAX_NODES_PER_LAYER) return;
        seen.add(edge);
        stack.push(edge);
      }
    }
  }
  if (count === 0) recycle(buffer, activation.dtype);
  else savedReferences.set(buffer, count);
}

function countIn(node: Node, buffer: TypedArray): number {
  let n = 0;
  if (node.saved !== null) for (const t of node.saved) if (t.storage === buffer) n++;
  return n;
}

/**
 * Called by the backward engine as it frees a node's saved values: the
 * last saved reference to an internal buffer recycles it, unless a
 * gradient still waiting in the pass shares the buffer.
 */
export function releaseSaved(saved: readonly Tensor[], pendingGradients: ReadonlyMap<TypedArray, number>): void {
  for (let i = 0; i < saved.length; i++) {
    const t = saved[i];
    const count = savedReferences.get(t.storage);
    if (count === undefined) continue;
    if (count > 1) {
      savedReferences.set(t.storage, count - 1);
      continue;
    }
    savedReferences.delete(t.storage);
    if (!pendingGradients.has(t.storage)) recycle(t.storage, t.dtype);
  }
}

/**
 * Called by the engine for each node it runs with createGraph: the graph
 * of the gradient may save the node's saved values in nodes that were not
 * counted, so those buffers are left to the garbage collector from now on.
 */
export function forgetInternal(saved: readonly Tensor[]): void {
  for (let i = 0; i < saved.length; i++) savedReferences.delete(saved[i].storage);
}
