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

export interface Evaluation {
  trainLoss: number;
  testLoss: number;
  /** null for regression. */
  trainAccuracy: number | null;
  testAccuracy: number | null;
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
  readonly split: Split;
  readonly model: Mlp;
  readonly outputWidth: number;
  /** Optimizer steps taken so far. */
  steps = 0;
  epochs = 0;
  private readonly optimizer: { step(): void; zeroGrad(): void };
  private readonly shuffler: SeededRandom;
  private order: Int32Array;
  private cursor = 0;
  private readonly trainTarget: bp.Tensor;
  private readonly testTarget: bp.Tensor;
  private readonly trainX: bp.Tensor;
  private readonly testX: bp.Tensor;
  /** The last minibatch (for the computation-graph view). */
  lastBatch: { x: bp.Tensor; target: bp.Tensor } | null = null;

  constructor(config: PlaygroundConfig, split: Split) {
    this.config = config;
    this.split = split;
    const data = split.train;
    this.outputWidth = outputWidth(data);
    this.model = new Mlp([data.inputDim, ...config.hidden, this.outputWidth], config.activation, outputActivation(data, config.loss), config.seed);
    this.optimizer = makeOptimizer(config.optimizer, this.model.parameters(), config.learningRate);
    this.shuffler = new SeededRandom(config.seed + 1);
    this.order = this.shuffler.permutation(data.length);
    this.trainX = featuresOf(split.train);
    this.testX = featuresOf(split.test);
    this.trainTarget = makeTarget(split.train.y, data, config.loss);
    this.testTarget = makeTarget(split.test.y, data, config.loss);
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
    this.optimizer.zeroGrad();
    const loss = lossOf(this.model.forward(x), target, this.config.loss);
    loss.backward();
    this.optimizer.step();
    this.steps++;
    this.lastBatch = { x, target };
    return loss.item();
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
    return { trainLoss: train.loss, testLoss: test.loss, trainAccuracy: train.accuracy, testAccuracy: test.accuracy };
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
      const output = this.model.forward(bp.fromStorage(features, [n, this.split.train.inputDim]));
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

function featuresOf(data: Dataset): bp.Tensor {
  return bp.fromStorage(data.x, [data.length, data.inputDim]);
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
