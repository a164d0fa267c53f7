/**
 * One conv layer's kernels, drawn twice side by side: the weights K and the
 * gradient ∂L/∂K that backward() left in K.grad. Hovering shows an entry's
 * numbers; a click (or the arrow keys, once the picture has the focus)
 * chooses the entry the check panel redoes by hand.
 */
import { formatValue } from "../views/format.js";
import { css, signed } from "./heatmap.js";
import { entryIndex, type KernelEntry } from "./kernelGradient.js";
import { cellOrigin, entryAt, kernelLayoutFor, layoutSize, moveEntry, type KernelLayout } from "./kernelLayout.js";
import type { BlockCapture, KernelRef } from "./trainer.js";

export interface KernelViewHost {
  select(ref: KernelRef): void;
  /** An entry's numbers, or null when the pointer left (the readout then shows the selected entry). */
  hover(ref: KernelRef | null): void;
}

export class KernelView {
  readonly element: HTMLElement;
  private readonly layout: KernelLayout;
  private readonly canvases: { weight: HTMLCanvasElement; grad: HTMLCanvasElement };
  private readonly scales: { weight: HTMLElement; grad: HTMLElement };
  private capture: BlockCapture | null = null;
  private selected: KernelRef | null = null;

  constructor(private readonly block: number, shape: readonly [number, number, number, number], private readonly host: KernelViewHost) {
    this.layout = kernelLayoutFor(shape);
    const name = `K${block + 1}`;
    this.element = document.createElement("figure");
    this.element.className = "cn-kernels";
    const caption = document.createElement("figcaption");
    caption.textContent = `${name}: [${shape.join(", ")}], a row of kernels per output channel, a column per input channel`;
    const pair = document.createElement("div");
    pair.className = "cn-kernel-pair";
    const make = (kind: "weight" | "grad", title: string) => {
      const box = document.createElement("div");
      const label = document.createElement("div");
      label.className = "cn-kernel-title";
      label.textContent = title;
      const canvas = document.createElement("canvas");
      const { width, height } = layoutSize(this.layout);
      canvas.width = width;
      canvas.height = height;
      canvas.className = `cn-kernel-grid ${kind}`;
      canvas.dataset.block = String(block);
      canvas.tabIndex = 0;
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", `${title}: ${shape[0]} by ${shape[1]} kernels of ${shape[2]}×${shape[3]}. Arrow keys choose the entry to check; its numbers appear below.`);
      canvas.setAttribute("aria-describedby", "cn-kernel-readout");
      const scale = document.createElement("div");
      scale.className = "cn-scale";
      this.wire(canvas);
      box.append(label, canvas, scale);
      pair.append(box);
      return { canvas, scale };
    };
    const w = make("weight", `${name} (weights)`);
    const g = make("grad", `∂L/∂${name} (backward())`);
    this.canvases = { weight: w.canvas, grad: g.canvas };
    this.scales = { weight: w.scale, grad: g.scale };
    this.element.append(caption, pair);
  }

  draw(capture: BlockCapture, selected: KernelRef): void {
    this.capture = capture;
    this.selected = selected;
    this.paint(this.canvases.weight, capture.weight, this.scales.weight);
    this.paint(this.canvases.grad, capture.weightGrad, this.scales.grad);
  }

  /** The weight and gradient of an entry in the last drawn capture. */
  values(e: KernelEntry): { weight: number; grad: number } | null {
    if (!this.capture) return null;
    const at = entryIndex(e, this.capture.weightShape);
    return { weight: this.capture.weight[at], grad: this.capture.weightGrad[at] };
  }

  private paint(canvas: HTMLCanvasElement, values: Float32Array, scaleBox: HTMLElement): void {
    const ctx = canvas.getContext("2d")!;
    const l = this.layout;
    let scale = 0;
    for (const v of values) scale = Math.max(scale, Math.abs(v));
    const colour = signed(scale || 1e-12);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    for (let cOut = 0; cOut < l.outChannels; cOut++) {
      for (let cIn = 0; cIn < l.inChannels; cIn++) {
        for (let i = 0; i < l.k; i++) {
          for (let j = 0; j < l.k; j++) {
            const e = { cOut, cIn, i, j };
            const { x, y } = cellOrigin(l, e);
            ctx.fillStyle = css(colour(values[entryIndex(e, [l.outChannels, l.inChannels, l.k, l.k])]));
            ctx.fillRect(x, y, l.cell, l.cell);
          }
        }
      }
    }
    if (this.selected?.block === this.block) {
      const { x, y } = cellOrigin(l, this.selected);
      ctx.strokeStyle = "#111";
      ctx.lineWidth = 2;
      ctx.strokeRect(x + 1, y + 1, l.cell - 2, l.cell - 2);
    }
    scaleBox.textContent = `colour scale ±${formatValue(scale, 3)}`;
  }

  private wire(canvas: HTMLCanvasElement): void {
    const at = (e: MouseEvent): KernelRef | null => {
      const rect = canvas.getBoundingClientRect();
      const x = ((e.clientX - rect.left) * canvas.width) / rect.width;
      const y = ((e.clientY - rect.top) * canvas.height) / rect.height;
      const entry = entryAt(this.layout, x, y);
      return entry && { block: this.block, ...entry };
    };
    canvas.addEventListener("mousemove", (e) => {
      const ref = at(e);
      this.host.hover(ref);
      const v = ref && this.values(ref);
      canvas.title = ref && v ? `K${this.block + 1}[${ref.cOut},${ref.cIn},${ref.i},${ref.j}] = ${formatValue(v.weight, 6)}, ∂L/∂K = ${formatValue(v.grad, 6)}` : "";
    });
    canvas.addEventListener("mouseleave", () => this.host.hover(null));
    canvas.addEventListener("click", (e) => {
      const ref = at(e);
      if (ref) this.host.select(ref);
    });
    canvas.addEventListener("keydown", (e) => {
      const from = this.selected?.block === this.block ? this.selected : { cOut: 0, cIn: 0, i: 0, j: 0 };
      const to = moveEntry(this.layout, from, e.key);
      if (!to) return;
      e.preventDefault();
      this.host.select({ block: this.block, ...to });
    });
    // Focus shows the numbers of the entry the keys start from (the selected one, or this layer's first).
    canvas.addEventListener("focus", () => this.host.hover(this.selected?.block === this.block ? this.selected : { block: this.block, cOut: 0, cIn: 0, i: 0, j: 0 }));
    canvas.addEventListener("blur", () => this.host.hover(null));
  }
}
