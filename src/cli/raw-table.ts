/**
 * A delimited text file as the CLI first sees it: cells that are numbers
 * kept as numbers, every other cell (text, missing markers) kept as text,
 * with the line each row came from. Deciding what the columns mean (task,
 * categories, missing values) is encode.ts's job; this file only reads.
 *
 * Numbers go into one Float64Array (a 60000×785 CSV stays ~380 MB, as with
 * the library's numeric reader); text is kept per column, only for the
 * cells that are not numbers.
 */
import { SNIFF_LINES, sniffDelimiter, splitLine } from "../data/csv.js";
import { CliDataError } from "./errors.js";

export interface RawTable {
  source: string;
  /** ",", ";", "\t" or "whitespace". */
  delimiter: string;
  /** True when the delimiter was sniffed rather than given with --delimiter. */
  delimiterSniffed: boolean;
  /** True when the first line held column names. */
  named: boolean;
  /** Column names (from the header, else "0", "1", … by position). */
  names: string[];
  rows: number;
  cols: number;
  /** rows × cols, row-major; NaN where the cell is not a finite number (its text is in `text`). */
  values: Float64Array;
  /** Per column: the cells that are not finite numbers, by row (missing markers included). */
  text: Map<number, string>[];
  /** The 1-based line number of each row, for messages. */
  lines: Int32Array;
  /** Class names, when the file starts with scikit-learn's counts line ("150,4,setosa,versicolor,virginica"). */
  classNames?: string[];
}

export interface RawTableOptions {
  /** "," ";" "\t" or "whitespace"; default: sniffed from the first lines. */
  delimiter?: string;
  /**
   * Names the reader expects (predict: the model's columns). A first line
   * holding any of them is a header, whatever else it holds.
   */
  expectedNames?: readonly string[];
}

/** Cells that mean "no value": empty, NA, N/A, NaN, ? (case-insensitive). */
export function isMissing(cell: string): boolean {
  return cell === "" || cell === "?" || /^(na|n\/a|nan|[+-]nan)$/i.test(cell);
}

/** A finite number, or NaN when the cell is text, missing or infinite. */
export function cellNumber(cell: string): number {
  if (cell === "") return NaN;
  const v = Number(cell);
  return Number.isFinite(v) ? v : NaN;
}

/**
 * The bytes of a file the user named, as text; binary data (a NUL byte, or
 * bytes that are not UTF-8) is refused in one line instead of being parsed
 * into kilobytes of garbage cells.
 */
