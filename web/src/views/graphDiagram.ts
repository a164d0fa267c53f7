/**
 * The computation graph of one step: boxes (op, shape, ‖grad‖) in columns,
 * leaves on the left. From the keyboard: Tab enters the graph (one box at a
 * time is in the tab order), Left goes to the box's first input, Right to
 * the first box that uses it, Up and Down move within a column; each box is
 * labelled with what it shows and what it connects to.
 */
import type { GraphNode } from "../model/graph.js";
import { layoutGraph } from "../viewmodel/graphLayout.js";
import { formatValue } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";
const BOX_W = 118;
const BOX_H = 40;
const GAP_X = 30;
const GAP_Y = 10;

/** The box ids each arrow key leads to from each box. */
interface GraphMoves {
  [id: number]: Partial<Record<"ArrowLeft" | "ArrowRight" | "ArrowUp" | "ArrowDown", number>>;
}

const moves = new WeakMap<SVGSVGElement, GraphMoves>();

function listenForKeys(svg: SVGSVGElement): void {
  if (moves.has(svg)) return;
  svg.addEventListener("keydown", (event) => {
    const box = event.target instanceof SVGGElement ? event.target : null;
    if (!box || box.dataset.id === undefined || !["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"].includes(event.key)) return;
    event.preventDefault();
    const next = moves.get(svg)?.[Number(box.dataset.id)]?.[event.key as "ArrowLeft"];
    const target = next === undefined ? null : svg.querySelector<SVGGElement>(`g.graph-node[data-id="${next}"]`);
    if (!target) return;
    box.setAttribute("tabindex", "-1");
    target.setAttribute("tabindex", "0");
    svg.dataset.focus = String(next);
    target.focus();
  });
}

export function renderGraph(svg: SVGSVGElement, nodes: readonly GraphNode[]): void {
  listenForKeys(svg);
  // The box in the tab order (and the focus, if it was inside) survive the redraw.
  const hadFocus = svg.contains(document.activeElement);
  svg.replaceChildren();
  const { placed, columns, maxSlots } = layoutGraph(nodes);
  svg.setAttribute("width", String(columns * (BOX_W + GAP_X) + GAP_X));
  svg.setAttribute("height", String(maxSlots * (BOX_H + GAP_Y) + GAP_Y));
  const pos = new Map(placed.map((p) => [p.id, { x: GAP_X / 2 + p.column * (BOX_W + GAP_X), y: GAP_Y + p.slot * (BOX_H + GAP_Y) }]));
  const graphMoves = keyMoves(nodes, placed);
  moves.set(svg, graphMoves);
  // At first the top box of the leftmost column (a leaf), where reading starts.
  const topLeft = [...placed].sort((a, b) => a.column - b.column || a.slot - b.slot)[0]?.id;
  const focusId = nodes.some((n) => String(n.id) === svg.dataset.focus) ? Number(svg.dataset.focus) : topLeft;
  const byId = new Map(nodes.map((n) => [n.id, n]));
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
    g.dataset.id = String(n.id);
    g.setAttribute("tabindex", n.id === focusId ? "0" : "-1");
    g.setAttribute("role", "img");
    const users = nodes.filter((m) => m.inputs.includes(n.id)).map((m) => m.label);
    g.setAttribute("aria-label", [
      `${n.kind === "op" ? "op" : n.kind} ${n.label} [${n.shape.join("×")}]`,
      `gradient norm ${n.gradNorm === null ? "none" : formatValue(n.gradNorm, 3)}`,
      ...(n.inputs.length > 0 ? [`inputs: ${n.inputs.map((i) => byId.get(i)?.label).join(", ")}`] : []),
      ...(users.length > 0 ? [`used by: ${users.join(", ")}`] : []),
    ].join("; "));
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
  if (hadFocus) svg.querySelector<SVGGElement>(`g.graph-node[data-id="${focusId}"]`)?.focus();
}

/** Left: a box's first input; Right: the first box that uses it; Up/Down: the neighbours in its column. */
function keyMoves(nodes: readonly GraphNode[], placed: readonly { id: number; column: number; slot: number }[]): GraphMoves {
  const out: GraphMoves = {};
  const place = new Map(placed.map((p) => [p.id, p]));
  for (const n of nodes) {
    const here = place.get(n.id);
    const column = placed.filter((p) => p.column === here?.column).sort((a, b) => a.slot - b.slot);
    const at = column.findIndex((p) => p.id === n.id);
    out[n.id] = {
      ArrowLeft: n.inputs[0],
      ArrowRight: nodes.find((m) => m.inputs.includes(n.id))?.id,
      ArrowUp: column[at - 1]?.id,
      ArrowDown: column[at + 1]?.id,
    };
  }
  return out;
}
