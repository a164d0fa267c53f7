/**
 * The page's TensorFlow Playground features, wired to the rest of main.ts:
 * the state in the address (read at start and on hashchange, written on
 * every change), problem type, input features, regularisation, seed and
 * regenerate, discretise and show-test toggles, points drawn on the data
 * view, per-neuron output maps, and the weight tooltip and editor.
 */
import { isRegression, type PlaygroundConfig } from "./config.js";
import { showConfig } from "./controls.js";
import type { Split } from "./data/dataset.js";
import { withDrawnPoints, type DrawnPoint } from "./data/drawnPoints.js";
import { MAX_LINK_POINTS, snapPoint } from "./data/drawnPointsLink.js";
import { DEFAULT_RNN_CONFIG } from "./recurrent/rnnConfig.js";
import { readRnnForm, showRnnForm } from "./recurrent/rnnForm.js";
import { FEATURE_LABELS } from "./data/features.js";
import { element } from "./dom.js";
import { outputActivation } from "./model/head.js";
import { buildFeatureToggles, readView, showDatasetsOf, showView } from "./parityControls.js";
import { weightNorm, type ParityStats } from "./parityStats.js";
import type { Frame, ToWorker } from "./protocol.js";
import { PROBLEM_DEFAULT, decodeState, encodeState, problemOf, type ProblemType } from "./urlState.js";
import type { BoundaryView } from "./views/boundaryView.js";
import { formatValue } from "./views/format.js";
import { NeuronMaps } from "./views/neuronMaps.js";
import { PointDrawing } from "./views/pointDrawing.js";
import { WeightEditor } from "./views/weightEditor.js";
import { LIMITS } from "./config.js";

export interface ParityHost {
  send(m: ToWorker): void;
  /** main.ts's reset: reads the form, makes the data, starts a new network. */
  reset(): void;
  boundaryView: BoundaryView;
  /** Makes the render loop draw the current frame again (a view setting changed). */
  redraw(): void;
  /** Replaces the split the page draws (drawn points were added). */
  setSplit(split: Split): void;
  /** Gives the keyboard focus back to the network diagram (Escape in the weight editor). */
  focusDiagram(): void;
}

export class Parity {
  private drawn: DrawnPoint[] = [];
  /** The dataset's own split, before drawn points are added. */
  private base: Split | null = null;
  private config: PlaygroundConfig | null = null;
  /** Set by restore(): the next reset is the one the link asked for. */
  private linkJustRead = false;
  private readonly maps = new NeuronMaps(element<HTMLCanvasElement>("neuron-maps"));
  private readonly drawing: PointDrawing;
  private readonly editor: WeightEditor;
  readonly stats: ParityStats = { trainSize: 0, drawnPoints: 0, trainLoss: Number.NaN, penalty: 0, weightNorm: 0, steps: 0, urlNotices: [] };

  constructor(private readonly host: ParityHost) {
    window.playgroundParity = this.stats;
    const view = host.boundaryView;
    this.drawing = new PointDrawing(
      element<HTMLCanvasElement>("boundary"),
      (px, py) => view.toData(px, py),
      (x, y) => view.toPixel(x, y),
      (p) => this.addPoint(p),
      () => host.redraw(),
    );
    this.editor = new WeightEditor(
      {
        svg: element<SVGSVGElement>("network"), tooltip: element("weight-tip"), form: element<HTMLFormElement>("param-editor"),
        name: element<HTMLInputElement>("param-name"), value: element<HTMLInputElement>("param-value"), error: element("param-error"),
      },
      (param, value) => host.send({ type: "set-param", param, value }),
      () => host.focusDiagram(),
    );
    buildFeatureToggles(() => host.reset());
    for (const id of ["reg", "reg-rate", "seed"]) element(id).addEventListener("change", () => host.reset());
    element<HTMLSelectElement>("problem").addEventListener("change", (e) => this.chooseProblem((e.target as HTMLSelectElement).value as ProblemType));
    // Runs before main's own "change" listener resets (both are synchronous up to the reset's await).
    element<HTMLSelectElement>("dataset").addEventListener("change", () => this.datasetChanged());
    element("regenerate").addEventListener("click", () => this.regenerate());
    element("clear-drawn").addEventListener("click", () => {
      this.drawn = [];
      host.reset();
    });
    for (const id of ["discretize", "show-test"]) element(id).addEventListener("change", () => this.viewChanged());
    element("share").addEventListener("click", () => void this.share());
    window.addEventListener("hashchange", () => {
      this.drawn = [];
      this.restore();
      host.reset();
    });
  }

  /** Puts the address's settings (or the defaults) into the form, and says what could not be used. */
  restore(): void {
    const { state, notices } = decodeState(location.hash);
    showConfig(state.config);
    showView(state.view);
    this.drawn = [...(state.drawn ?? [])];
    showRnnForm(state.recurrent ?? DEFAULT_RNN_CONFIG);
    this.applyView();
    this.stats.urlNotices = notices;
    this.linkJustRead = true;
    const box = element("url-notice");
    box.textContent = notices.length === 0 ? "" : `Some settings in the link could not be used: ${notices.join("; ")}.`;
    box.hidden = notices.length === 0;
  }

