/**
 * The playground's settings (what the controls edit). The defaults are the
 * lecture's network: two sigmoid hidden layers, squared error, plain
 * gradient descent.
 */
import type { ToyName } from "./data/toy.js";
import type { Regression2dName } from "./data/regression2d.js";
import type { FeatureName } from "./data/features.js";

export type DatasetName = ToyName | Regression2dName | "digits";
export type Activation = "sigmoid" | "tanh" | "relu" | "linear";
/** The CLI's names, so that an exported model's config.json reads the same as one `backprop train` writes. */
export type LossName = "mse" | "cross-entropy";
export type OptimizerName = "sgd" | "momentum" | "adam" | "adamw";

export interface PlaygroundConfig {
  dataset: DatasetName;
  /** Widths of the hidden layers, input side first. */
  hidden: number[];
  activation: Activation;
  loss: LossName;
  optimizer: OptimizerName;
  learningRate: number;
  batchSize: number;
  /** 0..1, for the toy datasets. */
  noise: number;
  /** Fraction of the examples used for training. */
  trainFraction: number;
  /** Number of examples drawn for a toy dataset. */
  samples: number;
  seed: number;
  // ---- TensorFlow Playground parity (issue #18)
  /** Penalty on the weights (not the biases) added to the training loss. */
  regularization: RegularizationKind;
  /** The penalty's factor λ: loss + λ·Σ|w| (L1) or loss + λ·½Σw² (L2). */
  regularizationRate: number;
  /** The input features computed from a 2-D point (ignored by the sine curve and digits). */
  features: FeatureName[];
}

export type RegularizationKind = "none" | "l1" | "l2";

/** Upper bounds of the settings (the form and a link may ask for up to these). */
export const LIMITS = { maxLearningRate: 100, maxBatch: 10_000, maxRegularizationRate: 10, maxSeed: 2 ** 31 - 1 } as const;

export const DEFAULT_CONFIG: PlaygroundConfig = {
  dataset: "circle",
  hidden: [8, 8],
  activation: "sigmoid",
  loss: "mse",
  optimizer: "sgd",
  learningRate: 1,
  batchSize: 10,
  noise: 0,
  trainFraction: 0.5,
  samples: 400,
  seed: 1,
  regularization: "none",
  regularizationRate: 0,
  features: ["x", "y"],
};

export const MAX_HIDDEN_LAYERS = 6;
export const MAX_WIDTH = 32;

/** Checks a configuration; returns a list of problems (empty when it is usable). */
export function validateConfig(c: PlaygroundConfig): string[] {
  const problems: string[] = [];
  if (c.hidden.length > MAX_HIDDEN_LAYERS) problems.push(`at most ${MAX_HIDDEN_LAYERS} hidden layers, got ${c.hidden.length}`);
  c.hidden.forEach((w, i) => {
    if (!Number.isInteger(w) || w < 1 || w > MAX_WIDTH) problems.push(`hidden layer ${i + 1}: width must be an integer 1..${MAX_WIDTH}, got ${w}`);
  });
  if (!(c.learningRate > 0 && Number.isFinite(c.learningRate))) problems.push(`learning rate must be a positive number, got ${c.learningRate}`);
  if (!Number.isInteger(c.batchSize) || c.batchSize < 1) problems.push(`batch size must be a positive integer, got ${c.batchSize}`);
  if (!(c.noise >= 0 && c.noise <= 1)) problems.push(`noise must lie in [0, 1], got ${c.noise}`);
  if (!(c.trainFraction > 0 && c.trainFraction < 1)) problems.push(`train fraction must lie strictly between 0 and 1, got ${c.trainFraction}`);
  if (isRegression(c.dataset) && c.loss !== "mse") problems.push(`${c.dataset === "sine" ? "the sine curve" : c.dataset} is a regression: use the squared-error loss, not ${c.loss}`);
  if (!(c.regularizationRate >= 0 && Number.isFinite(c.regularizationRate))) problems.push(`regularisation rate must be a number of at least 0, got ${c.regularizationRate}`);
  if (c.features.length === 0) problems.push("choose at least one input feature");
  if (c.learningRate > LIMITS.maxLearningRate) problems.push(`learning rate must be at most ${LIMITS.maxLearningRate}, got ${c.learningRate}`);
  if (c.batchSize > LIMITS.maxBatch) problems.push(`batch size must be at most ${LIMITS.maxBatch}, got ${c.batchSize}`);
  if (c.regularizationRate > LIMITS.maxRegularizationRate) problems.push(`regularisation rate must be at most ${LIMITS.maxRegularizationRate}, got ${c.regularizationRate}`);
  if (!Number.isInteger(c.seed) || c.seed < 0 || c.seed > LIMITS.maxSeed) problems.push(`seed must be a whole number 0..${LIMITS.maxSeed}, got ${c.seed}`);
  return problems;
}

/** Datasets whose targets are numbers rather than classes (they train with squared error). */
export function isRegression(dataset: DatasetName): boolean {
  return dataset === "sine" || dataset === "reg-plane" || dataset === "reg-gauss";
}
