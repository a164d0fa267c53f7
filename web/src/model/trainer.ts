/**
 * One training session: the network, its optimizer, the data split, and the
 * minibatch loop. Runs inside the Web Worker, but is plain code so that the
 * unit tests can drive it in Node.
 */
import * as bp from "backpropagation";
import type { OptimizerName, PlaygroundConfig } from "../config.js";
import type { Dataset, Split } from "../data/dataset.js";
import { SeededRandom } from "../data/random.js";
import { VIEW_EXTENT } from "../data/toy.js";
import { Mlp } from "./mlp.js";
import { accuracy, outputActivation, outputWidth, readPredictions } from "./head.js";
import { lossOf, makeTarget } from "./objective.js";
import { penaltyTensor, penaltyValue } from "./regularization.js";
import { mapFeatures, type FeatureName } from "../data/features.js";
import type { ParamRef } from "../viewmodel/chainRule.js";

export interface Evaluation {
  trainLoss: number;
  testLoss: number;
  /** null for regression. */
  trainAccuracy: number | null;
  testAccuracy: number | null;
  /** The weight penalty (λ·R(w)) that the training loss adds to the data loss; 0 without regularisation. */
  penalty: number;
}

/** Parameter values and the gradients of the last step, per layer, as flat copies. */
export interface ParameterSnapshot {
  weights: Float32Array[];
  biases: Float32Array[];
  weightGrads: Float32Array[];
  biasGrads: Float32Array[];
}

export class Trainer {
  readonly config: PlaygroundConfig;
  /** Replaced by setData (drawn points); the network and optimizer stay. */
  split: Split;
  /** The features the network sees for a 2-D point; null for 1-D and image data (used as they are). */
  readonly features: readonly FeatureName[] | null;
  readonly model: Mlp;
  readonly outputWidth: number;
  /** Optimizer steps taken so far. */
  steps = 0;
  epochs = 0;
  private readonly optimizer: { step(): void; zeroGrad(): void };
  private readonly shuffler: SeededRandom;
  private order: Int32Array;
  private cursor = 0;
  private trainTarget!: bp.Tensor;
  private testTarget!: bp.Tensor;
  private trainX!: bp.Tensor;
  private testX!: bp.Tensor;
  /** The last minibatch (for the computation-graph view). */
  lastBatch: { x: bp.Tensor; target: bp.Tensor } | null = null;

  constructor(config: PlaygroundConfig, split: Split) {
    this.config = config;
    this.split = split;
    const data = split.train;
    this.outputWidth = outputWidth(data);
    this.features = data.inputDim === 2 ? config.features : null;
    this.model = new Mlp([this.features?.length ?? data.inputDim, ...config.hidden, this.outputWidth], config.activation, outputActivation(data, config.loss), config.seed);
    this.optimizer = makeOptimizer(config.optimizer, this.model.parameters(), config.learningRate);
    this.shuffler = new SeededRandom(config.seed + 1);
    this.order = this.shuffler.permutation(data.length);
    this.useData(split);
  }

  /** Builds the feature and target tensors of a split. */
  private useData(split: Split): void {
    this.split = split;
    this.trainX = this.featuresOf(split.train.x, split.train.length);
    this.testX = this.featuresOf(split.test.x, split.test.length);
    this.trainTarget = makeTarget(split.train.y, split.train, this.config.loss);
    this.testTarget = makeTarget(split.test.y, split.test, this.config.loss);
  }

  /**
   * Trains on new data from the next step on (the page's drawn points join
   * the training set): the network and the optimizer's state carry over,
   * and a fresh shuffle of the new rows starts the next epoch.
   */
  setData(split: Split): void {
    if (split.train.inputDim !== this.split.train.inputDim || split.train.task !== this.split.train.task) {
      throw new RangeError(
        `setData: the new data (${split.train.task}, ${split.train.inputDim} inputs) does not fit the network's (${this.split.train.task}, ${this.split.train.inputDim} inputs); reset instead`,
      );
    }
    this.useData(split);
    this.order = this.shuffler.permutation(split.train.length);
    this.cursor = 0;
  }

  /** Raw rows (as the dataset stores them) as the network's input tensor: 2-D points pass through the chosen features. */
  private featuresOf(raw: Float32Array, n: number): bp.Tensor {
    if (!this.features) return bp.fromStorage(raw, [n, this.split.train.inputDim]);
    return bp.fromStorage(mapFeatures(raw, this.features), [n, this.features.length]);
  }

  /** The network's input for one training example (after the feature map). */
  inputRow(example: number): number[] {
    const d = this.split.train.inputDim;
    const raw = this.split.train.x.subarray(example * d, (example + 1) * d);
    return Array.from(this.features ? mapFeatures(raw, this.features) : raw);
  }

  /** The weight penalty of the configuration as a tensor (null when there is none). */
  private penalty(): bp.Tensor | null {
    return penaltyTensor(this.model.layers.map((l) => l.weight), this.config.regularization, this.config.regularizationRate);
  }

