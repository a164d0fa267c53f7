/**
 * `backprop export`: a run directory out to another framework.
 *
 * --format pytorch writes a self-contained folder: model.py (the same
 * nn.Sequential, same parameter names), model.safetensors, the optimizer's
 * state in torch's state_dict layout (optimizer.json + optimizer.safetensors),
 * handoff.json (preprocessing, split, hyperparameters and the loss after one
 * more step on a fixed batch, measured here), the data (data.csv, encoded as
 * the network sees it before scaling; IDX directories are referenced), the
 * run's config.json, and train.py, which continues training with
 * DistributedDataParallel and writes a run directory backprop reads back.
 *
 * --format onnx writes one .onnx file through exportRunToOnnx (export-onnx.ts).
 */
import { exportRunToOnnx } from "./export-onnx.js";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { noGrad } from "../graph/mode.js";
import { save } from "../io/index.js";
import type { Module } from "../nn/index.js";
import { GELU, Identity, Linear, ReLU, Sigmoid, Tanh, type Sequential } from "../nn/index.js";
import { loadPyTorchOptimizerState } from "../optim/pytorch-state.js";
import { makeBatch } from "./batches.js";
import { hasCheckpoint, loadCheckpoint } from "./checkpoint.js";
import { loadRunTable } from "./data-source.js";
import { CliDataError, UsageError } from "./errors.js";
import { atomicWrite, ensureWritableDir } from "./files.js";
import { hasPyTorchOptimizerState, readPyTorchOptimizerState, writePyTorchOptimizerState } from "./handoff-files.js";
import { batchLoss } from "./model.js";
import { buildOptimizer } from "./optimizer.js";
import type { Output } from "./progress.js";
import { CONFIG_FILE, MODEL_FILE, type RunConfig } from "./run-config.js";
import { loadSavedModel } from "./saved-model.js";
import { splitIndices, type Table } from "./table.js";

export const EXPORT_FORMATS = ["pytorch", "onnx"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportOptions {
  format: ExportFormat;
  model: string;
  out: string;
  force?: boolean;
  /** Rows in the fixed batch of the next-step check (the first training rows, in order). */
  checkRows: number;
}

export const HANDOFF_FORMAT = "backprop-pytorch-handoff/1";
const HANDOFF_FILES = ["model.py", "train.py", MODEL_FILE, "optimizer.json", "optimizer.safetensors", "handoff.json", CONFIG_FILE, "data.csv"];

export function exportCommand(opts: ExportOptions, out: Output): void {
  if (opts.format === "onnx") {
    exportOnnx(opts, out);
    return;
  }
  exportPyTorch(opts, out);
}

/** The run as one ONNX file at --out (its feature scaling built into the graph; see export-onnx.ts). */
export function exportOnnx(opts: ExportOptions, out: Output): void {
  if (fs.existsSync(opts.out) && !opts.force) {
    throw new CliDataError(`--out ${opts.out}: the file exists; choose another --out or add --force`);
  }
  const summary = exportRunToOnnx(opts.model, opts.out);
  out.write(
    `wrote ${summary.file} (${summary.bytes} bytes, ONNX opset 17): input "features" [batch, ${summary.inputs}] ` +
      `(${summary.featureNames.join(", ")}), output "output" [batch, ${summary.outputs}]\n`,
  );
}

function exportPyTorch(opts: ExportOptions, out: Output): void {
  const { config, net } = loadSavedModel(opts.model, "--model");
  const present = HANDOFF_FILES.filter((f) => fs.existsSync(path.join(opts.out, f)));
  if (present.length > 0 && !opts.force) {
    throw new CliDataError(`--out ${opts.out}: the folder already holds an export (${present.join(", ")}); choose another --out or add --force`);
  }
  ensureWritableDir(opts.out);
  const o = config.options;
  const table = loadRunTable(config, opts.model);
  const { train, val } = splitIndices(table.rows, o.valSplit, o.seed);

  // The optimizer as training left it: the checkpoint (a backprop run) or PyTorch's files (a run train.py wrote).
  const optimizer = buildOptimizer(o.optimizer, net.parameters(), o.lr);
  let optimizerNote = "";
  if (hasCheckpoint(opts.model)) {
    const checkpoint = loadCheckpoint(opts.model);
    net.loadStateDict(checkpoint.model);
    optimizer.loadStateDict(checkpoint.optimizer as Parameters<typeof optimizer.loadStateDict>[0]);
  } else if (hasPyTorchOptimizerState(opts.model)) {
    loadPyTorchOptimizerState(optimizer, readPyTorchOptimizerState(opts.model));
  } else {
    optimizerNote = " (the run holds no optimizer state: train.py starts the optimizer afresh)";
  }
  for (const group of optimizer.paramGroups) group.lr = o.lr;

  save(net.stateDict(), path.join(opts.out, MODEL_FILE));
  writePyTorchOptimizerState(opts.out, optimizer);
  atomicWrite(path.join(opts.out, "model.py"), modelPy(net, config));
  atomicWrite(path.join(opts.out, "train.py"), fs.readFileSync(trainPyFile()));
  atomicWrite(path.join(opts.out, CONFIG_FILE), JSON.stringify(config, null, 2) + "\n");
  const data = writeData(table, opts.out);

  const checkRows = Array.from(train.subarray(0, Math.min(opts.checkRows, train.length)));
  // Measured last: the step changes the network and the optimizer, whose files are already written.
  const check = nextStepLosses(net, optimizer, table, config, checkRows);
  const handoff = {
    format: HANDOFF_FORMAT,
    run: path.resolve(opts.model),
    dtype: o.dtype, task: o.task, loss: o.loss, optimizer: o.optimizer, lr: o.lr, batchSize: o.batchSize, seed: o.seed,
    architecture: config.architecture,
    epochsDone: config.history?.length ?? 0,
    data,
    preprocessing: { featureScaling: config.data.featureScaling, targetScaling: config.data.targetScaling },
    split: { train: Array.from(train), val: Array.from(val) },
    check: { rows: checkRows, ...check },
  };
  atomicWrite(path.join(opts.out, "handoff.json"), JSON.stringify(handoff) + "\n");
  out.write(
    `exported ${opts.model} (${config.status}, ${handoff.epochsDone} epochs, ${o.optimizer}) to ${opts.out}: model.py, train.py, ${MODEL_FILE}, optimizer.json + optimizer.safetensors${optimizerNote}, handoff.json, ${CONFIG_FILE}${data.kind === "csv" ? ", data.csv" : ""}\n` +
      `next-step check on ${checkRows.length} fixed training rows: loss ${check.lossBefore} now, ${check.lossAfter} after one ${o.optimizer} step here; compare with: python3 ${path.join(opts.out, "train.py")} --check-next-step\n` +
      `continue training: python3 train.py --epochs N --out DIR (one process), torchrun --nproc_per_node=N train.py --epochs N --out DIR (N processes)\n`,
  );
}

/** train.py ships next to this file in src/; from dist/cli it is found in ../../src/cli/handoff. */
function trainPyFile(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, "handoff", "train.py"), path.resolve(here, "../../src/cli/handoff/train.py")];
  const found = candidates.find((f) => fs.existsSync(f));
  if (!found) throw new CliDataError(`export: train.py is missing from this installation (looked in ${candidates.join(", ")})`);
  return found;
}

