/**
 * The page's recurrent mode ("Recurrent net on sequences"): its settings,
 * the play/pause/step transport, the weight picker, the unrolled diagram
 * and the backpropagation-through-time panel, wired to its own worker
 * (started the first time the mode is shown). main.ts shows and hides it.
 */
import { element } from "../dom.js";
import { formatPercent, formatValue } from "../views/format.js";
import { rnnParamName, type RnnParamRef, type RnnWeights } from "./bptt.js";
import { renderBpttPanel } from "./bpttPanel.js";
import type { FromRecurrentWorker, RecurrentExplanation, RecurrentFrame, ToRecurrentWorker } from "./protocol.js";
import { TRAIN_SEQUENCES, validateRnnConfig } from "./rnnConfig.js";
import { readRnnForm } from "./rnnForm.js";
import { UnrolledDiagram } from "./unrolledDiagram.js";

/** What the end-to-end test reads (window.playgroundRecurrent). */
export interface RecurrentStats {
  /** Whether the page asked the worker to train (set at the click). */
  running: boolean;
  /** Whether the worker's last frame came while it trained: after a pause, false once its final frame is in. */
  workerRunning: boolean;
  steps: number;
  trainLoss: number;
  testAccuracy: number;
  stepsPerSecond: number;
  framesDrawn: number;
  explanations: number;
}

declare global {
  interface Window {
    playgroundRecurrent: RecurrentStats;
  }
}

/** While training, the panel follows the weights once a second. */
const LIVE_EXPLAIN_MS = 1000;
/** The step back through time moves one step this often. */
const STEP_BACK_MS = 700;

export class RecurrentMode {
  private worker: Worker | null = null;
  private generation = 0;
  private param: RnnParamRef = { matrix: "whh", row: 0, col: 0 };
  private weights: RnnWeights | null = null;
  private explanation: RecurrentExplanation | null = null;
  private lastExplain = 0;
  /** The step the animation has reached (T..1), or null when every step shows. */
  private stepBack: number | null = null;
  private stepBackTimer: ReturnType<typeof setInterval> | null = null;
  private readonly diagram = new UnrolledDiagram(element<SVGSVGElement>("rnn-unrolled"));
  readonly stats: RecurrentStats = { running: false, workerRunning: false, steps: 0, trainLoss: Number.NaN, testAccuracy: Number.NaN, stepsPerSecond: 0, framesDrawn: 0, explanations: 0 };

  /** `onReset` runs after each new network (main.ts records the settings in the address). */
  constructor(private readonly onReset: () => void) {
    window.playgroundRecurrent = this.stats;
    for (const id of ["rnn-task", "rnn-steps", "rnn-hidden", "rnn-lr", "rnn-seed"]) element(id).addEventListener("change", () => this.reset());
    element("rnn-steps").addEventListener("input", () => (element("rnn-steps-out").textContent = element<HTMLInputElement>("rnn-steps").value));
    element("rnn-reset").addEventListener("click", () => this.reset());
    element("rnn-play").addEventListener("click", () => {
      this.setRunning(!this.stats.running);
      this.send({ type: this.stats.running ? "play" : "pause" });
    });
    element("rnn-step").addEventListener("click", () => {
      this.setRunning(false);
      this.send({ type: "step" });
    });
    element("rnn-example").addEventListener("change", () => this.explain());
    element("rnn-step-back").addEventListener("click", () => this.startStepBack());
    element("rnn-weights").addEventListener("keydown", (e) => moveInGrid(e));
  }

  /** Starts the worker and a first network the first time the mode is shown. */
  show(): void {
    if (this.worker) return;
    this.worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
    this.worker.onmessage = (e: MessageEvent<FromRecurrentWorker>) => this.receive(e.data);
    this.worker.onerror = (e) => (element("rnn-error").textContent = `worker: ${e.message}`);
    this.reset();
  }

  /** Leaving the mode pauses the training. */
  hide(): void {
    if (this.stats.running) {
      this.setRunning(false);
      this.send({ type: "pause" });
    }
  }

  private send(m: ToRecurrentWorker): void {
    this.worker?.postMessage(m);
  }

  /** A new network from the form's settings (when the mode has started). */
  reset(): void {
    if (!this.worker) return;
    const config = readRnnForm();
    const problems = validateRnnConfig(config);
    element("rnn-error").textContent = problems.join("; ");
    if (problems.length > 0) return;
    element("rnn-steps-out").textContent = String(config.steps);
    this.stopStepBack();
    this.setRunning(false);
    this.weights = null;
    this.explanation = null;
    element("rnn-bptt").replaceChildren();
    // A parameter of the old size may not exist in the new network.
    if (this.param.col >= config.hidden || (this.param.matrix === "whh" && this.param.row >= config.hidden)) this.param = { matrix: "whh", row: 0, col: 0 };
    this.send({ type: "reset", config, generation: ++this.generation });
    this.onReset();
  }

  private setRunning(running: boolean): void {
    this.stats.running = running;
    element("rnn-bptt").setAttribute("aria-busy", String(running));
    element("rnn-play").textContent = running ? "❚❚ pause" : "▶ play";
  }

