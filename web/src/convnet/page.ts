/**
 * The convnet mode's page (issue #18, "beyond MLPs"): a small convnet
 * learning the bundled 8×8 digits live in its own worker, with start, pause
 * and step; a strip of test digits to pick from; the picked digit's feature
 * maps after each ReLU and each pooling and its class probabilities; every
 * kernel beside its gradient; and one kernel entry's gradient redone by hand
 * (checkView.ts). Builds its DOM inside the section it is given.
 */
import { trainTestSplit, type Dataset, type Split } from "../data/dataset.js";
import { SeededRandom } from "../data/random.js";
import { formatPercent, formatValue } from "../views/format.js";
import { LossChart } from "../views/lossChart.js";
import { CheckView } from "./checkView.js";
import { drawHeatmap, heatmapCanvas, inkRgb, maxAbs, signed } from "./heatmap.js";
import { KernelView } from "./kernelView.js";
import { CLASSES, CONV_BLOCKS, DEFAULT_CONVNET_SETTINGS, IMAGE_SIZE, STRIP_SIZE, blockSides, describeConvnet } from "./architecture.js";
import type { ConvnetFrame, FromConvnet, ToConvnet } from "./protocol.js";
import type { Inspection, KernelRef } from "./trainer.js";

/** Share of the digits the convnet trains on (the rest is the test set the strip and the accuracy use). */
const TRAIN_FRACTION = 0.8;

/** The mode's live figures, published as `window.playgroundConvnet` (the end-to-end test reads them). */
export interface ConvnetStats {
  steps: number;
  trainLoss: number;
  testLoss: number;
  testAccuracy: number | null;
  running: boolean;
  framesDrawn: number;
  /** The picked test image and the checked kernel entry, as the last drawn frame had them. */
  image: number;
  entry: string;
}

