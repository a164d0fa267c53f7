/**
 * `backprop predict --model DIR FILE`: one output row per input row, as CSV
 * on stdout. FILE is a CSV file (columns matched to the model's by header
 * name, or by position in a file without a header) or an IDX file of
 * images. The rows are encoded as in training (one-hot categories, imputed
 * cells, standardisation) from what config.json recorded.
 */
import { noGrad } from "../graph/mode.js";
import { parseIdx } from "../data/idx.js";
import { readDataFile } from "../data/read-file.js";
import { fromStorage } from "../tensor/creation.js";
import { argmaxRows } from "./batches.js";
import { encodeFeatures, inputNames, type InputColumn } from "./encode.js";
import { CliDataError } from "./errors.js";
import { readUserFile } from "./files.js";
import type { Output } from "./progress.js";
import { decodeText, readRawTable, type RawTable } from "./raw-table.js";
import type { RunConfig } from "./run-config.js";
import { loadSavedModel } from "./saved-model.js";

export interface PredictOptions {
  delimiter?: string;
  /** Predict with a model whose run is not "complete" (a warning is written to `warn`). */
  allowIncomplete: boolean;
  warn: Output;
}

/** The model's input columns: recorded ones (CSV), or one numeric column per feature (bundled, IDX, older runs). */
function modelColumns(config: RunConfig): InputColumn[] {
  return config.data.columns ?? config.data.featureNames.map((name) => ({ name, kind: "numeric" as const }));
}

function quoteList(names: readonly string[], limit = 8): string {
  const shown = names.slice(0, limit).map((n) => JSON.stringify(n)).join(", ");
  return names.length > limit ? `${shown}, … (${names.length - limit} more)` : shown;
}

/**
 * The file column holding each model column: by name when the file has a
 * header (any order; columns the model does not take are ignored, with a
 * note), else by position, when the row is exactly as wide as the model's
 * columns.
 */
function matchColumns(raw: RawTable, columns: readonly InputColumn[], config: RunConfig, file: string, warn: Output): number[] {
  const wanted = columns.map((c) => c.name);
  const inputs = inputNames(columns).length;
  const width = columns.length === inputs ? `${columns.length} features` : `${columns.length} columns (${inputs} network inputs)`;
  if (raw.named) {
    const byName = wanted.map((n) => raw.names.indexOf(n));
    const missing = wanted.filter((_, i) => byName[i] < 0);
    const unexpected = raw.names.filter((n) => !wanted.includes(n) && n !== config.data.targetName);
    if (missing.length === 0) {
      if (unexpected.length > 0) warn.write(`predict: note: ignoring ${unexpected.length === 1 ? "a column" : "columns"} the model does not take: ${quoteList(unexpected)}\n`);
      return byName;
    }
    throw new CliDataError(
      `predict: ${file}: the header does not match the model's columns: missing ${quoteList(missing)}` +
        `${unexpected.length ? `; unexpected ${quoteList(unexpected)}` : ""}; the model takes ${quoteList(wanted)} ` +
        `(rename the columns, or give a file without a header line with the columns in that order)`,
    );
  }
  if (raw.cols === columns.length) return wanted.map((_, i) => i);
  throw new CliDataError(`predict: ${file} has ${raw.cols} columns per row, but the model takes ${width}; without a header line the columns must be exactly the model's, in training order (${quoteList(wanted)})`);
}

/** IDX data: two zero bytes, a known type code, 1 to 4 dimensions. */
function looksLikeIdx(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[0] === 0 && bytes[1] === 0 && [0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e].includes(bytes[2]) && bytes[3] >= 1 && bytes[3] <= 4;
}

/** The rows of an IDX file (images flattened), checked against the model's input width. */
function idxRows(bytes: Uint8Array, file: string, config: RunConfig): { rows: number; x: Float64Array } {
  if (config.data.columns?.some((c) => c.kind === "categorical")) {
    throw new CliDataError(`predict: ${file} is an IDX file, but the model was trained on a CSV file with text columns; give a CSV file with its columns`);
  }
  const t = parseIdx(bytes, { dtype: "float64" }, file);
  const rows = t.shape[0];
  const width = t.shape.slice(1).reduce((a, b) => a * b, 1);
  if (width !== config.architecture.inputs) {
    throw new CliDataError(`predict: ${file} is an IDX file of shape [${t.shape.join(",")}]: ${width} values per row, but the model takes ${config.architecture.inputs} (was it trained on images of another size?)`);
  }
  return { rows, x: Float64Array.from(t.data()) };
}

