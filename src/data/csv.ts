/**
 * Numeric CSV (and whitespace-separated) tables → feature and target tensors.
 *
 * The reader is strict: every row must have the same number of cells and
 * every cell must be a finite number, so that a bad file fails here, with
 * its line and column, and not later as a NaN loss. Quoted cells ("a,b")
 * are understood, which matters mostly for header names.
 */
import type { DType } from "../backend/backend.js";
import { DataError, ValueError } from "../errors.js";
import { fromStorage } from "../tensor/creation.js";
import type { Tensor } from "../tensor/tensor.js";
import { displayPath, readTextFile } from "./read-file.js";

export interface CsvOptions {
  /** The target column: a header name, or an index (negative counts from the end). Default: the last column. */
  target?: string | number;
  /** Whether the first line holds column names. Default: detected (a line with a non-numeric cell is a header). */
  header?: boolean;
  /** "," ";" "\t" … (one character) or "whitespace" (runs of spaces and tabs). Default: sniffed from the first lines (see sniffDelimiter). */
  delimiter?: string;
  /** Lines to ignore at the start of the file, before any header. Default 0. */
  skip?: number;
  /** dtype of `features`. Default float32. */
  dtype?: "float32" | "float64";
  /** dtype of `target`. Default: int32 when every target value is an integer, else float32. */
  targetDtype?: "int32" | "float32" | "float64";
}

export interface CsvData {
  /** Shape `[rows, columns − 1]`: every column except the target. */
  features: Tensor;
  /** [rows] when int32 (class labels), [rows, 1] when floating point (regression targets). */
  target: Tensor;
  /** Names of the feature columns (from the header, else "0", "1", … by position in the file). */
  columns: string[];
  /** Name of the target column. */
  targetColumn: string;
  /** Class names, when the file starts with a counts line such as "150,4,setosa,versicolor,virginica". */
  classNames?: string[];
}

/** A parsed table: every value as a float64, row-major. */
export interface NumericTable {
  names: string[];
  /** True when `names` came from a header line (rather than positions). */
  named: boolean;
  values: Float64Array;
  rows: number;
  cols: number;
  classNames?: string[];
}

export type TableOptions = Pick<CsvOptions, "header" | "delimiter" | "skip">;

/**
 * Reads a CSV file (gzip or not) or CSV text into features and a target.
 * A string that contains a line break is taken as the text itself; any
 * other string (or a URL) is a path.
 */
export function readCsv(pathOrText: string | URL, options: CsvOptions = {}): CsvData {
  if (typeof pathOrText === "string" && /[\r\n]/.test(pathOrText)) return parseCsv(pathOrText, options);
  const source = displayPath(pathOrText);
  const text = readTextFile(pathOrText, "readCsv", { name: "bp.data.readCsv", inBrowser: "pass the file's text instead: bp.data.readCsv(text) or bp.data.parseCsv(text)" });
  return tableToData(parseTable(text, options, "readCsv", source), options, "readCsv", source);
}

/** Parses CSV text (no file system: usable in browsers). `source` names it in errors. */
export function parseCsv(text: string, options: CsvOptions = {}, source = "<text>"): CsvData {
  return tableToData(parseTable(text, options, "readCsv", source), options, "readCsv", source);
}

// ---------------------------------------------------------------- table → tensors

function tableToData(table: NumericTable, options: CsvOptions, op: string, source: string): CsvData {
  const { rows, cols, values, names } = table;
  if (cols < 2) throw new DataError(`${op}: ${source}: the table has ${cols} column; it needs at least two (features and a target)`);
  const t = targetIndex(table, options.target, op, source);
  const featureDType = options.dtype ?? "float32";
  const features = new (featureDType === "float64" ? Float64Array : Float32Array)(rows * (cols - 1));
  const targetValues = new Float64Array(rows);
  let allIntegers = true;
  for (let r = 0, k = 0; r < rows; r++) {
    const row = r * cols;
    for (let c = 0; c < cols; c++) {
      if (c !== t) features[k++] = values[row + c];
    }
    const y = values[row + t];
    targetValues[r] = y;
    if (!Number.isInteger(y)) allIntegers = false;
  }
  const targetDType: DType = options.targetDtype ?? (allIntegers ? "int32" : "float32");
  return {
    features: fromStorage(features, [rows, cols - 1]),
    target: makeTarget(targetValues, targetDType),
    columns: names.filter((_, c) => c !== t),
    targetColumn: names[t],
    ...(table.classNames ? { classNames: table.classNames } : {}),
  };
}

/** Class labels as int32 [n]; regression targets as float [n, 1] (the shape a model's output has). */
export function makeTarget(values: Float64Array, dtype: DType): Tensor {
  if (dtype === "int32") return fromStorage(Int32Array.from(values), [values.length]);
  if (dtype === "float64") return fromStorage(values, [values.length, 1]);
  return fromStorage(Float32Array.from(values), [values.length, 1]);
}

