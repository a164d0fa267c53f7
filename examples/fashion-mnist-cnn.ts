/**
 * A small convnet on Fashion-MNIST (60,000 training and 10,000 test images of
 * 28×28 pixels): two 5×5 convolutions with batch normalisation and max
 * pooling, then one linear layer; 83,658 parameters. Cross-entropy, Adam,
 * the learning rate halved every 4 epochs. Needs the IDX files: Debian's
 * `dataset-fashion-mnist` package puts them in /usr/share/datasets/fashion-mnist,
 * or pass another folder as the first argument.
 * Run: npm run example:fashion-mnist-cnn [-- DIR] [EPOCHS]
 */
import * as bp from "backpropagation";

const dir = process.argv[2] ?? bp.data.FASHION_MNIST_DIR;
const epochs = Number(process.argv[3] ?? 12);

bp.manualSeed(0);
// [n, 1, 28, 28] images, pixels scaled to [0, 1]
const train = bp.data.loadFashionMnist({ dir, split: "train", images: true });
const test = bp.data.loadFashionMnist({ dir, split: "test", images: true });
const trainImages = train.features;
const testImages = test.features;

const model = new bp.nn.Sequential(
  new bp.nn.Conv2d(1, 32, 5, { padding: 2 }), new bp.nn.BatchNorm2d(32), new bp.nn.ReLU(), new bp.nn.MaxPool2d(2),
  new bp.nn.Conv2d(32, 64, 5, { padding: 2 }), new bp.nn.BatchNorm2d(64), new bp.nn.ReLU(), new bp.nn.MaxPool2d(2),
  new bp.nn.Flatten(), new bp.nn.Dropout(0.25), new bp.nn.Linear(64 * 7 * 7, 10),
);
const parameterCount = model.parameters().reduce((n, p) => n + p.size, 0);
const optimizer = new bp.optim.Adam(model.parameters(), { lr: 1e-3 });
const scheduler = new bp.optim.lrScheduler.StepLR(optimizer, { stepSize: 4, gamma: 0.5 });
const loader = new bp.data.DataLoader(new bp.data.TensorDataset(trainImages, train.target), { batchSize: 64, shuffle: true });

function testAccuracy(): number {
  model.eval();
  const accuracy = bp.noGrad(() => {
    let correct = 0;
    for (let i = 0; i < testImages.shape[0]; i += 500) {
      const n = Math.min(500, testImages.shape[0] - i);
      const predicted = model.forward(testImages.narrow(0, i, n)).argmax(1);
      correct += predicted.eq(test.target.narrow(0, i, n)).sum().item();
    }
    return correct / testImages.shape[0];
  });
  model.train();
  return accuracy;
}

console.log(`backend: ${bp.getBackend()}; ${parameterCount} parameters; ${trainImages.shape[0]} training images, ${testImages.shape[0]} test images`);
const start = performance.now();
let timeTo90: number | null = null;
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
  scheduler.step();
  const seconds = (performance.now() - t0) / 1000;
  const accuracy = testAccuracy();
  if (timeTo90 === null && accuracy >= 0.9) timeTo90 = (performance.now() - start) / 1000;
  console.log(
    `epoch ${String(epoch).padStart(2)}  loss ${(total / trainImages.shape[0]).toFixed(4)}  test accuracy ${(100 * accuracy).toFixed(2)}%  ` +
      `${seconds.toFixed(1)} s (${Math.round(trainImages.shape[0] / seconds)} samples/s)`,
  );
}
const wall = (performance.now() - start) / 1000;
console.log(
  `test accuracy ${(100 * testAccuracy()).toFixed(2)}% after ${epochs} epochs, ${wall.toFixed(1)} s in all` +
    (timeTo90 === null ? "; 90% not reached" : `; 90% reached after ${timeTo90.toFixed(1)} s`),
);
