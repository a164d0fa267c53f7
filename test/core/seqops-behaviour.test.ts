/**
 * Issue #15's sequence ops beyond the PyTorch fixtures: multinomial
 * (seeded reproducibility, frequencies against the exact probabilities by a
 * chi-square bound at a fixed seed, distinct draws without replacement),
 * views that share storage, edge cases, and the error messages.
 */
import { describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";
import type { Tensor } from "../../src/index.js";

/** Pearson's chi-square statistic of observed counts against expected probabilities. */
function chiSquare(counts: number[], probs: number[], n: number): number {
  return counts.reduce((acc, c, i) => acc + (c - n * probs[i]) ** 2 / (n * probs[i]), 0);
}

function counts(samples: Int32Array | number[], k: number): number[] {
  const out = new Array<number>(k).fill(0);
  for (const s of samples) out[s]++;
  return out;
}

describe("multinomial", () => {
  it("is reproducible with a seeded generator, and the default generator follows manualSeed", () => {
    const w = bp.tensor([0.1, 0.5, 0.2, 0.2]);
    const a = bp.multinomial(w, 50, { replacement: true, generator: new bp.Generator(7) });
    const b = bp.multinomial(w, 50, { replacement: true, generator: new bp.Generator(7) });
    const c = bp.multinomial(w, 50, { replacement: true, generator: new bp.Generator(8) });
    expect(a.dtype).toBe("int32");
    expect(a.shape).toEqual([50]);
    expect(a.toArray()).toEqual(b.toArray());
    expect(a.toArray()).not.toEqual(c.toArray());
    expect(w.multinomial(50, { replacement: true, generator: new bp.Generator(7) }).toArray()).toEqual(a.toArray());
    bp.manualSeed(3);
    const d = bp.multinomial(w, 4);
    bp.manualSeed(3);
    expect(bp.multinomial(w, 4).toArray()).toEqual(d.toArray());
  });

  it("draws with replacement in proportion to unnormalised weights (chi-square, 3 degrees of freedom)", () => {
    const n = 20000;
    const s = bp.multinomial(bp.tensor([1, 2, 3, 4], { dtype: "float64" }), n, { replacement: true, generator: new bp.Generator(11) });
    // 16.27 is the 0.999 quantile of chi-square with 3 degrees of freedom.
    expect(chiSquare(counts(s.data() as Int32Array, 4), [0.1, 0.2, 0.3, 0.4], n)).toBeLessThan(16.27);
  });

  it("never draws a zero-weight category, with or without replacement", () => {
    const w = bp.tensor([[0, 3, 0, 1, 0], [2, 0, 0, 0, 5]]);
    const withR = bp.multinomial(w, 2000, { replacement: true, generator: new bp.Generator(1) });
    expect(withR.shape).toEqual([2, 2000]);
    const rows = withR.toArray() as number[][];
    expect(new Set(rows[0])).toEqual(new Set([1, 3]));
    expect(new Set(rows[1])).toEqual(new Set([0, 4]));
    const without = bp.multinomial(w, 2, { generator: new bp.Generator(2) }).toArray() as number[][];
    expect([...without[0]].sort()).toEqual([1, 3]);
    expect([...without[1]].sort()).toEqual([0, 4]);
  });

  it("without replacement, each row's draws are distinct", () => {
    const rows = 300;
    const s = bp.multinomial(bp.rand([rows, 10], { generator: new bp.Generator(5) }).add(0.01), 10, { generator: new bp.Generator(6) });
    for (const row of s.toArray() as number[][]) expect([...row].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("without replacement, the first two draws follow successive sampling: P(i, j) = p_i · p_j / (1 − p_i)", () => {
    const p = [0.1, 0.2, 0.3, 0.4];
    const n = 20000;
    const probs = bp.tensor(p, { dtype: "float64" }).mul(10).reshape([1, 4]).expand([n, 4]);
    const s = bp.multinomial(probs, 2, { generator: new bp.Generator(21) }).data() as Int32Array;
    const cells: number[] = [];
    const expected: number[] = [];
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) if (i !== j) expected.push((p[i] * p[j]) / (1 - p[i]));
    const index = (i: number, j: number) => i * 3 + (j < i ? j : j - 1);
    cells.length = 12;
    cells.fill(0);
    for (let r = 0; r < n; r++) cells[index(s[2 * r], s[2 * r + 1])]++;
    // 32.91 is the 0.999 quantile of chi-square with 11 degrees of freedom.
    expect(chiSquare(cells, expected, n)).toBeLessThan(32.91);
  });

  it("explains bad weights and sample counts", () => {
    const g = { generator: new bp.Generator(0) };
    expect(() => bp.multinomial(bp.tensor([1, -1, 2]), 1, g)).toThrow(/multinomial: probabilities must be finite and non-negative, got -1 in row 0, category 1/);
    expect(() => bp.multinomial(bp.tensor([1, NaN]), 1, g)).toThrow(/finite and non-negative, got NaN/);
    expect(() => bp.multinomial(bp.tensor([1, Infinity]), 1, g)).toThrow(/finite and non-negative, got Infinity/);
    expect(() => bp.multinomial(bp.tensor([[1, 1], [0, 0]]), 1, g)).toThrow(/multinomial: the weights of row 1 add up to 0/);
    expect(() => bp.multinomial(bp.tensor([1, 2, 3]), 4, g)).toThrow(/cannot draw 4 samples without replacement from 3 categories/);
    expect(() => bp.multinomial(bp.tensor([1, 0, 3]), 3, g)).toThrow(/row 0 has 2 categories with positive weight, too few for 3 samples without replacement/);
    expect(() => bp.multinomial(bp.ones([2, 2, 2]), 1, g)).toThrow(/multinomial: probs must be 1-D .* or 2-D .*, got shape \[2, ?2, ?2\]/);
    expect(() => bp.multinomial(bp.tensor([1, 2], { dtype: "int32" }), 1, g)).toThrow(/multinomial: probs must be float32 or float64, got int32/);
    expect(() => bp.multinomial(bp.tensor([1, 2]), 0, g)).toThrow(/numSamples must be a positive integer, got 0/);
    expect(() => bp.multinomial(bp.tensor([1, 2]), 5, { replacement: true, ...g })).not.toThrow();
  });
});

describe("views and edge cases", () => {
  it("split, chunk and slice return views of the same storage", () => {
    const x = bp.arange(12).reshape([3, 4]);
    for (const part of [...x.split(2, 1), ...x.chunk(3), x.slice(1, 0, null, 3)]) expect(part.storage).toBe(x.storage);
    expect(x.slice(1, 0, null, 3).toArray()).toEqual([[0, 3], [4, 7], [8, 11]]);
  });

  it("in-place writes through slice and split views reach the base tensor", () => {
    const x = bp.arange(8).to("float32");
    x.slice(0, 1, null, 3).fill_(-1);
    expect(x.toArray()).toEqual([0, -1, 2, 3, -1, 5, 6, -1]);
    const [a, b] = x.split(4);
    b.mul_(2);
    a.zero_();
    expect(x.toArray()).toEqual([0, 0, 0, 0, -2, 10, 12, -2]);
  });

  it("chunk of an empty dimension gives n empty pieces; split of one gives one", () => {
    const x = bp.zeros([0, 3]);
    expect(x.chunk(3).map((t) => t.shape)).toEqual([[0, 3], [0, 3], [0, 3]]);
    expect(x.split(2).map((t) => t.shape)).toEqual([[0, 3]]);
  });

  it("repeat with a zero gives an empty tensor, and accepts numbers or an array", () => {
    const x = bp.tensor([1, 2]);
    expect(x.repeat(0).shape).toEqual([0]);
    expect(x.repeat([2, 2]).toArray()).toEqual(x.repeat(2, 2).toArray());
    expect(bp.repeat(x, [3]).toArray()).toEqual([1, 2, 1, 2, 1, 2]);
  });

  it("cumsum of bool and int32 stays integer; sort and topk work on int32", () => {
    expect(bp.tensor([true, false, true, true]).cumsum(0).toArray()).toEqual([1, 1, 2, 3]);
    expect(bp.tensor([true]).cumsum(0).dtype).toBe("int32");
    const i = bp.tensor([3, 1, 2], { dtype: "int32" });
    expect(i.cumsum(0).dtype).toBe("int32");
    expect(i.sort().values.toArray()).toEqual([1, 2, 3]);
    expect(i.topk(1).values.dtype).toBe("int32");
  });

  it("topk lists equal values in index order; sort is stable", () => {
    const x = bp.tensor([1, 3, 2, 3, 3]);
    expect(x.topk(2).indices.toArray()).toEqual([1, 3]);
    expect(x.sort(0, true).indices.toArray()).toEqual([1, 3, 4, 2, 0]);
  });

  it("topk for small k (quickselect) picks what the front of a stable sort holds, with ties, NaN and infinities", () => {
    const g = new bp.Generator(4);
    // Few distinct values (many ties), some NaN and infinities, sorted and reversed runs.
    const raw = bp.randint(0, 6, [5, 300], { generator: g }).to("float64").data() as Float64Array;
    for (let i = 0; i < raw.length; i += 37) raw[i] = NaN;
    for (let i = 5; i < raw.length; i += 53) raw[i] = i % 2 ? Infinity : -Infinity;
    for (let j = 0; j < 300; j++) { raw[3 * 300 + j] = j; raw[4 * 300 + j] = -j; }
    const x = bp.tensor(raw).reshape([5, 300]);
    for (const largest of [true, false]) {
      const sorted = x.sort(1, largest);
      for (const k of [1, 2, 7, 20, 37]) {
        const top = x.topk(k, 1, largest);
        expect(top.indices.toArray(), `k=${k} largest=${largest}`).toEqual(sorted.indices.narrow(1, 0, k).toArray());
        expect(top.values.toArray()).toEqual(sorted.values.narrow(1, 0, k).toArray());
      }
    }
    // Along a leading dim of a transposed view.
    const t = x.T.topk(3, 0);
    expect(t.indices.toArray()).toEqual(x.T.sort(0, true).indices.narrow(0, 0, 3).toArray());
  });

  it("sort agrees with a reference stable sort (ties by index, NaN largest, -0 equal to 0) at lengths around the merge runs", () => {
    const g = new bp.Generator(9);
    const pool = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 2.5];
    for (const n of [1, 2, 15, 16, 17, 31, 33, 64, 100, 1000]) {
      const values = Array.from({ length: n }, () => (g.random() < 0.5 ? pool[g.integer(0, pool.length)] : g.integer(-3, 4)));
      for (const descending of [false, true]) {
        const rank = (v: number) => (Number.isNaN(v) ? Infinity : v);
        const expected = values.map((_v, i) => i).sort((a, b) => {
          const na = Number.isNaN(values[a]), nb = Number.isNaN(values[b]);
          if (na !== nb) return (na ? 1 : -1) * (descending ? -1 : 1);
          const d = (rank(values[a]) - rank(values[b])) * (descending ? -1 : 1);
          return d !== 0 && !Number.isNaN(d) ? d : a - b;
        });
        const got = bp.tensor(values, { dtype: "float64" }).sort(0, descending).indices.toArray();
        expect(got, `n=${n} descending=${descending}`).toEqual(expected);
      }
    }
  });

  it("slice's gradient lands on the sliced positions", () => {
    const x = bp.zeros([6], { requiresGrad: true });
    x.slice(0, 1, null, 2).mul(bp.tensor([1, 2, 3])).sum().backward();
    expect(x.grad!.toArray()).toEqual([0, 1, 0, 2, 0, 3]);
  });

  it("einsum takes its tensors as arguments or as one array", () => {
    const a = bp.tensor([[1, 2], [3, 4]]);
    const b = bp.tensor([[5, 6], [7, 8]]);
    expect(bp.einsum("ij,jk->ik", [a, b] as unknown as Tensor).toArray()).toEqual(a.matmul(b).toArray());
    expect(bp.einsum("ij,jk->ik", a, b).toArray()).toEqual([[19, 22], [43, 50]]);
  });

  it("oneHot gives int32 rows and infers the number of classes", () => {
    const y = bp.F.oneHot(bp.tensor([2, 0], { dtype: "int32" }));
    expect(y.dtype).toBe("int32");
    expect(y.toArray()).toEqual([[0, 0, 1], [1, 0, 0]]);
  });
});

describe("error messages", () => {
  const x = bp.arange(6).reshape([2, 3]).to("float32");
  it("split, chunk, repeat, slice", () => {
    expect(() => x.split([1, 1], 1)).toThrow(/split: the sizes \[1,1\] add up to 2, but dimension 1 of shape \[2, ?3\] has size 3/);
    expect(() => x.split(0, 1)).toThrow(/split: the split size must be a positive integer, got 0/);
    expect(() => bp.tensor(1).split(1)).toThrow(/split: cannot split a 0-d tensor/);
    expect(() => x.split(1, 2)).toThrow(/split: dim 2 is out of range/);
    expect(() => x.chunk(0)).toThrow(/chunk: the number of chunks must be a positive integer, got 0/);
    expect(() => x.repeat(2)).toThrow(/repeat: got 1 repeats \(\[2\]\) for a tensor of shape \[2, ?3\]; give at least one per dimension \(2\)/);
    expect(() => x.repeat(2, -1)).toThrow(/repeat: the repeats must be non-negative integers, got \[2,-1\]/);
    expect(() => x.slice(1, 0, 3, 0)).toThrow(/slice: step must be a positive integer, got 0/);
    expect(() => x.slice(1, 0.5)).toThrow(/slice: start must be an integer, got 0.5/);
  });

  it("sort, topk, cumsum, oneHot", () => {
    expect(() => x.topk(4)).toThrow(/topk: k = 4 is out of range for dimension 1 of size 3; expected an integer in \[0, 3\]/);
    expect(() => x.sort(2)).toThrow(/sort: dim 2 is out of range/);
    expect(() => x.cumsum(-3)).toThrow(/cumsum: dim -3 is out of range/);
    expect(() => bp.F.oneHot(x)).toThrow(/oneHot: the indices must be an int32 tensor, got float32; convert with .to\("int32"\)/);
    expect(() => bp.F.oneHot(bp.tensor([0, 3], { dtype: "int32" }), 3)).toThrow(/oneHot: class index 3 is out of range for numClasses 3; indices must be in \[0, 2\]/);
    expect(() => bp.F.oneHot(bp.tensor([-1], { dtype: "int32" }), 3)).toThrow(/oneHot: class indices must be non-negative, got -1/);
    expect(() => bp.F.oneHot(bp.zeros([0], { dtype: "int32" }))).toThrow(/oneHot: cannot infer numClasses from an empty tensor/);
  });

  it("einsum names the equation and the mismatch", () => {
    const a = bp.ones([2, 3]);
    const b = bp.ones([4, 5]);
    expect(() => bp.einsum("ij,jk->ik", a, b)).toThrow(/einsum\("ij,jk->ik"\): label "j" has size 3 in operand 0 \[2, ?3\] but size 4 in operand 1 \[4, ?5\]/);
    expect(() => bp.einsum("ij,jk->ik", a)).toThrow(/einsum\("ij,jk->ik"\): the equation has 2 operands but 1 tensor was given/);
    expect(() => bp.einsum("ijk->i", a)).toThrow(/einsum\("ijk->i"\): operand 0 has subscripts "ijk" \(3 dimensions\) but shape \[2, ?3\] \(2 dimensions\)/);
    expect(() => bp.einsum("ij->iz", a)).toThrow(/einsum\("ij->iz"\): the output label "z" does not appear in any operand/);
    expect(() => bp.einsum("ij->ii", a)).toThrow(/einsum\("ij->ii"\): the output repeats label "i"/);
    expect(() => bp.einsum("...i...->i", a)).toThrow(/einsum\("...i...->i"\): operand 0 has "..." more than once/);
    expect(() => bp.einsum("ijk...->i", a)).toThrow(/einsum\("ijk...->i"\): operand 0 has subscripts "ijk..." \(at least 3 dimensions\) but shape \[2, ?3\] \(2 dimensions\)/);
    expect(() => bp.einsum("...i,...i->...", bp.ones([2, 3]), bp.ones([4, 3]))).toThrow(/einsum\("...i,...i->..."\): dimension 0 of "..." has size 2 in operand 0 \[2, ?3\] but size 4 in operand 1 \[4, ?3\]/);
    expect(() => bp.einsum("i1->i", a)).toThrow(/einsum\("i1->i"\): operand 0 has the character "1"; subscripts must be letters/);
    expect(() => bp.einsum("i,i->", bp.tensor([1, 2], { dtype: "int32" }), bp.ones([2]))).toThrow(/einsum\("i,i->"\): operand 0 is int32, but einsum takes float32 or float64 tensors \(like matmul\); convert it with .to\("float32"\)/);
    expect(() => bp.einsum("ij", 5 as unknown as Tensor)).toThrow(/einsum\("ij"\): operand 0 is not a Tensor \(got number\)/);
  });
});
