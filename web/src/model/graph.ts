/**
 * The computation graph of one training step, as the library records it:
 * `bp.explain.recordGraph` walks the autograd graph behind the loss and
 * hooks every node, so that after backward() each op carries the norm of
 * the gradient that flowed through it. Here it is reduced to what the
 * page draws (plain data, so it can cross from the worker to the page).
 */
import * as bp from "backpropagation";

export interface GraphNode {
  id: number;
  /** The op ("linear", "sigmoid", ...) or, for a leaf, the parameter's name. */
  label: string;
  kind: "op" | "parameter" | "input";
  shape: number[];
  /** ‖gradient‖₂ of this node's output (null when none flowed). */
  gradNorm: number | null;
  /** Ids of the nodes this one consumed. */
  inputs: number[];
}

/**
 * Builds the loss with `forward` on fresh leaf copies of the named
 * parameters, runs backward() once, and returns the graph. The caller's
 * tensors are not modified.
 */
export function stepGraph(params: readonly [string, bp.Tensor][], forward: (params: bp.nn.Parameter[]) => bp.Tensor): GraphNode[] {
  const leaves = params.map(([, p]) => new bp.nn.Parameter(p.detach()));
  const loss = forward(leaves);
  const recorder = bp.explain.recordGraph(loss, leaves.map((t, i) => [params[i][0], t] as const));
  loss.backward();
  const graph = recorder.finish();
  const index = new Map(graph.nodes.map((n, i) => [n.id, i]));
  return graph.nodes.map((n, i) => ({
    id: i,
    label: n.kind === "op" ? n.op : n.label ?? "input",
    kind: n.kind === "op" ? "op" : n.label ? "parameter" : "input",
    shape: [...n.shape],
    gradNorm: n.grad ? n.grad.norm : null,
    inputs: n.inputs.map((id) => index.get(id)!),
  }));
}
