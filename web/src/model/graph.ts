/**
 * The computation graph of one training step, read from the autograd graph
 * the library recorded: starting at the loss's gradFn, follow each node's
 * edges to its inputs (as torchviz follows PyTorch's next_functions). Each
 * node is labelled with its op, its output shape and the norm of the
 * gradient that flowed through it during backward().
 */
import * as bp from "backprop";

export interface GraphNode {
  id: number;
  /** The op ("matmul", "sigmoid", ...) or, for a leaf, the parameter's name. */
  label: string;
  kind: "op" | "parameter" | "input";
  shape: number[];
  /** ‖gradient‖₂ of this node's output (null when none flowed). */
  gradNorm: number | null;
  /** Ids of the nodes this one consumed. */
  inputs: number[];
}

/** What the graph walk needs from a recorded node; `next` is the engine's list of input edges. */
interface RecordedNode {
  name: string;
  shape?: readonly number[];
  hooks: ((g: bp.Tensor) => bp.Tensor | void)[] | null;
  next?: readonly unknown[];
}

function norm(t: bp.Tensor): number {
  const d = t.data();
  let s = 0;
  for (let i = 0; i < d.length; i++) s += d[i] * d[i];
  return Math.sqrt(s);
}

/**
 * Builds the loss with `forward` on fresh leaf copies of `params` (named),
 * runs backward() once, and returns the graph. The caller's tensors are not
 * modified.
 */
export function stepGraph(
  params: readonly [string, bp.Tensor][],
  forward: (params: bp.Tensor[]) => bp.Tensor,
): GraphNode[] {
  const leaves = params.map(([, p]) => {
    const copy = p.detach();
    copy.requiresGrad = true;
    return copy;
  });
  const leafName = new Map<bp.Tensor, string>(leaves.map((t, i) => [t, params[i][0]]));
  const loss = forward(leaves);
  if (!loss.gradFn) throw new Error("stepGraph: the loss does not depend on the parameters, so there is no graph to show");

  const nodes: GraphNode[] = [];
  const ids = new Map<unknown, number>();
  const norms = new Map<RecordedNode, number>();
  const pending: unknown[] = [loss.gradFn];
  const idOf = (edge: unknown): number => {
    let id = ids.get(edge);
    if (id === undefined) {
      id = nodes.length;
      ids.set(edge, id);
      if (edge instanceof bp.Tensor) {
        nodes.push({ id, label: leafName.get(edge) ?? "input", kind: leafName.has(edge) ? "parameter" : "input", shape: [...edge.shape], gradNorm: null, inputs: [] });
      } else {
        const node = edge as RecordedNode;
        nodes.push({ id, label: node.name, kind: "op", shape: [...(node.shape ?? [])], gradNorm: null, inputs: [] });
        // Record the gradient arriving at this node's output during backward.
        (node.hooks ??= []).push((g) => {
          norms.set(node, norm(g));
        });
        pending.push(node);
      }
    }
    return id;
  };
  idOf(loss.gradFn);
  while (pending.length > 0) {
    const node = pending.pop() as RecordedNode;
    const me = nodes[ids.get(node)!];
    for (const edge of node.next ?? []) if (edge !== null && edge !== undefined) me.inputs.push(idOf(edge));
  }
  loss.backward();
  for (const [edge, id] of ids) {
    if (edge instanceof bp.Tensor) nodes[id].gradNorm = edge.grad ? norm(edge.grad) : null;
    else nodes[id].gradNorm = norms.get(edge as RecordedNode) ?? null;
  }
  return nodes;
}
