/**
 * From a RawTable to numbers a network can take: numeric columns as they
 * are, text columns one-hot encoded (one input per category), missing cells
 * reported or imputed, and the target as class indices or a quantity.
 *
 * Training decides the encoding (encodeForTraining) and saves it in
 * config.json; predict, explain, gradcheck and --resume replay it
 * (encodeFeatures, encodeTarget), so a row means the same in every command.
 */
import { CliDataError, UsageError } from "./errors.js";
import { DEFAULT_MAX_CLASSES, featureKind, inferTask, sortedLabels } from "./inference.js";
import type { Task } from "./options.js";
import { delimiterName, isMissing, type RawTable } from "./raw-table.js";

export const IMPUTE = ["mean", "median"] as const;
export type Impute = (typeof IMPUTE)[number];

export interface NumericColumn {
  name: string;
  kind: "numeric";
  /** What a missing cell becomes (--impute); absent: a missing cell is an error. */
  fill?: number;
}

export interface CategoricalColumn {
  name: string;
  kind: "categorical";
  /** One network input per category, in this order. */
  categories: string[];
  /** The most frequent category, which a missing cell becomes (--impute); absent: a missing cell is an error. */
  fill?: string;
}

/** A column of the data file and how it becomes network inputs; config.json keeps the list. */
export type InputColumn = NumericColumn | CategoricalColumn;

/** "index": labels are whole numbers 0..K-1 used as they are; "names": class i is classNames[i]. */
export type LabelEncoding = "index" | "names";

export interface TrainingEncoding {
  columns: InputColumn[];
  featureNames: string[];
  features: Float64Array;
  target: Float64Array;
  targetName: string;
  task: Task;
  numClasses: number;
  classNames: string[] | null;
  labelEncoding: LabelEncoding | null;
  /** What was inferred, one line each, for the user. */
  notes: string[];
}

export interface EncodeOptions {
  /** Header name or 0-based position (negative from the end); default the last column. */
  target?: string;
  task?: Task;
  impute?: Impute;
  maxClasses?: number;
  /** Classes a saved model knows (resuming a run from before encodings were saved): larger labels are errors. */
  numClasses?: number;
}

/** Network input names: a numeric column's name, or "column=category" for each category. */
export function inputNames(columns: readonly InputColumn[]): string[] {
  return columns.flatMap((c) => (c.kind === "numeric" ? [c.name] : c.categories.map((k) => `${c.name}=${k}`)));
}

function columnLabel(raw: RawTable, c: number): string {
  return raw.named ? `column ${c + 1} (${JSON.stringify(raw.names[c])})` : `column ${c + 1}`;
}

/** The cell's text: its text when it is not a number, else the number written back. */
function cellText(raw: RawTable, r: number, c: number): string {
  return raw.text[c].get(r) ?? String(raw.values[r * raw.cols + c]);
}

export function targetColumnIndex(raw: RawTable, target: string | undefined): number {
  if (target === undefined) return raw.cols - 1;
  const byName = raw.named ? raw.names.indexOf(target) : -1;
  if (byName >= 0) return byName;
  if (/^-?\d+$/.test(target)) {
    const i = Number(target);
    if (i < -raw.cols || i >= raw.cols) {
      throw new CliDataError(`${raw.source}: target column index ${i} is out of range; the table has ${raw.cols} columns (0..${raw.cols - 1}, or -${raw.cols}..-1 from the end)`);
    }
    return i < 0 ? i + raw.cols : i;
  }
  const available = raw.named ? `the columns are: ${raw.names.map((n) => JSON.stringify(n)).join(", ")}` : `the file has no header line, so give the target as a column index 0..${raw.cols - 1}`;
  throw new CliDataError(`${raw.source}: no target column named ${JSON.stringify(target)}; ${available}`);
}

interface ColumnCounts {
  numbers: number;
  texts: number;
  missing: number;
  firstMissingRow: number;
  firstTextRow: number;
}

function countColumn(raw: RawTable, c: number): ColumnCounts {
  let texts = 0;
  let missing = 0;
  let firstMissingRow = -1;
  let firstTextRow = -1;
  for (const [r, cell] of raw.text[c]) {
    if (isMissing(cell)) {
      missing++;
      if (firstMissingRow < 0 || r < firstMissingRow) firstMissingRow = r;
    } else {
      texts++;
      if (firstTextRow < 0 || r < firstTextRow) firstTextRow = r;
    }
  }
  return { numbers: raw.rows - texts - missing, texts, missing, firstMissingRow, firstTextRow };
}

function describeMissing(cell: string): string {
  return cell === "" ? "empty" : cell;
}

