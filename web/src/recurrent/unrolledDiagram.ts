/**
 * The recurrent network unrolled over its T steps, as an SVG: for each step
 * the input bit x_t (a box), the hidden state h_t (one circle per unit,
 * coloured by its value), the arrows x_t → h_t (W_xh) and h_{t−1} → h_t
 * (W_hh), and ŷ after h_T. Over each step two bars: ‖∂h_T/∂h_t‖ on a log
 * scale (the factor chain back from the end) and that step's term of the
 * chosen parameter's gradient. The step being stepped back through is
 * outlined, and the steps before it are dimmed.
 */
import { css, divergingRgb } from "../viewmodel/colors.js";
import { formatValue } from "../views/format.js";
import type { Bptt } from "./bptt.js";

const SVG = "http://www.w3.org/2000/svg";
const LEFT = 84;
const RIGHT = 70;
const TOP = 18;
/** Height of the two bar rows together (above the states). */
const BARS = 96;

function svgEl<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

function text(x: number, y: number, content: string, cls = ""): SVGTextElement {
  const t = svgEl("text", { x, y, "text-anchor": "middle" });
  if (cls) t.setAttribute("class", cls);
  t.textContent = content;
  return t;
}

export class UnrolledDiagram {
  constructor(private readonly svg: SVGSVGElement) {}

  /** Redraws for sequence `x` and its explanation; `current` is the step being stepped back through (or null). */
  draw(x: readonly number[], r: Bptt, current: number | null): void {
    const T = r.steps.length;
    const H = r.steps[0].h.length;
    const width = Number(this.svg.getAttribute("width"));
    const dx = (width - LEFT - RIGHT) / T;
    const radius = Math.max(4, Math.min(10, dx / 5, 60 / H));
    const stateTop = TOP + BARS + 30;
    const unitGap = 2.6 * radius;
    const stateBottom = stateTop + (H - 1) * unitGap;
    const inputY = stateBottom + 40;
    const height = inputY + 40;
    this.svg.setAttribute("height", String(height));
    this.svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    this.svg.replaceChildren();
    const cx = (t: number) => LEFT + (t - 0.5) * dx;
    const unitY = (j: number) => stateTop + j * unitGap;

    // Row labels.
    const labels = svgEl("g", { class: "row-labels" });
    labels.append(
      text(LEFT / 2, TOP + 26, "‖∂h_T/∂h_t‖"), text(LEFT / 2, TOP + 38, "(log)"),
      text(LEFT / 2, TOP + BARS - 22, "term t"),
      text(LEFT / 2, (stateTop + stateBottom) / 2 + 4, "h_t"), text(LEFT / 2, inputY + 4, "x_t"),
    );
    this.svg.append(labels);

    // Bars: the norm on a log scale (one decade per 8 px around 1), the term on a linear scale.
    const normMid = TOP + 30;
    const termMid = TOP + BARS - 26;
    const termScale = Math.max(1e-12, ...r.steps.map((s) => Math.abs(s.term)));
    this.svg.append(svgEl("line", { x1: LEFT, x2: width - RIGHT, y1: normMid, y2: normMid, class: "axis" }));
    this.svg.append(svgEl("line", { x1: LEFT, x2: width - RIGHT, y1: termMid, y2: termMid, class: "axis" }));
    this.svg.append(text(width - RIGHT + 18, normMid + 4, "= 1", "axis-label"));

    for (const s of r.steps) {
      const t = s.t;
      // While stepping back, the steps not reached yet are dimmed.
      const g = svgEl("g", { class: `rnn-step${t === current ? " current" : current !== null && t < current ? " pending" : ""}` });
      g.dataset.t = String(t);
      const barW = Math.max(3, dx * 0.5);
      const logNorm = s.jacobianNorm > 0 ? Math.log10(s.jacobianNorm) : -6;
      const normH = Math.max(-28, Math.min(28, logNorm * 8));
      const norm = svgEl("rect", { x: cx(t) - barW / 2, y: normH >= 0 ? normMid - normH : normMid, width: barW, height: Math.max(1, Math.abs(normH)), class: "norm-bar" });
      norm.dataset.value = String(s.jacobianNorm);
      norm.append(svgEl("title", {}));
      norm.firstChild!.textContent = `‖∂h_T/∂h_${t}‖ = ${formatValue(s.jacobianNorm, 4)}`;
      const termH = (Math.abs(s.term) / termScale) * 24;
      const term = svgEl("rect", { x: cx(t) - barW / 2, y: s.term >= 0 ? termMid - termH : termMid, width: barW, height: Math.max(0.5, termH), class: "term-bar" });
      term.setAttribute("fill", css(divergingRgb(s.term, termScale)));
      term.dataset.value = String(s.term);
      term.append(svgEl("title", {}));
      term.firstChild!.textContent = `step ${t}'s term = ${formatValue(s.term, 4)}`;
      g.append(norm, term);

      // Arrows first, so the circles sit on top.
      if (t > 1) {
        for (let i = 0; i < H; i++) for (let j = 0; j < H; j++) {
          const selected = r.param.matrix === "whh" && r.param.row === i && r.param.col === j;
          g.append(svgEl("line", { x1: cx(t - 1) + radius, y1: unitY(i), x2: cx(t) - radius, y2: unitY(j), class: selected ? "edge recurrent chosen" : "edge recurrent" }));
        }
      }
      for (let j = 0; j < H; j++) {
        const selected = r.param.matrix === "wxh" && r.param.col === j;
        g.append(svgEl("line", { x1: cx(t), y1: inputY - 12, x2: cx(t), y2: unitY(j) + radius, class: selected ? "edge input chosen" : "edge input" }));
      }
      for (let j = 0; j < H; j++) {
        const c = svgEl("circle", { cx: cx(t), cy: unitY(j), r: radius, fill: css(divergingRgb(s.h[j], 1)), class: "unit" });
        if (r.param.col === j) c.classList.add("chosen-unit");
        c.append(svgEl("title", {}));
        c.firstChild!.textContent = `h_${t}[${j}] = ${formatValue(s.h[j], 4)}`;
        g.append(c);
      }
      const bit = x[t - 1];
      g.append(svgEl("rect", { x: cx(t) - 11, y: inputY - 12, width: 22, height: 22, rx: 3, class: "input-box", fill: css(divergingRgb(bit, 1)) }));
      g.append(text(cx(t), inputY + 4, bit > 0 ? "+1" : "−1", "input-label"));
      g.append(text(cx(t), height - 6, String(t), "step-label"));
      this.svg.append(g);
    }

    // The output.
    const outX = width - RIGHT + 30;
    const outY = (stateTop + stateBottom) / 2;
    for (let j = 0; j < H; j++) this.svg.append(svgEl("line", { x1: cx(T) + radius, y1: unitY(j), x2: outX - 14, y2: outY, class: "edge output" }));
    this.svg.append(svgEl("circle", { cx: outX, cy: outY, r: 14, class: "output-unit", fill: css(divergingRgb(r.output, 1)) }));
    this.svg.append(text(outX, outY - 20, "ŷ"));
    this.svg.append(text(outX, outY + 30, formatValue(r.output, 3), "axis-label"));
    this.svg.setAttribute("aria-label", `The network unrolled over ${T} steps; ŷ = ${formatValue(r.output, 3)}, target ${r.target}`);
  }
}