declare global {
  interface Window {
    playgroundConvnet: ConvnetStats;
  }
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

export class ConvnetPage {
  private worker: Worker | null = null;
  private active = false;
  private generation = 0;
  private split: Split | null = null;
  private latest: ConvnetFrame | null = null;
  private drawPending = false;
  private image = 0;
  private ref: KernelRef = { block: 0, cOut: 0, cIn: 0, i: 1, j: 1 };
  private hovered: KernelRef | null = null;
  readonly stats: ConvnetStats = { steps: 0, trainLoss: Number.NaN, testLoss: Number.NaN, testAccuracy: null, running: false, framesDrawn: 0, image: 0, entry: "" };

  private readonly status: Record<"steps" | "epochs" | "trainLoss" | "testLoss" | "testAccuracy" | "sps", HTMLElement>;
  private readonly play: HTMLButtonElement;
  private readonly error: HTMLElement;
  private readonly lossChart: LossChart;
  private readonly strip: HTMLElement;
  private readonly stripButtons: HTMLButtonElement[] = [];
  private readonly input: HTMLCanvasElement;
  private readonly inputCaption: HTMLElement;
  private readonly probabilities: HTMLElement;
  private readonly maps: { relu: HTMLCanvasElement[]; pooled: HTMLCanvasElement[] }[] = [];
  private readonly kernels: KernelView[];
  private readonly readout: HTMLElement;
  private readonly kernelPanel: HTMLElement;
  private readonly check = new CheckView();

  constructor(root: HTMLElement, private readonly loadDigits: () => Promise<Dataset>) {
    window.playgroundConvnet = this.stats;
    // ---- training
    const stat = (label: string, id: string) => {
      const b = el("b", { id }, "–");
      return { box: el("span", {}, `${label} `, b), b };
    };
    const s = {
      steps: stat("step", "cn-steps"), epochs: stat("epoch", "cn-epochs"), trainLoss: stat("train loss", "cn-train-loss"),
      testLoss: stat("test loss", "cn-test-loss"), testAccuracy: stat("test accuracy", "cn-test-acc"), sps: stat("steps/s", "cn-sps"),
    };
    this.status = { steps: s.steps.b, epochs: s.epochs.b, trainLoss: s.trainLoss.b, testLoss: s.testLoss.b, testAccuracy: s.testAccuracy.b, sps: s.sps.b };
    const reset = el("button", { id: "cn-reset", type: "button", title: "A fresh network (the same seed), untrained" }, "reset");
    this.play = el("button", { id: "cn-play", type: "button", title: "Train continuously" }, "▶ start");
    const step = el("button", { id: "cn-step", type: "button", title: "One minibatch step" }, "step");
    reset.addEventListener("click", () => void this.reset());
    this.play.addEventListener("click", () => {
      this.setRunning(!this.stats.running);
      this.send({ type: this.stats.running ? "play" : "pause" });
    });
    step.addEventListener("click", () => {
      this.setRunning(false);
      this.send({ type: "step" });
    });
    const chart = el("canvas", { id: "cn-loss-chart", width: 360, height: 140 });
    chart.setAttribute("role", "img");
    chart.setAttribute("aria-label", "Loss curves: train (dark) and test (red) against steps");
    this.lossChart = new LossChart(chart);
    this.error = el("p", { id: "cn-error", className: "error" });
    this.error.setAttribute("role", "alert");
    const transport = el("div", { className: "cn-transport" }, reset, this.play, step);
    transport.setAttribute("role", "group");
    transport.setAttribute("aria-label", "Convnet training");
    const d = DEFAULT_CONVNET_SETTINGS;
    const train = el("section", { className: "panel cn-train" },
      el("h2", {}, "Convnet on digits"),
      el("p", { className: "cn-arch" }, describeConvnet()),
      el("p", { className: "hint" }, `Cross-entropy, Adam (learning rate ${d.learningRate}), minibatches of ${d.batchSize}; the library's own layers (bp.nn.Conv2d, MaxPool2d, ReLU, Flatten, Linear) in a Web Worker.`),
      transport,
      el("div", { className: "status cn-status" }, ...Object.values(s).map((x) => x.box)),
      chart,
      el("p", { className: "legend" }, el("span", { className: "line train" }), " train (mean of the last steps' batches) ", el("span", { className: "line test" }), " test"),
      this.error,
    );

    // ---- the picked digit
    this.strip = el("div", { id: "cn-strip", className: "cn-strip" });
    this.strip.setAttribute("role", "radiogroup");
    this.strip.setAttribute("aria-labelledby", "cn-strip-title");
    this.strip.addEventListener("keydown", (e) => this.stripKey(e));
    this.input = heatmapCanvas("cn-input", "the picked digit, 8×8 pixels");
    this.inputCaption = el("figcaption");
    this.probabilities = el("ol", { id: "cn-probs", className: "cn-probs" });
    this.probabilities.setAttribute("aria-label", "the network's class probabilities for the picked digit");
    const pick = el("section", { className: "panel cn-pick" },
      el("h2", { id: "cn-strip-title" }, "Pick a test digit"),
      this.strip,
      el("p", { className: "hint" }, "Under each image: its label → the network's guess (arrow keys move the choice)."),
      el("div", { className: "cn-picked" }, el("figure", {}, this.input, this.inputCaption), this.probabilities),
    );

    // ---- feature maps
    const mapsPanel = el("section", { className: "panel cn-maps", id: "cn-maps" }, el("h2", {}, "Feature maps of the picked digit"));
    CONV_BLOCKS.forEach((b, k) => {
      const sides = blockSides(k);
      const row = (stage: "relu" | "pooled", side: number) => {
        const canvases = Array.from({ length: b.outChannels }, (_, c) => {
          const canvas = heatmapCanvas("feature-map", `conv ${k + 1}, channel ${c}, ${stage === "relu" ? "after ReLU" : "after max-pooling"} (${side}×${side})`);
          canvas.dataset.block = String(k);
          canvas.dataset.stage = stage;
          canvas.dataset.channel = String(c);
          canvas.style.width = `${Math.max(36, side * 8)}px`;
          return canvas;
        });
        return { canvases, box: el("div", { className: "cn-map-row" }, ...canvases) };
      };
      const relu = row("relu", sides.conv);
      const pooled = row("pooled", sides.pooled);
      this.maps.push({ relu: relu.canvases, pooled: pooled.canvases });
      mapsPanel.append(
        el("h3", {}, `Conv ${k + 1} → ReLU: ${b.outChannels} maps of ${sides.conv}×${sides.conv}`), relu.box,
        el("h3", {}, `→ MaxPool2d(${b.pool}): ${b.outChannels} maps of ${sides.pooled}×${sides.pooled}`), pooled.box,
      );
    });
    mapsPanel.append(el("p", { className: "legend" }, "grey 0, blue the stage's largest activation"));

    // ---- kernels and the check
    const kernelHost = {
      select: (ref: KernelRef) => this.select(ref),
      hover: (ref: KernelRef | null) => {
        this.hovered = ref;
        this.showReadout();
      },
    };
    this.kernels = CONV_BLOCKS.map((b, k) => new KernelView(k, [b.outChannels, b.inChannels, b.kernel, b.kernel], kernelHost));
    this.readout = el("p", { id: "cn-kernel-readout", className: "cn-readout" });
    this.readout.setAttribute("aria-live", "polite");
    const kernelPanel = (this.kernelPanel = el("section", { className: "panel cn-kernel-panel" },
      el("h2", {}, "Kernels and their gradients"),
      el("p", { className: "hint" },
        "Every gradient on this panel is of the picked digit's own loss, L = −log p̂[label] (the cross-entropy of that one image), "
        + "not of a training batch. Orange negative, blue positive. Click an entry (or focus a picture and use the arrow keys) to check it below."),
      ...this.kernels.map((k) => k.element),
      this.readout,
      this.check.element,
    ));
    root.append(train, pick, mapsPanel, kernelPanel);
  }

  /** Shows or hides the mode: the first showing loads the digits and starts the worker; hiding pauses training. */
  setActive(active: boolean): void {
    this.active = active;
    if (active && !this.worker) void this.reset();
    else if (!active && this.stats.running) {
      this.setRunning(false);
      this.send({ type: "pause" });
    }
    if (active) this.scheduleDraw();
  }

  private async reset(): Promise<void> {
    this.error.textContent = "";
    try {
      const data = await this.loadDigits();
      this.split ??= trainTestSplit(data, TRAIN_FRACTION, new SeededRandom(DEFAULT_CONVNET_SETTINGS.seed + 7).permutation(data.length));
    } catch (err) {
      this.error.textContent = err instanceof Error ? err.message : String(err);
      return;
    }
    if (!this.worker) {
      this.worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
      this.worker.onmessage = (e: MessageEvent<FromConvnet>) => this.receive(e.data);
      this.worker.onerror = (e) => {
        this.error.textContent = `convnet worker: ${e.message}`;
      };
      this.buildStrip(this.split);
    }
    this.setRunning(false);
    this.lossChart.clear();
    this.latest = null;
    this.send({ type: "reset", split: this.split, settings: DEFAULT_CONVNET_SETTINGS, generation: ++this.generation });
    this.send({ type: "inspect", image: this.image, ref: this.ref });
  }

  private send(m: ToConvnet): void {
    this.worker?.postMessage(m);
  }

  private receive(m: FromConvnet): void {
    if (m.type === "error") {
      this.setRunning(false);
      this.error.textContent = m.message;
      return;
    }
    if (m.generation !== this.generation) return;
    // One point per step count (a new pick or entry sends a frame without training).
    if (m.steps !== this.latest?.steps) this.lossChart.add([{ step: m.steps, trainLoss: m.trainLoss, testLoss: m.testLoss }]);
    this.latest = m;
    this.scheduleDraw();
  }

  private setRunning(running: boolean): void {
    this.stats.running = running;
    this.play.textContent = running ? "❚❚ pause" : "▶ start";
    // The readout and the verdict change with every frame while training: keep screen readers from announcing each one.
    this.kernelPanel.setAttribute("aria-busy", String(running));
  }

  private select(ref: KernelRef): void {
    this.ref = ref;
    this.hovered = null;
    this.send({ type: "inspect", image: this.image, ref });
    // Redraw the outline at once; the numbers follow with the worker's answer.
    if (this.latest) for (const [k, view] of this.kernels.entries()) view.draw(this.latest.inspection.blocks[k], ref);
    this.showReadout();
  }

  private pick(image: number, focus = false): void {
    this.image = image;
    this.stripButtons.forEach((b, i) => {
      b.setAttribute("aria-checked", String(i === image));
      b.tabIndex = i === image ? 0 : -1;
    });
    if (focus) this.stripButtons[image].focus();
    this.send({ type: "inspect", image, ref: this.ref });
  }

  private stripKey(e: KeyboardEvent): void {
    const n = this.stripButtons.length;
    const moves: Record<string, number> = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
    let to: number | null = null;
    if (e.key in moves) to = (this.image + moves[e.key] + n) % n;
    else if (e.key === "Home") to = 0;
    else if (e.key === "End") to = n - 1;
    if (to === null) return;
    e.preventDefault();
    this.pick(to, true);
  }

  private buildStrip(split: Split): void {
    const count = Math.min(STRIP_SIZE, split.test.length);
    for (let i = 0; i < count; i++) {
      const canvas = heatmapCanvas("cn-thumb", `test image ${i}`);
      canvas.removeAttribute("role");
      drawHeatmap(canvas, split.test.x, IMAGE_SIZE, IMAGE_SIZE, inkRgb, i * IMAGE_SIZE * IMAGE_SIZE);
      const caption = el("span", { className: "cn-guess" }, `${split.test.y[i]}`);
      const button = el("button", { type: "button", className: "cn-digit" }, canvas, caption);
      button.setAttribute("role", "radio");
      button.setAttribute("aria-checked", String(i === this.image));
      button.tabIndex = i === this.image ? 0 : -1;
      button.dataset.index = String(i);
      button.addEventListener("click", () => this.pick(i));
      this.stripButtons.push(button);
      this.strip.append(button);
    }
  }

  private scheduleDraw(): void {
    if (this.drawPending || !this.active) return;
    this.drawPending = true;
    requestAnimationFrame(() => {
      this.drawPending = false;
      if (this.latest && this.active) this.draw(this.latest);
    });
  }

  private draw(f: ConvnetFrame): void {
    const st = this.status;
    st.steps.textContent = String(f.steps);
    st.epochs.textContent = String(f.epochs);
    st.trainLoss.textContent = Number.isNaN(f.trainLoss) ? "–" : formatValue(f.trainLoss);
    st.testLoss.textContent = formatValue(f.testLoss);
    st.testAccuracy.textContent = formatPercent(f.testAccuracy);
    st.sps.textContent = f.stepsPerSecond.toFixed(0);
    this.lossChart.draw();
    this.drawStripGuesses(f.predictions);
    const r = f.inspection;
    this.drawPicked(r);
    r.blocks.forEach((b, k) => {
      const [, channels, h, w] = b.reluShape;
      const [, , ph, pw] = b.pooledShape;
      const reluScale = signed(maxAbs(b.relu));
      const poolScale = signed(maxAbs(b.pooled));
      for (let c = 0; c < channels; c++) {
        drawHeatmap(this.maps[k].relu[c], b.relu, h, w, reluScale, c * h * w);
        drawHeatmap(this.maps[k].pooled[c], b.pooled, ph, pw, poolScale, c * ph * pw);
      }
      this.kernels[k].draw(b, this.ref);
    });
    this.check.draw(r);
    this.showReadout();
    Object.assign(this.stats, {
      steps: f.steps, trainLoss: f.trainLoss, testLoss: f.testLoss, testAccuracy: f.testAccuracy, framesDrawn: this.stats.framesDrawn + 1,
      image: r.image, entry: this.check.element.dataset.entry ?? "",
    });
  }

  private drawStripGuesses(predictions: Int32Array): void {
    if (!this.split) return;
    this.stripButtons.forEach((b, i) => {
      const label = this.split!.test.y[i];
      const guess = predictions[i];
      const caption = b.querySelector<HTMLElement>(".cn-guess")!;
      caption.textContent = `${label}→${guess}`;
      caption.className = `cn-guess ${guess === label ? "right" : "wrong"}`;
      b.setAttribute("aria-label", `test image ${i}: a ${label}; the network says ${guess}`);
    });
  }

  private drawPicked(r: Inspection): void {
    drawHeatmap(this.input, r.pixels, IMAGE_SIZE, IMAGE_SIZE, inkRgb);
    const guess = argmax(r.probabilities);
    this.inputCaption.textContent = `test image ${r.image}: label ${r.label}, guess ${guess}; its loss L = ${formatValue(r.loss)}`;
    const rows: HTMLLIElement[] = [];
    for (let c = 0; c < CLASSES; c++) {
      const p = r.probabilities[c];
      const bar = el("span", { className: "cn-bar" });
      bar.style.width = `${(100 * p).toFixed(1)}%`;
      const li = el("li", { className: `${c === r.label ? "label" : ""} ${c === guess ? "guess" : ""}`.trim() },
        el("span", { className: "cn-class" }, String(c)), el("span", { className: "cn-bar-track" }, bar), el("span", { className: "cn-p" }, formatPercent(p)));
      li.dataset.value = String(p);
      rows.push(li);
    }
    this.probabilities.replaceChildren(...rows);
  }

  private showReadout(): void {
    const ref = this.hovered ?? this.ref;
    const v = this.kernels[ref.block].values(ref);
    const name = `K${ref.block + 1}[${ref.cOut},${ref.cIn},${ref.i},${ref.j}]`;
    this.readout.textContent = v
      ? `${this.hovered ? "" : "checked: "}${name} = ${formatValue(v.weight, 6)},   ∂L/∂${name} = ${formatValue(v.grad, 6)}`
      : `checked: ${name}`;
  }
}

function argmax(values: Float32Array): number {
  let best = 0;
  for (let k = 1; k < values.length; k++) if (values[k] > values[best]) best = k;
  return best;
}
