/**
 * The files of the PyTorch hand-off that both sides read and write: the
 * optimizer state in torch's state_dict layout as `optimizer.json` (the
 * numbers, tensors named by `{ "$tensor": key }`) plus
 * `optimizer.safetensors` (the tensors); and the import of a run directory
 * written by the hand-off's train.py, so that `--resume` continues it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { loadWithMetadata, serialize } from "../io/index.js";
import type { Optimizer, OptimizerStateDict } from "../optim/index.js";
import { fromPyTorchOptimizerState, joinTensors, splitTensors, toPyTorchOptimizerState, type PyTorchOptimizerState } from "../optim/pytorch-state.js";
import { Generator } from "../tensor/random.js";
import type { Checkpoint } from "./checkpoint.js";
import { CliDataError } from "./errors.js";
import { atomicWrite, readJsonFile } from "./files.js";
import { buildNetwork } from "./model.js";
import { buildOptimizer } from "./optimizer.js";
import { MODEL_FILE, type RunConfig } from "./run-config.js";

export const OPTIMIZER_JSON = "optimizer.json";
export const OPTIMIZER_TENSORS = "optimizer.safetensors";

export function writePyTorchOptimizerState(dir: string, optimizer: Optimizer<any>): void {
  const { json, tensors } = splitTensors(toPyTorchOptimizerState(optimizer));
  atomicWrite(path.join(dir, OPTIMIZER_TENSORS), serialize(tensors));
  atomicWrite(path.join(dir, OPTIMIZER_JSON), JSON.stringify(json, null, 1) + "\n");
}

export function hasPyTorchOptimizerState(dir: string): boolean {
  return fs.existsSync(path.join(dir, OPTIMIZER_JSON));
}

export function readPyTorchOptimizerState(dir: string): PyTorchOptimizerState {
  const jsonFile = path.join(dir, OPTIMIZER_JSON);
  const tensorFile = path.join(dir, OPTIMIZER_TENSORS);
  const json = readJsonFile(jsonFile, "optimizer state");
  const tensors = fs.existsSync(tensorFile) ? loadWithMetadata(tensorFile).tensors : {};
  return joinTensors(json, tensors, `${jsonFile} with ${tensorFile}`) as PyTorchOptimizerState;
}

/**
 * A run directory that train.py wrote (config.json, model.safetensors,
 * optimizer.json + optimizer.safetensors, no checkpoint) as the checkpoint
 * `--resume` continues from: the start of the epoch after the last one in
 * config.json's history, with the shuffling drawn afresh for that epoch.
 */
export function importHandoffRun(dir: string, config: RunConfig): Checkpoint {
  const modelFile = path.join(dir, MODEL_FILE);
  if (!fs.existsSync(modelFile)) throw new CliDataError(`--resume ${dir}: no ${MODEL_FILE} there`);
  const model = loadWithMetadata(modelFile).tensors;
  const net = buildNetwork(config.architecture, config.options.dtype);
  try {
    net.loadStateDict(model);
  } catch (err) {
    throw new CliDataError(`${modelFile}: does not fit the architecture in config.json (${oneLineList((err as Error).message)})`);
  }
  const target = buildOptimizer(config.options.optimizer, net.parameters(), config.options.lr);
  let optimizer: OptimizerStateDict = target.stateDict();
  if (hasPyTorchOptimizerState(dir)) {
    try {
      optimizer = fromPyTorchOptimizerState(target, readPyTorchOptimizerState(dir));
    } catch (err) {
      throw new CliDataError(`--resume ${dir}: ${oneLineList((err as Error).message)}`);
    }
  }
  const history = config.history ?? [];
  const epoch = history.length + 1;
  const seed = config.options.seed;
  return {
    model,
    optimizer,
    position: {
      epoch,
      nextBatch: 0,
      // Not the generator train.py shuffled with (that is torch's): a stream of its own per seed and epoch.
      shuffleStateAtEpochStart: new Generator(((seed ^ 0x5bd1e995) + epoch * 0x9e3779b9) >>> 0).getState(),
      defaultGeneratorState: new Generator(seed).getState(),
      running: { lossSum: 0, scoreSum: 0, samples: 0, seconds: 0 },
      history,
    },
  };
}

/** "N problem(s):\n  a\n  b" as "N problem(s): a; b". */
function oneLineList(message: string): string {
  return message.replace(/:\s*\n\s*/, ": ").replace(/\s*\n\s*/g, "; ");
}
