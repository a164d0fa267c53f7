/**
 * The image loaders' `{ images: true }` option: the same pixels as the rows,
 * as [n, 1, height, width]; and a pooling network learns the digits from them.
 */
import { describe, expect, it } from "vitest";
import * as bp from "../../src/index.node.js";

describe("datasets as images", () => {
  it("digits: [1797, 1, 8, 8], pixel (r, c) of image i is feature i, 8r + c", () => {
    const rows = bp.data.loadDigits();
    const images = bp.data.loadDigits({ images: true });
    expect(rows.features.shape).toEqual([1797, 64]);
    expect(images.features.shape).toEqual([1797, 1, 8, 8]);
    expect(images.imageShape).toEqual([8, 8]);
    expect(Array.from(images.features.data())).toEqual(Array.from(rows.features.data()));
    // Row 1796 starts 0, 0, 10, 14, 8, 1, 0, 0 | 0, 2, 16, 14 (numpy, as in bundled.test.ts).
    expect(images.features.narrow(0, 1796, 1).reshape([8, 8]).narrow(0, 1, 1).narrow(1, 0, 4).toArray()).toEqual([[0, 2, 16, 14]]);
    expect(images.target).toEqual(rows.target);
  });

  it("Fashion-MNIST: [10000, 1, 28, 28], the same pixels as the rows", () => {
    const rows = bp.data.loadFashionMnist({ split: "test" });
    const images = bp.data.loadFashionMnist({ split: "test", images: true });
    expect(images.features.shape).toEqual([10000, 1, 28, 28]);
    expect(images.imageShape).toEqual([28, 28]);
    const a = rows.features.narrow(0, 123, 1).data();
    const b = images.features.narrow(0, 123, 1).data();
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it("BatchNorm2d → Upsample → MaxPool2d → Flatten → Linear learns the 8×8 digits (≥ 90% held out)", () => {
    bp.manualSeed(0);
    const d = bp.data.loadDigits({ images: true });
    const split = bp.data.trainTestSplit(d.features, d.target, { testSize: 0.25, seed: 1 });
    const model = new bp.nn.Sequential(
      new bp.nn.BatchNorm2d(1), new bp.nn.Upsample({ scaleFactor: 2 }), new bp.nn.MaxPool2d({ kernelSize: 3, stride: 2, padding: 1 }),
      new bp.nn.Flatten(), new bp.nn.Linear(64, 10),
    );
    const optimizer = new bp.optim.Adam(model.parameters(), { lr: 0.01 });
    const loader = new bp.data.DataLoader(new bp.data.TensorDataset(split.xTrain, split.yTrain), { batchSize: 32, shuffle: true });
    for (let epoch = 0; epoch < 10; epoch++) {
      for (const [x, y] of loader) {
        const loss = bp.F.crossEntropy(model.forward(x), y);
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step();
      }
    }
    model.eval();
    const acc = bp.noGrad(() => model.forward(split.xTest).argmax(1).eq(split.yTest).to("float32").mean().item());
    expect(acc).toBeGreaterThanOrEqual(0.9);
  });
});