  private explain(): void {
    const input = element<HTMLInputElement>("rnn-example");
    const example = Math.min(TRAIN_SEQUENCES - 1, Math.max(0, Math.floor(Number(input.value) || 0)));
    input.value = String(example);
    this.lastExplain = performance.now();
    this.send({ type: "explain", param: this.param, example });
  }

  private receive(m: FromRecurrentWorker): void {
    switch (m.type) {
      case "frame":
        if (m.generation !== this.generation) return;
        this.showFrame(m);
        if (!m.running || performance.now() - this.lastExplain >= LIVE_EXPLAIN_MS) this.explain();
        break;
      case "explain":
        if (m.generation !== this.generation) return;
        this.explanation = m;
        this.stats.explanations++;
        this.render();
        break;
      case "error":
        this.setRunning(false);
        element("rnn-error").textContent = m.message;
        break;
    }
  }

  private showFrame(f: RecurrentFrame): void {
    const resized = this.weights?.hidden !== f.weights.hidden;
    this.weights = f.weights;
    Object.assign(this.stats, { workerRunning: f.running, steps: f.steps, trainLoss: f.trainLoss, testAccuracy: f.testAccuracy, stepsPerSecond: f.stepsPerSecond });
    this.stats.framesDrawn++;
    element("rnn-stat-steps").textContent = String(f.steps);
    element("rnn-stat-loss").textContent = formatValue(f.trainLoss);
    element("rnn-stat-acc").textContent = formatPercent(f.testAccuracy);
    element("rnn-stat-sps").textContent = f.stepsPerSecond.toFixed(0);
    if (resized) this.buildPicker(f.weights);
    this.updatePicker(f.weights);
  }

  private render(): void {
    const e = this.explanation;
    if (!e) return;
    this.diagram.draw(e.x, e.bptt, this.stepBack);
    renderBpttPanel(element("rnn-bptt"), e, this.stepBack);
  }

  /** One button per shared parameter, in three small grids (W_xh, W_hh, b): click or Enter/Space chooses it; arrows move within a grid. */
  private buildPicker(w: RnnWeights): void {
    const box = element("rnn-weights");
    box.replaceChildren();
    const grids: [string, RnnParamRef["matrix"], number][] = [["W_xh", "wxh", w.inputs], ["W_hh", "whh", w.hidden], ["b", "b", 1]];
    for (const [title, matrix, rows] of grids) {
      const group = document.createElement("div");
      group.className = "rnn-matrix";
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", title);
      const name = document.createElement("span");
      name.className = "matrix-name";
      name.textContent = title;
      const table = document.createElement("table");
      for (let row = 0; row < rows; row++) {
        const tr = table.insertRow();
        for (let col = 0; col < w.hidden; col++) {
          const b = document.createElement("button");
          b.type = "button";
          const p: RnnParamRef = { matrix, row, col };
          b.dataset.param = rnnParamName(p);
          b.addEventListener("click", () => {
            this.param = p;
            if (this.weights) this.updatePicker(this.weights);
            this.explain();
          });
          tr.insertCell().append(b);
        }
      }
      group.append(name, table);
      box.append(group);
    }
  }

  private updatePicker(w: RnnWeights): void {
    const chosen = rnnParamName(this.param);
    for (const b of Array.from(element("rnn-weights").querySelectorAll<HTMLButtonElement>("button[data-param]"))) {
      const m = /^(W_xh|W_hh|b)\[(\d+)(?:,(\d+))?\]$/.exec(b.dataset.param!)!;
      const H = w.hidden;
      const value = m[1] === "W_xh" ? w.wxh[Number(m[2]) * H + Number(m[3])] : m[1] === "W_hh" ? w.whh[Number(m[2]) * H + Number(m[3])] : w.b[Number(m[2])];
      b.textContent = formatValue(value, 2);
      b.setAttribute("aria-label", `${b.dataset.param} = ${formatValue(value, 3)}`);
      b.setAttribute("aria-pressed", String(b.dataset.param === chosen));
    }
  }

  /** Walks the panel back from step T to step 1, one step at a time, adding each step's term to the running sum. */
  private startStepBack(): void {
    const e = this.explanation;
    if (!e) return;
    this.stopStepBack();
    this.stepBack = e.bptt.steps.length;
    this.render();
    this.stepBackTimer = setInterval(() => {
      if (this.stepBack === null || this.stepBack <= 1) this.stopStepBack();
      else this.stepBack--;
      this.render();
    }, STEP_BACK_MS);
  }

  private stopStepBack(): void {
    if (this.stepBackTimer !== null) clearInterval(this.stepBackTimer);
    this.stepBackTimer = null;
    this.stepBack = null;
  }
}

/** Arrow keys move the focus to the neighbouring button of the same weight grid (Tab still visits every one). */
function moveInGrid(e: KeyboardEvent): void {
  const step: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
  const button = e.target instanceof HTMLButtonElement ? e.target : null;
  const cell = button?.parentElement;
  if (!button || !(cell instanceof HTMLTableCellElement) || !(e.key in step)) return;
  e.preventDefault();
  const row = cell.parentElement as HTMLTableRowElement;
  const table = row.parentElement!.parentElement as HTMLTableElement;
  const [dr, dc] = step[e.key];
  table.rows[row.rowIndex + dr]?.cells[cell.cellIndex + dc]?.querySelector("button")?.focus();
}
