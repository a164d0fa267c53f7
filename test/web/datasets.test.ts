/** The playground's data: the seeded random source, the toy generators, the split, the digits parser. */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import { trainTestSplit, type Dataset } from "../../web/src/data/dataset.js";
import { isGzip, parseDigitsCsv } from "../../web/src/data/digits.js";
import { SeededRandom } from "../../web/src/data/random.js";
import { DATA_EXTENT, TOY_NAMES, circle, gaussians, makeToy, sine, sineCurve, spiral, xor } from "../../web/src/data/toy.js";
import mulberry from "./fixtures/mulberry32.json" with { type: "json" };

const R = DATA_EXTENT;
const clean = { n: 400, noise: 0, seed: 3 };

function point(d: Dataset, i: number): [number, number] {
  return [d.x[2 * i], d.x[2 * i + 1]];
}

function countLabel(d: Dataset, label: number): number {
  let n = 0;
  for (let i = 0; i < d.length; i++) if (d.y[i] === label) n++;
  return n;
}

describe("SeededRandom", () => {
  test("matches an independent mulberry32 in Python", () => {
    for (const [seed, expected] of Object.entries(mulberry)) {
      const rng = new SeededRandom(Number(seed));
      const got = expected.map(() => rng.next());
      got.forEach((v, i) => expect(v).toBe(expected[i]));
    }
  });

  test("permutation is a permutation, and normal() has mean 0 and variance 1", () => {
    const rng = new SeededRandom(5);
    const p = Array.from(rng.permutation(50)).sort((a, b) => a - b);
    expect(p).toEqual(Array.from({ length: 50 }, (_, i) => i));
    let s = 0;
    let s2 = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const v = rng.normal();
      s += v;
      s2 += v * v;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.03);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.05);
  });
});

describe("toy datasets", () => {
  test("circle: class 1 inside radius R/2, class 0 in the ring from 0.7R to R, half each", () => {
    const d = circle(clean);
    expect([d.length, d.inputDim, d.numClasses, d.task]).toEqual([400, 2, 2, "binary"]);
    expect(countLabel(d, 1)).toBe(200);
    for (let i = 0; i < d.length; i++) {
      const r = Math.hypot(...point(d, i));
      if (d.y[i] === 1) expect(r).toBeLessThanOrEqual(0.5 * R + 1e-5);
      else {
        expect(r).toBeGreaterThanOrEqual(0.7 * R - 1e-5);
        expect(r).toBeLessThanOrEqual(R + 1e-5);
      }
    }
  });

  test("xor: the label is 1 exactly where the coordinates share a sign", () => {
    const d = xor(clean);
    for (let i = 0; i < d.length; i++) {
      const [a, b] = point(d, i);
      expect(d.y[i]).toBe(a * b > 0 ? 1 : 0);
      expect(Math.min(Math.abs(a), Math.abs(b))).toBeGreaterThanOrEqual(0.05 * R - 1e-5);
    }
  });

  test("gaussians: class means near ±0.4R", () => {
    const d = gaussians({ n: 4000, noise: 0, seed: 1 });
    const mean = [0, 0, 0, 0];
    for (let i = 0; i < d.length; i++) {
      const [a, b] = point(d, i);
      const k = d.y[i] === 1 ? 0 : 2;
      mean[k] += a / 2000;
      mean[k + 1] += b / 2000;
    }
    for (const m of mean.slice(0, 2)) expect(m).toBeCloseTo(0.4 * R, 1);
    for (const m of mean.slice(2)) expect(m).toBeCloseTo(-0.4 * R, 1);
  });

  test("spiral: the two arms are point reflections of each other and the radius grows along an arm", () => {
    const d = spiral(clean);
    for (let i = 0; i + 1 < d.length; i += 2) {
      const [a, b] = point(d, i);
      const [c, e] = point(d, i + 1);
      expect(d.y[i]).toBe(1);
      expect(d.y[i + 1]).toBe(0);
      expect(c).toBeCloseTo(-a, 5);
      expect(e).toBeCloseTo(-b, 5);
    }
    expect(Math.hypot(...point(d, 0))).toBeCloseTo(0.05 * R, 5);
    expect(Math.hypot(...point(d, 398))).toBeGreaterThan(0.9 * R);
  });

  test("sine: a 1-D regression on the curve 0.8·sin(πx/R) when noise is 0", () => {
    const d = sine(clean);
    expect([d.inputDim, d.task, d.numClasses]).toEqual([1, "regression", 1]);
    for (let i = 0; i < d.length; i++) {
      expect(Math.abs(d.x[i])).toBeLessThanOrEqual(R);
      expect(d.y[i]).toBeCloseTo(sineCurve(d.x[i]), 5);
    }
    expect(sineCurve(R / 2)).toBeCloseTo(0.8, 10);
  });

  test("noise moves the points; the same seed gives the same data, another seed other data", () => {
    for (const name of TOY_NAMES) {
      const a = makeToy(name, { n: 60, noise: 0.5, seed: 9 });
      const b = makeToy(name, { n: 60, noise: 0.5, seed: 9 });
      const c = makeToy(name, { n: 60, noise: 0.5, seed: 10 });
      const quiet = makeToy(name, { n: 60, noise: 0, seed: 9 });
      expect(Array.from(a.x)).toEqual(Array.from(b.x));
      expect(Array.from(a.x)).not.toEqual(Array.from(c.x));
      const noisy = name === "sine" ? a.y : a.x;
      expect(Array.from(noisy)).not.toEqual(Array.from(name === "sine" ? quiet.y : quiet.x));
    }
  });

  test("bad options are refused with the generator's name", () => {
    expect(() => circle({ n: 1, noise: 0, seed: 1 })).toThrow("circle: n must be an integer of at least 2, got 1");
    expect(() => xor({ n: 10, noise: 2, seed: 1 })).toThrow("xor: noise must lie in [0, 1], got 2");
    expect(() => makeToy("moons" as never, clean)).toThrow('makeToy: unknown dataset "moons"; choose one of circle, xor, gaussians, spiral, sine');
  });
});

