/**
 * The recorded computation graph as plain data: one entry per op node and
 * per leaf tensor reachable from the root, with shapes, and with value and
 * gradient summaries where they are known.
 *
 * Values are known for the tensors the caller names (inputs, layer outputs,
 * parameters, the loss); an op node in between (a transpose inside a
 * Linear, say) does not keep its output, so it shows shape and gradient only.
 */
import type { Edge, Node } from "../graph/node.js";
import { Tensor } from "../tensor/tensor.js";
import { summarize, summarizeArray, type Summary } from "./summary.js";

export interface GraphNode {
  id: string;
  kind: "op" | "leaf";
  /** The op's name ("matmul", "sigmoid") or "leaf". */
  op: string;
  /** The caller's name for this tensor (W1, h2, L), if it has one. */
  label: string | null;
  shape: readonly number[];
  value: Summary | null;
  grad: Summary | null;
  /** Ids of the nodes whose outputs this node consumes. */
  inputs: string[];
}

export interface Graph {
  nodes: GraphNode[];
  rootId: string;
}

/** A graph being recorded: create it after the forward pass, run backward, then call finish(). */
export interface GraphRecorder {
  finish(): Graph;
}

/**
 * Walks the graph behind `root` and hooks every op node so that the
 * gradient flowing through it is summarised during the next backward pass.
 */
export function recordGraph(root: Tensor, named: ReadonlyArray<readonly [string, Tensor]>): GraphRecorder {
  const nameOf = new Map<Node | Tensor, string>();
  const valueOf = new Map<Node | Tensor, Tensor>();
  for (const [name, t] of named) {
    const key = (t.gradFn as Node | null) ?? t;
    if (!nameOf.has(key)) nameOf.set(key, name);
    valueOf.set(key, t);
  }
  const ids = new Map<Node | Tensor, string>();
  const order: (Node | Tensor)[] = [];
  const start: Node | Tensor = (root.gradFn as Node | null) ?? root;
  const queue: (Node | Tensor)[] = [start];
  ids.set(start, "n0");
  while (queue.length > 0) {
    const item = queue.shift()!;
    order.push(item);
    if (item instanceof Tensor) continue;
    for (const e of item.next) {
      if (e === null || ids.has(e)) continue;
      ids.set(e, `n${ids.size}`);
      queue.push(e);
    }
  }
  const grads = new Map<Node, Summary>();
  const removers: (() => void)[] = [];
  for (const item of order) {
    if (item instanceof Tensor) continue;
    const node = item;
    const hook = (g: Tensor) => {
      grads.set(node, summarize(g));
    };
    (node.hooks ??= []).push(hook);
    removers.push(() => {
      const list = node.hooks;
      if (list) list.splice(list.indexOf(hook), 1);
    });
  }
  return {
    finish(): Graph {
      for (const remove of removers) remove();
      const nodes = order.map((item): GraphNode => {
        const value = valueOf.get(item);
        if (item instanceof Tensor) {
          return {
            id: ids.get(item)!, kind: "leaf", op: "leaf", label: nameOf.get(item) ?? null, shape: item.shape,
            value: summarize(item), grad: item.grad ? summarize(item.grad) : null, inputs: [],
          };
        }
        return {
          id: ids.get(item)!, kind: "op", op: item.name, label: nameOf.get(item) ?? null, shape: item.shape,
          value: value ? summarize(value) : null,
          grad: grads.get(item) ?? (item === start ? summarizeArray([1], item.shape) : null),
          inputs: item.next.filter((e): e is Edge & object => e !== null).map((e) => ids.get(e)!),
        };
      });
      return { nodes, rootId: "n0" };
    },
  };
}
