import { describe, expect, it } from "vitest";
import * as bp from "../../src/index.node.js";

/**
 * End to end through bp.data: load, split, standardize, batch with shuffles,
 * and train softmax regression with core ops only (so this file tests the
 * data layer, not nn/optim). Iris is nearly linearly separable: a linear
 * model reaches well over 90% on held-out rows.
 */
function train(seed: number) {
  const iris = bp.data.loadIris();
  const split = bp.data.trainTestSplit(iris.features, iris.target, { testSize: 0.2, seed: 0 });
  const scaler = bp.data.Standardizer.fit(split.xTrain);
  const dataset = new bp.data.TensorDataset(scaler.transform(split.xTrain), split.yTrain);
  bp.manualSeed(seed);
  let w = bp.randn([4, 3]).mul(0.01).detach();
  let b = bp.zeros([3]);
  const lr = 0.5;
  for (let epoch = 0; epoch < 30; epoch++) {
    for (const [x, y] of new bp.data.DataLoader(dataset, { batchSize: 16, shuffle: true })) {
      w.requiresGrad = true;
      b.requiresGrad = true;
      const logits = x.matmul(w).add(b);
      const loss = logits.logSoftmax(1).gather(1, y.unsqueeze(1)).mean().neg();
      loss.backward();
      w = w.sub(w.grad!.mul(lr)).detach();
      b = b.sub(b.grad!.mul(lr)).detach();
    }
  }
  const predicted = scaler.transform(split.xTest).matmul(w).add(b).argmax(1);
  const accuracy = predicted.eq(split.yTest).to("float32").mean().item();
  return { w: Array.from(w.data()), accuracy, nTest: split.yTest.size };
}

describe("training on iris through bp.data", () => {
  it("reaches at least 90% test accuracy, and the same seed gives the same weights bit for bit", () => {
    const a = train(1);
    expect(a.nTest).toBe(30);
    expect(a.accuracy).toBeGreaterThanOrEqual(0.9);
    const b = train(1);
    expect(b.w).toEqual(a.w);
    const c = train(2);
    expect(c.w).not.toEqual(a.w);
  });
});
