/** The computation graph of one step: boxes (op, shape, ‖grad‖) in columns, leaves on the left. */
import type { GraphNode } from "../model/graph.js";
import { layoutGraph } from "../viewmodel/graphLayout.js";
import { formatValue } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";
const BOX_W = 118;
const BOX_H = 40;
const GAP_X = 30;
const GAP_Y = 10;

export function renderGraph(svg: SVGSVGElement, nodes: readonly GraphNode[]): void {
  svg.replaceChildren();
  const { placed, columns, maxSlots } = layoutGraph(nodes);
  svg.setAttribute("width", String(columns * (BOX_W + GAP_X) + GAP_X));
  svg.setAttribute("height", String(maxSlots * (BOX_H + GAP_Y) + GAP_Y));
  const pos = new Map(placed.map((p) => [p.id, { x: GAP_X / 2 + p.column * (BOX_W + GAP_X), y: GAP_Y + p.slot * (BOX_H + GAP_Y) }]));
  for (const n of nodes) {
    const to = pos.get(n.id)!;
    for (const input of n.inputs) {
      const from = pos.get(input)!;
      const path = document.createElementNS(SVG, "line");
      path.setAttribute("x1", String(from.x + BOX_W));
      path.setAttribute("y1", String(from.y + BOX_H / 2));
      path.setAttribute("x2", String(to.x));
      path.setAttribute("y2", String(to.y + BOX_H / 2));
      path.setAttribute("stroke", "#aaa");
      svg.append(path);
    }
  }
  for (const n of nodes) {
    const { x, y } = pos.get(n.id)!;
    const g = document.createElementNS(SVG, "g");
    g.setAttribute("class", `graph-node ${n.kind}`);
    g.dataset.op = n.label;
    const rect = document.createElementNS(SVG, "rect");
    rect.setAttribute("x", String(x));
    rect.setAttribute("y", String(y));
    rect.setAttribute("width", String(BOX_W));
    rect.setAttribute("height", String(BOX_H));
    rect.setAttribute("rx", "4");
    rect.setAttribute("fill", n.kind === "op" ? "#eef4fb" : "#fff6e8");
    rect.setAttribute("stroke", "#789");
    g.append(rect);
    const lines = [n.label, `[${n.shape.join("×")}]`, `‖∂L‖ = ${n.gradNorm === null ? "–" : formatValue(n.gradNorm, 3)}`];
    lines.forEach((text, i) => {
      const t = document.createElementNS(SVG, "text");
      t.setAttribute("x", String(x + 5));
      t.setAttribute("y", String(y + 12 + i * 11));
      t.textContent = text;
      g.append(t);
    });
    svg.append(g);
  }
}
