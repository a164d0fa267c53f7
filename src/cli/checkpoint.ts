/**
 * The training checkpoint: ONE file, `checkpoint.safetensors`, so that it is
 * replaced atomically as a whole. It holds the model's parameters (under
 * "model.<name>"), the optimizer's tensors (under "optimizer.<path>") and,
 * in the safetensors metadata, a JSON record of everything else needed to
 * continue bit for bit: epoch, next batch, generator states, running sums,
 * history, and the optimizer's non-tensor state.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { readSafetensors, serialize, type StateDict } from "../io/index.js";
import { Tensor } from "../tensor/tensor.js";
import type { GeneratorState } from "../tensor/random.js";
import { CliDataError } from "./errors.js";
import { atomicWrite } from "./files.js";
import type { EpochMetrics } from "./progress.js";

export const CHECKPOINT_FILE = "checkpoint.safetensors";
const FORMAT = "backprop-checkpoint/1";

/** Where training stands: the next batch to run is `nextBatch` of epoch `epoch` (1-based). */
export interface TrainingPosition {
  epoch: number;
  nextBatch: number;
  /** The shuffling generator as it was when this epoch's order was drawn. */
  shuffleStateAtEpochStart: GeneratorState;
  /** The global generator (initialisation, dropout). */
  defaultGeneratorState: GeneratorState;
  /** Sums over the batches of the current epoch run so far. */
  running: { lossSum: number; scoreSum: number; samples: number; seconds: number };
  history: EpochMetrics[];
}

export interface Checkpoint {
  position: TrainingPosition;
  model: StateDict;
  optimizer: unknown;
}

/** Splits a nested state (the optimizer's) into JSON with placeholders and the tensors they name. */
function flatten(value: unknown, key: string, tensors: StateDict): unknown {
  if (value instanceof Tensor) {
    tensors[`optimizer.${key}`] = value;
    return { $tensor: key };
  }
  if (typeof value === "number" && !Number.isFinite(value)) return { $number: String(value) };
  if (Array.isArray(value)) return value.map((v, i) => flatten(v, key ? `${key}.${i}` : String(i), tensors));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = flatten(v, key ? `${key}.${k}` : k, tensors);
    return out;
  }
  return value;
}

function unflatten(value: unknown, tensors: StateDict, file: string): unknown {
  if (Array.isArray(value)) return value.map((v) => unflatten(v, tensors, file));
  if (value !== null && typeof value === "object") {
    const rec = value as Record<string, unknown>;
    if (typeof rec.$tensor === "string") {
      const t = tensors[`optimizer.${rec.$tensor}`];
      if (!t) throw new CliDataError(`${file}: the optimizer state names tensor "${rec.$tensor}", which the file does not hold; the checkpoint is damaged`);
      return t;
    }
    if (typeof rec.$number === "string") return Number(rec.$number);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(rec)) out[k] = unflatten(v, tensors, file);
    return out;
  }
  return value;
}

export function saveCheckpoint(dir: string, checkpoint: Checkpoint): string {
  const tensors: StateDict = {};
  for (const [name, t] of Object.entries(checkpoint.model)) tensors[`model.${name}`] = t;
  const optimizer = flatten(checkpoint.optimizer, "", tensors);
  const state = JSON.stringify({ position: checkpoint.position, optimizer });
  const file = path.join(dir, CHECKPOINT_FILE);
  atomicWrite(file, serialize(tensors, { format: FORMAT, state }));
  return file;
}

export function hasCheckpoint(dir: string): boolean {
  return fs.existsSync(path.join(dir, CHECKPOINT_FILE));
}

export function loadCheckpoint(dir: string): Checkpoint {
  const file = path.join(dir, CHECKPOINT_FILE);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new CliDataError(`--resume ${dir}: no such directory`);
  if (!fs.existsSync(file)) {
    throw new CliDataError(`--resume ${dir}: the directory holds no checkpoint (${CHECKPOINT_FILE} is missing); give the run directory that \`backprop train --out\` wrote`);
  }
  const contents = readSafetensors(fs.readFileSync(file), file);
  const meta = contents.metadata;
  if (!meta || meta.format !== FORMAT || typeof meta.state !== "string") {
    throw new CliDataError(`${file}: not a backprop checkpoint (its metadata lacks format "${FORMAT}")`);
  }
  let parsed: { position: TrainingPosition; optimizer: unknown };
  try {
    parsed = JSON.parse(meta.state);
  } catch (err) {
    throw new CliDataError(`${file}: the checkpoint's state record is not valid JSON (${(err as Error).message}); the checkpoint is damaged`);
  }
  const problem = positionProblem((parsed as { position?: unknown } | null)?.position);
  if (problem) throw new CliDataError(`${file}: the checkpoint's position record is damaged (${problem}); resume from a copy, or retrain`);
  const model: StateDict = {};
  for (const [name, t] of Object.entries(contents.tensors)) if (name.startsWith("model.")) model[name.slice(6)] = t;
  return { position: parsed.position, model, optimizer: unflatten(parsed.optimizer, contents.tensors, file) };
}

const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
const isGeneratorState = (v: unknown) => {
  const g = v as GeneratorState | null;
  return g !== null && typeof g === "object" && Array.isArray(g.words) && g.words.length === 4 && g.words.every((w) => Number.isSafeInteger(w)) && (g.spare === null || typeof g.spare === "number");
};

/** What is wrong with a checkpoint's position record, or null: --resume must not trip over it later. */
function positionProblem(p: unknown): string | null {
  if (p === null || typeof p !== "object" || Array.isArray(p)) return "no position";
  const pos = p as Partial<TrainingPosition>;
  if (!Number.isSafeInteger(pos.epoch) || pos.epoch! < 1) return "epoch must be a whole number of at least 1";
  if (!isCount(pos.nextBatch)) return "nextBatch must be a whole number";
  if (!isGeneratorState(pos.shuffleStateAtEpochStart) || !isGeneratorState(pos.defaultGeneratorState)) return "the generator states must be { words: [4 numbers], spare }";
  const r = pos.running as Record<string, unknown> | undefined;
  if (!r || typeof r !== "object" || !["lossSum", "scoreSum", "samples", "seconds"].every((k) => typeof r[k] === "number")) return "running must hold lossSum, scoreSum, samples and seconds";
  if (!Array.isArray(pos.history) || !pos.history.every((m) => m !== null && typeof m === "object")) return "history must be a list of epochs";
  return null;
}