export function decodeText(bytes: Uint8Array, what: string): string {
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw new CliDataError(`${what}: binary data, not a text table (a zero byte at offset ${nul}); give a CSV file${what.startsWith("predict") ? " or an IDX file (MNIST's format)" : " (for IDX files, give the directory that holds them)"}`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new CliDataError(`${what}: not UTF-8 text (binary data, or a file saved in another encoding); save it as a UTF-8 CSV file`);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

const DELIMITER_NAMES: Record<string, string> = { ",": "comma", ";": "semicolon", "\t": "tab", whitespace: "whitespace" };

/** "comma", "semicolon", "tab", "whitespace" or the character quoted. */
export function delimiterName(delimiter: string): string {
  return DELIMITER_NAMES[delimiter] ?? JSON.stringify(delimiter);
}

/** `--delimiter` values: the character itself, or a name (comma, semicolon, tab, whitespace, \t). */
export function parseDelimiter(value: string): string | null {
  const named: Record<string, string> = { comma: ",", semicolon: ";", tab: "\t", "\\t": "\t", whitespace: "whitespace", space: "whitespace" };
  if (named[value.toLowerCase()] !== undefined) return named[value.toLowerCase()];
  return value.length === 1 ? value : null;
}

/**
 * Whether the first line is a header: it holds one of the expected names;
 * or every cell is text; or a column that holds numbers in the next lines
 * holds text on the first line. A first line of text above text columns
 * only (a headerless file of labels) is taken as a header too: give the
 * file a header line to be sure.
 */
export function looksLikeHeader(first: readonly string[], next: readonly (readonly string[])[], expectedNames?: readonly string[]): boolean {
  // Names that are numbers ("0", "1": a headerless training file's positions) say nothing about a header.
  const names = (expectedNames ?? []).filter((n) => Number.isNaN(cellNumber(n)));
  if (first.some((c) => names.includes(c))) return true;
  const isText = (c: string) => !isMissing(c) && Number.isNaN(cellNumber(c)) && !/^[+-]?inf(inity)?$/i.test(c);
  if (first.every(isText)) return true;
  return first.some((c, i) => isText(c) && next.length > 0 && next.every((row) => row[i] !== undefined && (isMissing(row[i]) || !Number.isNaN(cellNumber(row[i])))));
}

/** Reads delimited text into a RawTable; ragged rows are errors naming their line. */
export function readRawTable(text: string, source: string, options: RawTableOptions = {}): RawTable {
  const lines = text.split(/\r\n|\n|\r/);
  const isBlank = (i: number) => lines[i].trim() === "";
  let first = 0;
  while (first < lines.length && isBlank(first)) first++;
  if (first >= lines.length) throw new CliDataError(`${source}: the file is empty (only blank lines)`);
  const sniffed = options.delimiter === undefined;
  const delimiter = options.delimiter ?? sniffDelimiter(lines.slice(first, first + SNIFF_LINES));
  const fail = (line: number, col: number, what: string): never => {
    throw new CliDataError(`${source}:${line + 1}:${col}: ${what}`);
  };
  const split = (i: number) => splitLine(lines[i], i, delimiter, fail);

  const dataLineIndices: number[] = [];
  for (let i = first + 1; i < lines.length; i++) if (!isBlank(i)) dataLineIndices.push(i);
  const head = split(first).cells;
  const peek = dataLineIndices.slice(0, SNIFF_LINES).map((i) => split(i).cells);
  let named = false;
  let classNames: string[] | undefined;
  if (isCountsLine(head, dataLineIndices.length, peek[0]?.length ?? -1)) {
    classNames = head.slice(2);
  } else if (looksLikeHeader(head, peek, options.expectedNames)) {
    named = true;
  } else {
    dataLineIndices.unshift(first);
  }
  if (dataLineIndices.length === 0) throw new CliDataError(`${source}:${first + 1}: the file has a header line but no rows of data`);

  const firstData = dataLineIndices[0];
  const cols = split(firstData).cells.length;
  if (named && head.length !== cols) {
    fail(first, 1, `the header has ${head.length} column names but line ${firstData + 1} has ${cols} values (${delimiterName(delimiter)}-separated${sniffed ? ", as sniffed; set another with --delimiter" : ""}); they must match`);
  }
  const rows = dataLineIndices.length;
  const values = new Float64Array(rows * cols);
  const textCells = Array.from({ length: cols }, () => new Map<number, string>());
  const lineNumbers = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const i = dataLineIndices[r];
    const { cells, starts } = split(i);
    if (cells.length !== cols) {
      const col = cells.length > cols ? starts[cols] : lines[i].length + 1;
      fail(i, col, `expected ${cols} values (as on line ${firstData + 1}), found ${cells.length}; every row must have the same number of cells (${delimiterName(delimiter)}-separated${sniffed ? ", as sniffed; set another with --delimiter" : ""})`);
    }
    lineNumbers[r] = i + 1;
    for (let c = 0; c < cols; c++) {
      const v = cellNumber(cells[c]);
      values[r * cols + c] = v;
      if (Number.isNaN(v)) textCells[c].set(r, cells[c]);
    }
  }
  return {
    source, delimiter, delimiterSniffed: sniffed, named,
    names: named ? head : Array.from({ length: cols }, (_, c) => String(c)),
    rows, cols, values, text: textCells, lines: lineNumbers,
    ...(classNames ? { classNames } : {}),
  };
}

/**
 * scikit-learn's layout for iris and wine: a first line "rows,features,class names…"
 * instead of column names, recognised only when the counts match the data.
 */
function isCountsLine(cells: readonly string[], dataLines: number, width: number): boolean {
  return cells.length > 2 && Number(cells[0]) === dataLines && Number(cells[1]) === width - 1 && cells.slice(2).every((c) => Number.isNaN(cellNumber(c)));
}