/** The refusal (or, with --allow-incomplete, the warning) for a run that did not finish; `command` is predict or sample. */
export function checkStatus(
  config: Pick<RunConfig, "status" | "divergence">, modelDir: string, options: Pick<PredictOptions, "allowIncomplete" | "warn">, command = "predict",
): void {
  const status = config.status ?? "complete";
  if (status === "complete") return;
  const where = status === "diverged" && config.divergence ? ` at epoch ${config.divergence.epoch}, batch ${config.divergence.batch}` : "";
  const what = `the run in ${modelDir} is "${status}"${where}, not "complete"`;
  if (!options.allowIncomplete) {
    throw new CliDataError(`--model ${modelDir}: ${what}: its training did not finish; finish it with: backprop train --resume ${modelDir}${status === "diverged" ? " --lr LOWER" : ""} (or ${command} anyway with --allow-incomplete)`);
  }
  options.warn.write(`${command}: warning: ${what}; ${command === "predict" ? "predicting" : "sampling"} with its last saved weights (--allow-incomplete)\n`);
}

export function predictCommand(modelDir: string, file: string, out: Output, options: PredictOptions = { allowIncomplete: false, warn: process.stderr }): void {
  const { config, net } = loadSavedModel(modelDir, "--model");
  checkStatus(config, modelDir, options);
  readUserFile(file, "predict:");
  const bytes = readDataFile(file, "predict");
  let rows: number;
  let x: Float64Array;
  if (looksLikeIdx(bytes)) {
    ({ rows, x } = idxRows(bytes, file, config));
  } else {
    const columns = modelColumns(config);
    const raw = readRawTable(decodeText(bytes, `predict: ${file}`), file, {
      delimiter: options.delimiter,
      expectedNames: columns.map((c) => c.name),
    });
    x = encodeFeatures(raw, columns, matchColumns(raw, columns, config, file, options.warn));
    rows = raw.rows;
  }
  const d = config.architecture.inputs;
  if (x.length !== rows * d) throw new CliDataError(`predict: ${file}: the rows encode to ${x.length / rows} inputs, but the model takes ${d}; config.json does not fit model.safetensors`);
  const dtype = config.options.dtype;
  const xs = dtype === "float64" ? new Float64Array(rows * d) : new Float32Array(rows * d);
  const scaling = config.data.featureScaling;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < d; c++) {
      const v = x[r * d + c];
      xs[r * d + c] = scaling ? (v - scaling.mean[c]) / scaling.std[c] : v;
    }
  }
  net.eval();
  const output = noGrad(() => net.forward(fromStorage(xs, [rows, ...(config.architecture.inputShape ?? [d])], dtype)));
  const values = output.data();
  const k = output.shape[1];
  const lines: string[] = [];
  if (config.options.task === "classify") {
    const names = config.data.classNames && config.data.classNames.length === k ? config.data.classNames : null;
    // Cross-entropy networks output logits: report softmax probabilities. Sigmoid outputs are reported as they are.
    const probs = config.architecture.outputActivation === "none" ? softmaxRows(values, rows, k) : values;
    const predicted = argmaxRows(values, rows, k);
    lines.push(["prediction", ...(names ? ["label"] : []), ...Array.from({ length: k }, (_, j) => `score_${j}`)].join(","));
    for (let r = 0; r < rows; r++) {
      const scores = Array.from({ length: k }, (_, j) => Number(probs[r * k + j].toPrecision(6)));
      lines.push([predicted[r], ...(names ? [csvCell(names[predicted[r]])] : []), ...scores].join(","));
    }
  } else {
    const t = config.data.targetScaling;
    lines.push(csvCell(config.data.targetName || "prediction"));
    for (let r = 0; r < rows; r++) lines.push(String(Number((t ? values[r] * t.std + t.mean : values[r]).toPrecision(8))));
  }
  out.write(lines.join("\n") + "\n");
}

function softmaxRows(values: ArrayLike<number>, rows: number, k: number): Float64Array {
  const out = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, values[r * k + j]);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += out[r * k + j] = Math.exp(values[r * k + j] - max);
    for (let j = 0; j < k; j++) out[r * k + j] /= sum;
  }
  return out;
}

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
