/** bp.nn.init: PyTorch's fans and gains, bounds and statistics, in-place filling, seeded reproducibility. */
import { describe, expect, test } from "vitest";
import * as bp from "../../src/index.js";

const { init } = bp.nn;

function stats(t: bp.Tensor): { mean: number; std: number; min: number; max: number } {
  const d = t.data();
  let s = 0, s2 = 0, min = Infinity, max = -Infinity;
  for (const v of d) { s += v; s2 += v * v; min = Math.min(min, v); max = Math.max(max, v); }
  const mean = s / d.length;
  return { mean, std: Math.sqrt(s2 / d.length - mean * mean), min, max };
}

describe("fans and gains", () => {
  test("calculateGain matches PyTorch's table", () => {
    expect(init.calculateGain("linear")).toBe(1);
    expect(init.calculateGain("sigmoid")).toBe(1);
    expect(init.calculateGain("tanh")).toBe(5 / 3);
    expect(init.calculateGain("relu")).toBe(Math.sqrt(2));
    expect(init.calculateGain("selu")).toBe(0.75);
    expect(init.calculateGain("leakyRelu")).toBe(Math.sqrt(2 / (1 + 0.01 ** 2)));
    expect(init.calculateGain("leaky_relu", Math.sqrt(5))).toBe(Math.sqrt(1 / 3));
    expect(() => init.calculateGain("swish" as "relu")).toThrow('calculateGain: unknown nonlinearity "swish"');
  });

  test("fans of linear and convolution-shaped weights", () => {
    expect(init.calculateFanInAndFanOut(bp.zeros([7, 3]))).toEqual([3, 7]);
    expect(init.calculateFanInAndFanOut(bp.zeros([16, 8, 3, 3]))).toEqual([72, 144]);
    expect(init.kaimingUniform_(bp.zeros([3, 0])).shape).toEqual([3, 0]); // zero elements: nothing to fill, as PyTorch
    expect(new bp.nn.Linear(0, 2).weight.shape).toEqual([2, 0]);
    expect(() => init.calculateFanInAndFanOut(bp.zeros([5]))).toThrow("init: fan in and fan out cannot be computed for a tensor with fewer than 2 dimensions (shape [5])");
  });
});

describe("distributions", () => {
  const big = () => bp.zeros([400, 250], { dtype: "float64" }); // fanIn 250, fanOut 400, 100 000 samples

  test("xavierUniform_: U(±gain·√(6/(fanIn+fanOut)))", () => {
    const a = 2 * Math.sqrt(6 / 650);
    const s = stats(init.xavierUniform_(big(), 2));
    expect(s.min).toBeGreaterThanOrEqual(-a);
    expect(s.max).toBeLessThanOrEqual(a);
    expect(s.max).toBeGreaterThan(0.999 * a);
    expect(s.std).toBeCloseTo(a / Math.sqrt(3), 3);
    expect(Math.abs(s.mean)).toBeLessThan(0.003);
  });

  test("xavierNormal_: std gain·√(2/(fanIn+fanOut))", () => {
    const s = stats(init.xavierNormal_(big()));
    expect(s.std / Math.sqrt(2 / 650)).toBeCloseTo(1, 2);
  });

  test("kaimingUniform_: bound gain·√(3/fan), default leakyRelu with a=0 (gain √2), fanIn", () => {
    const bound = Math.sqrt(2) * Math.sqrt(3 / 250);
    const s = stats(init.kaimingUniform_(big()));
    expect(s.max).toBeLessThanOrEqual(bound);
    expect(s.min).toBeGreaterThanOrEqual(-bound);
    expect(s.max).toBeGreaterThan(0.999 * bound);
    const out = stats(init.kaimingUniform_(big(), { mode: "fanOut", nonlinearity: "relu" }));
    expect(out.max).toBeLessThanOrEqual(Math.sqrt(2) * Math.sqrt(3 / 400));
    expect(out.max).toBeGreaterThan(0.999 * Math.sqrt(2) * Math.sqrt(3 / 400));
  });

  test("kaimingNormal_: std gain/√fan", () => {
    expect(stats(init.kaimingNormal_(big(), 0, "fan_out", "relu")).std / (Math.sqrt(2) / 20)).toBeCloseTo(1, 2);
  });

  test("normal_, uniform_, zeros_, ones_, constant_", () => {
    const n = stats(init.normal_(big(), 3, 0.5));
    expect(n.mean).toBeCloseTo(3, 2);
    expect(n.std).toBeCloseTo(0.5, 2);
    const u = stats(init.uniform_(big(), { a: -1, b: 3 }));
    expect(u.min).toBeGreaterThanOrEqual(-1);
    expect(u.max).toBeLessThan(3);
    expect(u.mean).toBeCloseTo(1, 1);
    expect(init.zeros_(bp.ones([2, 2])).toArray()).toEqual([[0, 0], [0, 0]]);
    expect(init.ones_(bp.zeros([3])).toArray()).toEqual([1, 1, 1]);
    expect(init.constant_(bp.zeros([2]), 7).toArray()).toEqual([7, 7]);
    expect(() => init.uniform_(bp.zeros([2]), 1, 0)).toThrow("uniform_: expected a <= b, got a=1, b=0");
    expect(() => init.zeros_(bp.zeros([2], { dtype: "int32" }))).toThrow("init: only float32 and float64 tensors can be initialised, got int32");
  });
});

