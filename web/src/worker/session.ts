/**
 * The worker's state machine: a Trainer plus the play/pause/step loop and
 * the answers to the page's questions. Training runs in time slices (see
 * FRAME_MS), and after each slice a frame goes to the page, so messages
 * (pause, explain, ...) are handled between slices and the page sees a
 * steady stream of frames.
 */
import * as bp from "backpropagation";
import type { PlaygroundConfig } from "../config.js";
import type { Split } from "../data/dataset.js";
import { exportModel } from "../model/export.js";
import { readImport } from "../model/import.js";
import { stepGraph } from "../model/graph.js";
import { lossOf } from "../model/objective.js";
import { Trainer } from "../model/trainer.js";
import { BOUNDARY_RES, CURVE_POINTS, NEURON_MAP_RES, type ParityToWorker, type ExplainResult, type Frame, type FromWorker, type HistoryPoint, type ToWorker } from "../protocol.js";
import { chainEquation, computeChainRule, type ChainRuleInput, type ParamRef } from "../viewmodel/chainRule.js";
import { explainDeeper } from "../viewmodel/chainDeeper.js";

/**
 * Aim for a frame every FRAME_MS (50 per second, so that the page, which
 * draws on its own clock, still shows well over 30): each slice trains for what
 * is left of that after the previous frame's own cost (evaluation and the
 * decision boundary), but at least MIN_SLICE_MS so training always moves.
 */
export const FRAME_MS = 20;
const MIN_SLICE_MS = 3;
/** Test images shown with their predicted class (digits). */
const SHEET_SIZE = 64;

export class Session {
  private trainer: Trainer | null = null;
  private running = false;
  /** Loss-curve points not yet sent (one per frame). */
  private history: HistoryPoint[] = [];
  private frameCost = 0;
  private generation = 0;
  private rate = { since: 0, steps: 0, perSecond: 0 };

