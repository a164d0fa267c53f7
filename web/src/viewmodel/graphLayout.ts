/**
 * Places the computation graph in columns: leaves (parameters, inputs) on
 * the left, the loss on the right; a node's column is one more than the
 * deepest of its inputs, so every edge points rightwards.
 */
export interface LayoutInput {
  id: number;
  inputs: readonly number[];
}

export interface Placed {
  id: number;
  column: number;
  /** Position within its column, 0 at the top. */
  slot: number;
}

export interface GraphLayout {
  placed: Placed[];
  columns: number;
  /** Nodes in the fullest column. */
  maxSlots: number;
}

export function layoutGraph(nodes: readonly LayoutInput[]): GraphLayout {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const column = new Map<number, number>();
  // Iterative depth computation (no recursion: graphs of deep nets stay safe).
  for (const start of nodes) {
    if (column.has(start.id)) continue;
    const stack: number[] = [start.id];
    while (stack.length > 0) {
      const id = stack[stack.length - 1];
      const node = byId.get(id);
      if (!node) throw new RangeError(`layoutGraph: node ${id} is referenced but not listed`);
      let ready = true;
      for (const input of node.inputs) {
        if (!column.has(input)) {
          ready = false;
          stack.push(input);
        }
      }
      if (!ready) continue;
      stack.pop();
      let c = 0;
      for (const input of node.inputs) c = Math.max(c, column.get(input)! + 1);
      column.set(id, c);
    }
  }
  const slots = new Map<number, number>();
  const placed: Placed[] = nodes.map((n) => {
    const c = column.get(n.id)!;
    const slot = slots.get(c) ?? 0;
    slots.set(c, slot + 1);
    return { id: n.id, column: c, slot };
  });
  const columns = placed.reduce((m, p) => Math.max(m, p.column + 1), 0);
  const maxSlots = Math.max(0, ...slots.values());
  return { placed, columns, maxSlots };
}
