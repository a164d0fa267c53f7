/**
 * Places the computation graph in columns, inputs on the left and the loss
 * on the right: an op's column is one more than its deepest input's, and a
 * leaf (a parameter or an input) sits just left of its first consumer, so
 * that W3 appears next to the layer that uses it rather than far away with
 * W1. Within a column, ops are ordered by the mean position of their inputs
 * (the barycentre rule), which removes most edge crossings; leaves follow.
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

/** Longest-path depth of every node (iterative, so deep graphs cannot overflow the stack). */
function depths(nodes: readonly LayoutInput[]): Map<number, number> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const column = new Map<number, number>();
  for (const start of nodes) {
    const stack: number[] = [start.id];
    while (stack.length > 0) {
      const id = stack[stack.length - 1];
      if (column.has(id)) {
        stack.pop();
        continue;
      }
      const node = byId.get(id);
      if (!node) throw new RangeError(`layoutGraph: node ${id} is referenced but not listed`);
      const missing = node.inputs.filter((input) => !column.has(input));
      if (missing.length > 0) {
        stack.push(...missing);
        continue;
      }
      stack.pop();
      let c = 0;
      for (const input of node.inputs) c = Math.max(c, column.get(input)! + 1);
      column.set(id, c);
    }
  }
  return column;
}

export function layoutGraph(nodes: readonly LayoutInput[]): GraphLayout {
  const column = depths(nodes);
  // Move each leaf next to its earliest consumer.
  const firstConsumer = new Map<number, number>();
  for (const n of nodes) {
    for (const input of n.inputs) {
      const c = column.get(n.id)!;
      firstConsumer.set(input, Math.min(firstConsumer.get(input) ?? Infinity, c));
    }
  }
  for (const n of nodes) {
    if (n.inputs.length === 0 && firstConsumer.has(n.id)) column.set(n.id, firstConsumer.get(n.id)! - 1);
  }
  const columns = nodes.reduce((m, n) => Math.max(m, column.get(n.id)! + 1), 0);
  const byColumn: LayoutInput[][] = Array.from({ length: columns }, () => []);
  for (const n of nodes) byColumn[column.get(n.id)!].push(n);

  const slot = new Map<number, number>();
  for (const members of byColumn) {
    const key = (n: LayoutInput) =>
      n.inputs.length === 0 ? Infinity : n.inputs.reduce((s, input) => s + (slot.get(input) ?? 0), 0) / n.inputs.length;
    const ordered = members.map((n, order) => ({ n, order, key: key(n) }));
    ordered.sort((a, b) => a.key - b.key || a.order - b.order);
    ordered.forEach(({ n }, i) => slot.set(n.id, i));
  }
  const placed = nodes.map((n) => ({ id: n.id, column: column.get(n.id)!, slot: slot.get(n.id)! }));
  const maxSlots = Math.max(0, ...byColumn.map((m) => m.length));
  return { placed, columns, maxSlots };
}
