/**
 * What `--data` names, loaded into a Table: a bundled dataset, a CSV file,
 * or a directory of IDX files (MNIST's format, as Fashion-MNIST ships).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { readCsv } from "../data/csv.js";
import { loadDiabetes, loadDigits, loadIris, loadWine, readIdx } from "../data/index.js";
import { DataError } from "../errors.js";
import type { Tensor } from "../tensor/tensor.js";
import { CliDataError, UsageError } from "./errors.js";
import { BUNDLED, type Task } from "./options.js";
import { checkLabels, type Table } from "./table.js";

export interface LoadOptions {
  target?: string;
  task?: Task;
  /** Classes the model knows (resume): labels beyond them are errors. */
  numClasses?: number;
}

/** Targets with at most this many distinct whole-number values are taken as classes. */
const MAX_INFERRED_CLASSES = 50;

function toFloat64(t: Tensor): Float64Array {
  return Float64Array.from(t.data());
}

/** The features as floats without widening: float32 stays float32 (Fashion-MNIST is 60000×784), integers become float32 (exact up to 2^24). */
function featureValues(t: Tensor): Float32Array | Float64Array {
  const d = t.data();
  if (d instanceof Float32Array || d instanceof Float64Array) return d;
  return Float32Array.from(d);
}

function fromTensors(source: string, features: Tensor, target: Tensor, featureNames: string[] | null, targetName: string, classNames: string[] | null, task: Task | undefined, headerLines: number, numClasses?: number): Table {
  const [rows, columns] = features.shape;
  const targetValues = toFloat64(target);
  const inferred = task ?? inferTask(targetValues);
  const table: Table = {
    source, rows, columns, features: featureValues(features),
    featureNames: featureNames ?? Array.from({ length: columns }, (_, c) => String(c)),
    targetName, target: targetValues, task: inferred, numClasses: 0, classNames,
  };
  if (inferred === "classify") {
    const found = checkLabels(table, headerLines, numClasses);
    table.numClasses = numClasses ?? Math.max(found, classNames?.length ?? 0);
    if (table.numClasses < 2) throw new DataError(`${source}: the target "${targetName}" has a single class; classification needs at least two`);
  }
  return table;
}

/** Whole numbers with few distinct values are class labels; anything else is a quantity. */
function inferTask(target: Float64Array): Task {
  const distinct = new Set<number>();
  for (const v of target) {
    if (!Number.isInteger(v) || v < 0) return "regress";
    distinct.add(v);
    if (distinct.size > MAX_INFERRED_CLASSES) return "regress";
  }
  return "classify";
}

function bundled(name: (typeof BUNDLED)[number], options: LoadOptions): Table {
  if (options.target !== undefined) throw new UsageError(`--target: the bundled dataset ${name} has a fixed target; --target applies to CSV files`);
  const d = name === "digits" ? loadDigits() : name === "iris" ? loadIris() : name === "wine" ? loadWine() : loadDiabetes();
  const task: Task = options.task ?? d.task;
  return fromTensors(name, d.features, d.target, d.featureNames, "target", d.classNames ?? null, task, 0, options.numClasses);
}

const IDX_FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"];

function findIdx(dir: string, base: string): string | null {
  for (const name of [base, `${base}.gz`]) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) return file;
  }
  return null;
}

function idxDirectory(dir: string, options: LoadOptions): Table {
  const images = findIdx(dir, IDX_FILES[0]);
  const labels = findIdx(dir, IDX_FILES[1]);
  if (!images || !labels) {
    throw new CliDataError(`--data ${dir}: the directory does not hold the IDX files expected (${IDX_FILES.map((f) => `${f}[.gz]`).join(" and ")}, as in MNIST or Fashion-MNIST)`);
  }
  const x = readIdx(images);
  const y = readIdx(labels);
  const rows = x.shape[0];
  if (y.shape.length !== 1 || y.shape[0] !== rows) {
    throw new DataError(`--data ${dir}: ${path.basename(images)} holds ${rows} images but ${path.basename(labels)} holds labels of shape [${y.shape.join(",")}]; they must pair up`);
  }
  const features = x.reshape([rows, x.size / rows]);
  return fromTensors(dir, features, y, null, "label", null, options.task ?? "classify", 0, options.numClasses);
}

function csvFile(file: string, options: LoadOptions): Table {
  const stat = fs.statSync(file);
  if (stat.size === 0) throw new CliDataError(`--data ${file}: the file is empty`);
  const read = (target: string | number | undefined) => readCsv(file, { target, dtype: "float64", targetDtype: "float64" });
  let d: ReturnType<typeof readCsv>;
  try {
    d = read(options.target);
  } catch (err) {
    // "--target 3" on a file without a header names the column by position (0-based, negative from the end).
    if (!(err instanceof DataError) || options.target === undefined || !/^-?\d+$/.test(options.target)) throw err;
    d = read(Number(options.target));
  }
  const hasHeader = !/^\d+$/.test(d.targetColumn) || d.columns.some((c) => !/^\d+$/.test(c));
  return fromTensors(file, d.features, d.target, d.columns, d.targetColumn, d.classNames ?? null, options.task, hasHeader || d.classNames ? 1 : 0, options.numClasses);
}

export function loadTable(spec: string, options: LoadOptions = {}): Table {
  if ((BUNDLED as readonly string[]).includes(spec) && !fs.existsSync(spec)) return bundled(spec as (typeof BUNDLED)[number], options);
  if (!fs.existsSync(spec)) {
    throw new CliDataError(`--data ${spec}: no such file or directory; give a CSV file, a directory of IDX files, or one of ${BUNDLED.join(", ")}`);
  }
  if (fs.statSync(spec).isDirectory()) return idxDirectory(spec, options);
  return csvFile(spec, options);
}
