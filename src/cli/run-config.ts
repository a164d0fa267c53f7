/**
 * config.json of a run directory: what was trained on what, how, and how
 * well. `predict`, `explain`, `gradcheck` and `--resume` rebuild the model
 * and its input scaling from it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CliDataError } from "./errors.js";
import { atomicWrite, readJsonFile } from "./files.js";
import type { Impute, InputColumn, LabelEncoding } from "./encode.js";
import type { Architecture } from "./model.js";
import { ACTIVATIONS, type FloatDType, type LossName, type OptimizerName, type Task } from "./options.js";
import type { EpochMetrics } from "./progress.js";
import type { Scaling } from "./table.js";

export const CONFIG_FILE = "config.json";
export const MODEL_FILE = "model.safetensors";

export interface RunConfig {
  library: { name: string; version: string };
  /**
   * "running" while training (or a process that was killed), "interrupted"
   * after Ctrl-C, "diverged" after a NaN/infinite loss, "complete" at the end.
   * predict refuses a model whose status is not "complete" unless --allow-incomplete.
   */
  status: RunStatus;
  /** Where training diverged (status "diverged"): the checkpoint holds the last good epoch. */
  divergence?: { epoch: number; batch: number; step: number; loss: string; lr: number; cause?: string } | null;
  /** Options changed by --resume, in order. */
  changes?: RunChange[];
  /** Warnings about the trained model (no better than chance, …), as printed. */
  warnings?: string[];
  architecture: Architecture;
  options: {
    data: string;
    target: string | null;
    task: Task;
    loss: LossName;
    optimizer: OptimizerName;
    lr: number;
    epochs: number;
    batchSize: number;
    valSplit: number;
    seed: number;
    dtype: FloatDType;
    standardize: boolean;
    /** --impute: how missing feature cells were filled (null: they were errors). */
    impute?: Impute | null;
    /** --delimiter as given (null: sniffed; data.delimiter says what was found). */
    delimiter?: string | null;
  };
  data: {
    source: string;
    rows: number;
    featureNames: string[];
    targetName: string;
    numClasses: number;
    classNames: string[] | null;
    /** Applied to the features before the network sees them. */
    featureScaling: Scaling | null;
    /** Regression targets are trained standardised; predictions are mapped back with this. */
    targetScaling: { mean: number; std: number } | null;
    /** The data file: absolute, and relative to the run directory (null for bundled datasets). */
    path?: { absolute: string; fromRunDir: string } | null;
    /** CSV: the delimiter the file was read with. */
    delimiter?: string | null;
    /** CSV: the file's feature columns and how each becomes inputs (categories, fills); featureNames are the resulting inputs. */
    columns?: InputColumn[] | null;
    /** Classification: "index" (labels are 0..K-1) or "names" (class i is classNames[i]). */
    labelEncoding?: LabelEncoding | null;
  };
  metrics: Record<string, number | null>;
  history: EpochMetrics[];
}

export type RunStatus = "running" | "interrupted" | "diverged" | "complete";

/** One --resume that changed options: where training stood, and each option's old and new value. */
export interface RunChange {
  epoch: number;
  batch: number;
  time: string;
  changed: Record<string, { from: number | string; to: number | string }>;
  /** True when the optimizer's state (momentum, Adam's moments) was dropped because its type changed. */
  optimizerStateDropped?: boolean;
}

export function writeConfig(dir: string, config: RunConfig): void {
  atomicWrite(path.join(dir, CONFIG_FILE), JSON.stringify(config, null, 2) + "\n");
}

/** Reads and checks config.json, naming what is missing or wrong when the file is not one of ours (or was edited badly). */
export function readConfig(dir: string, flag: string): RunConfig {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new CliDataError(`${flag} ${dir}: no such directory`);
  const file = path.join(dir, CONFIG_FILE);
  if (!fs.existsSync(file)) throw new CliDataError(`${flag} ${dir}: no ${CONFIG_FILE} there; give a run directory written by \`backprop train\``);
  const raw = readJsonFile(file, "config") as Partial<RunConfig> | null;
  // A character model (train --task chars) has its own commands: say which, rather than call its config damaged.
  if (isObject(raw) && (raw as Record<string, unknown>).task === "chars") {
    throw new CliDataError(
      `${flag} ${dir}: this is a character model (trained with --task chars), which generates text instead of predicting table rows; ` +
        `generate from it with: backprop sample --model ${dir}; continue its training with: backprop train --resume ${dir}`,
    );
  }
  const problem = configProblem(raw);
  if (problem) throw new CliDataError(`${file}: not a backprop run configuration (${problem}); the file is damaged`);
  return raw as RunConfig;
}

