/**
 * Option values: parsing and validation. Each parser throws a UsageError
 * that names the option, the value given and what would be accepted.
 */
import { UsageError } from "./errors.js";
import type { LayerSpec } from "./layer-spec.js";
import { parseDelimiter } from "./raw-table.js";
import { nearest } from "./suggest.js";

export const ACTIVATIONS = ["sigmoid", "tanh", "relu", "gelu", "linear"] as const;
export const LOSSES = ["mse", "cross-entropy"] as const;
export const OPTIMIZERS = ["sgd", "momentum", "adam", "adamw"] as const;
export const TASKS = ["classify", "regress"] as const;
/** --task also takes chars: a character model on a text file (chars-train.ts). */
export const TRAIN_TASKS = [...TASKS, "chars"] as const;
export const DTYPES = ["float32", "float64"] as const;
export const BUNDLED = ["digits", "iris", "wine", "diabetes"] as const;

export type Activation = (typeof ACTIVATIONS)[number];
export type LossName = (typeof LOSSES)[number];
export type OptimizerName = (typeof OPTIMIZERS)[number];
export type Task = (typeof TASKS)[number];
export type FloatDType = (typeof DTYPES)[number];

/** Everything `backprop train` was asked to do, after validation. */
export interface TrainOptions {
  data: string;
  target?: string;
  task?: Task;
  /** --layers: Linear widths, or a spec with convolutions and pooling (layer-spec.ts). */
  layers: LayerSpec[];
  /** --image-shape: the rows are images of this [channels, height, width]. */
  imageShape?: number[];
  activation: Activation;
  loss?: LossName;
  optimizer: OptimizerName;
  lr?: number;
  epochs: number;
  batchSize: number;
  valSplit: number;
  seed: number;
  dtype: FloatDType;
  out?: string;
  resume?: string;
  standardize: boolean;
  /** How missing feature cells are filled; absent: they are errors. */
  impute?: "mean" | "median";
  /** Classification with more classes than this is refused (a quantity taken for labels). */
  maxClasses: number;
  /** CSV delimiter; absent: sniffed. */
  delimiter?: string;
  /** Replace the run already in --out. */
  force?: boolean;
  /** Run each backward under detectAnomaly, so a NaN gradient names the op that made it (slower). */
  detectAnomaly?: boolean;
  debug: boolean;
}

export function choice<T extends string>(flag: string, allowed: readonly T[]) {
  return (value: string): T => {
    if ((allowed as readonly string[]).includes(value)) return value as T;
    const near = nearest(value, allowed);
    const hint = near ? ` (did you mean "${near}"?)` : "";
    throw new UsageError(`${flag}: "${value}" is not one of ${allowed.join(", ")}${hint}`);
  };
}

function parseNumber(flag: string, value: string): number {
  const n = value.trim() === "" ? NaN : Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`${flag}: "${value}" is not a number`);
  return n;
}

export function positiveNumber(flag: string) {
  return (value: string): number => {
    const n = parseNumber(flag, value);
    if (!(n > 0)) throw new UsageError(`${flag}: ${value} must be greater than 0`);
    return n;
  };
}

export function positiveInteger(flag: string) {
  return (value: string): number => {
    const n = parseNumber(flag, value);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag}: ${value} must be a whole number of at least 1`);
    return n;
  };
}

export function nonNegativeInteger(flag: string) {
  return (value: string): number => {
    const n = parseNumber(flag, value);
    if (!Number.isInteger(n) || n < 0 || n > 2 ** 32 - 1) throw new UsageError(`${flag}: ${value} must be a whole number from 0 to 4294967295`);
    return n;
  };
}

/** A fraction in [0, 1): the share of rows held out for validation. */
export function fraction(flag: string) {
  return (value: string): number => {
    const n = parseNumber(flag, value);
    if (!(n >= 0 && n < 1)) throw new UsageError(`${flag}: ${value} must be at least 0 and less than 1 (e.g. 0.2)`);
    return n;
  };
}

/** --delimiter: one character, or comma, semicolon, tab, whitespace. */
export function delimiterOption(flag: string) {
  return (value: string): string => {
    const d = parseDelimiter(value);
    if (d === null || d === '"' || d === "\n" || d === "\r") {
      throw new UsageError(`${flag}: ${JSON.stringify(value)} is not a delimiter; give one character (e.g. ";") or one of comma, semicolon, tab, whitespace`);
    }
    return d;
  };
}

/** "1x8x8" → [1, 8, 8]; "28x28" → [1, 28, 28] (one channel). */
export function imageShapeOption(flag: string) {
  return (value: string): number[] => {
    const parts = value.trim().toLowerCase().split(/[x×]/).map((p) => (/^\d+$/.test(p) ? Number(p) : NaN));
    if ((parts.length !== 2 && parts.length !== 3) || parts.some((n) => !(n >= 1))) {
      throw new UsageError(`${flag}: "${value}" is not an image shape; give channels×height×width or height×width with whole numbers of at least 1 (e.g. 1x8x8 or 28x28)`);
    }
    return parts.length === 2 ? [1, ...parts] : parts;
  };
}