function targetIndex(table: NumericTable, target: string | number | undefined, op: string, source: string): number {
  const { cols, names } = table;
  if (target === undefined) return cols - 1;
  if (typeof target === "number") {
    if (!Number.isInteger(target) || target < -cols || target >= cols) {
      throw new DataError(`${op}: ${source}: target column index ${target} is out of range; the table has ${cols} columns (0..${cols - 1}, or -${cols}..-1 from the end)`);
    }
    return target < 0 ? target + cols : target;
  }
  const found = table.named ? names.indexOf(target) : -1;
  if (found < 0) {
    const available = table.named ? `the columns are: ${names.map((n) => JSON.stringify(n)).join(", ")}` : `the file has no header line, so give the target as a column index 0..${cols - 1}`;
    throw new DataError(`${op}: ${source}: no target column named ${JSON.stringify(target)}; ${available}`);
  }
  return found;
}

// ---------------------------------------------------------------- text → table

/** Lines looked at to guess the delimiter: the header and the first rows. */
export const SNIFF_LINES = 20;

/**
 * The delimiter of a delimited text file, guessed from its first lines
 * (header included): among ",", ";" and tab, those that split the first
 * line into at least two cells (quotes respected) compete; the one that
 * splits the most of the other lines into as many cells wins (so a ragged row
 * fails with its line number instead of changing the guess), provided it
 * splits more than half the lines at all (a stray tab in a space-separated
 * file is not the delimiter); ties go to more cells, then to the order above. When none splits the first
 * line, "whitespace" (runs of spaces and tabs), the layout numpy.savetxt
 * writes; a single-column file reads the same with it.
 */
export function sniffDelimiter(lines: readonly string[]): string {
  const sample = lines.filter((l) => l.trim() !== "");
  let best = "whitespace";
  let bestAgree = -1;
  let bestCells = 1;
  for (const delim of [",", ";", "\t"]) {
    if (sample.length === 0) break;
    const cells = countCells(sample[0], delim);
    if (cells < 2) continue;
    const agree = sample.filter((l) => countCells(l, delim) === cells).length;
    // Most lines must be split by it: a stray tab in a space-separated file is not a delimiter.
    const splits = sample.filter((l) => countCells(l, delim) >= 2).length;
    if (splits * 2 <= sample.length) continue;
    if (agree > bestAgree || (agree === bestAgree && cells > bestCells)) {
      best = delim;
      bestAgree = agree;
      bestCells = cells;
    }
  }
  return best;
}

/** Cells of a line split at `delim` outside double quotes (with an unclosed quote, at every `delim`: the reader reports the quote). */
function countCells(line: string, delim: string): number {
  let n = 1;
  let all = 1;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"') quoted = !quoted;
    else if (ch === delim) {
      all++;
      if (!quoted) n++;
    }
  }
  return quoted ? all : n;
}

