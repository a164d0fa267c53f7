/**
 * How the network's output is scored against the data (see head.ts for the
 * conventions): the target tensor each loss expects, and the loss itself,
 * from bp.F.
 */
import * as bp from "backpropagation";
import type { LossName } from "../config.js";
import type { Dataset } from "../data/dataset.js";
import { outputWidth } from "./head.js";

/**
 * Targets as the loss wants them: class indices (int32) for cross-entropy,
 * one-hot rows for squared error on classes, a column for regression.
 */
export function makeTarget(labels: Float32Array, data: Pick<Dataset, "task" | "numClasses">, loss: LossName): bp.Tensor {
  const n = labels.length;
  const width = outputWidth(data);
  if (data.task === "regression") return bp.fromStorage(Float32Array.from(labels), [n, 1]);
  if (loss === "cross-entropy") return bp.tensor(Int32Array.from(labels), { dtype: "int32" });
  const oneHot = new Float32Array(n * width);
  for (let i = 0; i < n; i++) oneHot[i * width + labels[i]] = 1;
  return bp.fromStorage(oneHot, [n, width]);
}

/** The mean loss of a batch. */
export function lossOf(output: bp.Tensor, target: bp.Tensor, loss: LossName): bp.Tensor {
  switch (loss) {
    case "mse":
      return bp.F.mseLoss(output, target);
    case "cross-entropy":
      return bp.F.crossEntropy(output, target);
  }
}
