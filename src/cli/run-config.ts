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
import type { FloatDType, LossName, OptimizerName, Task } from "./options.js";
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
  divergence?: { epoch: number; batch: number; step: number; loss: string; lr: number } | null;
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

/** Reads and checks config.json, naming what is missing when the file is not one of ours. */
export function readConfig(dir: string, flag: string): RunConfig {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new CliDataError(`${flag} ${dir}: no such directory`);
  const file = path.join(dir, CONFIG_FILE);
  if (!fs.existsSync(file)) throw new CliDataError(`${flag} ${dir}: no ${CONFIG_FILE} there; give a run directory written by \`backprop train\``);
  const raw = readJsonFile(file, "config") as Partial<RunConfig> | null;
  const arch = raw?.architecture;
  const ok = raw && typeof raw === "object" && arch && Number.isInteger(arch.inputs) && Number.isInteger(arch.outputs) && Array.isArray(arch.hidden)
    && typeof arch.activation === "string" && raw.options && raw.data && Array.isArray(raw.data.featureNames);
  if (!ok) throw new CliDataError(`${file}: not a backprop run configuration (architecture, options or data missing); the file is damaged`);
  return raw as RunConfig;
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
