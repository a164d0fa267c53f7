/**
 * What `--data` names, loaded into a Table: a bundled dataset, a CSV file,
 * or a directory of IDX files (MNIST's format, as Fashion-MNIST ships).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { loadDiabetes, loadDigits, loadIris, loadWine, readIdx } from "../data/index.js";
import { readDataFile } from "../data/read-file.js";
import { DataError } from "../errors.js";
import type { Tensor } from "../tensor/tensor.js";
import { CliDataError, UsageError } from "./errors.js";
import { BUNDLED, type Task } from "./options.js";
import { checkClassCount, describeFile, encodeFeatures, encodeForTraining, encodeTarget, inputNames, type Impute } from "./encode.js";
import { decodeText, readRawTable, type RawTable } from "./raw-table.js";
import type { RunConfig } from "./run-config.js";
import { checkLabels, type Table } from "./table.js";

export interface LoadOptions {
  target?: string;
  task?: Task;
  /** Classes the model knows (resume): labels beyond them are errors. */
  numClasses?: number;
  impute?: Impute;
  maxClasses?: number;
  /** CSV delimiter (",", ";", "\t", "whitespace"); default sniffed. */
  delimiter?: string;
  /** A saved run's encoding, replayed instead of inferred (resume, explain, gradcheck). */
  replay?: RunConfig;
  /** --image-shape: each row is an image of this [channels, height, width]. */
  imageShape?: number[];
}

function toFloat64(t: Tensor): Float64Array {
  return Float64Array.from(t.data());
}

/** The features as floats without widening: float32 stays float32 (Fashion-MNIST is 60000×784), integers become float32 (exact up to 2^24). */
function featureValues(t: Tensor): Float32Array | Float64Array {
  const d = t.data();
  if (d instanceof Float32Array || d instanceof Float64Array) return d;
  return Float32Array.from(d);
}

function describeColumns(names: readonly string[]): string {
  const shown = names.length <= 12 ? names.join(", ") : `${names.slice(0, 6).join(", ")}, … ${names[names.length - 1]}`;
  return `${names.length} feature column${names.length === 1 ? "" : "s"}: ${shown}`;
}

function fromTensors(source: string, features: Tensor, target: Tensor, featureNames: string[] | null, targetName: string, classNames: string[] | null, task: Task, options: LoadOptions, origin: string): Table {
  const [rows, columns] = features.shape;
  const targetValues = toFloat64(target);
  const table: Table = {
    source, rows, columns, features: featureValues(features),
    featureNames: featureNames ?? Array.from({ length: columns }, (_, c) => String(c)),
    targetName, target: targetValues, task, numClasses: 0, classNames,
    inputColumns: null, labelEncoding: task === "classify" ? "index" : null, delimiter: null, notes: [],
  };
  const other = task === "classify" ? "regress" : "classify";
  if (task === "classify") {
    const found = checkLabels(table, 0, options.numClasses);
    table.numClasses = options.numClasses ?? Math.max(found, classNames?.length ?? 0);
    checkClassCount(table.numClasses, `target "${targetName}"`, options.maxClasses, true);
    if (table.numClasses < 2) throw new DataError(`${source}: the target "${targetName}" has a single class; classification needs at least two`);
    const names = classNames && classNames.length === table.numClasses ? `: ${classNames.slice(0, 10).join(", ")}${classNames.length > 10 ? ", …" : ""}` : "";
    table.notes.push(`data: ${source} (${origin}): ${rows} rows, ${describeColumns(table.featureNames)}`);
    table.notes.push(`target: classification, ${table.numClasses} classes${names} (${options.task ? "--task classify" : "the dataset's task"}); override with --task ${other}`);
  } else {
    table.notes.push(`data: ${source} (${origin}): ${rows} rows, ${describeColumns(table.featureNames)}`);
    table.notes.push(`target: regression (${options.task ? "--task regress" : "the dataset's task"}); override with --task ${other}`);
  }
  return table;
}

function bundled(name: (typeof BUNDLED)[number], options: LoadOptions): Table {
  if (options.target !== undefined) throw new UsageError(`--target: the bundled dataset ${name} has a fixed target; --target applies to CSV files`);
  const d = name === "digits" ? loadDigits() : name === "iris" ? loadIris() : name === "wine" ? loadWine() : loadDiabetes();
  const task: Task = options.task ?? d.task;
  const table = fromTensors(name, d.features, d.target, d.featureNames, "target", d.classNames ?? null, task, options, "bundled");
  if ("imageShape" in d) table.imageShape = [1, ...(d.imageShape as number[])];
  return table;
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
  const table = fromTensors(dir, features, y, null, "label", null, options.task ?? "classify", options, "IDX files");
  if (x.ndim === 3) table.imageShape = [1, x.shape[1], x.shape[2]];
  return table;
}