function notANumber(raw: RawTable, c: number, r: number, why: string): CliDataError {
  const cell = raw.text[c].get(r) ?? "";
  if (/^[+-]?inf(inity)?$/i.test(cell) || Math.abs(Number(cell)) === Infinity) {
    return new CliDataError(`${raw.source}:${raw.lines[r]}: ${columnLabel(raw, c)} is ${cell}; values must be finite`);
  }
  return new CliDataError(`${raw.source}:${raw.lines[r]}: ${columnLabel(raw, c)} holds ${JSON.stringify(cell)}, which is not a number${why}`);
}

/** Mean or median of the column's numbers. */
function statistic(raw: RawTable, c: number, how: Impute): number {
  const present: number[] = [];
  for (let r = 0; r < raw.rows; r++) {
    const v = raw.values[r * raw.cols + c];
    if (!Number.isNaN(v)) present.push(v);
  }
  if (how === "mean") return present.reduce((a, b) => a + b, 0) / present.length;
  present.sort((a, b) => a - b);
  const m = present.length >> 1;
  return present.length % 2 ? present[m] : (present[m - 1] + present[m]) / 2;
}

function mostFrequent(raw: RawTable, c: number): string {
  const counts = new Map<string, number>();
  for (let r = 0; r < raw.rows; r++) {
    const t = cellText(raw, r, c);
    if (!isMissing(t)) counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  let best = "";
  let bestCount = -1;
  for (const k of sortedLabels(counts.keys())) {
    if (counts.get(k)! > bestCount) {
      best = k;
      bestCount = counts.get(k)!;
    }
  }
  return best;
}

/** Decides the encoding of every column from the training file, and encodes it. */
export function encodeForTraining(raw: RawTable, options: EncodeOptions): TrainingEncoding {
  const t = targetColumnIndex(raw, options.target);
  const notes: string[] = [];
  const featureIndices = Array.from({ length: raw.cols }, (_, c) => c).filter((c) => c !== t);
  if (featureIndices.length === 0) throw new CliDataError(`${raw.source}: the table has only the target column; it needs at least one feature column besides it`);

  // Features: numeric or categorical; missing cells counted for the report (or the error).
  const columns: InputColumn[] = [];
  const missingReport: string[] = [];
  let firstMissing: { r: number; c: number } | null = null;
  let totalMissing = 0;
  for (const c of featureIndices) {
    const counts = countColumn(raw, c);
    const kind = featureKind(counts.numbers, counts.texts);
    if (kind === "typo") {
      throw notANumber(raw, c, counts.firstTextRow, ` (the column's other ${counts.numbers} values are numbers; fix the cell, or mark a missing value as empty, NA or ?)`);
    }
    const name = raw.names[c];
    if (counts.texts > 0 && Array.from(raw.text[c].values()).some((v) => /^[+-]?inf(inity)?$/i.test(v)) && counts.numbers > 0) {
      throw notANumber(raw, c, counts.firstTextRow, "");
    }
    if (counts.numbers + counts.texts === 0) throw new CliDataError(`${raw.source}: ${columnLabel(raw, c)} has no values at all (every cell is missing); remove the column`);
    const column: InputColumn = kind === "numeric"
      ? { name, kind: "numeric" }
      : { name, kind: "categorical", categories: sortedLabels(Array.from({ length: raw.rows }, (_, r) => cellText(raw, r, c)).filter((s) => !isMissing(s))) };
    if (counts.missing > 0) {
      totalMissing += counts.missing;
      if (!firstMissing || raw.lines[counts.firstMissingRow] < raw.lines[firstMissing.r]) firstMissing = { r: counts.firstMissingRow, c };
      if (options.impute) {
        if (column.kind === "numeric") column.fill = statistic(raw, c, options.impute);
        else column.fill = mostFrequent(raw, c);
        const fill = column.kind === "numeric" ? `${options.impute} ${Number(column.fill!.toPrecision(6))}` : `most frequent ${JSON.stringify(column.fill)}`;
        missingReport.push(`${name} (${counts.missing}, ${fill})`);
      } else {
        missingReport.push(`${name}: ${counts.missing}`);
      }
    }
    columns.push(column);
  }
  if (firstMissing && !options.impute) {
    const { r, c } = firstMissing;
    throw new CliDataError(
      `${raw.source}:${raw.lines[r]}: ${columnLabel(raw, c)} is missing (${describeMissing(raw.text[c].get(r)!)}); ` +
        `${totalMissing} missing value${totalMissing === 1 ? "" : "s"} in all (${missingReport.join(", ")}): fill them in, drop those rows, or use --impute mean|median`,
    );
  }
  if (totalMissing > 0) notes.push(`imputed ${totalMissing} missing value${totalMissing === 1 ? "" : "s"} (--impute ${options.impute}; categories take the most frequent): ${missingReport.join(", ")}`);

  const targetName = raw.named ? raw.names[t] : String(t);
  const targetResult = inferAndEncodeTarget(raw, t, options, notes);
  const features = encodeFeatures(raw, columns, featureIndices);
  const categorical = columns.filter((c): c is CategoricalColumn => c.kind === "categorical");
  const featureNames = inputNames(columns);
  notes.push(
    `features: ${columns.length} column${columns.length === 1 ? "" : "s"}${categorical.length ? `, ${featureNames.length} network inputs` : ""}: ${shortList(columns.map((c) => c.name))}` +
      (categorical.length ? `; one-hot encoded: ${categorical.map((c) => `${c.name} (${c.categories.length} categories)`).join(", ")}` : ""),
  );
  return { columns, featureNames, features, targetName, ...targetResult, notes };
}

function shortList(names: readonly string[], limit = 12): string {
  return names.length <= limit ? names.join(", ") : `${names.slice(0, limit).join(", ")}, … (${names.length - limit} more)`;
}

function inferAndEncodeTarget(
  raw: RawTable, t: number, options: EncodeOptions, notes: string[],
): { target: Float64Array; task: Task; numClasses: number; classNames: string[] | null; labelEncoding: LabelEncoding | null } {
  const counts = countColumn(raw, t);
  const targetLabel = raw.named ? `target "${raw.names[t]}"` : `target column ${t}`;
  if (counts.missing > 0) {
    const r = counts.firstMissingRow;
    throw new CliDataError(
      `${raw.source}:${raw.lines[r]}: the ${targetLabel} is missing (${describeMissing(raw.text[t].get(r)!)}) in ${counts.missing} row${counts.missing === 1 ? "" : "s"}; ` +
        `rows without a target cannot be trained on (--impute fills features only): remove those rows`,
    );
  }
  const numbers: number[] = [];
  for (let r = 0; r < raw.rows; r++) {
    const v = raw.values[r * raw.cols + t];
    if (!Number.isNaN(v)) numbers.push(v);
  }
  // scikit-learn's counts line names the classes: the target is classes whatever their count.
  const inferred = raw.classNames ? { task: "classify" as const, reason: "the first line names the classes" } : inferTask(numbers, counts.texts, raw.rows);
  const task = options.task ?? inferred.task;
  const other = task === "classify" ? "regress" : "classify";
  const target = new Float64Array(raw.rows);
  if (task === "regress") {
    if (counts.texts > 0) {
      const r = counts.firstTextRow;
      throw new CliDataError(`${raw.source}:${raw.lines[r]}: the ${targetLabel} holds ${JSON.stringify(raw.text[t].get(r))}: text labels can be classified (--task classify) but not regressed`);
    }
    for (let r = 0; r < raw.rows; r++) target[r] = raw.values[r * raw.cols + t];
    notes.push(`${targetLabel}: regression (${options.task ? "--task regress" : `inferred: ${inferred.reason}`}); override with --task ${other}`);
    return { target, task, numClasses: 0, classNames: null, labelEncoding: null };
  }
  // Whole numbers from 0 are class indices as they are; anything else (text, negative, fractional) is encoded by its sorted distinct labels.
  const asIndices = counts.texts === 0 && numbers.every((v) => Number.isInteger(v) && v >= 0);
  let numClasses: number;
  let classNames: string[] | null = null;
  if (asIndices) {
    let max = 0;
    for (let r = 0; r < raw.rows; r++) max = Math.max(max, target[r] = raw.values[r * raw.cols + t]);
    numClasses = max + 1;
    if (options.numClasses !== undefined) {
      if (numClasses > options.numClasses) throw new CliDataError(`${raw.source}: the ${targetLabel} holds class label ${max}, out of range; this model knows classes 0 to ${options.numClasses - 1}`);
      numClasses = options.numClasses;
    }
  } else {
    const texts = Array.from({ length: raw.rows }, (_, r) => cellText(raw, r, t));
    classNames = sortedLabels(texts);
    const index = new Map(classNames.map((k, i) => [k, i]));
    for (let r = 0; r < raw.rows; r++) target[r] = index.get(texts[r])!;
    numClasses = classNames.length;
  }
  checkClassCount(numClasses, targetLabel, options.maxClasses, asIndices);
  if (numClasses < 2) throw new CliDataError(`${raw.source}: the ${targetLabel} has a single class; classification needs at least two`);
  const shown = classNames ? `: ${shortList(classNames, 10)}` : `, labels 0..${numClasses - 1}`;
  notes.push(`${targetLabel}: classification, ${numClasses} classes${shown} (${options.task ? "--task classify" : `inferred: ${inferred.reason}`}); override with --task ${other}`);
  return { target, task, numClasses, classNames: classNames ?? raw.classNames ?? null, labelEncoding: classNames ? "names" : "index" };
}

/** More classes than --max-classes (default 1000) is almost always a quantity taken for labels. */
export function checkClassCount(numClasses: number, targetLabel: string, maxClasses = DEFAULT_MAX_CLASSES, asIndices = false): void {
  if (numClasses <= maxClasses) return;
  const how = asIndices ? ` (labels 0..${numClasses - 1})` : "";
  throw new UsageError(
    `the ${targetLabel} would make ${numClasses} classes${how}, more than --max-classes ${maxClasses}; ` +
      `if it is a quantity, use --task regress; if you do want that many classes, raise --max-classes`,
  );
}

/**
 * The network inputs of every row: `fileColumns[i]` is the file column that
 * holds `columns[i]`. Missing cells take the column's fill or are errors;
 * an unknown category is an error naming it.
 */
export function encodeFeatures(raw: RawTable, columns: readonly InputColumn[], fileColumns: readonly number[]): Float64Array {
  const width = columns.reduce((a, c) => a + (c.kind === "numeric" ? 1 : c.categories.length), 0);
  const out = new Float64Array(raw.rows * width);
  let offset = 0;
  columns.forEach((column, i) => {
    const c = fileColumns[i];
    if (column.kind === "numeric") {
      for (let r = 0; r < raw.rows; r++) {
        let v = raw.values[r * raw.cols + c];
        if (Number.isNaN(v)) {
          const cell = raw.text[c].get(r)!;
          if (!isMissing(cell)) throw notANumber(raw, c, r, "");
          if (column.fill === undefined) {
            throw new CliDataError(`${raw.source}:${raw.lines[r]}: ${columnLabel(raw, c)} is missing (${describeMissing(cell)}); the model was trained without --impute, so every cell needs a value`);
          }
          v = column.fill;
        }
        out[r * width + offset] = v;
      }
      offset++;
      return;
    }
    const index = new Map(column.categories.map((k, j) => [k, j]));
    for (let r = 0; r < raw.rows; r++) {
      let cell = cellText(raw, r, c);
      if (isMissing(cell)) {
        if (column.fill === undefined) {
          throw new CliDataError(`${raw.source}:${raw.lines[r]}: ${columnLabel(raw, c)} is missing (${describeMissing(cell)}); the model was trained without --impute, so every cell needs a value`);
        }
        cell = column.fill;
      }
      const j = index.get(cell);
      if (j === undefined) {
        throw new CliDataError(
          `${raw.source}:${raw.lines[r]}: ${columnLabel(raw, c)} holds the category ${JSON.stringify(cell)}, which the model did not see in training; it knows ${shortList(column.categories.map((k) => JSON.stringify(k)), 10)}`,
        );
      }
      out[r * width + offset + j] = 1;
    }
    offset += column.categories.length;
  });
  return out;
}

/** The target of a file, encoded as the saved run encoded it (resume, explain, gradcheck). */
export function encodeTarget(raw: RawTable, t: number, task: Task, encoding: LabelEncoding | null, classNames: readonly string[] | null, numClasses: number): Float64Array {
  const target = new Float64Array(raw.rows);
  const label = raw.named ? `target "${raw.names[t]}"` : `target column ${t}`;
  for (let r = 0; r < raw.rows; r++) {
    const v = raw.values[r * raw.cols + t];
    const cell = cellText(raw, r, t);
    if (isMissing(cell)) throw new CliDataError(`${raw.source}:${raw.lines[r]}: the ${label} is missing (${describeMissing(cell)}); remove rows without a target`);
    if (task === "regress") {
      if (Number.isNaN(v)) throw notANumber(raw, t, r, "");
      target[r] = v;
    } else if (encoding === "names") {
      const k = classNames!.indexOf(cell);
      if (k < 0) throw new CliDataError(`${raw.source}:${raw.lines[r]}: the ${label} holds ${JSON.stringify(cell)}, a class the model does not know; it knows ${shortList(classNames!.map((n) => JSON.stringify(n)), 10)}`);
      target[r] = k;
    } else {
      if (!(Number.isInteger(v) && v >= 0 && v < numClasses)) {
        throw new CliDataError(`${raw.source}:${raw.lines[r]}: the ${label} holds class label ${cell}, out of range; this model knows classes 0 to ${numClasses - 1}`);
      }
      target[r] = v;
    }
  }
  return target;
}

/** One line on how the file was read. */
export function describeFile(raw: RawTable): string {
  const header = raw.named ? "a header line" : raw.classNames ? "a counts line with class names" : "no header line (columns are named by position 0, 1, …)";
  return `data: ${raw.source}: ${raw.rows} rows × ${raw.cols} columns, ${delimiterName(raw.delimiter)}-separated${raw.delimiterSniffed ? " (detected; set with --delimiter)" : ""}, ${header}`;
}
