/**
 * The CLI's in-memory dataset: a row-major feature matrix and a target
 * column, with what is needed to turn them into batches.
 */
import { DataError } from "../errors.js";
import { Generator } from "../tensor/random.js";
import type { InputColumn, LabelEncoding } from "./encode.js";
import type { Task } from "./options.js";

export interface Table {
  /** Where the rows came from, for messages ("digits", "data.csv"). */
  source: string;
  rows: number;
  columns: number;
  /** rows × columns, row-major (float32 when the source is, to halve the memory of image data). */
  features: Float32Array | Float64Array;
  featureNames: string[];
  targetName: string;
  /** One value per row: a class index (classification) or a number (regression). */
  target: Float64Array;
  task: Task;
  numClasses: number;
  classNames: string[] | null;
  /** CSV data: the file's feature columns and how each becomes inputs (null for bundled and IDX data: all numeric). */
  inputColumns: InputColumn[] | null;
  /** Classification: whether labels are indices as they are, or names encoded by classNames. */
  labelEncoding: LabelEncoding | null;
  /** CSV data: the delimiter used. */
  delimiter: string | null;
  /** What was read and inferred, one line each, printed by train. */
  notes: string[];
  /** Image data (bundled digits, IDX images, --image-shape): each row is an image of this [channels, height, width]. */
  imageShape?: number[] | null;
}

/** Rejects NaN or infinite values, naming the row and column (1-based line numbers assume one header line when `headerLines` is 1). */
export function checkFinite(t: Table, headerLines: number): void {
  const { rows, columns, features, target } = t;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      const v = features[r * columns + c];
      if (!Number.isFinite(v)) {
        throw new DataError(`${t.source}: line ${r + 1 + headerLines}, column ${c + 1} ("${t.featureNames[c]}"): the value is ${v}; every feature must be a finite number`);
      }
    }
    if (!Number.isFinite(target[r])) {
      throw new DataError(`${t.source}: line ${r + 1 + headerLines}, target column "${t.targetName}": the value is ${target[r]}; targets must be finite numbers`);
    }
  }
}

/** Class labels must be whole numbers 0..K-1 (K from the model when one is given). */
export function checkLabels(t: Table, headerLines: number, numClasses?: number): number {
  let max = -1;
  for (let r = 0; r < t.rows; r++) {
    const v = t.target[r];
    const limit = numClasses === undefined ? "" : ` (this model knows classes 0 to ${numClasses - 1})`;
    if (!Number.isInteger(v) || v < 0 || (numClasses !== undefined && v >= numClasses)) {
      throw new DataError(`${t.source}: line ${r + 1 + headerLines}, target column "${t.targetName}": class label ${v} is out of range; labels must be whole numbers from 0${limit}`);
    }
    if (v > max) max = v;
  }
  return max + 1;
}

/** Deterministic train/validation split: a seeded permutation, the first part held out. */
export function splitIndices(rows: number, valFraction: number, seed: number): { train: Int32Array; val: Int32Array } {
  const perm = permutation(rows, new Generator(seed));
  const nVal = Math.round(rows * valFraction);
  if (rows - nVal < 1) throw new DataError(`--val-split ${valFraction}: leaves no rows to train on (the data has ${rows})`);
  return { val: perm.slice(0, nVal).sort(), train: perm.slice(nVal).sort() };
}

/** Fisher–Yates shuffle of 0..n-1 driven by `generator`. */
export function permutation(n: number, generator: Generator): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = generator.integer(0, i + 1);
    const tmp = p[i];
    p[i] = p[j];
    p[j] = tmp;
  }
  return p;
}

export interface Scaling {
  mean: number[];
  std: number[];
}

/** Per-column mean and standard deviation over the given rows (a constant column gets std 1, so it maps to 0). */
export function fitScaling(t: Table, rows: Int32Array): Scaling {
  const d = t.columns;
  const mean = new Array<number>(d).fill(0);
  const sq = new Array<number>(d).fill(0);
  for (const r of rows) for (let c = 0; c < d; c++) mean[c] += t.features[r * d + c];
  for (let c = 0; c < d; c++) mean[c] /= rows.length;
  for (const r of rows) for (let c = 0; c < d; c++) sq[c] += (t.features[r * d + c] - mean[c]) ** 2;
  const std = sq.map((s) => {
    const v = Math.sqrt(s / rows.length);
    return v > 1e-12 ? v : 1;
  });
  return { mean, std };
}

/**
 * Scaling for images fed to convolutions: one mean and standard deviation
 * per channel over all its pixels (as torchvision's Normalize), repeated for
 * every column, so that a shifted pattern is scaled the same wherever it is.
 * Columns are channel-major ([C,H,W] rows), `channels` blocks of equal size.
 */
export function fitChannelScaling(t: Table, rows: Int32Array, channels: number): Scaling {
  const d = t.columns;
  const block = d / channels;
  const mean = new Array<number>(d);
  const std = new Array<number>(d);
  for (let ch = 0; ch < channels; ch++) {
    let sum = 0;
    for (const r of rows) for (let c = ch * block; c < (ch + 1) * block; c++) sum += t.features[r * d + c];
    const m = sum / (rows.length * block);
    let sq = 0;
    for (const r of rows) for (let c = ch * block; c < (ch + 1) * block; c++) sq += (t.features[r * d + c] - m) ** 2;
    const v = Math.sqrt(sq / (rows.length * block));
    mean.fill(m, ch * block, (ch + 1) * block);
    std.fill(v > 1e-12 ? v : 1, ch * block, (ch + 1) * block);
  }
  return { mean, std };
}

/** Copies the chosen rows into a fresh row-major buffer, scaled. */
export function gatherRows(t: Table, rows: ArrayLike<number>, scaling: Scaling | null, out: Float32Array | Float64Array): void {
  const d = t.columns;
  for (let i = 0; i < rows.length; i++) {
    const src = rows[i] * d;
    const dst = i * d;
    if (scaling) {
      for (let c = 0; c < d; c++) out[dst + c] = (t.features[src + c] - scaling.mean[c]) / scaling.std[c];
    } else {
      for (let c = 0; c < d; c++) out[dst + c] = t.features[src + c];
    }
  }
}
