/**
 * The backward pass, animated on the network diagram: a step (or play)
 * moves δ one layer back, from the loss to the inputs, and rings the nodes
 * of that layer as their gradient arrives (earlier layers stay lit, the
 * current one in red), and brings out the weights of that layer, which all
 * reuse its δ. The text says what the step computed and how many
 * parameters reuse it.
 *
 * The rings live in their own <g> on top of the diagram, placed with the
 * diagram's own layout function, so the diagram's code is untouched; when
 * the diagram rebuilds itself (new sizes) the rings are drawn again.
 */
import type { ExplainResult } from "../protocol.js";
import type { BackwardStep } from "../viewmodel/backwardPass.js";
import { layoutNetwork } from "../viewmodel/networkView.js";
import { formatValue } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";
/** Milliseconds per layer while playing. */
export const PLAY_INTERVAL_MS = 900;
/** δ values listed in the text (a wide layer is cut short). */
const MAX_VALUES = 10;

export class BackwardPassPlayer {
  private result: ExplainResult | null = null;
  /** -1: the forward pass is done and nothing has flowed back yet; 0..steps-1: the latest step taken. */
  private index = -1;
  private timer: ReturnType<typeof setInterval> | null = null;
  private overlay: SVGGElement | null = null;
  private overlayKey = "";
  private readonly buttons: Record<"first" | "back" | "play" | "next", HTMLButtonElement>;
  private readonly status: HTMLElement;
  private readonly values: HTMLElement;

  constructor(private readonly container: HTMLElement, private readonly svg: SVGSVGElement) {
    container.replaceChildren();
    container.hidden = true;
    const title = document.createElement("h3");
    title.id = "backward-pass-title";
    title.textContent = "The backward pass, one layer at a time";
    const bar = document.createElement("div");
    bar.className = "bp-controls";
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-labelledby", title.id);
    const button = (id: string, text: string, label: string) => {
      const b = document.createElement("button");
      b.id = id;
      b.type = "button";
      b.textContent = text;
      b.setAttribute("aria-label", label);
      b.title = label;
      bar.append(b);
      return b;
    };
    this.buttons = {
      first: button("bp-first", "⇤ loss", "Back to the start: the forward pass done, no gradient yet (Home)"),
      back: button("bp-back", "◀ back", "One layer back toward the loss (left arrow)"),
      play: button("bp-play", "▶ play", "Play the backward pass, one layer per second"),
      next: button("bp-next", "next ▶", "Send δ one layer further toward the inputs (right arrow)"),
    };
    this.status = document.createElement("p");
    this.status.id = "bp-status";
    this.status.className = "bp-status";
    this.status.setAttribute("aria-live", "polite");
    this.values = document.createElement("p");
    this.values.className = "bp-values";
    container.append(title, bar, this.status, this.values);

    // Stepping by hand stops a playing animation, so the two never move the same step.
    const byHand = (to: () => number) => () => {
      this.stop();
      this.go(to());
    };
    this.buttons.first.addEventListener("click", byHand(() => -1));
    this.buttons.back.addEventListener("click", byHand(() => this.index - 1));
    this.buttons.next.addEventListener("click", byHand(() => this.index + 1));
    this.buttons.play.addEventListener("click", () => (this.timer ? this.stop() : this.play()));
    bar.addEventListener("keydown", (e) => {
      const keys: Record<string, () => void> = {
        ArrowLeft: byHand(() => this.index - 1),
        ArrowRight: byHand(() => this.index + 1),
        Home: byHand(() => -1),
        End: byHand(() => this.steps.length - 1),
      };
      const action = keys[e.key];
      if (action) {
        e.preventDefault();
        action();
      }
    });
  }

  /** The step index now shown (-1 before the first). */
  get current(): number {
    return this.index;
  }

  private get steps(): BackwardStep[] {
    return this.result?.deeper.backward ?? [];
  }

  /** New numbers for the selected parameter; the animation keeps its place if the network kept its shape. */
  show(r: ExplainResult): void {
    const sameShape = this.result !== null && this.result.deeper.sizes.join(",") === r.deeper.sizes.join(",");
    this.result = r;
    this.container.hidden = false;
    if (!sameShape) {
      this.stop();
      this.index = -1;
    }
    this.apply();
  }

  clear(): void {
    this.stop();
    this.result = null;
    this.index = -1;
    this.container.hidden = true;
    this.overlay?.remove();
    this.overlay = null;
    this.markReusingWeights(0);
  }

