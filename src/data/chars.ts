/**
 * Characters as class indices, for character-level language models
 * (makemore style): a vocabulary of the distinct characters of some texts
 * plus one boundary token ('.' by default, id 0) that marks both the start
 * and the end of a word, and the two usual training layouts built from a
 * list of words: fixed-size context windows with the next character as
 * target, and whole sequences with targets shifted by one step.
 * Characters are Unicode code points, so an emoji counts as one.
 */
import { DataError, ValueError } from "../errors.js";
import { fromStorage } from "../tensor/creation.js";
import type { Tensor } from "../tensor/tensor.js";

export interface CharVocabularyOptions {
  /** The start/end token, one character that the texts do not contain (default "."). */
  boundary?: string;
}

/** The saved form of a vocabulary: its tokens in id order (boundary first). */
export interface CharVocabularyJSON {
  boundary: string;
  chars: string[];
}

export class CharVocabulary {
  /** Every token in id order: the boundary (id 0), then the characters sorted by code point. */
  readonly chars: readonly string[];
  readonly boundary: string;
  private readonly ids: Map<string, number>;

  /** From explicit characters (any order, duplicates allowed); see fromTexts for the usual way. */
  constructor(chars: Iterable<string>, options: CharVocabularyOptions = {}) {
    const boundary = options.boundary ?? ".";
    if ([...boundary].length !== 1) throw new ValueError(`CharVocabulary: the boundary token must be one character, got ${JSON.stringify(boundary)}`);
    const distinct = new Set<string>();
    for (const c of chars) {
      if ([...c].length !== 1) throw new ValueError(`CharVocabulary: each entry must be one character, got ${JSON.stringify(c)}`);
      if (c !== boundary) distinct.add(c);
    }
    this.boundary = boundary;
    this.chars = [boundary, ...[...distinct].sort(byCodePoint)];
    this.ids = new Map(this.chars.map((c, i) => [c, i]));
  }

  /** The distinct characters of `texts` plus the boundary token, which the texts must not contain. */
  static fromTexts(texts: Iterable<string>, options: CharVocabularyOptions = {}): CharVocabulary {
    const boundary = options.boundary ?? ".";
    const seen = new Set<string>();
    let index = 0;
    for (const text of texts) {
      if (typeof text !== "string") throw new ValueError(`CharVocabulary.fromTexts: text ${index} is ${typeof text}, expected a string`);
      let pos = 0;
      for (const c of text) {
        if (c === boundary) {
          throw new DataError(
            `CharVocabulary.fromTexts: text ${index} (${JSON.stringify(text)}) contains the boundary token ${JSON.stringify(boundary)} at position ${pos}; pick another boundary with { boundary: "…" }`,
          );
        }
        seen.add(c);
        pos++;
      }
      index++;
    }
    return new CharVocabulary(seen, { boundary });
  }

  static fromJSON(json: CharVocabularyJSON): CharVocabulary {
    if (!json || typeof json.boundary !== "string" || !Array.isArray(json.chars) || json.chars[0] !== json.boundary) {
      throw new DataError(`CharVocabulary.fromJSON: expected { boundary, chars } with chars[0] equal to the boundary, got ${JSON.stringify(json)?.slice(0, 120)}`);
    }
    const vocab = new CharVocabulary(json.chars, { boundary: json.boundary });
    if (vocab.chars.length !== json.chars.length || vocab.chars.some((c, i) => c !== json.chars[i])) {
      throw new DataError("CharVocabulary.fromJSON: chars must be distinct and sorted by code point after the boundary, as toJSON writes them");
    }
    return vocab;
  }

  toJSON(): CharVocabularyJSON {
    return { boundary: this.boundary, chars: [...this.chars] };
  }

  /** Number of tokens, boundary included (the number of classes a model predicts). */
  get size(): number {
    return this.chars.length;
  }

  /** The boundary token's id (always 0). */
  get boundaryId(): number {
    return 0;
  }

  has(char: string): boolean {
    return this.ids.has(char);
  }

  /** The ids of the characters of `text`; throws naming the first character not in the vocabulary and its position. */
  encode(text: string): number[] {
    const out: number[] = [];
    for (const c of text) {
      const id = this.ids.get(c);
      if (id === undefined) {
        throw new DataError(
          `CharVocabulary.encode: ${JSON.stringify(c)} (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}) at position ${out.length} of ${JSON.stringify(text.length > 60 ? text.slice(0, 60) + "…" : text)} is not in the vocabulary of ${this.size} tokens (${JSON.stringify(this.chars.join(""))})`,
        );
      }
      out.push(id);
    }
    return out;
  }

