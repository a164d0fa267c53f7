/**
 * Training reaches real accuracy on held-out data, with a fixed seed and a
 * fixed random split (25% of the rows held out, split seed 1).
 */
import { describe, expect, it } from "vitest";
import * as bp from "../../src/index.node.js";

function digitsSplit() {
  const digits = bp.data.loadDigits();
  const split = bp.data.trainTestSplit(digits.features, digits.target, { testSize: 0.25, seed: 1 });
  const scaler = bp.data.Standardizer.fit(split.xTrain);
  return { xTrain: scaler.transform(split.xTrain), yTrain: split.yTrain, xTest: scaler.transform(split.xTest), yTest: split.yTest };
}

function accuracy(model: bp.nn.Module, x: bp.Tensor, y: bp.Tensor): number {
  return bp.noGrad(() => model.forward(x).argmax(1).eq(y).to("float32").mean().item());
}

describe("training on real data", () => {
  it("the lecture's network (two sigmoid layers, squared error on one-hot targets, plain SGD) reaches ≥ 95% on digits", () => {
    bp.manualSeed(0);
    const d = digitsSplit();
    expect(d.xTest.shape).toEqual([450, 64]);
    const model = new bp.nn.Sequential(
      new bp.nn.Linear(64, 32), new bp.nn.Sigmoid(),
      new bp.nn.Linear(32, 32), new bp.nn.Sigmoid(),
      new bp.nn.Linear(32, 10),
    );
    const optimizer = new bp.optim.SGD(model.parameters(), { lr: 0.1 });
    const oneHot = bp.eye(10);
    const loader = new bp.data.DataLoader(new bp.data.TensorDataset(d.xTrain, d.yTrain), { batchSize: 8, shuffle: true });
    for (let epoch = 0; epoch < 30; epoch++) {
      for (const [x, y] of loader) {
        // L = Σ ‖y − ŷ‖² over the outputs, averaged over the batch.
        const loss = bp.F.mseLoss(model.forward(x), oneHot.indexSelect(0, y), { reduction: "sum" }).div(x.shape[0]);
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step();
      }
    }
    expect(accuracy(model, d.xTest, d.yTest)).toBeGreaterThanOrEqual(0.95);
  });

  it("ReLU + cross-entropy + Adam reaches ≥ 97% on digits", () => {
    bp.manualSeed(0);
    const d = digitsSplit();
    const model = new bp.nn.Sequential(new bp.nn.Linear(64, 64), new bp.nn.ReLU(), new bp.nn.Linear(64, 10));
    const optimizer = new bp.optim.Adam(model.parameters(), { lr: 1e-3 });
    const loader = new bp.data.DataLoader(new bp.data.TensorDataset(d.xTrain, d.yTrain), { batchSize: 32, shuffle: true });
    for (let epoch = 0; epoch < 20; epoch++) {
      for (const [x, y] of loader) {
        const loss = bp.F.crossEntropy(model.forward(x), y);
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step();
      }
    }
    expect(accuracy(model, d.xTest, d.yTest)).toBeGreaterThanOrEqual(0.97);
  });

  it("diabetes regression reaches R² ≥ 0.4 on held-out rows", () => {
    bp.manualSeed(0);
    const diabetes = bp.data.loadDiabetes();
    const split = bp.data.trainTestSplit(diabetes.features, diabetes.target, { testSize: 0.25, seed: 0 });
    const fx = bp.data.Standardizer.fit(split.xTrain);
    const fy = bp.data.Standardizer.fit(split.yTrain);
    const model = new bp.nn.Sequential(new bp.nn.Linear(10, 16), new bp.nn.Sigmoid(), new bp.nn.Linear(16, 1));
    const optimizer = new bp.optim.Adam(model.parameters(), { lr: 5e-3, weightDecay: 1e-2 });
    const loader = new bp.data.DataLoader(new bp.data.TensorDataset(fx.transform(split.xTrain), fy.transform(split.yTrain)), { batchSize: 32, shuffle: true });
    for (let epoch = 0; epoch < 30; epoch++) {
      for (const [x, y] of loader) {
        const loss = bp.F.mseLoss(model.forward(x), y);
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step();
      }
    }
    const predicted = bp.noGrad(() => fy.inverseTransform(model.forward(fx.transform(split.xTest))));
    const y = split.yTest;
    const r2 = 1 - y.sub(predicted).square().sum().item() / y.sub(y.mean()).square().sum().item();
    expect(r2).toBeGreaterThanOrEqual(0.4);
  });
});
