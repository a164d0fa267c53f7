/**
 * `backprop predict --model DIR FILE.csv`: one output row per input row, as
 * CSV on stdout. Features are matched to the model's by header name when the
 * file has one, otherwise by position.
 */
import { noGrad } from "../graph/mode.js";
import { parseTable, type NumericTable } from "../data/csv.js";
import { readTextFile } from "../data/read-file.js";
import { DataError } from "../errors.js";
import { fromStorage } from "../tensor/creation.js";
import { argmaxRows } from "./batches.js";
import { CliDataError } from "./errors.js";
import { readUserFile } from "./files.js";
import type { Output } from "./progress.js";
import type { RunConfig } from "./run-config.js";
import { loadSavedModel } from "./saved-model.js";

/** Column of the file for each model feature, or an error that says what would fit. */
function matchColumns(table: NumericTable, config: RunConfig, file: string): number[] {
  const wanted = config.data.featureNames;
  if (table.named) {
    const byName = wanted.map((n) => table.names.indexOf(n));
    if (byName.every((i) => i >= 0)) return byName;
  }
  if (table.cols === wanted.length) return wanted.map((_, i) => i);
  const missing = table.named ? wanted.filter((n) => !table.names.includes(n)) : [];
  const names = missing.length > 0 && missing.length <= 5 ? `; missing columns: ${missing.join(", ")}` : "";
  throw new DataError(`predict: ${file} has ${table.cols} columns per row, but the model takes ${wanted.length} features${names}`);
}

export function predictCommand(modelDir: string, file: string, out: Output): void {
  const { config, net } = loadSavedModel(modelDir, "--model");
  readUserFile(file, "predict:");
  const table = parseTable(readTextFile(file, "predict"), {}, "predict", file);
  if (table.rows === 0) throw new CliDataError(`predict: ${file} has no rows`);
  const cols = matchColumns(table, config, file);
  const d = cols.length;
  const dtype = config.options.dtype;
  const xs = dtype === "float64" ? new Float64Array(table.rows * d) : new Float32Array(table.rows * d);
  const scaling = config.data.featureScaling;
  for (let r = 0; r < table.rows; r++) {
    for (let c = 0; c < d; c++) {
      const v = table.values[r * table.cols + cols[c]];
      xs[r * d + c] = scaling ? (v - scaling.mean[c]) / scaling.std[c] : v;
    }
  }
  net.eval();
  const output = noGrad(() => net.forward(fromStorage(xs, [table.rows, d], dtype)));
  const values = output.data();
  const k = output.shape[1];
  const lines: string[] = [];
  if (config.options.task === "classify") {
    const names = config.data.classNames && config.data.classNames.length === k ? config.data.classNames : null;
    // Cross-entropy networks output logits: report softmax probabilities. Sigmoid outputs are reported as they are.
    const probs = config.architecture.outputActivation === "none" ? softmaxRows(values, table.rows, k) : values;
    const predicted = argmaxRows(values, table.rows, k);
    lines.push(["prediction", ...(names ? ["label"] : []), ...Array.from({ length: k }, (_, j) => `score_${j}`)].join(","));
    for (let r = 0; r < table.rows; r++) {
      const scores = Array.from({ length: k }, (_, j) => Number(probs[r * k + j].toPrecision(6)));
      lines.push([predicted[r], ...(names ? [csvCell(names[predicted[r]])] : []), ...scores].join(","));
    }
  } else {
    const t = config.data.targetScaling;
    lines.push(csvCell(config.data.targetName || "prediction"));
    for (let r = 0; r < table.rows; r++) lines.push(String(Number((t ? values[r] * t.std + t.mean : values[r]).toPrecision(8))));
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
