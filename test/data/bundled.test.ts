import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as bp from "../../src/index.node.js";

// Reference figures computed from the same files with numpy (np.loadtxt, column
// sums and np.bincount of the label column), and for Fashion-MNIST from the raw
// IDX bytes (gzip + np.frombuffer).

const sum = (t: bp.Tensor) => Array.from(t.data()).reduce((a, b) => a + b, 0);
const columnSums = (t: bp.Tensor) => Array.from(t.sum(0).to("float64").data());
const counts = (t: bp.Tensor, k: number) => {
  const c = new Array<number>(k).fill(0);
  for (const v of t.data()) c[v]++;
  return c;
};
const row = (t: bp.Tensor, i: number) => Array.from(t.narrow(0, i, 1).data());

describe("bundled datasets", () => {
  it("digits: 1797 × 64 pixel counts, 10 classes", () => {
    const d = bp.data.loadDigits();
    expect(d.features.shape).toEqual([1797, 64]);
    expect(d.features.dtype).toBe("float32");
    expect(d.target.shape).toEqual([1797]);
    expect(d.target.dtype).toBe("int32");
    expect(d.task).toBe("classify");
    expect(d.numClasses).toBe(10);
    expect(d.classNames).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    expect(d.featureNames.length).toBe(64);
    expect(d.featureNames[9]).toBe("pixel_1_1");
    expect(sum(d.features)).toBe(561718);
    expect(counts(d.target, 10)).toEqual([178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
    expect(Array.from(d.target.narrow(0, 0, 10).data())).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(row(d.features, 1796).slice(0, 12)).toEqual([0, 0, 10, 14, 8, 1, 0, 0, 0, 2, 16, 14]);
  });

  it("iris: 150 × 4, three species of 50, class names from the counts line", () => {
    const d = bp.data.loadIris();
    expect(d.features.shape).toEqual([150, 4]);
    expect(d.classNames).toEqual(["setosa", "versicolor", "virginica"]);
    expect(d.numClasses).toBe(3);
    expect(d.featureNames).toEqual(["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]);
    expect(counts(d.target, 3)).toEqual([50, 50, 50]);
    expect(row(d.features, 0)).toEqual([5.1, 3.5, 1.4, 0.2].map(Math.fround));
    expect(d.target.toArray()).toHaveLength(150);
    const sums = columnSums(d.features);
    [876.5, 458.6, 563.7, 179.9].forEach((s, i) => expect(sums[i]).toBeCloseTo(s, 3));
  });

  it("wine: 178 × 13, classes 59/71/48", () => {
    const d = bp.data.loadWine();
    expect(d.features.shape).toEqual([178, 13]);
    expect(d.classNames).toEqual(["class_0", "class_1", "class_2"]);
    expect(d.featureNames[12]).toBe("proline");
    expect(counts(d.target, 3)).toEqual([59, 71, 48]);
    expect(row(d.features, 177)).toEqual([14.13, 4.1, 2.74, 24.5, 96.0, 2.05, 0.76, 0.56, 1.35, 9.2, 0.61, 1.6, 560.0].map(Math.fround));
    expect(columnSums(d.features)[12]).toBe(132947);
  });

  it("diabetes: 442 × 10 unscaled features, float32 [442, 1] regression target", () => {
    const d = bp.data.loadDiabetes();
    expect(d.features.shape).toEqual([442, 10]);
    expect(d.target.shape).toEqual([442, 1]);
    expect(d.target.dtype).toBe("float32");
    expect(d.task).toBe("regress");
    expect(d.numClasses).toBeUndefined();
    expect(d.featureNames).toEqual(["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]);
    expect(sum(d.target)).toBe(67243);
    expect(Array.from(d.target.narrow(0, 0, 3).data())).toEqual([151, 75, 141]);
    expect(row(d.features, 441)).toEqual([36, 1, 19.6, 71, 250, 133.2, 97, 3, 4.5951, 92].map(Math.fround));
    const sums = columnSums(d.features);
    [21445, 649, 11658.1, 41833.98, 83600, 51024.1, 22006.5, 1799.05, 2051.5036, 40337].forEach((s, i) => expect(sums[i] / s).toBeCloseTo(1, 5));
  });
});

const FMNIST = "/usr/share/datasets/fashion-mnist";

describe("Fashion-MNIST from Debian's dataset-fashion-mnist", () => {
  it("test split: 10,000 images of 784 pixels in [0, 1], 1,000 per class", () => {
    const d = bp.data.loadFashionMnist({ split: "test" });
    expect(d.features.shape).toEqual([10000, 784]);
    expect(d.features.dtype).toBe("float32");
    expect(d.imageShape).toEqual([28, 28]);
    expect(d.featureNames.length).toBe(784);
    expect(d.featureNames[28]).toBe("pixel_1_0");
    expect(d.target.dtype).toBe("int32");
    expect(Array.from(d.target.narrow(0, 0, 10).data())).toEqual([9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
    expect(counts(d.target, 10)).toEqual(new Array(10).fill(1000));
    expect(d.classNames![9]).toBe("Ankle boot");
    const first = d.features.narrow(0, 0, 1);
    expect(first.argmax().item()).toBe(577);
    expect(first.max().item()).toBe(1);
    expect(sum(first) * 255).toBeCloseTo(33456, 2);
    expect(Array.from(d.features.narrow(0, 9999, 1).reshape([-1]).narrow(0, 400, 10).data())).toEqual(
      [45, 45, 69, 128, 100, 120, 132, 123, 135, 171].map((v) => Math.fround(v / 255)),
    );
  });

  it("train split: 60,000 images, 6,000 per class", () => {
    const d = bp.data.loadFashionMnist({ dir: FMNIST, split: "train" });
    expect(d.features.shape).toEqual([60000, 784]);
    expect(Array.from(d.target.narrow(0, 0, 10).data())).toEqual([9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
    expect(counts(d.target, 10)).toEqual(new Array(10).fill(6000));
    expect(Array.from(d.features.narrow(0, 59999, 1).reshape([-1]).narrow(0, 400, 10).data())).toEqual(
      [129, 153, 34, 0, 3, 3, 0, 3, 0, 24].map((v) => Math.fround(v / 255)),
    );
  });
});

describe("Fashion-MNIST errors say where they looked and how to get the data", () => {
  const tmp = mkdtempSync(join(tmpdir(), "bp-fmnist-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("a missing folder", () => {
    const dir = join(tmp, "not-there");
    expect(() => bp.data.loadFashionMnist({ dir })).toThrow(bp.DataError);
    expect(() => bp.data.loadFashionMnist({ dir })).toThrow(
      `loadFashionMnist: the folder ${dir} does not exist; Debian's \`dataset-fashion-mnist\` package provides it (apt install dataset-fashion-mnist), or pass { dir } naming a folder with the files`,
    );
  });

  it("a folder without the files", () => {
    writeFileSync(join(tmp, "t10k-images-idx3-ubyte"), Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 28, 0, 0, 0, 28]));
    expect(() => bp.data.loadFashionMnist({ dir: tmp, split: "test" })).toThrow(
      `loadFashionMnist: found neither ${join(tmp, "t10k-labels-idx1-ubyte.gz")} nor ${join(tmp, "t10k-labels-idx1-ubyte")}; Debian's`,
    );
    expect(() => bp.data.loadFashionMnist({ dir: tmp, split: "valid" as "test" })).toThrow('loadFashionMnist: split must be "train" or "test", got "valid"');
  });
});