describe("in place and reproducible", () => {
  test("fills the tensor's own storage, outside the graph, keeping requiresGrad", () => {
    const w = new bp.nn.Parameter(bp.zeros([3, 4]));
    const storage = w.storage;
    const r = init.xavierUniform_(w);
    expect(r).toBe(w);
    expect(w.storage).toBe(storage);
    expect(w.requiresGrad).toBe(true);
    expect(w.isLeaf).toBe(true);
    expect(w.data().some((v) => v !== 0)).toBe(true);
  });

  test("a strided view is filled through its strides", () => {
    const base = bp.zeros([3, 3]);
    init.ones_(base.transpose(0, 1).narrow(0, 1, 1)); // column 1 of base
    expect(base.toArray()).toEqual([[0, 1, 0], [0, 1, 0], [0, 1, 0]]);
  });

  test("the same seed gives the same weights bit for bit; a generator option gives an independent stream", () => {
    bp.manualSeed(42);
    const a = new bp.nn.Linear(20, 10);
    bp.manualSeed(42);
    const b = new bp.nn.Linear(20, 10);
    expect(Array.from(b.weight.data())).toEqual(Array.from(a.weight.data()));
    expect(Array.from(b.bias!.data())).toEqual(Array.from(a.bias!.data()));
    const c = new bp.nn.Linear(20, 10, { generator: new bp.Generator(42) });
    const d = new bp.nn.Linear(20, 10, { generator: new bp.Generator(42) });
    expect(Array.from(c.weight.data())).toEqual(Array.from(d.weight.data()));
    bp.manualSeed(1);
    expect(Array.from(new bp.nn.Linear(20, 10).weight.data())).not.toEqual(Array.from(a.weight.data()));
  });

  test("Linear's default init is U(±1/√in) for weight and bias; Embedding's is N(0, 1)", () => {
    bp.manualSeed(3);
    const m = new bp.nn.Linear(400, 300, { dtype: "float64" });
    const bound = 1 / 20;
    const w = stats(m.weight);
    expect(w.max).toBeLessThanOrEqual(bound);
    expect(w.min).toBeGreaterThanOrEqual(-bound);
    expect(w.max).toBeGreaterThan(0.999 * bound);
    expect(w.std).toBeCloseTo(bound / Math.sqrt(3), 3);
    const b = stats(m.bias!);
    expect(b.max).toBeLessThanOrEqual(bound);
    expect(b.min).toBeGreaterThanOrEqual(-bound);
    const e = stats(new bp.nn.Embedding(1000, 100).weight);
    expect(e.std).toBeCloseTo(1, 1);
    expect(Math.abs(e.mean)).toBeLessThan(0.02);
  });
});
