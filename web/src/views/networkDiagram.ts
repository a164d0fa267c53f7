/**
 * The network drawn as an SVG: neurons in columns (a neuron's fill is its
 * bias), one line per weight (colour = sign, thickness = magnitude). A
 * toggle shows the gradients of the last step instead of the values. Every
 * line and neuron is clickable and carries data-layer/-row/-col attributes
 * naming its parameter. From the keyboard: Tab enters the diagram (one
 * parameter at a time is in the tab order), the arrow keys, Home and End
 * move (viewmodel/paramKeys.ts), Space selects like a click, and Enter
 * selects and opens the value's edit (a "param-edit" event the weight
 * editor answers); each parameter's label names it and, once focused, its value.
 */
import type { Frame } from "../protocol.js";
import type { ParamRef } from "../viewmodel/chainRule.js";
import { css, divergingRgb } from "../viewmodel/colors.js";
import { edgeLook, layoutNetwork, maxAbs, onChainPath } from "../viewmodel/networkView.js";
import { paramAfterKey, paramLabel } from "../viewmodel/paramKeys.js";
import { formatValue } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";
const MOVES = ["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Home", "End"];

export class NetworkDiagram {
  private sizesKey = "";
  /** lines[layer][row * in + col] */
  private lines: SVGLineElement[][] = [];
  /** neurons[layer][row] for layers 1.. (inputs have no bias). */
  private neurons: SVGCircleElement[][] = [];
  private selected: Element | null = null;
  /** Inputs of each layer (the row length of its weight). */
  private inputs: number[] = [];
  private sizes: number[] = [];
  /** The one parameter in the tab order (roving tabindex). */
  private focusable: SVGElement | null = null;
  showGradients = false;

  constructor(private readonly svg: SVGSVGElement, private readonly onSelect: (p: ParamRef) => void) {
    // One listener for the whole diagram: the clicked element names its parameter in data attributes.
    svg.addEventListener("click", (event) => {
      const el = event.target instanceof SVGElement ? event.target : null;
      if (!el || el.dataset.kind === undefined) return;
      this.selected?.classList.remove("selected");
      el.classList.add("selected");
      this.selected = el;
      this.makeFocusable(el);
      const param = paramOf(el);
      this.showPath(param);
      this.onSelect(param);
    });
    svg.addEventListener("keydown", (event) => this.key(event));
    svg.addEventListener("focusin", (event) => {
      if (event.target instanceof SVGElement && event.target.dataset.kind !== undefined) this.label(event.target);
    });
  }

