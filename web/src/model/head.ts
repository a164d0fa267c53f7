/**
 * The network's head, with the same conventions as `backprop train` (so an
 * exported model predicts the same way there): one output per class; with
 * squared error the outputs pass through a sigmoid and aim at one-hot rows,
 * with cross-entropy they are logits; a regression has one linear output.
 * Plain functions, free of the library, so the page can use them too.
 */
import type { LossName } from "../config.js";
import type { Dataset } from "../data/dataset.js";

export type OutputActivation = "sigmoid" | "none";

/** Width of the output layer for a dataset. */
export function outputWidth(data: Pick<Dataset, "task" | "numClasses">): number {
  return data.task === "regression" ? 1 : data.numClasses;
}

/** A sigmoid on the outputs for classification by squared error (the lecture's choice), none otherwise. */
export function outputActivation(data: Pick<Dataset, "task">, loss: LossName): OutputActivation {
  return data.task !== "regression" && loss === "mse" ? "sigmoid" : "none";
}

/**
 * Reads out predictions from a [n, width] output: the predicted class (the
 * largest output) or value, and for two classes the score of class 1 in
 * [0, 1] (the sigmoid output, or the softmax of the logits), which colours
 * the decision boundary.
 */
export function readPredictions(output: Float32Array, n: number, width: number, task: Dataset["task"], loss: LossName): { predicted: Float32Array; score: Float32Array } {
  const predicted = new Float32Array(n);
  const score = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const row = i * width;
    if (task === "regression") {
      predicted[i] = output[row];
      score[i] = output[row];
    } else {
      let best = 0;
      for (let c = 1; c < width; c++) if (output[row + c] > output[row + best]) best = c;
      predicted[i] = best;
      if (width === 2) {
        // Softmax of two logits = sigmoid of their difference; sigmoid outputs score each class on its own.
        score[i] = loss === "cross-entropy" ? 1 / (1 + Math.exp(output[row] - output[row + 1])) : output[row + 1];
      }
    }
  }
  return { predicted, score };
}

/** Fraction of rows whose predicted class equals the label. */
export function accuracy(predicted: Float32Array, labels: Float32Array): number {
  let right = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) right++;
  return labels.length === 0 ? 0 : right / labels.length;
}
