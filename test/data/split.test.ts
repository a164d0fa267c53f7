import { describe, expect, it } from "vitest";
import * as bp from "../../src/index.node.js";

const { trainTestSplit, Standardizer } = bp.data;

describe("trainTestSplit", () => {
  const x = bp.arange(20).to("float32").unsqueeze(1).mul(bp.tensor([[1, -1]]));
  const y = bp.arange(20);

  it("keeps rows and targets together, covers every row once, and rounds the test part up", () => {
    const { xTrain, yTrain, xTest, yTest } = trainTestSplit(x, y, { testSize: 0.22, seed: 1 });
    expect(xTest.shape).toEqual([5, 2]); // ceil(0.22 × 20) = 5, as scikit-learn
    expect(xTrain.shape).toEqual([15, 2]);
    expect(yTrain.shape).toEqual([15]);
    const all = [...yTrain.data(), ...yTest.data()].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(xTrain.toArray()).toEqual(Array.from(yTrain.data(), (i) => [i, -i]));
    expect(xTest.toArray()).toEqual(Array.from(yTest.data(), (i) => [i, -i]));
  });

  it("the same seed gives the same split; another seed another", () => {
    const a = trainTestSplit(x, y, { seed: 3 });
    bp.manualSeed(99); // the global generator does not matter when a seed is given
    const b = trainTestSplit(x, y, { seed: 3 });
    const c = trainTestSplit(x, y, { seed: 4 });
    expect(Array.from(a.yTest.data())).toEqual(Array.from(b.yTest.data()));
    expect(Array.from(a.yTest.data())).not.toEqual(Array.from(c.yTest.data()));
    expect(a.yTest.shape).toEqual([5]); // default testSize 0.25
  });

  it("shuffle: false keeps the order, a count works as testSize", () => {
    const { yTrain, yTest } = trainTestSplit(x, y, { testSize: 3, shuffle: false });
    expect(yTest.toArray()).toEqual([17, 18, 19]);
    expect(yTrain.toArray()).toEqual(Array.from({ length: 17 }, (_, i) => i));
  });

  it("rejects mismatched rows and impossible sizes", () => {
    expect(() => trainTestSplit(x, bp.arange(19))).toThrow("trainTestSplit: x [20,2] and y [19] must have the same number of rows (dimension 0)");
    expect(() => trainTestSplit(x, y, { testSize: 20 })).toThrow("trainTestSplit: testSize 20 leaves no rows for training out of 20; give a fraction in (0, 1) or a count in 1..19");
    expect(() => trainTestSplit(x, y, { testSize: 0 })).toThrow(/testSize 0 leaves no rows for testing/);
  });
});

describe("Standardizer", () => {
  it("centres and scales each feature with the training rows' mean and population std", () => {
    // Hand calculation: column 0 = 1, 3, 5 → mean 3, std sqrt(8/3); column 1 is constant → std 1.
    const train = bp.tensor([[1, 10], [3, 10], [5, 10]], { dtype: "float64" });
    const s = Standardizer.fit(train);
    expect(s.mean.toArray()).toEqual([3, 10]);
    expect(s.std.toArray()).toEqual([Math.sqrt(8 / 3), 1]);
    const z = s.transform(train).toArray() as number[][];
    expect(z.map((r) => r[1])).toEqual([0, 0, 0]);
    expect(z[0][0]).toBeCloseTo(-Math.sqrt(1.5), 14);
    expect(z[2][0]).toBeCloseTo(Math.sqrt(1.5), 14);
    // New data uses the training statistics, not its own.
    expect(s.transform(bp.tensor([[3, 12]], { dtype: "float64" })).toArray()).toEqual([[0, 2]]);
    const back = s.inverseTransform(s.transform(train)).toArray() as number[][];
    back.flat().forEach((v, i) => expect(v).toBeCloseTo([1, 10, 3, 10, 5, 10][i], 12));
  });

  it("gives standardized iris features: mean 0, std 1 per column, float32 kept", () => {
    const { features } = bp.data.loadIris();
    const s = Standardizer.fit(features);
    const z = s.transform(features);
    expect(z.dtype).toBe("float32");
    for (const m of z.mean(0).data()) expect(Math.abs(m)).toBeLessThan(1e-6);
    for (const v of z.variance(0, { unbiased: false }).data()) expect(v).toBeCloseTo(1, 5);
    // numpy: iris[:, 0].mean() = 5.843333…, iris[:, 0].std() = 0.825301…
    expect(s.mean.data()[0]).toBeCloseTo(5.8433333, 5);
    expect(s.std.data()[0]).toBeCloseTo(0.8253013, 5);
  });

  it("rejects rows of another shape", () => {
    const s = Standardizer.fit(bp.ones([4, 3]));
    expect(() => s.transform(bp.ones([2, 4]))).toThrow("Standardizer.transform: rows of shape [4] (x [2,4]) do not match the [3] rows it was fitted on");
    expect(() => Standardizer.fit(bp.ones([0, 3]))).toThrow("Standardizer.fit: expected rows of features, got shape [0,3]");
  });
});
