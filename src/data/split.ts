/** Random splits: of a dataset into subsets (randomSplit), of tensors into train and test parts (trainTestSplit). */
import { ShapeError, ValueError } from "../errors.js";
import { indexSelect } from "../ops/indexing.js";
import { fromStorage, randperm } from "../tensor/creation.js";
import { Generator } from "../tensor/random.js";
import { formatShape } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { Subset, type Dataset } from "./dataset.js";

/**
 * Splits a dataset into non-overlapping random subsets, as PyTorch's
 * random_split: `lengths` are item counts that add up to the dataset's
 * length, or fractions that add up to 1 (each gets floor(fraction × n), and
 * the remaining items go one each to the first subsets).
 */
export function randomSplit<T>(dataset: Dataset<T>, lengths: readonly number[], options: { generator?: Generator } = {}): Subset<T>[] {
  const n = dataset.length;
  const counts = splitCounts(lengths, n);
  const order = randperm(n, { generator: options.generator }).storage as Int32Array;
  const parts: Subset<T>[] = [];
  let start = 0;
  for (const count of counts) {
    parts.push(new Subset(dataset, order.subarray(start, start + count)));
    start += count;
  }
  return parts;
}

function splitCounts(lengths: readonly number[], n: number): number[] {
  if (!Array.isArray(lengths) || lengths.length === 0 || lengths.some((l) => typeof l !== "number" || !(l >= 0))) {
    throw new ValueError(`randomSplit: lengths must be a non-empty array of non-negative numbers, got ${JSON.stringify(lengths)}`);
  }
  const total = lengths.reduce((a, b) => a + b, 0);
  if (Math.abs(total - 1) < 1e-9 && lengths.every((l) => l <= 1)) {
    const counts = lengths.map((f) => Math.floor(f * n));
    let remainder = n - counts.reduce((a, b) => a + b, 0);
    for (let i = 0; remainder > 0; i = (i + 1) % counts.length, remainder--) counts[i]++;
    return counts;
  }
  if (!lengths.every(Number.isInteger) || total !== n) {
    throw new ValueError(
      `randomSplit: lengths ${JSON.stringify(lengths)} add up to ${total}, but the dataset has ${n} items; give counts that add up to ${n}, or fractions that add up to 1`,
    );
  }
  return [...lengths];
}

export interface TrainTestSplit {
  xTrain: Tensor;
  yTrain: Tensor;
  xTest: Tensor;
  yTest: Tensor;
}

export interface TrainTestOptions {
  /** The test part: a fraction in (0, 1) (rounded up, as scikit-learn does) or a row count. Default 0.25. */
  testSize?: number;
  /** Seed for the shuffle; the same seed gives the same split. Default: the global generator's next draw. */
  seed?: number;
  /** Generator for the shuffle (instead of a seed). */
  generator?: Generator;
  /** Shuffle before splitting. Default true; false keeps the last rows as the test part. */
  shuffle?: boolean;
}

/** Splits rows of features `x` and targets `y` at random into a training and a test part. */
export function trainTestSplit(x: Tensor, y: Tensor, options: TrainTestOptions = {}): TrainTestSplit {
  const { testSize = 0.25, shuffle = true } = options;
  if (x.ndim === 0 || y.ndim === 0 || x.shape[0] !== y.shape[0]) {
    throw new ShapeError(`trainTestSplit: x ${formatShape(x.shape)} and y ${formatShape(y.shape)} must have the same number of rows (dimension 0)`);
  }
  const n = x.shape[0];
  const nTest = testSize > 0 && testSize < 1 ? Math.ceil(testSize * n) : testSize;
  if (!Number.isInteger(nTest) || nTest <= 0 || nTest >= n) {
    throw new ValueError(`trainTestSplit: testSize ${testSize} leaves no rows for ${nTest >= n ? "training" : "testing"} out of ${n}; give a fraction in (0, 1) or a count in 1..${n - 1}`);
  }
  const generator = options.generator ?? (options.seed !== undefined ? new Generator(options.seed) : undefined);
  const order = shuffle ? (randperm(n, { generator }).storage as Int32Array) : Int32Array.from({ length: n }, (_, i) => i);
  const nTrain = n - nTest;
  const trainRows = fromStorage(order.subarray(0, nTrain), [nTrain]);
  const testRows = fromStorage(order.subarray(nTrain), [nTest]);
  return {
    xTrain: indexSelect(x, 0, trainRows),
    yTrain: indexSelect(y, 0, trainRows),
    xTest: indexSelect(x, 0, testRows),
    yTest: indexSelect(y, 0, testRows),
  };
}