function csvFile(file: string, options: LoadOptions): Table {
  const stat = fs.statSync(file);
  if (stat.size === 0) throw new CliDataError(`--data ${file}: the file is empty`);
  const replay = options.replay;
  const raw = readRawTable(decodeText(readDataFile(file, "--data"), `--data ${file}`), file, {
    delimiter: options.delimiter ?? replay?.options.delimiter ?? undefined,
    expectedNames: replay ? [...(replay.data.columns ?? []).map((c) => c.name), replay.data.targetName] : undefined,
  });
  const notes = [describeFile(raw)];
  if (replay?.data.columns) return replayCsv(raw, replay, notes);
  const encoded = encodeForTraining(raw, options);
  notes.push(...encoded.notes);
  return {
    source: file, rows: raw.rows, columns: encoded.featureNames.length, features: encoded.features,
    featureNames: encoded.featureNames, targetName: encoded.targetName, target: encoded.target,
    task: encoded.task, numClasses: encoded.numClasses, classNames: encoded.classNames,
    inputColumns: encoded.columns, labelEncoding: encoded.labelEncoding, delimiter: raw.delimiter, notes,
  };
}

/** The CSV encoded as the saved run encoded its training file: same columns, categories, fills and labels. */
function replayCsv(raw: RawTable, config: RunConfig, notes: string[]): Table {
  const d = config.data;
  const columns = d.columns!;
  const find = (name: string, position: number) => (raw.named ? raw.names.indexOf(name) : position);
  const t = raw.named ? raw.names.indexOf(d.targetName) : Number(d.targetName);
  if (t < 0 || t >= raw.cols) throw new CliDataError(`${raw.source}: the target column "${d.targetName}" the model was trained on is not in the file`);
  // Without a header, the columns are where they were in the training file: the target's position is skipped.
  const fileColumns = columns.map((c, i) => find(c.name, i >= t && !raw.named ? i + 1 : i));
  const missing = columns.filter((_, i) => fileColumns[i] < 0 || fileColumns[i] >= raw.cols).map((c) => c.name);
  if (missing.length > 0) throw new CliDataError(`${raw.source}: the file lacks the model's feature columns ${missing.map((m) => JSON.stringify(m)).join(", ")}`);
  const features = encodeFeatures(raw, columns, fileColumns);
  const target = encodeTarget(raw, t, config.options.task, d.labelEncoding ?? "index", d.classNames, d.numClasses);
  return {
    source: raw.source, rows: raw.rows, columns: inputNames(columns).length, features,
    featureNames: inputNames(columns), targetName: d.targetName, target,
    task: config.options.task, numClasses: d.numClasses, classNames: d.classNames,
    inputColumns: columns, labelEncoding: d.labelEncoding ?? null, delimiter: raw.delimiter, notes,
  };
}

export function loadTable(spec: string, options: LoadOptions = {}): Table {
  const table = findTable(spec, options);
  if (options.imageShape) {
    const s = options.imageShape;
    const size = s.reduce((a, b) => a * b, 1);
    if (size !== table.columns) {
      throw new UsageError(`--image-shape ${s.join("x")}: images of ${size} values, but each row of ${table.source} has ${table.columns} feature columns; the shape's product must equal the column count`);
    }
    table.imageShape = [...s];
  }
  return table;
}

function findTable(spec: string, options: LoadOptions): Table {
  if ((BUNDLED as readonly string[]).includes(spec) && !fs.existsSync(spec)) return bundled(spec as (typeof BUNDLED)[number], options);
  if (!fs.existsSync(spec)) {
    throw new CliDataError(`--data ${spec}: no such file or directory; give a CSV file, a directory of IDX files, or one of ${BUNDLED.join(", ")}`);
  }
  if (fs.statSync(spec).isDirectory()) return idxDirectory(spec, options);
  return csvFile(spec, options);
}

/**
 * Where a run's data is now: --data when given, else the absolute path
 * saved in config.json, else the path relative to the run directory (a run
 * directory moved together with its data), else the path as it was given
 * (relative to the current directory). Bundled names stay names.
 */
export function resolveRunData(config: { options: { data: string }; data: Pick<RunConfig["data"], "path"> }, runDir: string, override?: string): string {
  if (override !== undefined) return override;
  const given = config.options.data;
  const saved = config.data.path;
  if (!saved) return given;
  const candidates = [saved.absolute, path.resolve(runDir, saved.fromRunDir), given];
  const found = candidates.find((p) => fs.existsSync(p));
  if (found) return found;
  throw new CliDataError(`the run in ${runDir} was trained on ${saved.absolute}, which is not there (nor ${saved.fromRunDir} next to the run directory); give the data with --data FILE`);
}

/** How config.json records a data path: absolute, and relative to the run directory. Bundled names get none. */
export function dataPathRecord(spec: string, runDir: string): { absolute: string; fromRunDir: string } | null {
  if ((BUNDLED as readonly string[]).includes(spec) && !fs.existsSync(spec)) return null;
  const absolute = path.resolve(spec);
  return { absolute, fromRunDir: path.relative(path.resolve(runDir), absolute) || "." };
}

/** A saved run's data, loaded and encoded as in training (resume, explain, gradcheck). */
export function loadRunTable(config: RunConfig, runDir: string, dataOverride?: string): Table {
  const spec = resolveRunData(config, runDir, dataOverride);
  const o = config.options;
  return loadTable(spec, {
    target: o.target ?? undefined, task: o.task, numClasses: config.data.numClasses || undefined,
    impute: o.impute ?? undefined, maxClasses: Number.MAX_SAFE_INTEGER, replay: config,
  });
}
