/**
 * Handwritten digits (8×8 pixels, 10 classes) with ReLU, cross-entropy and Adam.
 * Run: npm run example:digits
 */
import * as bp from "backpropagation";

bp.manualSeed(0);
const digits = bp.data.loadDigits();
const split = bp.data.trainTestSplit(digits.features, digits.target, { testSize: 0.25, seed: 1 });
const scaler = bp.data.Standardizer.fit(split.xTrain); // statistics of the training rows only
const xTrain = scaler.transform(split.xTrain);
const xTest = scaler.transform(split.xTest);

const model = new bp.nn.Sequential(new bp.nn.Linear(64, 64), new bp.nn.ReLU(), new bp.nn.Linear(64, 10));
const optimizer = new bp.optim.Adam(model.parameters(), { lr: 1e-3 });
const loader = new bp.data.DataLoader(new bp.data.TensorDataset(xTrain, split.yTrain), { batchSize: 32, shuffle: true });

const accuracy = (x: bp.Tensor, y: bp.Tensor) =>
  bp.noGrad(() => model.forward(x).argmax(1).eq(y).to("float32").mean().item());

console.log(model.toString());
const start = performance.now();
for (let epoch = 1; epoch <= 20; epoch++) {
  let total = 0;
  for (const [x, y] of loader) {
    // In bp.tidy, the step's activations are reused by the next step.
    total += bp.tidy(() => {
      const loss = bp.F.crossEntropy(model.forward(x), y);
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      return loss.item();
    }) * x.shape[0];
  }
  if (epoch % 5 === 0) {
    console.log(`epoch ${String(epoch).padStart(2)}  loss ${(total / xTrain.shape[0]).toFixed(4)}  test accuracy ${(100 * accuracy(xTest, split.yTest)).toFixed(2)}%`);
  }
}
console.log(`trained in ${((performance.now() - start) / 1000).toFixed(1)} s`);