  /** Called by reset with the fresh data: adds the drawn points, records the state in the address. */
  prepare(config: PlaygroundConfig, split: Split): Split {
    // The notice is about the link just read; after a change of settings it no longer applies.
    if (!this.linkJustRead) element("url-notice").hidden = true;
    this.linkJustRead = false;
    this.config = config;
    this.base = split;
    const planar = split.train.inputDim === 2;
    if (!planar) this.drawn = [];
    this.drawing.enabled = planar;
    element("draw-hint").hidden = !planar;
    element("features").classList.toggle("unused", !planar);
    this.maps.inputLabels = planar ? config.features.map((f) => FEATURE_LABELS[f]) : [];
    this.maps.activation = config.activation;
    this.maps.outputActivation = outputActivation(split.train, config.loss);
    this.maps.clear();
    this.showDrawnCount();
    this.writeAddress();
    return withDrawnPoints(split, this.drawn);
  }

  /** Drops the points drawn on the data view (an imported run shows its own data). */
  forgetDrawnPoints(): void {
    this.drawn = [];
  }

  /** The loss equation's penalty term, appended to the equations line. */
  penaltyTerm(config: PlaygroundConfig): string {
    if (config.regularization === "none" || config.regularizationRate === 0) return "";
    const term = config.regularization === "l1" ? "Σ|W|" : "½ΣW²";
    return ` + ${config.regularizationRate}·${term}`;
  }

  draw(frame: Frame): void {
    this.maps.draw(frame.sizes, frame.neuronMaps);
    this.editor.update(frame);
    this.drawing.drawCursor();
    element("stat-penalty").textContent = formatValue(frame.penalty);
    Object.assign(this.stats, {
      trainSize: frame.trainSize, trainLoss: frame.trainLoss, penalty: frame.penalty, weightNorm: weightNorm(frame.weights), steps: frame.steps,
    });
  }

  private addPoint(p: DrawnPoint): void {
    if (!this.base) return;
    // Snapped to the link's grid, so that the address gives back exactly this point.
    this.drawn.push(snapPoint(p));
    const split = withDrawnPoints(this.base, this.drawn);
    this.host.setSplit(split);
    this.host.send({ type: "set-data", split });
    this.showDrawnCount();
    this.writeAddress();
  }

  private showDrawnCount(): void {
    this.stats.drawnPoints = this.drawn.length;
    element("drawn-count").textContent = this.drawn.length === 0 ? "" : `${this.drawn.length} drawn`;
    const over = this.drawn.length > MAX_LINK_POINTS;
    const notice = element("drawn-link-notice");
    notice.hidden = !over;
    const extra = this.drawn.length - MAX_LINK_POINTS;
    notice.textContent = over ? `The link keeps the first ${MAX_LINK_POINTS} drawn points; ${extra} more ${extra === 1 ? "stays" : "stay"} on this page only.` : "";
  }

  private chooseProblem(problem: ProblemType): void {
    const dataset = element<HTMLSelectElement>("dataset");
    showDatasetsOf(problem);
    if (problemOf(dataset.value as PlaygroundConfig["dataset"]) !== problem) {
      dataset.value = PROBLEM_DEFAULT[problem];
      this.datasetChanged();
      this.host.reset();
    }
  }

  private datasetChanged(): void {
    const dataset = element<HTMLSelectElement>("dataset").value as PlaygroundConfig["dataset"];
    this.drawn = [];
    element<HTMLSelectElement>("problem").value = problemOf(dataset);
    // A regression trains with squared error.
    if (isRegression(dataset)) element<HTMLSelectElement>("loss").value = "mse";
  }

  /** New data (and a new network) from a fresh seed. */
  private regenerate(): void {
    element<HTMLInputElement>("seed").value = String(Math.floor(Math.random() * LIMITS.maxSeed));
    this.drawn = [];
    this.host.reset();
  }

  private viewChanged(): void {
    this.applyView();
    this.writeAddress();
    this.host.redraw();
  }

  private applyView(): void {
    const v = readView();
    this.host.boundaryView.discretize = v.discretize;
    this.host.boundaryView.showTestData = v.showTestData;
  }

  /** Records the settings, the drawn points and the mode in the address (main.ts calls it when the mode changes). */
  writeAddress(): void {
    if (!this.config) return;
    // The network mode is the address's own: the mode selector (modeSelector.ts) writes it there.
    const mode = decodeState(location.hash).state.mode;
    history.replaceState(null, "", `#${encodeState({ config: this.config, view: readView(), mode, drawn: this.drawn, recurrent: readRnnForm() })}`);
  }

  private async share(): Promise<void> {
    const status = element("share-status");
    try {
      await navigator.clipboard.writeText(location.href);
      status.textContent = "link copied";
    } catch {
      status.textContent = "copy the address bar: it holds every setting";
    }
  }
}