/** Parses the text into a numeric table, checking every row and cell. */
export function parseTable(text: string, options: TableOptions, op: string, source: string): NumericTable {
  const skip = options.skip ?? 0;
  if (!Number.isInteger(skip) || skip < 0) throw new ValueError(`${op}: skip must be a non-negative integer, got ${skip}`);
  const delimiter = options.delimiter;
  if (delimiter !== undefined && delimiter !== "whitespace" && delimiter.length !== 1) {
    throw new ValueError(`${op}: delimiter must be one character or "whitespace", got ${JSON.stringify(delimiter)}`);
  }
  const lines = text.split(/\r\n|\n|\r/);
  const isBlank = (i: number) => lines[i].trim() === "";
  let first = skip;
  while (first < lines.length && isBlank(first)) first++;
  if (first >= lines.length) {
    throw new DataError(`${op}: ${source}: the file is empty${skip > 0 ? ` after skipping ${skip} line(s)` : ""}; expected rows of numbers`);
  }
  const delim = delimiter ?? sniffDelimiter(lines.slice(first, first + SNIFF_LINES));
  const fail = (line: number, col: number, what: string): never => {
    throw new DataError(`${op}: ${source}:${line + 1}:${col}: ${what}`);
  };
  const split = (line: number) => splitLine(lines[line], line, delim, fail);

  // Header: column names, a counts line ("150,4,setosa,…"), or none.
  const head = split(first);
  let dataStart = first + 1;
  let names: string[] | null = null;
  let classNames: string[] | undefined;
  let dataLines = 0;
  let secondWidth = -1;
  for (let i = first + 1; i < lines.length; i++) {
    if (isBlank(i)) continue;
    if (secondWidth < 0) secondWidth = split(i).cells.length;
    dataLines++;
  }
  if (options.header !== false && isCountsLine(head.cells, dataLines, secondWidth)) {
    classNames = head.cells.slice(2);
  } else if (options.header === true || (options.header === undefined && head.cells.some((c) => !looksNumeric(c)))) {
    names = head.cells;
  } else {
    dataStart = first;
    dataLines++;
  }
  if (dataLines === 0) throw new DataError(`${op}: ${source}:${first + 1}: the file has a header line but no rows of data`);

  // Rows: all as wide as the first one, every cell a finite number.
  let firstDataLine = dataStart;
  while (isBlank(firstDataLine)) firstDataLine++;
  const cols = split(firstDataLine).cells.length;
  if (names !== null && names.length !== cols) {
    fail(first, 1, `the header has ${names.length} column names but line ${firstDataLine + 1} has ${cols} values; they must match`);
  }
  const values = new Float64Array(dataLines * cols);
  let rows = 0;
  for (let i = dataStart; i < lines.length; i++) {
    if (isBlank(i)) continue;
    const { cells, starts } = split(i);
    if (cells.length !== cols) {
      const col = cells.length > cols ? starts[cols] : lines[i].length + 1;
      fail(i, col, `expected ${cols} values (as on line ${firstDataLine + 1}), found ${cells.length}; every row must have the same number of cells`);
    }
    for (let c = 0; c < cols; c++) {
      const cell = cells[c];
      const v = Number(cell);
      if (cell === "" || !Number.isFinite(v)) {
        const column = `column ${c + 1}${names ? ` (${JSON.stringify(names[c])})` : ""}`;
        fail(i, starts[c], describeBadCell(cell, column));
      }
      values[rows * cols + c] = v;
    }
    rows++;
  }
  return {
    names: names ?? Array.from({ length: cols }, (_, c) => String(c)),
    named: names !== null,
    values,
    rows,
    cols,
    ...(classNames ? { classNames } : {}),
  };
}

function describeBadCell(cell: string, column: string): string {
  if (cell === "") return `${column} is empty; this reader needs a number in every cell (fill or drop missing values first)`;
  if (/^[+-]?nan$/i.test(cell)) return `${column} is NaN; this reader needs a number in every cell (fill or drop missing values first)`;
  if (/^[+-]?inf(inity)?$/i.test(cell) || Math.abs(Number(cell)) === Infinity) return `${column} is ${cell}; values must be finite`;
  return `${column} holds ${JSON.stringify(cell)}, which is not a number`;
}

/** Numbers, and the spellings of NaN/Infinity (so a data row holding them is not taken for a header). */
function looksNumeric(cell: string): boolean {
  return cell !== "" && (!Number.isNaN(Number(cell)) || /^[+-]?(nan|inf|infinity)$/i.test(cell));
}

/**
 * scikit-learn's layout for iris and wine: a first line "rows,features,class names…"
 * instead of column names. Recognised only when the counts match the data
 * and names follow them.
 */
function isCountsLine(cells: string[], dataLines: number, width: number): boolean {
  return cells.length > 2 && Number(cells[0]) === dataLines && Number(cells[1]) === width - 1 && cells.slice(2).every((c) => !looksNumeric(c));
}

/**
 * The trimmed cells of one line and the 1-based column where each starts.
 * `delim` is one character, or "whitespace" for runs of spaces and tabs.
 */
export function splitLine(
  line: string, lineIndex: number, delim: string, fail: (line: number, col: number, what: string) => never,
): { cells: string[]; starts: number[] } {
  const cells: string[] = [];
  const starts: number[] = [];
  if (delim === "whitespace") {
    for (const m of line.matchAll(/[^ \t]+/g)) {
      cells.push(m[0]);
      starts.push(m.index! + 1);
    }
    return { cells, starts };
  }
  let pos = 0;
  for (;;) {
    let s = pos;
    while (s < line.length && (line[s] === " " || line[s] === "\t") && line[s] !== delim) s++;
    let cell: string;
    let end: number;
    if (line[s] === '"') {
      // A quoted cell: "" inside stands for one quote.
      let text = "";
      let i = s + 1;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) fail(lineIndex, s + 1, "a quoted cell is not closed on this line");
        text += line.slice(i, q);
        if (line[q + 1] === '"') {
          text += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      end = line.indexOf(delim, i);
      if (end < 0) end = line.length;
      cell = text + line.slice(i, end).trim();
    } else {
      end = line.indexOf(delim, s);
      if (end < 0) end = line.length;
      cell = line.slice(s, end).trim();
    }
    cells.push(cell);
    starts.push(s + 1);
    if (end >= line.length) return { cells, starts };
    pos = end + 1;
  }
}