  /** The text of `ids` (the boundary token comes out as its character). */
  decode(ids: Iterable<number>): string {
    let s = "";
    let pos = 0;
    for (const id of ids) {
      const c = Number.isInteger(id) ? this.chars[id] : undefined;
      if (c === undefined) throw new DataError(`CharVocabulary.decode: id ${id} at position ${pos} is outside 0..${this.size - 1}`);
      s += c;
      pos++;
    }
    return s;
  }
}

function byCodePoint(a: string, b: string): number {
  return a.codePointAt(0)! - b.codePointAt(0)!;
}

/** Int32 inputs and targets for next-character prediction. */
export interface CharExamples {
  inputs: Tensor;
  targets: Tensor;
}

/**
 * Fixed-size contexts for next-character prediction: for each word and each
 * of its characters plus the end token, the `blockSize` preceding tokens
 * (padded on the left with the boundary) and that next token's id.
 * E.g. "ab" with blockSize 2 gives [. .]→a, [. a]→b, [a b]→. — inputs
 * [N, blockSize], targets [N], both int32.
 */
export function charContexts(words: readonly string[], vocab: CharVocabulary, blockSize: number): CharExamples {
  if (!Number.isInteger(blockSize) || blockSize < 1) throw new ValueError(`charContexts: blockSize must be an integer ≥ 1, got ${blockSize}`);
  const encoded = encodeAll("charContexts", words, vocab);
  let n = 0;
  for (const ids of encoded) n += ids.length + 1;
  const inputs = new Int32Array(n * blockSize);
  const targets = new Int32Array(n);
  let row = 0;
  for (const ids of encoded) {
    const context = new Array<number>(blockSize).fill(vocab.boundaryId);
    for (const next of [...ids, vocab.boundaryId]) {
      inputs.set(context, row * blockSize);
      targets[row++] = next;
      context.shift();
      context.push(next);
    }
  }
  return { inputs: fromStorage(inputs, [n, blockSize], "int32"), targets: fromStorage(targets, [n], "int32") };
}

export interface CharSequenceOptions {
  /** Steps per sequence (default: the longest word plus one); longer words are cut. */
  length?: number;
  /** Target id after a word's end token, for the loss to skip (default -100, cross entropy's default ignoreIndex). */
  padTarget?: number;
}

/**
 * Whole words as sequences for recurrent or attention models: inputs are the
 * boundary then the word's ids, targets the word's ids then the boundary,
 * so targets[t] is the character after inputs[..t]. Rows run to `length`
 * steps; inputs are padded with the boundary and targets with `padTarget`.
 * Inputs [N, T] and targets [N, T], both int32.
 */
export function charSequences(words: readonly string[], vocab: CharVocabulary, options: CharSequenceOptions = {}): CharExamples {
  const encoded = encodeAll("charSequences", words, vocab);
  const length = options.length ?? encoded.reduce((m, ids) => Math.max(m, ids.length + 1), 1);
  if (!Number.isInteger(length) || length < 1) throw new ValueError(`charSequences: length must be an integer ≥ 1, got ${length}`);
  const padTarget = options.padTarget ?? -100;
  const n = encoded.length;
  const inputs = new Int32Array(n * length).fill(vocab.boundaryId);
  const targets = new Int32Array(n * length).fill(padTarget);
  encoded.forEach((ids, row) => {
    const base = row * length;
    for (let t = 0; t < length && t <= ids.length; t++) {
      if (t > 0) inputs[base + t] = ids[t - 1];
      targets[base + t] = t < ids.length ? ids[t] : vocab.boundaryId;
    }
  });
  return { inputs: fromStorage(inputs, [n, length], "int32"), targets: fromStorage(targets, [n, length], "int32") };
}

function encodeAll(op: string, words: readonly string[], vocab: CharVocabulary): number[][] {
  return words.map((w, i) => {
    if (typeof w !== "string") throw new ValueError(`${op}: word ${i} is ${typeof w}, expected a string`);
    try {
      return vocab.encode(w);
    } catch (e) {
      throw new DataError(`${op}: word ${i}: ${(e as Error).message}`);
    }
  });
}
