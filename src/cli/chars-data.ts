/**
 * The text `train --task chars` learns from: one item per line (a name, a
 * word, a short phrase), read from a file (gzip recognised) or the bundled
 * word list (`--data words`). Blank lines are skipped and a trailing "\r"
 * (Windows line ends) is dropped; every other character, spaces included,
 * belongs to the item.
 *
 * The vocabulary is the text's distinct characters plus the end-of-item
 * token, which is the newline: no line can contain it, so any text fits.
 */
import * as fs from "node:fs";
import { CharVocabulary } from "../data/chars.js";
import { readTextFile } from "../data/read-file.js";
import { loadWords } from "../data/words.js";
import { fromStorage } from "../tensor/creation.js";
import type { Tensor } from "../tensor/tensor.js";
import { CliDataError } from "./errors.js";
import { readUserFile } from "./files.js";

/** The end-of-item token: id 0 of every CLI character vocabulary. */
export const END_TOKEN = "\n";
/** The name --data gives the bundled word list. */
export const BUNDLED_WORDS = "words";

export interface TextItems {
  /** Where the items came from, for messages. */
  source: string;
  items: string[];
  /** The 1-based line number of each item in the file. */
  lines: number[];
}

/** Reads one item per line; --data words (when no file of that name exists) is the bundled word list. */
export function readItems(spec: string): TextItems {
  if (spec === BUNDLED_WORDS && !fs.existsSync(spec)) {
    const items = loadWords();
    return { source: "the bundled words", items, lines: items.map((_, i) => i + 1) };
  }
  readUserFile(spec, "--data");
  let text: string;
  try {
    text = readTextFile(spec, "--data");
  } catch (err) {
    throw new CliDataError((err as Error).message);
  }
  const items: string[] = [];
  const lines: number[] = [];
  text.split("\n").forEach((line, i) => {
    const item = line.endsWith("\r") ? line.slice(0, -1) : line;
    if (item.trim() === "") return;
    // A binary file, or text in another encoding, would otherwise train on replacement and control characters.
    const bad = /[\uFFFD\u0000]/.exec(item);
    if (bad) {
      throw new CliDataError(`--data ${spec}: line ${i + 1} holds ${bad[0] === "\0" ? "a NUL byte" : "bytes that are not UTF-8"} at character ${bad.index + 1}; give a UTF-8 text file with one item per line`);
    }
    items.push(item);
    lines.push(i + 1);
  });
  if (items.length === 0) throw new CliDataError(`--data ${spec}: no items: every line is blank; give a text file with one item (word, name, phrase) per line`);
  return { source: spec, items, lines };
}

export function buildVocabulary(items: readonly string[]): CharVocabulary {
  return CharVocabulary.fromTexts(items, { boundary: END_TOKEN });
}

/** A character for people: printable ones as they are, others (and space) by code point. */
export function showChar(c: string): string {
  const code = `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
  if (c === END_TOKEN) return "end-of-line";
  return /^[\p{L}\p{N}\p{P}\p{S}]$/u.test(c) ? `"${c}" (${code})` : code;
}

/** "28 tokens: end-of-line and the 27 characters "abc…"" */
export function describeVocabulary(vocab: CharVocabulary): string {
  const chars = vocab.chars.slice(1).join("");
  return `${vocab.size} tokens: end-of-line and the ${vocab.size - 1} characters ${JSON.stringify(chars)}`;
}

/** Characters of `text` outside the vocabulary, each with the (1-based) item lines where it occurs. */
export function unknownCharacters(text: TextItems, vocab: CharVocabulary): Map<string, number[]> {
  const unknown = new Map<string, number[]>();
  text.items.forEach((item, i) => {
    for (const c of item) {
      if (vocab.has(c)) continue;
      const where = unknown.get(c) ?? [];
      if (where[where.length - 1] !== text.lines[i]) where.push(text.lines[i]);
      unknown.set(c, where);
    }
  });
  return unknown;
}

/** `"é" (U+00E9) on lines 4, 9 and 3 more` for each unknown character (at most 10 listed). */
export function formatUnknown(unknown: Map<string, number[]>): string {
  const entries = [...unknown.entries()];
  const shown = entries.slice(0, 10).map(([c, lines]) => {
    const first = lines.slice(0, 3).join(", ");
    return `${showChar(c)} on line${lines.length === 1 ? "" : "s"} ${first}${lines.length > 3 ? ` and ${lines.length - 3} more` : ""}`;
  });
  return shown.join("; ") + (entries.length > 10 ? `; and ${entries.length - 10} more characters` : "");
}

/**
 * Training rows for next-token prediction: each item becomes the token
 * stream [end, c1 … cn, end], cut into windows of `length` positions; the
 * inputs are a window, the targets the same window one token later.
 * Positions past the stream's end are padded (inputs with the end token,
 * targets with -100, which cross-entropy skips). An item longer than the
 * window continues in the next row, which starts without the earlier
 * characters: the model sees at most `length` tokens back.
 */
export interface CharRows {
  inputs: Int32Array;
  targets: Int32Array;
  rows: number;
  length: number;
}

export const IGNORE_TARGET = -100;

export function charRows(items: readonly string[], vocab: CharVocabulary, length: number): CharRows {
  const streams = items.map((item) => [vocab.boundaryId, ...vocab.encode(item), vocab.boundaryId]);
  let rows = 0;
  for (const s of streams) rows += Math.ceil((s.length - 1) / length);
  const inputs = new Int32Array(rows * length).fill(vocab.boundaryId);
  const targets = new Int32Array(rows * length).fill(IGNORE_TARGET);
  let row = 0;
  for (const s of streams) {
    for (let start = 0; start < s.length - 1; start += length, row++) {
      for (let t = 0; t < length && start + t + 1 < s.length; t++) {
        inputs[row * length + t] = s[start + t];
        targets[row * length + t] = s[start + t + 1];
      }
    }
  }
  return { inputs, targets, rows, length };
}

/** The window length for these items: the longest item plus its end token, at most the model's context. */
export function windowLength(items: readonly string[], context: number): number {
  let longest = 0;
  for (const item of items) longest = Math.max(longest, [...item].length);
  return Math.min(context, longest + 1);
}

/** Rows `picked` of `data` as int32 tensors [B, length]. */
export function gatherCharRows(data: CharRows, picked: ArrayLike<number>): { inputs: Tensor; targets: Tensor; targetCount: number } {
  const L = data.length;
  const inputs = new Int32Array(picked.length * L);
  const targets = new Int32Array(picked.length * L);
  let targetCount = 0;
  for (let i = 0; i < picked.length; i++) {
    inputs.set(data.inputs.subarray(picked[i] * L, (picked[i] + 1) * L), i * L);
    targets.set(data.targets.subarray(picked[i] * L, (picked[i] + 1) * L), i * L);
  }
  for (const t of targets) if (t !== IGNORE_TARGET) targetCount++;
  return { inputs: fromStorage(inputs, [picked.length, L], "int32"), targets: fromStorage(targets, [picked.length * L], "int32"), targetCount };
}
