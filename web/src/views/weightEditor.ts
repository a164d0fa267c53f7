/**
 * Hovering a weight (line) or a bias (neuron) of the network diagram shows
 * its name and value in a tooltip; clicking one puts it into the editor
 * form, where a new value can be typed and set (Enter). The form works from
 * the keyboard alone too: type a name such as "W1[2,1]" or "b2[0]", or
 * press Enter on a parameter in the diagram ("param-edit"): the value field
 * takes the focus, and Escape gives it back to the diagram.
 */
import type { Frame } from "../protocol.js";
import { paramName, type ParamRef } from "../viewmodel/chainRule.js";
import { paramInNetwork, parseParamName } from "../viewmodel/paramName.js";
import { formatValue } from "./format.js";

export interface WeightEditorElements {
  svg: SVGSVGElement;
  tooltip: HTMLElement;
  form: HTMLFormElement;
  name: HTMLInputElement;
  value: HTMLInputElement;
  error: HTMLElement;
}

/** A parameter's current value in a frame. */
export function valueIn(frame: Frame, p: ParamRef): number {
  return p.kind === "weight" ? frame.weights[p.layer][p.row * frame.sizes[p.layer] + p.col] : frame.biases[p.layer][p.row];
}

export class WeightEditor {
  private frame: Frame | null = null;

  constructor(
    private readonly el: WeightEditorElements,
    private readonly onSet: (p: ParamRef, value: number) => void,
    private readonly backToDiagram: () => void = () => {},
  ) {
    el.svg.addEventListener("mousemove", (e) => this.hover(e));
    el.svg.addEventListener("mouseleave", () => (el.tooltip.hidden = true));
    el.svg.addEventListener("click", (e) => {
      const p = this.paramAt(e.target);
      if (!p || !this.frame) return;
      el.name.value = paramName(p);
      el.value.value = String(valueIn(this.frame, p));
      el.error.textContent = "";
    });
    el.svg.addEventListener("param-edit", () => {
      el.value.focus();
      el.value.select();
    });
    el.form.addEventListener("keydown", (e) => {
      if (e.key !== "Escape") return;
      e.preventDefault();
      el.error.textContent = "";
      backToDiagram();
    });
    el.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
  }

  update(frame: Frame): void {
    this.frame = frame;
  }

  private paramAt(target: EventTarget | null): ParamRef | null {
    const t = target instanceof SVGElement ? target : null;
    if (!t || t.dataset.kind === undefined) return null;
    return { layer: Number(t.dataset.layer), kind: t.dataset.kind === "bias" ? "bias" : "weight", row: Number(t.dataset.row), col: Number(t.dataset.col) };
  }

  private hover(e: MouseEvent): void {
    const p = this.paramAt(e.target);
    const tip = this.el.tooltip;
    if (!p || !this.frame || !paramInNetwork(p, this.frame.sizes)) {
      tip.hidden = true;
      return;
    }
    tip.textContent = `${paramName(p)} = ${formatValue(valueIn(this.frame, p))}`;
    tip.dataset.param = paramName(p);
    tip.style.left = `${e.clientX + 12}px`;
    tip.style.top = `${e.clientY + 12}px`;
    tip.hidden = false;
  }

  private submit(): void {
    const { name, value, error } = this.el;
    const p = parseParamName(name.value);
    const sizes = this.frame?.sizes ?? [];
    if (!p || !paramInNetwork(p, sizes)) {
      error.textContent = `"${name.value}" is not a parameter of this network: write W<layer>[<row>,<col>] or b<layer>[<row>], e.g. W1[0,0]`;
      return;
    }
    const v = Number(value.value);
    if (value.value.trim() === "" || !Number.isFinite(v)) {
      error.textContent = `the value must be a finite number, got "${value.value}"`;
      return;
    }
    error.textContent = "";
    this.onSet(p, v);
  }
}
