/**
 * The network drawn as an SVG: neurons in columns (a neuron's fill is its
 * bias), one line per weight (colour = sign, thickness = magnitude). A
 * toggle shows the gradients of the last step instead of the values. Every
 * line and neuron is clickable and carries data-layer/-row/-col attributes
 * naming its parameter.
 */
import type { Frame } from "../protocol.js";
import type { ParamRef } from "../viewmodel/chainRule.js";
import { css, divergingRgb } from "../viewmodel/colors.js";
import { edgeLook, layoutNetwork, maxAbs, onChainPath } from "../viewmodel/networkView.js";

const SVG = "http://www.w3.org/2000/svg";

export class NetworkDiagram {
  private sizesKey = "";
  /** lines[layer][row * in + col] */
  private lines: SVGLineElement[][] = [];
  /** neurons[layer][row] for layers 1.. (inputs have no bias). */
  private neurons: SVGCircleElement[][] = [];
  private selected: Element | null = null;
  /** Inputs of each layer (the row length of its weight). */
  private inputs: number[] = [];
  showGradients = false;

  constructor(private readonly svg: SVGSVGElement, private readonly onSelect: (p: ParamRef) => void) {
    // One listener for the whole diagram: the clicked element names its parameter in data attributes.
    svg.addEventListener("click", (event) => {
      const el = event.target instanceof SVGElement ? event.target : null;
      if (!el || el.dataset.kind === undefined) return;
      this.selected?.classList.remove("selected");
      el.classList.add("selected");
      this.selected = el;
      const param: ParamRef = {
        layer: Number(el.dataset.layer),
        kind: el.dataset.kind === "bias" ? "bias" : "weight",
        row: Number(el.dataset.row),
        col: Number(el.dataset.col),
      };
      this.showPath(param);
      this.onSelect(param);
    });
  }

  private build(sizes: readonly number[]): void {
    this.svg.replaceChildren();
    this.svg.classList.remove("explaining");
    this.selected = null;
    this.inputs = sizes.slice(0, -1);
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
  }
}
