/**
 * A small convolutional network learns the bundled digits as 1×8×8 images
 * through the library (Conv2d, ReLU, MaxPool2d, Flatten, Linear; Adam,
 * cross-entropy), with a fixed seed and a fixed random split (25% of the
 * rows held out, split seed 1).
 */
import { describe, expect, it } from "vitest";
import * as bp from "../../src/index.node.js";

function accuracy(model: bp.nn.Module, x: bp.Tensor, y: bp.Tensor): number {
  return bp.noGrad(() => model.forward(x).argmax(1).eq(y).to("float32").mean().item());
}

function trainConvnet(): { test: number; train: number; firstLoss: number; lastLoss: number } {
  bp.manualSeed(0);
  const d = bp.data.loadDigits({ images: true });
  // Pixels are counts 0..16: scale to [0, 1].
  const split = bp.data.trainTestSplit(d.features.div(16), d.target, { testSize: 0.25, seed: 1 });
  const model = new bp.nn.Sequential(
    new bp.nn.Conv2d(1, 8, 3, { padding: 1 }), new bp.nn.ReLU(), new bp.nn.MaxPool2d(2),
    new bp.nn.Conv2d(8, 16, 3, { padding: 1 }), new bp.nn.ReLU(), new bp.nn.MaxPool2d(2),
    new bp.nn.Flatten(), new bp.nn.Linear(16 * 2 * 2, 10),
  );
  const optimizer = new bp.optim.Adam(model.parameters(), { lr: 0.01 });
  const loader = new bp.data.DataLoader(new bp.data.TensorDataset(split.xTrain, split.yTrain), { batchSize: 32, shuffle: true, generator: new bp.Generator(2) });
  const losses: number[] = [];
  for (let epoch = 0; epoch < 6; epoch++) {
    let sum = 0;
    let batches = 0;
    for (const [x, y] of loader) {
      const loss = bp.F.crossEntropy(model.forward(x), y);
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      sum += loss.item();
      batches++;
    }
    losses.push(sum / batches);
  }
  model.eval();
  return { test: accuracy(model, split.xTest, split.yTest), train: accuracy(model, split.xTrain, split.yTrain), firstLoss: losses[0], lastLoss: losses[losses.length - 1] };
}

describe("a convnet on the digits as images", () => {
  it("conv-relu-pool ×2 → Linear reaches ≥ 94% on the 450 held-out images in 6 epochs (96.4% with this seed)", () => {
    const r = trainConvnet();
    expect(r.lastLoss).toBeLessThan(r.firstLoss / 4);
    expect(r.train).toBeGreaterThanOrEqual(0.95);
    expect(r.test).toBeGreaterThanOrEqual(0.94);
  });
});
