/**
 * The MLP worker's session: the shared play/pause/step loop (sliceLoop.ts)
 * driving the MLP's Trainer, and the answers to the page's questions about
 * it (explain a gradient, the graph of a step, export, import, the weight
 * editor, the backend).
 */
import * as bp from "backpropagation";
import { exportModel } from "../model/export.js";
import { readImport } from "../model/import.js";
import { stepGraph } from "../model/graph.js";
import { lossOf } from "../model/objective.js";
import { Trainer } from "../model/trainer.js";
import {
  BOUNDARY_RES, CURVE_POINTS, NEURON_MAP_RES,
  type ExplainResult, type Frame, type FromWorker, type HistoryPoint, type MlpQuestion, type MlpReset, type ParityToWorker,
} from "../protocol.js";
import { chainEquation, computeChainRule, type ChainRuleInput, type ParamRef } from "../viewmodel/chainRule.js";
import { explainDeeper } from "../viewmodel/chainDeeper.js";
import type { FrameBody, ResetMessage } from "./controlProtocol.js";
import { SliceLoop, type LoopHandle, type Pacing, type TrainingMode } from "./sliceLoop.js";

/** A frame every 20 ms (50 per second, so that the page, which draws on its own clock, still shows well over 30). */
export const MLP_PACING: Pacing = { frameMs: 20, minSliceMs: 3, rateWindowMs: 1000 };
/** Test images shown with their predicted class (digits). */
const SHEET_SIZE = 64;

type MlpBody = FrameBody<Frame>;

/** The MLP worker: the shared slice loop driving an MlpMode. */
export class Session extends SliceLoop<MlpReset, MlpBody, MlpQuestion> {
  private readonly mlp: MlpMode;

  constructor(post: (message: FromWorker, transfer?: Transferable[]) => void, now: () => number = () => performance.now()) {
    const mlp = new MlpMode(post);
    super(mlp, post, MLP_PACING, now);
    this.mlp = mlp;
  }

  switchBackend(name: string): Promise<void> {
    return this.mlp.switchBackend(name, this);
  }
}

/** The MLP's Trainer behind the loop, and the answers to the page's questions about it. */
class MlpMode implements TrainingMode<MlpReset, MlpBody, MlpQuestion> {
  private trainer: Trainer | null = null;
  /** Loss-curve points not yet sent (one per frame). */
  private history: HistoryPoint[] = [];

  constructor(private readonly post: (message: FromWorker, transfer?: Transferable[]) => void) {}

  get steps(): number {
    return this.requireTrainer().steps;
  }

  reset(message: ResetMessage<MlpReset>): void {
    this.trainer = new Trainer(message.config, message.split);
    this.history = [];
  }

  step(): number {
    return this.requireTrainer().step();
  }

  divergenceAdvice(): string {
    return `reset with a smaller learning rate (now ${this.requireTrainer().config.learningRate})`;
  }

  answer(message: MlpQuestion, loop: LoopHandle): void {
    switch (message.type) {
      case "explain":
        this.post(this.explain(message.param, message.example));
        break;
      case "graph":
        this.post({ type: "graph", nodes: this.graph() });
        break;
      case "backend":
        void this.switchBackend(message.name, loop);
        break;
      case "set-param":
      case "set-data":
        this.handleParity(message);
        loop.sendFrame();
        break;
      case "import":
        this.checkImport(message.files);
        break;
      case "load-weights":
        loop.stop();
        this.requireTrainer().loadParameters(message.weights, message.biases);
        loop.sendFrame();
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
  }

  /**
   * Switches the library's kernels (bp.setBackend; the wasm one compiles
   * asynchronously) and reports the backend in use. Training carries on with
   * the same network: only where the arithmetic runs changes.
   */
  async switchBackend(name: string, loop: LoopHandle): Promise<void> {
    try {
      await bp.setBackend(name);
    } catch (err) {
      loop.fail(err);
    }
    this.post({ type: "backend", name: bp.getBackend(), available: bp.availableBackends() });
  }

  // ---- TensorFlow Playground parity (issue #18)
  /** Edits a parameter or swaps in new training data (the loop then shows the result at once). */
  private handleParity(message: ParityToWorker): void {
    const t = this.requireTrainer();
    if (message.type === "set-param") t.setParameter(message.param, message.value);
    else t.setData(message.split);
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

  private requireTrainer(): Trainer {
    if (!this.trainer) throw new Error("worker: no network yet; send a reset message with a configuration and data first");
    return this.trainer;
  }

  frame(): MlpBody {
    const t = this.requireTrainer();
    const e = t.evaluate();
    this.history.push({ step: t.steps, trainLoss: e.trainLoss, testLoss: e.testLoss });
    const snap = t.snapshot();
    const is2d = t.split.train.inputDim === 2;
    const is1d = t.split.train.inputDim === 1;
    const history = this.history;
    this.history = [];
    return {
      epochs: t.epochs,
      ...e,
      history,
      sizes: [...t.model.sizes],
      ...snap,
      boundary: is2d ? t.boundary(BOUNDARY_RES) : null,
      curve: is1d ? t.curve(CURVE_POINTS) : null,
      testPredicted: is2d || is1d ? null : t.testPredictions(SHEET_SIZE),
      neuronMaps: is2d ? t.neuronMaps(NEURON_MAP_RES) : null,
      trainSize: t.split.train.length,
    };
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
