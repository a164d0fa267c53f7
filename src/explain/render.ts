/**
 * The computation graph drawn for people: Graphviz DOT text, or a
 * self-contained SVG laid out in rows (inputs and parameters at the top,
 * the loss at the bottom). Arrows point the way values flow forward;
 * gradients flow against them.
 */
import type { Graph, GraphNode } from "./graph.js";
import { formatNumber, formatShape } from "./summary.js";

/** The label lines of a node: name and op, shape, value and gradient summaries. */
export function nodeLines(n: GraphNode): string[] {
  const title = n.label ? (n.kind === "op" ? `${n.label} = ${n.op}` : n.label) : n.op;
  const lines = [title, formatShape(n.shape)];
  if (n.value) lines.push(`value: mean ${formatNumber(n.value.mean)}, ‖·‖ ${formatNumber(n.value.norm)}`);
  if (n.grad) lines.push(`grad: mean ${formatNumber(n.grad.mean)}, ‖·‖ ${formatNumber(n.grad.norm)}`);
  return lines;
}

function dotEscape(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
}

export function toDot(graph: Graph): string {
  const out = ["digraph backprop {", '  rankdir=TB;', '  node [fontname="Helvetica", fontsize=10];'];
  for (const n of graph.nodes) {
    const shape = n.kind === "leaf" ? "box" : "ellipse";
    const fill = n.kind === "leaf" ? (n.grad ? "#dbeafe" : "#f3f4f6") : n.id === graph.rootId ? "#fee2e2" : "#fef9c3";
    out.push(`  ${n.id} [shape=${shape}, style=filled, fillcolor="${fill}", label="${nodeLines(n).map(dotEscape).join("\\n")}"];`);
  }
  for (const n of graph.nodes) for (const src of n.inputs) out.push(`  ${src} -> ${n.id};`);
  out.push("}", "");
  return out.join("\n");
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Row of each node: its longest distance from the root, so every arrow points down. */
function ranks(graph: Graph): Map<string, number> {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const rank = new Map<string, number>([[graph.rootId, 0]]);
  // Nodes are listed breadth-first from the root; relax edges until no rank grows (the graph is acyclic).
  let changed = true;
  while (changed) {
    changed = false;
    for (const n of graph.nodes) {
      const r = rank.get(n.id);
      if (r === undefined) continue;
      for (const src of n.inputs) {
        if (!byId.has(src)) continue;
        if ((rank.get(src) ?? -1) < r + 1) {
          rank.set(src, r + 1);
          changed = true;
        }
      }
    }
  }
  return rank;
}

export function toSvg(graph: Graph): string {
  const rank = ranks(graph);
  const maxRank = Math.max(0, ...rank.values());
  const rows: GraphNode[][] = Array.from({ length: maxRank + 1 }, () => []);
  for (const n of graph.nodes) rows[maxRank - (rank.get(n.id) ?? 0)].push(n);
  const boxW = 230;
  const lineH = 14;
  const boxH = 4 * lineH + 10;
  const gapX = 20;
  const gapY = 40;
  const widest = Math.max(...rows.map((r) => r.length));
  const width = widest * (boxW + gapX) + gapX;
  const height = rows.length * (boxH + gapY) + gapY;
  const pos = new Map<string, { x: number; y: number }>();
  rows.forEach((row, r) => {
    const offset = (width - row.length * (boxW + gapX) + gapX) / 2;
    row.forEach((n, i) => pos.set(n.id, { x: offset + i * (boxW + gapX), y: gapY + r * (boxH + gapY) }));
  });
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, sans-serif" font-size="11">`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>`,
    `<rect width="100%" height="100%" fill="white"/>`,
  ];
  for (const n of graph.nodes) {
    const to = pos.get(n.id)!;
    for (const src of n.inputs) {
      const from = pos.get(src);
      if (!from) continue;
      parts.push(`<line x1="${from.x + boxW / 2}" y1="${from.y + boxH}" x2="${to.x + boxW / 2}" y2="${to.y}" stroke="#555" marker-end="url(#arrow)"/>`);
    }
  }
  for (const n of graph.nodes) {
    const p = pos.get(n.id)!;
    const fill = n.kind === "leaf" ? (n.grad ? "#dbeafe" : "#f3f4f6") : n.id === graph.rootId ? "#fee2e2" : "#fef9c3";
    const rx = n.kind === "leaf" ? 2 : 14;
    parts.push(`<g><rect x="${p.x}" y="${p.y}" width="${boxW}" height="${boxH}" rx="${rx}" fill="${fill}" stroke="#333"/>`);
    nodeLines(n).forEach((line, i) => {
      const weight = i === 0 ? ' font-weight="bold"' : "";
      parts.push(`<text x="${p.x + 8}" y="${p.y + 16 + i * lineH}"${weight}>${xmlEscape(line)}</text>`);
    });
    parts.push(`</g>`);
  }
  parts.push("</svg>", "");
  return parts.join("\n");
}