  constructor(
    private readonly post: (message: FromWorker, transfer?: Transferable[]) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  handle(message: ToWorker): void {
    try {
      switch (message.type) {
        case "reset":
          this.reset(message.config, message.split, message.generation);
          break;
        case "play":
          this.running = true;
          this.rate = { since: this.now(), steps: this.trainer?.steps ?? 0, perSecond: this.rate.perSecond };
          break;
        case "pause":
          this.running = false;
          this.sendFrame();
          break;
        case "step":
          this.running = false;
          this.checkLoss(this.requireTrainer().step());
          this.sendFrame();
          break;
        case "explain":
          this.post(this.explain(message.param, message.example));
          break;
        case "graph":
          this.post({ type: "graph", nodes: this.graph() });
          break;
        case "backend":
          void this.switchBackend(message.name);
          break;
        case "set-param":
        case "set-data":
          this.handleParity(message);
          break;
        case "import":
          this.checkImport(message.files);
          break;
        case "load-weights":
          this.running = false;
          this.requireTrainer().loadParameters(message.weights, message.biases);
          this.sendFrame();
          break;
        case "export": {
          const t = this.requireTrainer();
          const out = exportModel({
            model: t.model, settings: t.config, train: t.split.train,
            rows: t.split.train.length + t.split.test.length, epochs: t.epochs, evaluation: t.evaluate(),
            features: t.features,
          });
          this.post({ type: "export", safetensors: out.safetensors, config: out.config }, [out.safetensors.buffer as ArrayBuffer]);
          break;
        }
      }
    } catch (err) {
      this.fail(err);
    }
  }

  /** Trains for one slice if playing, then sends a frame; returns whether it trained. */
  tick(): boolean {
    if (!this.running || !this.trainer) return false;
    try {
      const start = this.now();
      const slice = Math.max(MIN_SLICE_MS, FRAME_MS - this.frameCost);
      do this.checkLoss(this.trainer.step());
      while (this.now() - start < slice);
      this.updateRate();
      const frameStart = this.now();
      this.sendFrame();
      this.frameCost = this.now() - frameStart;
    } catch (err) {
      this.fail(err);
    }
    return true;
  }

  /**
   * Switches the library's kernels (bp.setBackend; the wasm one compiles
   * asynchronously) and reports the backend in use. Training carries on with
   * the same network: only where the arithmetic runs changes.
   */
  async switchBackend(name: string): Promise<void> {
    try {
      await bp.setBackend(name);
    } catch (err) {
      this.fail(err);
    }
    this.post({ type: "backend", name: bp.getBackend(), available: bp.availableBackends() });
  }

  // ---- TensorFlow Playground parity (issue #18)
  /** Edits a parameter or swaps in new training data, then shows the result at once. */
  private handleParity(message: ParityToWorker): void {
    const t = this.requireTrainer();
    if (message.type === "set-param") t.setParameter(message.param, message.value);
    else t.setData(message.split);
    this.sendFrame();
  }

  private reset(config: PlaygroundConfig, split: Split, generation: number): void {
    this.running = false;
    this.generation = generation;
    this.trainer = new Trainer(config, split);
    this.history = [];
    this.rate = { since: this.now(), steps: 0, perSecond: 0 };
    this.sendFrame();
  }

  /** Reads an imported run here, where the library is, and answers with its settings and weights or the refusal. */
  private checkImport(files: Parameters<typeof readImport>[0]): void {
    let model;
    try {
      model = readImport(files);
    } catch (err) {
      this.post({ type: "import", error: err instanceof Error ? err.message : String(err) });
      return;
    }
    this.post({ type: "import", model }, [...model.weights, ...model.biases].map((a) => a.buffer as ArrayBuffer));
  }

  /** Stops training and tells the page what went wrong. */
  private fail(err: unknown): void {
    this.running = false;
    this.post({ type: "error", message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  }

  /** A loss that is no longer a number stops training with a message, rather than drawing NaN. */
  private checkLoss(loss: number): void {
    if (Number.isFinite(loss)) return;
    const t = this.requireTrainer();
    throw new RangeError(
      `training diverged at step ${t.steps}: the batch loss became ${loss}; reset with a smaller learning rate (now ${t.config.learningRate})`,
    );
  }

  private requireTrainer(): Trainer {
    if (!this.trainer) throw new Error("worker: no network yet; send a reset message with a configuration and data first");
    return this.trainer;
  }

  private updateRate(): void {
    const t = this.requireTrainer();
    const elapsed = this.now() - this.rate.since;
    if (elapsed >= 1000) {
      this.rate = { since: this.now(), steps: t.steps, perSecond: ((t.steps - this.rate.steps) * 1000) / elapsed };
    }
  }

  private sendFrame(): void {
    const t = this.requireTrainer();
    const e = t.evaluate();
    this.history.push({ step: t.steps, trainLoss: e.trainLoss, testLoss: e.testLoss });
    const snap = t.snapshot();
    const is2d = t.split.train.inputDim === 2;
    const is1d = t.split.train.inputDim === 1;
    const frame: Frame = {
      type: "frame",
      generation: this.generation,
      steps: t.steps,
      epochs: t.epochs,
      ...e,
      history: this.history,
      sizes: [...t.model.sizes],
      ...snap,
      boundary: is2d ? t.boundary(BOUNDARY_RES) : null,
      curve: is1d ? t.curve(CURVE_POINTS) : null,
      testPredicted: is2d || is1d ? null : t.testPredictions(SHEET_SIZE),
      stepsPerSecond: this.rate.perSecond,
      frameMs: this.frameCost,
      running: this.running,
      neuronMaps: is2d ? t.neuronMaps(NEURON_MAP_RES) : null,
      trainSize: t.split.train.length,
    };
    this.history = [];
    this.post(frame);
  }

  private explain(param: ParamRef, example: number): ExplainResult {
    const t = this.requireTrainer();
    const data = t.split.train;
    if (!Number.isInteger(example) || example < 0 || example >= data.length) {
      throw new RangeError(`explain: example ${example} is outside the training set (0..${data.length - 1})`);
    }
    const snap = t.snapshot();
    const x = t.inputRow(example); // after the feature map: what the first layer sees
    const label = data.y[example];
    const input: ChainRuleInput = {
      sizes: t.model.sizes, weights: snap.weights, biases: snap.biases,
      activation: t.config.activation, outputActivation: t.model.outputActivation, loss: t.config.loss, x, label, param,
    };
    const chain = computeChainRule(input);
    const grads = t.exampleGradients(example);
    const layerGrad = param.kind === "weight" ? grads.weightGrads[param.layer] : grads.biasGrads[param.layer];
    const nIn = t.model.sizes[param.layer];
    const backward = param.kind === "weight" ? layerGrad[param.row * nIn + param.col] : layerGrad[param.row];
    return { type: "explain", chain, backward, example, x, label, param, equation: chainEquation(param, t.model.layers.length), steps: t.steps,
      deeper: explainDeeper(input),
    };
  }

  private graph() {
    const t = this.requireTrainer();
    const { x, target } = t.lastBatch ?? t.firstBatch();
    return stepGraph(t.model.namedParameters(), (params) => {
      return lossOf(t.model.network(params).forward(x), target, t.config.loss);
    });
  }
}
