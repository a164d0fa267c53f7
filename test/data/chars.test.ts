/**
 * Character data for language models: the vocabulary (ids, round trips,
 * saving, errors), context windows and shifted sequences against
 * hand-computed examples, and the bundled word list.
 */
import { gunzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import * as bp from "../../src/index.node.js";

const { CharVocabulary, charContexts, charSequences } = bp.data;

function rows(t: bp.Tensor): number[][] {
  const d = Array.from(t.data());
  const w = t.shape[1];
  const out: number[][] = [];
  for (let r = 0; r < t.shape[0]; r++) out.push(d.slice(r * w, (r + 1) * w));
  return out;
}

describe("CharVocabulary", () => {
  test("the boundary is id 0, then the distinct characters sorted", () => {
    const v = CharVocabulary.fromTexts(["emma", "ava", "bob"]);
    expect(v.chars).toEqual([".", "a", "b", "e", "m", "o", "v"]);
    expect(v.size).toBe(7);
    expect(v.encode("emma")).toEqual([3, 4, 4, 1]);
    expect(v.decode([0, 2, 5, 2, 0])).toBe(".bob.");
    expect(v.has("z")).toBe(false);
  });

  test("round trips text, including characters outside the BMP, and survives JSON", () => {
    const texts = ["héllo wörld", "naïve 😀 café"];
    const v = CharVocabulary.fromTexts(texts, { boundary: "|" });
    for (const t of texts) expect(v.decode(v.encode(t))).toBe(t);
    expect(v.encode("😀")).toHaveLength(1);
    const back = CharVocabulary.fromJSON(JSON.parse(JSON.stringify(v)));
    expect(back.chars).toEqual(v.chars);
    expect(back.boundary).toBe("|");
    expect(back.encode(texts[1])).toEqual(v.encode(texts[1]));
  });

  test("a character missing from a saved vocabulary is named with its position", () => {
    const saved = JSON.parse(JSON.stringify(CharVocabulary.fromTexts(["abc"])));
    const v = CharVocabulary.fromJSON(saved);
    expect(() => v.encode("cab!")).toThrow(/"!" \(U\+0021\) at position 3 of "cab!" is not in the vocabulary of 4 tokens/);
    expect(() => charContexts(["ab", "aXb"], v, 2)).toThrow(/charContexts: word 1: .*"X" \(U\+0058\) at position 1/);
    expect(() => v.decode([1, 9])).toThrow(/id 9 at position 1 is outside 0..3/);
  });

  test("texts containing the boundary, bad boundaries and tampered JSON are refused", () => {
    expect(() => CharVocabulary.fromTexts(["ab", "a.b"])).toThrow(/text 1 \("a.b"\) contains the boundary token "." at position 1/);
    expect(() => new CharVocabulary(["a"], { boundary: "ab" })).toThrow(/one character/);
    expect(() => CharVocabulary.fromJSON({ boundary: ".", chars: [".", "b", "a"] })).toThrow(/sorted/);
    expect(() => CharVocabulary.fromJSON({ boundary: ".", chars: ["a"] } as any)).toThrow(/chars\[0\] equal to the boundary/);
  });
});

describe("charContexts", () => {
  test("makemore's windows for two words, by hand", () => {
    const v = CharVocabulary.fromTexts(["ab", "c"]); // . a b c -> 0 1 2 3
    const { inputs, targets } = charContexts(["ab", "c"], v, 3);
    expect(inputs.dtype).toBe("int32");
    expect(targets.dtype).toBe("int32");
    expect(inputs.shape).toEqual([5, 3]);
    expect(rows(inputs)).toEqual([
      [0, 0, 0], // ... -> a
      [0, 0, 1], // ..a -> b
      [0, 1, 2], // .ab -> .
      [0, 0, 0], // ... -> c
      [0, 0, 3], // ..c -> .
    ]);
    expect(Array.from(targets.data())).toEqual([1, 2, 0, 3, 0]);
  });

  test("a block shorter than the word slides", () => {
    const v = CharVocabulary.fromTexts(["abca"]);
    const { inputs, targets } = charContexts(["abca"], v, 1);
    expect(rows(inputs)).toEqual([[0], [1], [2], [3], [1]]);
    expect(Array.from(targets.data())).toEqual([1, 2, 3, 1, 0]);
    expect(() => charContexts(["a"], v, 0)).toThrow(/blockSize must be an integer ≥ 1/);
  });
});

describe("charSequences", () => {
  test("inputs start with the boundary, targets end with it, padding is ignoreIndex", () => {
    const v = CharVocabulary.fromTexts(["ab", "c"]);
    const { inputs, targets } = charSequences(["ab", "c"], v);
    expect(inputs.shape).toEqual([2, 3]);
    expect(rows(inputs)).toEqual([[0, 1, 2], [0, 3, 0]]);
    expect(rows(targets)).toEqual([[1, 2, 0], [3, 0, -100]]);
  });

  test("a fixed length cuts long words and pads short ones with padTarget", () => {
    const v = CharVocabulary.fromTexts(["abc"]);
    const { inputs, targets } = charSequences(["abc", "a"], v, { length: 2, padTarget: -1 });
    expect(rows(inputs)).toEqual([[0, 1], [0, 1]]);
    expect(rows(targets)).toEqual([[1, 2], [1, 0]]);
    const long = charSequences(["a"], v, { length: 4, padTarget: -1 });
    expect(rows(long.targets)).toEqual([[1, 0, -1, -1]]);
    expect(rows(long.inputs)).toEqual([[0, 1, 0, 0]]);
  });

  test("padded targets drop out of cross entropy", () => {
    const v = CharVocabulary.fromTexts(["ab", "c"]);
    const { targets } = charSequences(["ab", "c"], v);
    const logits = bp.randn([2, 3, v.size]);
    const full = bp.F.crossEntropy(logits.reshape([6, v.size]), targets.reshape([6]));
    // the only padded target is the last one, so the loss is the mean over the first five
    const manual = bp.F.crossEntropy(logits.reshape([6, v.size]).narrow(0, 0, 5), targets.reshape([6]).narrow(0, 0, 5));
    expect(full.item()).toBeCloseTo(manual.item(), 6);
  });
});

describe("loadWords", () => {
  test("16,000 distinct lowercase words of 3 to 10 letters, sorted, identical to the gzip file", () => {
    const words = bp.data.loadWords();
    expect(words).toHaveLength(16000);
    expect(new Set(words).size).toBe(16000);
    for (const w of words) expect(w).toMatch(/^[a-z]{3,10}$/);
    expect([...words].sort()).toEqual(words);
    const raw = gunzipSync(readFileSync(new URL("../../data/words.txt.gz", import.meta.url))).toString("utf8");
    expect(raw.split("\n").filter(Boolean)).toEqual(words);
    const v = CharVocabulary.fromTexts(words);
    expect(v.chars.join("")).toBe(".abcdefghijklmnopqrstuvwxyz");
    expect(v.encode("emma")).toEqual([5, 13, 13, 1]);
    expect(charSequences(words, v).inputs.shape).toEqual([16000, 11]);
    const { inputs, targets } = charContexts(words.slice(0, 3), v, 3);
    const letters = words.slice(0, 3).reduce((n, w) => n + w.length + 1, 0);
    expect(inputs.shape).toEqual([letters, 3]);
    expect(targets.shape).toEqual([letters]);
  });
});
