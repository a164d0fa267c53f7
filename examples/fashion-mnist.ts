/**
 * Fashion-MNIST (60,000 training and 10,000 test images of 28×28 pixels) with
 * an MLP 784-256-128-10, ReLU, cross-entropy and Adam. Needs the IDX files:
 * Debian's `dataset-fashion-mnist` package puts them in /usr/share/datasets/fashion-mnist,
 * or pass another folder as the first argument.
 * Run: npm run example:fashion-mnist [-- DIR] [EPOCHS]
 */
import * as bp from "backpropagation";

const dir = process.argv[2] ?? bp.data.FASHION_MNIST_DIR;
const epochs = Number(process.argv[3] ?? 10);

bp.manualSeed(0);
const train = bp.data.loadFashionMnist({ dir, split: "train" }); // pixels scaled to [0, 1]
const test = bp.data.loadFashionMnist({ dir, split: "test" });

const model = new bp.nn.Sequential(
  new bp.nn.Linear(784, 256), new bp.nn.ReLU(),
  new bp.nn.Linear(256, 128), new bp.nn.ReLU(),
  new bp.nn.Linear(128, 10),
);
const optimizer = new bp.optim.Adam(model.parameters(), { lr: 1e-3 });
const loader = new bp.data.DataLoader(new bp.data.TensorDataset(train.features, train.target), { batchSize: 128, shuffle: true });

function testAccuracy(): number {
  return bp.noGrad(() => {
    let correct = 0;
    for (let i = 0; i < test.features.shape[0]; i += 1000) {
      const n = Math.min(1000, test.features.shape[0] - i);
      const predicted = model.forward(test.features.narrow(0, i, n)).argmax(1);
      correct += predicted.eq(test.target.narrow(0, i, n)).sum().item();
    }
    return correct / test.features.shape[0];
  });
}

console.log(`backend: ${bp.getBackend()}; ${train.features.shape[0]} training images, ${test.features.shape[0]} test images`);
const start = performance.now();
for (let epoch = 1; epoch <= epochs; epoch++) {
  const t0 = performance.now();
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
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    `epoch ${String(epoch).padStart(2)}  loss ${(total / train.features.shape[0]).toFixed(4)}  test accuracy ${(100 * testAccuracy()).toFixed(2)}%  ` +
      `${seconds.toFixed(1)} s (${Math.round(train.features.shape[0] / seconds)} samples/s)`,
  );
}
console.log(`test accuracy ${(100 * testAccuracy()).toFixed(2)}% after ${epochs} epochs, ${((performance.now() - start) / 1000).toFixed(1)} s in all`);