/**
 * The data for train.py. CSV and bundled data are written as data.csv: the
 * network's input columns as encoded here (text categories one-hot, missing
 * cells filled), before standardising, then the target (a class index or
 * the raw number). IDX directories are read where they are.
 */
function writeData(table: Table, dir: string): { kind: "csv"; file: string; source: string } | { kind: "idx"; path: string; source: string } {
  if (table.inputColumns === null && fs.existsSync(table.source) && fs.statSync(table.source).isDirectory()) {
    return { kind: "idx", path: path.resolve(table.source), source: path.resolve(table.source) };
  }
  const lines: string[] = [[...table.featureNames, table.targetName].map(csvCell).join(",")];
  const d = table.columns;
  for (let r = 0; r < table.rows; r++) {
    const cells = new Array<string>(d + 1);
    for (let c = 0; c < d; c++) cells[c] = String(table.features[r * d + c]);
    cells[d] = String(table.target[r]);
    lines.push(cells.join(","));
  }
  atomicWrite(path.join(dir, "data.csv"), lines.join("\n") + "\n");
  return { kind: "csv", file: "data.csv", source: fs.existsSync(table.source) ? path.resolve(table.source) : table.source };
}

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The loss on the fixed batch now, and after one optimizer step on that batch. */
function nextStepLosses(net: Sequential, optimizer: ReturnType<typeof buildOptimizer>, table: Table, config: RunConfig, rows: number[]): { lossBefore: number; lossAfter: number } {
  const o = config.options;
  const batch = makeBatch(table, rows, config.data.featureScaling, config.data.targetScaling, o.dtype, table.task === "classify" && o.loss === "mse");
  optimizer.zeroGrad();
  const loss = batchLoss(o.loss, table.task, net.forward(batch.x), batch.labels, batch.oneHot);
  const lossBefore = loss.item();
  loss.backward();
  optimizer.step();
  const lossAfter = noGrad(() => batchLoss(o.loss, table.task, net.forward(batch.x), batch.labels, batch.oneHot).item());
  return { lossBefore, lossAfter };
}

function torchLayer(m: Module): string {
  if (m instanceof Linear) return `nn.Linear(${m.inFeatures}, ${m.outFeatures}, bias=${m.bias ? "True" : "False"})`;
  if (m instanceof Sigmoid) return "nn.Sigmoid()";
  if (m instanceof Tanh) return "nn.Tanh()";
  if (m instanceof ReLU) return "nn.ReLU()";
  if (m instanceof GELU) return `nn.GELU(approximate="${m.approximate}")`;
  if (m instanceof Identity) return "nn.Identity()";
  throw new CliDataError(`export: no PyTorch equivalent written for the layer ${m.constructor.name}`);
}

function modelPy(net: Sequential, config: RunConfig): string {
  const a = config.architecture;
  const layers = [...net.namedChildren()].map(([name, m]) => `        ${torchLayer(m)},  # ${name}`).join("\n");
  return `"""The network of a backprop run, as a plain torch.nn.Sequential with the same parameter names.

Written by \`backprop export --format pytorch\`: ${[a.inputs, ...a.hidden, a.outputs].join("-")} ${a.activation} network${a.outputActivation === "sigmoid" ? ", sigmoid outputs" : ""}.
Load the weights with: model.load_state_dict(read_safetensors("model.safetensors")) (see train.py).
"""
import torch
from torch import nn


def build_model(dtype=torch.${config.options.dtype}):
    return nn.Sequential(
${layers}
    ).to(dtype)
`;
}