  private play(): void {
    if (this.index >= this.steps.length - 1) this.go(-1);
    this.timer = setInterval(() => {
      if (this.index >= this.steps.length - 1) this.stop();
      else this.go(this.index + 1);
    }, PLAY_INTERVAL_MS);
    this.buttons.play.textContent = "❚❚ pause";
    this.buttons.play.setAttribute("aria-label", "Pause the backward pass");
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.buttons.play.textContent = "▶ play";
    this.buttons.play.setAttribute("aria-label", "Play the backward pass, one layer per second");
  }

  private go(index: number): void {
    this.index = Math.max(-1, Math.min(this.steps.length - 1, index));
    this.apply();
  }

  private apply(): void {
    const r = this.result;
    if (!r) return;
    const steps = this.steps;
    // aria-disabled rather than disabled: a disabled button drops the keyboard focus, and the arrow keys with it.
    const atStart = String(this.index < 0);
    this.buttons.first.setAttribute("aria-disabled", atStart);
    this.buttons.back.setAttribute("aria-disabled", atStart);
    this.buttons.next.setAttribute("aria-disabled", String(this.index >= steps.length - 1));
    this.container.dataset.step = String(this.index);
    this.drawRings(r.deeper.sizes, steps);
    this.markReusingWeights(this.index < 0 ? 0 : steps[this.index].column);
    if (this.index < 0) {
      // The status is announced (aria-live): only words that change with the step, not the live numbers.
      this.status.textContent = `Step 0 of ${steps.length}: the forward pass has run; no gradient has flowed back yet. Press next ▶ to send ∂L/∂ŷ into the output layer.`;
      this.values.textContent = `L = ${formatValue(r.chain.loss)} on example #${r.example}`;
      return;
    }
    const step = steps[this.index];
    this.status.textContent = `Step ${this.index + 1} of ${steps.length}: ${step.text}.`;
    const shown = Array.from(step.values.subarray(0, MAX_VALUES), (v) => formatValue(v, 3)).join(", ");
    const more = step.values.length > MAX_VALUES ? `, … (${step.values.length} in all)` : "";
    this.values.textContent = `${step.symbol} = (${shown}${more})`;
    if (step.column === r.param.layer + 1) this.values.textContent += `;  the selected parameter: ${r.deeper.fromDelta} = ${formatValue(r.backward, 6)}`;
  }

  /**
   * Marks the weights of diagram layer `column` (the lines into that column), the ones that reuse its δ, with
   * class "bp-reuse" so they show through the diagram's dimming; column 0 (the inputs) has none.
   */
  private markReusingWeights(column: number): void {
    for (const line of this.svg.querySelectorAll("line.bp-reuse")) line.classList.remove("bp-reuse");
    if (column < 1) return;
    for (const line of this.svg.querySelectorAll(`line[data-layer="${column - 1}"]`)) line.classList.add("bp-reuse");
  }

  /** Rings every node; those whose gradient has arrived get class "lit", the latest column also "current". */
  private drawRings(sizes: readonly number[], steps: readonly BackwardStep[]): void {
    const key = sizes.join(",");
    if (!this.overlay || !this.overlay.isConnected || this.overlayKey !== key) this.buildOverlay(sizes, steps);
    const litFrom = new Map(steps.map((s, i) => [s.column, i]));
    for (const ring of this.overlay!.querySelectorAll<SVGCircleElement>("circle")) {
      const column = Number(ring.dataset.column);
      const order = litFrom.get(column) ?? Infinity;
      ring.classList.toggle("lit", order <= this.index);
      ring.classList.toggle("current", order === this.index);
      const step = steps[order];
      const title = ring.firstElementChild as SVGTitleElement;
      title.textContent = order <= this.index && step ? `${step.symbol}[${ring.dataset.unit}] = ${step.values[Number(ring.dataset.unit)]}` : "";
    }
  }

  private buildOverlay(sizes: readonly number[], steps: readonly BackwardStep[]): void {
    this.overlay?.remove();
    const g = document.createElementNS(SVG, "g");
    g.setAttribute("class", "backward-overlay");
    g.setAttribute("aria-hidden", "true");
    const { neurons, radius } = layoutNetwork(sizes, this.svg.width.baseVal.value, this.svg.height.baseVal.value);
    const order = new Map(steps.map((s, i) => [s.column, i]));
    neurons.forEach((column, c) => {
      for (const n of column) {
        const ring = document.createElementNS(SVG, "circle");
        ring.setAttribute("cx", String(n.x));
        ring.setAttribute("cy", String(n.y));
        ring.setAttribute("r", String(radius + 3));
        ring.dataset.column = String(c);
        ring.dataset.unit = String(n.index);
        ring.dataset.order = String(order.get(c) ?? -1);
        ring.append(document.createElementNS(SVG, "title"));
        g.append(ring);
      }
    });
    this.svg.append(g);
    this.overlay = g;
    this.overlayKey = sizes.join(",");
  }
}