const ACTIVATION_NAMES: readonly string[] = ACTIVATIONS;
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const isWidth = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 1;
const isFiniteArray = (v: unknown, length: number) => Array.isArray(v) && v.length === length && v.every((x) => typeof x === "number" && Number.isFinite(x));

/**
 * The first thing in a parsed config.json that the commands could not use,
 * or null. Checked here so that a damaged file gives one clear line instead
 * of a TypeError deep inside predict or --resume.
 */
function configProblem(raw: unknown): string | null {
  if (!isObject(raw)) return "not a JSON object";
  const arch = raw.architecture;
  if (!isObject(arch)) return "architecture missing";
  if (!isWidth(arch.inputs) || !isWidth(arch.outputs) || !Array.isArray(arch.hidden) || !arch.hidden.every(isWidth)) {
    return "architecture.inputs, .outputs and .hidden must be whole numbers of at least 1";
  }
  if (!ACTIVATION_NAMES.includes(arch.activation as string)) return `architecture.activation must be one of ${ACTIVATION_NAMES.join(", ")}`;
  if (arch.outputActivation !== "sigmoid" && arch.outputActivation !== "none") return `architecture.outputActivation must be "sigmoid" or "none"`;
  const o = raw.options;
  if (!isObject(o)) return "options missing";
  if (o.task !== "classify" && o.task !== "regress") return `options.task must be "classify" or "regress"`;
  if (o.loss !== "mse" && o.loss !== "cross-entropy") return `options.loss must be "mse" or "cross-entropy"`;
  if (!["sgd", "momentum", "adam", "adamw"].includes(o.optimizer as string)) return "options.optimizer must be sgd, momentum, adam or adamw";
  if (o.dtype !== "float32" && o.dtype !== "float64") return `options.dtype must be "float32" or "float64"`;
  if (typeof o.lr !== "number" || !(o.lr > 0) || !Number.isFinite(o.lr)) return "options.lr must be a positive number";
  for (const k of ["epochs", "batchSize"] as const) if (!isWidth(o[k])) return `options.${k} must be a whole number of at least 1`;
  if (typeof o.valSplit !== "number" || !(o.valSplit >= 0 && o.valSplit < 1)) return "options.valSplit must be at least 0 and below 1";
  if (!Number.isSafeInteger(o.seed) || (o.seed as number) < 0) return "options.seed must be a whole number";
  if (typeof o.data !== "string") return "options.data must be a string";
  const d = raw.data;
  if (!isObject(d)) return "data missing";
  if (!Array.isArray(d.featureNames) || !d.featureNames.every((n) => typeof n === "string")) return "data.featureNames must be a list of names";
  if (d.featureNames.length !== arch.inputs && !Array.isArray(d.columns)) return `data.featureNames has ${d.featureNames.length} names for ${arch.inputs} inputs`;
  if (typeof d.targetName !== "string") return "data.targetName must be a string";
  if (!Number.isSafeInteger(d.numClasses) || (d.numClasses as number) < 0) return "data.numClasses must be a whole number";
  if (o.task === "classify" && d.numClasses !== arch.outputs) return `data.numClasses (${d.numClasses}) must equal architecture.outputs (${arch.outputs})`;
  if (d.classNames !== null && d.classNames !== undefined && (!Array.isArray(d.classNames) || !d.classNames.every((n) => typeof n === "string"))) return "data.classNames must be a list of names or null";
  if (d.featureScaling !== null && d.featureScaling !== undefined) {
    const s = d.featureScaling;
    if (!isObject(s) || !isFiniteArray(s.mean, arch.inputs) || !isFiniteArray(s.std, arch.inputs)) return `data.featureScaling must hold mean and std lists of ${arch.inputs} numbers`;
  }
  if (d.targetScaling !== null && d.targetScaling !== undefined) {
    const s = d.targetScaling;
    if (!isObject(s) || typeof s.mean !== "number" || typeof s.std !== "number" || !Number.isFinite(s.mean) || !Number.isFinite(s.std)) return "data.targetScaling must hold a numeric mean and std";
  }
  if (o.task === "regress" && !isObject(d.targetScaling)) return "data.targetScaling is needed for a regression run";
  if (!Array.isArray(raw.history)) return "history must be a list";
  return null;
}

/**
 * Elements in the parameters of a network of this architecture: compared
 * with a weights file before the network is built, so that a damaged
 * config.json claiming huge layers cannot make us allocate them.
 */
export function parameterCount(arch: Architecture): number {
  let total = 0;
  let width = arch.inputs;
  for (const h of [...arch.hidden, arch.outputs]) {
    total += width * h + h;
    width = h;
  }
  return total;
}

/** The package version, read from package.json next to dist/ (or "unknown" when bundled elsewhere). */
export function libraryVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    return String(pkg.version);
  } catch {
    return "unknown";
  }
}