  /**
   * Overwrites one weight or bias (the page's weight editor); the optimizer
   * keeps its state. Writes in place, so the optimizer's references stay valid.
   */
  setParameter(param: ParamRef, value: number): void {
    const layer = this.model.layers[param.layer];
    const nIn = this.model.sizes[param.layer];
    const nOut = this.model.sizes[param.layer + 1];
    const inRange = layer && Number.isInteger(param.row) && param.row >= 0 && param.row < nOut
      && (param.kind === "bias" || (Number.isInteger(param.col) && param.col >= 0 && param.col < nIn));
    if (!inRange) {
      throw new RangeError(`setParameter: ${param.kind} [layer ${param.layer}, row ${param.row}, col ${param.col}] is not in a network of sizes [${this.model.sizes.join(", ")}]`);
    }
    if (!Number.isFinite(value)) throw new RangeError(`setParameter: the value must be a finite number, got ${value}`);
    const tensor = param.kind === "weight" ? layer.weight : layer.bias;
    const values = Float32Array.from(tensor.data() as Float32Array);
    values[param.kind === "weight" ? param.row * nIn + param.col : param.row] = value;
    bp.noGrad(() => tensor.copy_(bp.fromStorage(values, [...tensor.shape])));
  }

  /**
   * Replaces every weight and bias (an imported model), in place so the
   * optimizer's references stay valid. Per layer: weight [out, in] row-major, bias [out].
   */
  loadParameters(weights: readonly Float32Array[], biases: readonly Float32Array[]): void {
    const layers = this.model.layers;
    const fits = weights.length === layers.length && biases.length === layers.length
      && layers.every((l, k) => weights[k].length === l.weight.size && biases[k].length === l.bias.size);
    if (!fits) {
      throw new RangeError(`loadParameters: the values (${weights.map((w, k) => `${w.length}+${biases[k]?.length}`).join(", ")}) do not fit a network of sizes [${this.model.sizes.join(", ")}]`);
    }
    bp.noGrad(() => layers.forEach((l, k) => {
      l.weight.copy_(bp.fromStorage(Float32Array.from(weights[k]), [...l.weight.shape]));
      l.bias.copy_(bp.fromStorage(Float32Array.from(biases[k]), [...l.bias.shape]));
    }));
  }

  /**
   * Every neuron's output over a res×res grid of the view square (row 0 at
   * the top), layer by layer: entry 0 holds the input features, then each
   * hidden layer, then the outputs; each as [units, res·res]. For 2-D data only.
   */
  neuronMaps(res: number): Float32Array[] {
    if (!this.features) throw new RangeError("neuronMaps: only 2-D data has a plane to draw neurons over");
    const n = res * res;
    return bp.noGrad(() => {
      let h = this.featuresOf(gridPoints(res, VIEW_EXTENT), n);
      const maps = [unitMajor(h.data() as Float32Array, n, this.features!.length)];
      // The Sequential's modules in order: each Linear, then its activation (if any); record after every activation.
      const modules = this.model.net.children();
      for (let m = 0; m < modules.length; m++) {
        h = modules[m].forward(h) as bp.Tensor;
        const next = modules[m + 1];
        const endsLayer = !next || next instanceof bp.nn.Linear;
        if (endsLayer) maps.push(unitMajor(h.data() as Float32Array, n, h.shape[1]));
      }
      return maps;
    });
  }

  /**
   * One minibatch step of gradient descent; returns the batch loss. Batches
   * walk a fresh shuffle of the training rows each epoch; rows that do not
   * fill a last batch wait for the next epoch's shuffle (as with dropLast).
   */
  step(): number {
    const data = this.split.train;
    const batch = Math.min(this.config.batchSize, data.length);
    if (this.cursor + batch > data.length) {
      this.order = this.shuffler.permutation(data.length);
      this.cursor = 0;
      this.epochs++;
    }
    const { x, target } = this.rows(this.order.subarray(this.cursor, this.cursor + batch));
    this.cursor += batch;
    // In a tidy scope: the step's activations feed the next step's allocations.
    const lossValue = bp.tidy(() => {
      this.optimizer.zeroGrad();
      const dataLoss = lossOf(this.model.forward(x), target, this.config.loss);
      const penalty = this.penalty();
      const loss = penalty ? dataLoss.add(penalty) : dataLoss;
      loss.backward();
      this.optimizer.step();
      return loss.item();
    });
    this.steps++;
    this.lastBatch = { x, target };
    return lossValue;
  }

  /** The features and targets of the given training rows. */
  rows(rows: Int32Array): { x: bp.Tensor; target: bp.Tensor } {
    const index = bp.tensor(rows, { dtype: "int32" });
    return { x: this.trainX.indexSelect(0, index), target: this.trainTarget.indexSelect(0, index) };
  }

  /** The batch the next epoch would start with if unshuffled: for showing a step before any was taken. */
  firstBatch(): { x: bp.Tensor; target: bp.Tensor } {
    const n = Math.min(this.config.batchSize, this.split.train.length);
    return this.rows(Int32Array.from({ length: n }, (_, i) => i));
  }

