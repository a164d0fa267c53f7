/**
 * The check of one kernel entry: the equation in words and symbols, the
 * three maps the sum runs over (the upstream gradient ∂L/∂Y of the output
 * channel, the input channel seen through the entry's offset, and their
 * product), and the sum computed here on the page next to backward()'s
 * .grad and the float64 finite difference.
 */
import { agreesWithBackward } from "../views/agreement.js";
import { drawHeatmap, heatmapCanvas, maxAbs, signed } from "./heatmap.js";
import { kernelGradientEquation, kernelGradientTerms } from "./kernelGradient.js";
import type { Inspection } from "./trainer.js";

/** Significant digits the check prints its three gradients with. */
export const CHECK_DIGITS = 6;

/** A gradient with CHECK_DIGITS significant digits (small kernel gradients would keep few digits in fixed notation). */
export function formatGradient(v: number): string {
  return Number.isFinite(v) && v !== 0 ? v.toPrecision(CHECK_DIGITS) : String(v);
}

export class CheckView {
  readonly element: HTMLElement;
  private readonly title = document.createElement("h3");
  private readonly instance = document.createElement("p");
  private readonly maps: { upstream: HTMLCanvasElement; window: HTMLCanvasElement; terms: HTMLCanvasElement };
  private readonly captions: { upstream: HTMLElement; window: HTMLElement; terms: HTMLElement };
  private readonly rows: { hand: HTMLElement; backward: HTMLElement; fd: HTMLElement; verdict: HTMLElement; handLabel: HTMLElement; backwardLabel: HTMLElement };

  constructor() {
    this.element = document.createElement("div");
    this.element.id = "cn-check";
    this.element.className = "cn-check";
    const general = kernelGradientEquation(1);
    const words = document.createElement("p");
    words.className = "cn-words";
    words.textContent = `In words: ${general.words}.`;
    const symbols = document.createElement("p");
    symbols.className = "equation";
    symbols.textContent = "∂L/∂K[c_out,c_in,i,j] = Σ_{x,y} ∂L/∂Y[c_out,x,y] · X[c_in,x+i,y+j]";
    const note = document.createElement("p");
    note.className = "hint";
    note.textContent = "Y is the conv's output before the ReLU; X is its input padded with one ring of zeros, so X[c, x+i, y+j] is pixel "
      + "(x+i−1, y+j−1) of the layer's input, or 0 off its edge. The sum runs over every output position (x, y): each weight met every position once.";
    this.instance.className = "equation cn-instance";
    const figures = document.createElement("div");
    figures.className = "cn-check-maps";
    const figure = (className: string, label: string) => {
      const box = document.createElement("figure");
      const canvas = heatmapCanvas(className, label);
      const caption = document.createElement("figcaption");
      box.append(canvas, caption);
      figures.append(box);
      return { canvas, caption };
    };
    const up = figure("cn-upstream", "upstream gradient ∂L/∂Y of the output channel");
    const win = figure("cn-window", "the input channel at the entry's offset");
    const terms = figure("cn-terms", "their products, one per output position");
    this.maps = { upstream: up.canvas, window: win.canvas, terms: terms.canvas };
    this.captions = { upstream: up.caption, window: win.caption, terms: terms.caption };
    const table = document.createElement("table");
    table.className = "cn-check-table";
    const row = (className: string) => {
      const tr = table.insertRow();
      const label = tr.insertCell();
      const value = tr.insertCell();
      value.className = className;
      return { label, value };
    };
    const hand = row("hand");
    const backward = row("backward");
    const fd = row("fd");
    fd.label.textContent = "finite difference (L(K+h) − L(K−h)) / 2h, h = 10⁻⁵, float64";
    const verdict = document.createElement("p");
    verdict.className = "cn-verdict";
    verdict.setAttribute("role", "status");
    this.rows = { hand: hand.value, backward: backward.value, fd: fd.value, verdict, handLabel: hand.label, backwardLabel: backward.label };
    this.element.append(this.title, words, symbols, note, this.instance, figures, table, verdict);
  }

  draw(r: Inspection): void {
    const { ref, backward, finiteDifference } = r.check;
    const b = r.blocks[ref.block];
    const name = `K${ref.block + 1}[${ref.cOut},${ref.cIn},${ref.i},${ref.j}]`;
    const sum = kernelGradientTerms(
      { data: b.input, shape: b.inputShape }, { data: b.outputGrad, shape: b.outputGradShape },
      [b.weightShape[2], b.weightShape[3]], b.padding, ref,
    );
    const [, , h, w] = b.outputGradShape;
    this.title.textContent = `Check one kernel entry: ∂L/∂${name}`;
    this.element.dataset.entry = name;
    this.instance.textContent = kernelGradientEquation(ref.block + 1, ref).symbols;
    const upstreamAt = ref.cOut * h * w;
    const upScale = maxAbs(b.outputGrad, upstreamAt, upstreamAt + h * w);
    drawHeatmap(this.maps.upstream, b.outputGrad, h, w, signed(upScale), upstreamAt);
    drawHeatmap(this.maps.window, sum.window, h, w, signed(maxAbs(sum.window)));
    drawHeatmap(this.maps.terms, sum.terms, h, w, signed(maxAbs(sum.terms)));
    this.captions.upstream.textContent = `∂L/∂Y${ref.block + 1}[${ref.cOut}] (${h}×${w})`;
    this.captions.window.textContent = `X${ref.block + 1}[${ref.cIn}, x+${ref.i}, y+${ref.j}] (padded)`;
    this.captions.terms.textContent = `products, Σ = ${formatGradient(sum.sum)}`;
    const show = (cell: HTMLElement, v: number) => {
      cell.dataset.value = String(v);
      cell.textContent = formatGradient(v);
    };
    this.rows.handLabel.textContent = `Σ of the ${sum.count} products, computed on this page from X and ∂L/∂Y (captured by hooks)`;
    this.rows.backwardLabel.textContent = `loss.backward(): ${name.replace("[", ".grad[")}`;
    show(this.rows.hand, sum.sum);
    show(this.rows.backward, backward);
    show(this.rows.fd, finiteDifference.value);
    const handOk = agreesWithBackward(sum.sum, backward);
    const fdOk = agreesWithBackward(finiteDifference.value, backward);
    this.rows.verdict.className = `cn-verdict ${handOk ? "ok" : "bad"}`;
    this.rows.verdict.textContent = handOk
      ? `✓ the sum by hand equals backward()'s gradient (to 10⁻⁴ relative; float64 here, float32 there)${fdOk ? ", and so does the finite difference" : "; the finite difference differs (a ReLU or max-pool switched inside ±h)"}`
      : "✗ the sum by hand and backward() differ";
  }
}