  private key(event: KeyboardEvent): void {
    const el = event.target instanceof SVGElement ? event.target : null;
    if (!el || el.dataset.kind === undefined) return;
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      el.dispatchEvent(new MouseEvent("click", { bubbles: true }));
      if (event.key === "Enter") el.dispatchEvent(new CustomEvent("param-edit", { bubbles: true }));
      return;
    }
    if (!MOVES.includes(event.key)) return;
    event.preventDefault(); // arrows must not scroll the page
    const next = paramAfterKey(paramOf(el), event.key, this.sizes);
    if (next) this.focusParam(next);
  }

  private elementOf(p: ParamRef): SVGElement | undefined {
    return p.kind === "weight" ? this.lines[p.layer]?.[p.row * this.inputs[p.layer] + p.col] : this.neurons[p.layer]?.[p.row];
  }

  private focusParam(p: ParamRef): void {
    const el = this.elementOf(p);
    if (!el) return;
    this.makeFocusable(el);
    el.focus();
  }

  private makeFocusable(el: SVGElement): void {
    this.focusable?.setAttribute("tabindex", "-1");
    el.setAttribute("tabindex", "0");
    this.focusable = el;
  }

  /** Puts the diagram's focus back on the parameter in the tab order (the editor's Escape). */
  focusCurrent(): void {
    this.focusable?.focus();
  }

  /** The parameter's name, and its value (or gradient) as last drawn. */
  private label(el: SVGElement): void {
    const value = el.dataset.value === undefined ? "" : ` = ${formatValue(Number(el.dataset.value), 3)}`;
    el.setAttribute("aria-label", `${paramLabel(paramOf(el), this.sizes)}${this.showGradients ? ", gradient" : ""}${value}`);
  }

  private build(sizes: readonly number[]): void {
    this.svg.replaceChildren();
    this.svg.classList.remove("explaining");
    this.selected = null;
    this.focusable = null;
    this.inputs = sizes.slice(0, -1);
    this.sizes = sizes.slice();
    const width = this.svg.width.baseVal.value;
    const height = this.svg.height.baseVal.value;
    const { neurons, radius } = layoutNetwork(sizes, width, height);
    this.lines = [];
    for (let layer = 0; layer < sizes.length - 1; layer++) {
      const row: SVGLineElement[] = [];
      for (let j = 0; j < sizes[layer + 1]; j++) {
        for (let i = 0; i < sizes[layer]; i++) {
          const a = neurons[layer][i];
          const b = neurons[layer + 1][j];
          const line = document.createElementNS(SVG, "line");
          line.setAttribute("x1", String(a.x));
          line.setAttribute("y1", String(a.y));
          line.setAttribute("x2", String(b.x));
          line.setAttribute("y2", String(b.y));
          this.tag(line, { layer, kind: "weight", row: j, col: i });
          this.svg.append(line);
          row[j * sizes[layer] + i] = line;
        }
      }
      this.lines.push(row);
    }
    this.neurons = [];
    neurons.forEach((column, layer) => {
      const circles: SVGCircleElement[] = [];
      for (const n of column) {
        const c = document.createElementNS(SVG, "circle");
        c.setAttribute("cx", String(n.x));
        c.setAttribute("cy", String(n.y));
        c.setAttribute("r", String(radius));
        c.setAttribute("stroke", "#555");
        if (layer === 0) {
          c.setAttribute("fill", "#fff");
          c.style.cursor = "default";
        } else {
          this.tag(c, { layer: layer - 1, kind: "bias", row: n.index, col: 0 });
        }
        this.svg.append(c);
        circles.push(c);
      }
      if (layer > 0) this.neurons.push(circles);
    });
    const first = this.lines[0]?.[0];
    if (first) this.makeFocusable(first);
  }

  /** Dims every weight that the chain rule for `param` does not pass through. */
  private showPath(param: ParamRef): void {
    this.svg.classList.add("explaining");
    for (let layer = 0; layer < this.lines.length; layer++) {
      const lines = this.lines[layer];
      const nIn = this.inputs[layer];
      for (let k = 0; k < lines.length; k++) {
        lines[k].classList.toggle("path", onChainPath(param, layer, Math.floor(k / nIn), k % nIn));
      }
    }
  }

  private tag(el: SVGElement, p: ParamRef): void {
    el.setAttribute("role", "button");
    el.setAttribute("tabindex", "-1");
    el.setAttribute("aria-label", paramLabel(p, this.sizes));
    el.dataset.layer = String(p.layer);
    el.dataset.kind = p.kind;
    el.dataset.row = String(p.row);
    el.dataset.col = String(p.col);
  }

  draw(frame: Frame): void {
    const key = frame.sizes.join(",");
    if (key !== this.sizesKey) {
      this.build(frame.sizes);
      this.sizesKey = key;
    }
    const weights = this.showGradients ? frame.weightGrads : frame.weights;
    const biases = this.showGradients ? frame.biasGrads : frame.biases;
    const scale = maxAbs(weights);
    for (let layer = 0; layer < this.lines.length; layer++) {
      const values = weights[layer];
      const lines = this.lines[layer];
      for (let k = 0; k < lines.length; k++) {
        const look = edgeLook(values[k], scale);
        const line = lines[k];
        line.setAttribute("stroke", look.color);
        line.setAttribute("stroke-width", look.width.toFixed(2));
        line.dataset.value = String(values[k]);
      }
    }
    const biasScale = maxAbs(biases);
    for (let layer = 0; layer < this.neurons.length; layer++) {
      const circles = this.neurons[layer];
      for (let j = 0; j < circles.length; j++) {
        circles[j].setAttribute("fill", css(divergingRgb(biases[layer][j], biasScale)));
        circles[j].dataset.value = String(biases[layer][j]);
      }
    }
    // The focused parameter's label follows its value.
    const focused = document.activeElement;
    if (focused instanceof SVGElement && focused.dataset.kind !== undefined && this.svg.contains(focused)) this.label(focused);
  }
}

function paramOf(el: SVGElement): ParamRef {
  return { layer: Number(el.dataset.layer), kind: el.dataset.kind === "bias" ? "bias" : "weight", row: Number(el.dataset.row), col: Number(el.dataset.col) };
}
