/**
 * The pieces of the character-model commands, checked by hand: training
 * windows, the sampling distribution (temperature, top-k), unknown
 * characters with their lines, and the parameter count the loader checks.
 */
import { describe, expect, it } from "vitest";
import * as bp from "../../src/index.node.js";
import { IGNORE_TARGET, buildVocabulary, charRows, formatUnknown, unknownCharacters, windowLength } from "../../src/cli/chars-data.js";
import { buildCharModel, charParameterCount, type CharArchitecture } from "../../src/cli/chars-model.js";
import { nextTokenProbabilities } from "../../src/cli/chars-sampling.js";

describe("character training rows", () => {
  it("are end-token-led windows with targets one step later, padded and cut at the window length", () => {
    const vocab = buildVocabulary(["ab", "abcab"]);
    // ids: end 0, a 1, b 2, c 3
    expect(vocab.chars).toEqual(["\n", "a", "b", "c"]);
    expect(windowLength(["ab", "abcab"], 16)).toBe(6);
    expect(windowLength(["ab", "abcab"], 4)).toBe(4);
    const rows = charRows(["ab", "abcab"], vocab, 4);
    const x = IGNORE_TARGET;
    // "ab":    [0 a b] → [a b 0], one row, padded.
    // "abcab": [0 a b c a b 0] → rows [0 a b c]→[a b c a] and [a b]→[b 0] (the second starts at token 4).
    expect(rows.rows).toBe(3);
    expect(Array.from(rows.inputs)).toEqual([0, 1, 2, 0, 0, 1, 2, 3, 1, 2, 0, 0]);
    expect(Array.from(rows.targets)).toEqual([1, 2, 0, x, 1, 2, 3, 1, 2, 0, x, x]);
  });
});

describe("the sampling distribution", () => {
  it("is softmax(logits / temperature)", () => {
    const logits = [2, 1, 0];
    const p = nextTokenProbabilities(logits, 0.5);
    const e = [Math.exp(4), Math.exp(2), Math.exp(0)];
    const sum = e[0] + e[1] + e[2];
    e.forEach((v, i) => expect(p[i]).toBeCloseTo(v / sum, 12));
  });

  it("keeps only the top k (ties at the k-th kept)", () => {
    const p = nextTokenProbabilities([3, 1, 2, 2], 1, 2);
    const sum = Math.exp(3) + 2 * Math.exp(2);
    expect(Array.from(p)).toEqual([Math.exp(3) / sum, 0, Math.exp(2) / sum, Math.exp(2) / sum].map((v) => expect.closeTo(v, 12)));
    expect(Array.from(nextTokenProbabilities([0, 5, 1], 1, 1))).toEqual([0, 1, 0]);
  });
});

describe("unknown characters", () => {
  it("are listed with the lines they are on", () => {
    const vocab = buildVocabulary(["abc"]);
    const unknown = unknownCharacters({ source: "t.txt", items: ["ab", "zz", "a b", "xz"], lines: [1, 3, 4, 7] }, vocab);
    expect(formatUnknown(unknown)).toBe(`"z" (U+007A) on lines 3, 7; U+0020 on line 4; "x" (U+0078) on line 7`);
  });
});

describe("the parameter count the loader checks", () => {
  it("matches the built models", () => {
    const archs: CharArchitecture[] = [
      { model: "transformer", vocabSize: 7, context: 5, embed: 8, layers: 2, heads: 2, hidden: 12 },
      { model: "lstm", vocabSize: 7, context: 5, embed: 8, layers: 2, heads: 0, hidden: 6 },
      { model: "gru", vocabSize: 7, context: 5, embed: 8, layers: 1, heads: 0, hidden: 6 },
    ];
    for (const a of archs) {
      const model = buildCharModel(a, "float32");
      expect(charParameterCount(a), a.model).toBe(model.parameters().reduce((n, p) => n + p.size, 0));
      const out = model.forward(bp.tensor([[0, 1, 2]], { dtype: "int32" }));
      expect(out.shape).toEqual([1, 3, 7]);
    }
  });
});

describe("the models", () => {
  it("are causal: a later character does not change the logits of earlier positions", () => {
    for (const model of ["transformer", "lstm", "gru"] as const) {
      bp.manualSeed(3);
      const net = buildCharModel({ model, vocabSize: 5, context: 4, embed: 8, layers: 2, heads: model === "transformer" ? 2 : 0, hidden: 8 }, "float64");
      const a = net.forward(bp.tensor([[0, 1, 2, 3]], { dtype: "int32" })).narrow(1, 0, 3).toArray();
      const b = net.forward(bp.tensor([[0, 1, 2, 4]], { dtype: "int32" })).narrow(1, 0, 3).toArray();
      expect(b, model).toEqual(a);
      const c = net.forward(bp.tensor([[0, 1, 4, 3]], { dtype: "int32" })).narrow(1, 2, 1).toArray();
      expect(c, model).not.toEqual(net.forward(bp.tensor([[0, 1, 2, 3]], { dtype: "int32" })).narrow(1, 2, 1).toArray());
    }
  });
});