describe("trainTestSplit", () => {
  test("splits a permutation of the rows by the fraction, without losing or repeating any", () => {
    const d = circle({ n: 10, noise: 0, seed: 1 });
    const order = new SeededRandom(2).permutation(10);
    const { train, test: held } = trainTestSplit(d, 0.7, order);
    expect([train.length, held.length]).toEqual([7, 3]);
    expect(Array.from(train.x.subarray(0, 2))).toEqual(Array.from(d.x.subarray(2 * order[0], 2 * order[0] + 2)));
    expect(held.y[2]).toBe(d.y[order[9]]);
    const seen = [...Array.from(order.subarray(0, 7)), ...Array.from(order.subarray(7))].sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  test("refuses fractions outside (0, 1) and permutations of the wrong length", () => {
    const d = circle({ n: 10, noise: 0, seed: 1 });
    expect(() => trainTestSplit(d, 1, new SeededRandom(1).permutation(10))).toThrow("trainTestSplit: trainFraction must lie strictly between 0 and 1, got 1");
    expect(() => trainTestSplit(d, 0.5, new SeededRandom(1).permutation(9))).toThrow('trainTestSplit: the permutation has 9 entries but the dataset "circle" has 10 rows');
  });
});

describe("digits", () => {
  const gz = readFileSync(new URL("../../data/digits.csv.gz", import.meta.url));

  test("parses the bundled file: 1797 images of 64 pixels scaled to [0, 1], labels 0..9", () => {
    expect(isGzip(gz)).toBe(true);
    const text = gunzipSync(gz).toString("utf8");
    expect(isGzip(new TextEncoder().encode(text))).toBe(false);
    const d = parseDigitsCsv(text);
    expect([d.length, d.inputDim, d.numClasses, d.task]).toEqual([1797, 64, 10, "multiclass"]);
    // First row of the file: 0,0,5,13,9,1,0,0,... label 0.
    expect(Array.from(d.x.subarray(0, 4))).toEqual([0, 0, 5 / 16, 13 / 16]);
    expect(d.y[0]).toBe(0);
    expect(d.y[1]).toBe(1);
    const counts = new Array(10).fill(0);
    for (const label of d.y) counts[label]++;
    expect(counts.every((c) => c >= 170 && c <= 190)).toBe(true);
  });

  test("names the line and column of a malformed row", () => {
    const row = Array(64).fill("0").join(",");
    expect(() => parseDigitsCsv(`${row},3\n${row}\n`)).toThrow("digits.csv line 2: expected 65 comma-separated values (64 pixels and a label), got 64");
    expect(() => parseDigitsCsv(`${row},12\n`)).toThrow('digits.csv line 1, column 65: "12" is not a digit label 0..9');
    expect(() => parseDigitsCsv(`17,${Array(63).fill("0").join(",")},1\n`)).toThrow('digits.csv line 1, column 1: "17" is not a pixel count 0..16');
    expect(() => parseDigitsCsv("\n")).toThrow("digits.csv: the file is empty");
  });
});