  /** Predicted classes of the first `n` test examples. */
  testPredictions(n: number): Float32Array {
    const test = this.split.test;
    const rows = Math.min(n, test.length);
    return this.predict(test.x.subarray(0, rows * test.inputDim), rows).predicted;
  }

  evaluate(): Evaluation {
    const train = this.score(this.trainX, this.trainTarget, this.split.train);
    const test = this.score(this.testX, this.testTarget, this.split.test);
    const penalty = penaltyValue(this.model.layers.map((l) => l.weight.data() as Float32Array), this.config.regularization, this.config.regularizationRate);
    return { trainLoss: train.loss, testLoss: test.loss, trainAccuracy: train.accuracy, testAccuracy: test.accuracy, penalty };
  }

  private score(x: bp.Tensor, target: bp.Tensor, data: Dataset): { loss: number; accuracy: number | null } {
    return bp.noGrad(() => {
      const output = this.model.forward(x);
      const loss = lossOf(output, target, this.config.loss).item();
      if (data.task === "regression") return { loss, accuracy: null };
      const { predicted } = readPredictions(output.data() as Float32Array, data.length, this.outputWidth, data.task, this.config.loss);
      return { loss, accuracy: accuracy(predicted, data.y) };
    });
  }

  /** Outputs for raw feature rows (no graph recorded). */
  predict(features: Float32Array, n: number): { predicted: Float32Array; score: Float32Array } {
    return bp.noGrad(() => {
      const output = this.model.forward(this.featuresOf(features, n));
      return readPredictions(output.data() as Float32Array, n, this.outputWidth, this.split.train.task, this.config.loss);
    });
  }

  /** Class-1 scores on a res×res grid over the view square, row 0 at the top (y = +extent). */
  boundary(res: number): Float32Array {
    return this.predict(gridPoints(res, VIEW_EXTENT), res * res).score;
  }

  /** The fitted curve of a 1-D regression at `points` x-values across the view. */
  curve(points: number): Float32Array {
    const xs = new Float32Array(points);
    for (let i = 0; i < points; i++) xs[i] = -VIEW_EXTENT + (2 * VIEW_EXTENT * i) / (points - 1);
    return this.predict(xs, points).predicted;
  }

  snapshot(): ParameterSnapshot {
    const copy = (t: bp.Tensor | null, like: bp.Tensor) => (t ? (t.data() as Float32Array) : new Float32Array(like.size));
    const layers = this.model.layers;
    return {
      weights: layers.map((l) => l.weight.data() as Float32Array),
      biases: layers.map((l) => l.bias.data() as Float32Array),
      weightGrads: layers.map((l) => copy(l.weight.grad, l.weight)),
      biasGrads: layers.map((l) => copy(l.bias.grad, l.bias)),
    };
  }

  /**
   * The gradient of the loss on one training example with respect to every
   * parameter, as `loss.backward()` computes it, on detached copies of the
   * parameters so the training state is untouched.
   */
  exampleGradients(example: number): { weightGrads: Float32Array[]; biasGrads: Float32Array[]; loss: number } {
    const { x, target } = this.rows(Int32Array.of(example));
    const params = this.model.parameters().map((p) => new bp.nn.Parameter(p.detach()));
    const loss = lossOf(this.model.network(params).forward(x), target, this.config.loss);
    loss.backward();
    const gradOf = (p: bp.Tensor) => p.grad!.data() as Float32Array;
    return {
      weightGrads: params.filter((_, i) => i % 2 === 0).map(gradOf),
      biasGrads: params.filter((_, i) => i % 2 === 1).map(gradOf),
      loss: loss.item(),
    };
  }
}

/** [n, units] row-major values to [units, n] (one neuron's map after another). */
function unitMajor(values: Float32Array, n: number, units: number): Float32Array {
  const out = new Float32Array(n * units);
  for (let i = 0; i < n; i++) for (let u = 0; u < units; u++) out[u * n + i] = values[i * units + u];
  return out;
}

/** Row-major points of a res×res grid over [-extent, extent]², top row first. */
export function gridPoints(res: number, extent: number): Float32Array {
  const points = new Float32Array(res * res * 2);
  for (let row = 0; row < res; row++) {
    const y = extent - (2 * extent * (row + 0.5)) / res;
    for (let col = 0; col < res; col++) {
      const x = -extent + (2 * extent * (col + 0.5)) / res;
      const p = 2 * (row * res + col);
      points[p] = x;
      points[p + 1] = y;
    }
  }
  return points;
}

function makeOptimizer(name: OptimizerName, params: bp.Tensor[], lr: number): { step(): void; zeroGrad(): void } {
  switch (name) {
    case "sgd":
      return new bp.optim.SGD(params, { lr });
    case "momentum":
      return new bp.optim.SGD(params, { lr, momentum: 0.9 });
    case "adam":
      return new bp.optim.Adam(params, { lr });
    case "adamw":
      return new bp.optim.AdamW(params, { lr });
  }
}
