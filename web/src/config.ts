/**
 * The playground's settings (what the controls edit). The defaults are the
 * lecture's network: two sigmoid hidden layers, squared error, plain
 * gradient descent.
 */
import type { ToyName } from "./data/toy.js";

export type DatasetName = ToyName | "digits";
export type Activation = "sigmoid" | "tanh" | "relu";
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
}

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
  if (c.dataset === "sine" && c.loss !== "mse") problems.push(`the sine curve is a regression: use the squared-error loss, not ${c.loss}`);
  return problems;
}
