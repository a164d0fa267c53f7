/**
 * The bundled digits dataset (8×8 images, pixel counts 0..16, last column
 * the digit), as shipped in data/digits.csv.gz. The page fetches the gzip
 * file and inflates it with the browser's DecompressionStream.
 */
import type { Dataset } from "./dataset.js";

export const DIGIT_PIXELS = 64;

/** Parses the CSV text; pixels are scaled to [0, 1]. Throws naming the line of a malformed row. */
export function parseDigitsCsv(text: string): Dataset {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  const n = lines.length;
  if (n === 0) throw new SyntaxError("digits.csv: the file is empty; expected rows of 64 pixel values and a label");
  const x = new Float32Array(n * DIGIT_PIXELS);
  const y = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    const cells = lines[r].split(",");
    if (cells.length !== DIGIT_PIXELS + 1) {
      throw new SyntaxError(`digits.csv line ${r + 1}: expected ${DIGIT_PIXELS + 1} comma-separated values (64 pixels and a label), got ${cells.length}`);
    }
    for (let c = 0; c <= DIGIT_PIXELS; c++) {
      const v = Number(cells[c]);
      const isLabel = c === DIGIT_PIXELS;
      if (!Number.isInteger(v) || v < 0 || v > (isLabel ? 9 : 16)) {
        throw new SyntaxError(
          `digits.csv line ${r + 1}, column ${c + 1}: "${cells[c]}" is not ${isLabel ? "a digit label 0..9" : "a pixel count 0..16"}`,
        );
      }
      if (isLabel) y[r] = v;
      else x[r * DIGIT_PIXELS + c] = v / 16;
    }
  }
  return { name: "digits", task: "multiclass", inputDim: DIGIT_PIXELS, numClasses: 10, x, y, length: n };
}

/** True when the bytes start with gzip's magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Fetches a .csv.gz file, inflates it, and parses it. Some servers send .gz
 * files with `Content-Encoding: gzip`, and then the browser has inflated it
 * already; the magic number tells which case this is.
 */
export async function loadDigits(url: string): Promise<Dataset> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`digits: could not fetch ${url} (HTTP ${response.status})`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (!isGzip(bytes)) return parseDigitsCsv(new TextDecoder().decode(bytes));
  const inflated = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream("gzip"));
  return parseDigitsCsv(await new Response(inflated).text());
}
