/**
 * The network and batch that `explain` and `gradcheck` look at: a saved
 * model (--model) or a freshly initialised lecture network, on the first
 * rows of its data, all in float64 so finite differences are meaningful.
 */
import type { Sequential } from "../nn/index.js";
import { manualSeed } from "../tensor/random.js";
import type { Tensor } from "../tensor/tensor.js";
import { makeBatch, type Batch } from "./batches.js";
import { loadRunTable, loadTable } from "./data-source.js";
import { architectureFor, batchLoss, buildNetwork, describeArchitecture, type Architecture } from "./model.js";
import type { LossName, Task } from "./options.js";
import { readConfig } from "./run-config.js";
import { loadSavedModel } from "./saved-model.js";
import { fitScaling } from "./table.js";

export interface Probe {
  net: Sequential;
  architecture: Architecture;
  batch: Batch;
  loss: LossName;
  task: Task;
  /** "a freshly initialised 64-32-32-10 sigmoid network" or "the model in runs/x". */
  description: string;
  dataName: string;
  lossOf(output: Tensor): Tensor;
}

export function makeProbe(modelDir: string | undefined, rows: number, seed: number, dataOverride?: string): Probe {
  let net: Sequential;
  let architecture: Architecture;
  let loss: LossName;
  let task: Task;
  let dataName: string;
  let description: string;
  let featureScaling;
  let targetScaling = null;
  if (modelDir) {
    const saved = loadSavedModel(modelDir, "--model", "float64");
    net = saved.net;
    // Dropout off and batch norm on its running statistics: the loss is then a function of the parameters, sample by sample.
    net.eval();
    architecture = saved.config.architecture;
    loss = saved.config.options.loss;
    task = saved.config.options.task;
    dataName = saved.config.options.data;
    featureScaling = saved.config.data.featureScaling;
    targetScaling = saved.config.data.targetScaling;
    description = `the model in ${modelDir}`;
  } else {
    dataName = "digits";
    loss = "mse";
    task = "classify";
    architecture = architectureFor(64, [{ kind: "dense", units: 32 }, { kind: "dense", units: 32 }], 10, "sigmoid", task, loss);
    manualSeed(seed);
    net = buildNetwork(architecture, "float64");
    description = "a freshly initialised lecture network";
  }
  // A saved model's data is found from config.json (or --data) and encoded as in training.
  const table = modelDir ? loadRunTable(readConfig(modelDir, "--model"), modelDir, dataOverride) : loadTable(dataName, { task, numClasses: task === "classify" ? architecture.outputs : undefined });
  const take = Math.min(rows, table.rows);
  const indices = Int32Array.from({ length: take }, (_, i) => i);
  if (!modelDir) featureScaling = fitScaling(table, Int32Array.from({ length: table.rows }, (_, i) => i));
  const batch = makeBatch(table, indices, featureScaling ?? null, targetScaling, "float64", task === "classify" && loss === "mse", architecture.inputShape);
  return {
    net, architecture, batch, loss, task, dataName,
    description: `${description} (${shortArchitecture(architecture)}), ${loss} loss, ${take} rows of ${dataName}, float64`,
    lossOf: (output) => batchLoss(loss, task, output, batch.labels, batch.oneHot),
  };
}

/** "64-32-32-10, sigmoid, sigmoid outputs" for a plain stack; the layer spec otherwise. */
function shortArchitecture(a: Architecture): string {
  if (a.layers) return describeArchitecture(a);
  return `${[a.inputs, ...a.hidden, a.outputs].join("-")}, ${a.activation}${a.outputActivation === "sigmoid" ? ", sigmoid outputs" : ""}`;
}
