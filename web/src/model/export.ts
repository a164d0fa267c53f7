/**
 * Export of the trained network as the two files `backprop predict` reads
 * from a run directory: model.safetensors (the state dict with PyTorch's
 * names, "0.weight", "0.bias", "2.weight", ...) and config.json (in the
 * layout of src/cli/run-config.ts: the architecture that rebuilds the
 * network, how it was trained, and what the data looked like).
 */
import * as bp from "backpropagation";
import type { PlaygroundConfig } from "../config.js";
import type { Dataset } from "../data/dataset.js";
import type { Evaluation } from "./trainer.js";
import type { Mlp } from "./mlp.js";

export interface ExportedModel {
  safetensors: Uint8Array;
  config: Record<string, unknown>;
}

export interface ExportInput {
  model: Mlp;
  settings: PlaygroundConfig;
  train: Dataset;
  /** All rows of the dataset (train and test). */
  rows: number;
  epochs: number;
  evaluation: Evaluation;
  /** The engineered input features of 2-D data (their names become the feature names), or null. */
  features?: readonly string[] | null;
}

export function exportModel(input: ExportInput): ExportedModel {
  const stateDict: Record<string, bp.Tensor> = {};
  for (const [name, p] of input.model.namedParameters()) stateDict[name] = p.detach();
  const safetensors = bp.serialize(stateDict, { producer: "backprop playground", dataset: input.train.name });
  return { safetensors, config: runConfig(input) };
}

/**
 * Feature names as the CLI would give them: x1, x2 for the plane, pixel_0..63
 * for digits; with engineered features other than the plain (x, y), theirs
 * (x, y, x2, xy, sinx, ...), the columns a CSV for `backprop predict` must then hold.
 */
function featureNames(data: Dataset, features?: readonly string[] | null): string[] {
  if (features && features.join(",") !== "x,y") return [...features]; // plain (x, y) stays x1, x2
  if (data.name === "digits") return Array.from({ length: data.inputDim }, (_, i) => `pixel_${i}`);
  return Array.from({ length: data.inputDim }, (_, i) => `x${i + 1}`);
}

export function runConfig({ model, settings, train, rows, epochs, evaluation, features }: ExportInput): Record<string, unknown> {
  const classify = train.task !== "regression";
  return {
    library: { name: "backpropagation", version: "playground" },
    status: "complete",
    architecture: {
      inputs: model.sizes[0],
      hidden: model.sizes.slice(1, -1),
      outputs: model.sizes[model.sizes.length - 1],
      activation: model.activation,
      outputActivation: model.outputActivation,
    },
    options: {
      data: `playground:${train.name}`,
      target: null,
      task: classify ? "classify" : "regress",
      loss: settings.loss,
      optimizer: settings.optimizer,
      lr: settings.learningRate,
      epochs,
      batchSize: settings.batchSize,
      valSplit: 1 - settings.trainFraction,
      seed: settings.seed,
      dtype: "float32",
      standardize: false,
    },
    data: {
      source: train.name === "digits" ? "digits (bundled)" : `playground ${train.name}, ${settings.samples} points, noise ${settings.noise}`,
      rows,
      featureNames: featureNames(train, features),
      targetName: classify ? "label" : "y",
      numClasses: classify ? train.numClasses : 0,
      classNames: null,
      featureScaling: null,
      // Targets are used as they are; predict and --resume need the scaling named for a regression run.
      targetScaling: classify ? null : { mean: 0, std: 1 },
    },
    metrics: {
      trainLoss: evaluation.trainLoss,
      valLoss: evaluation.testLoss,
      valAccuracy: evaluation.testAccuracy,
    },
    history: [],
  };
}
