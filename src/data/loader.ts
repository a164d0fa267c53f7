/**
 * DataLoader: iterates over a dataset in batches, optionally shuffled.
 *
 * For a TensorDataset (or subsets of one) a batch is cut from the whole
 * tensors in one step (a narrow view in order, an indexSelect when
 * shuffled) instead of stacking items one by one.
 */
import { ValueError } from "../errors.js";
import { indexSelect } from "../ops/indexing.js";
import { fromStorage, randperm } from "../tensor/creation.js";
import type { Generator } from "../tensor/random.js";
import type { Tensor } from "../tensor/tensor.js";
import { defaultCollate } from "./collate.js";
import { Subset, TensorDataset, type Dataset } from "./dataset.js";

export interface DataLoaderOptions<T> {
  /** Items per batch (a positive integer). Default 1. */
  batchSize?: number;
  /** A new random order every epoch (every for..of). Default false. */
  shuffle?: boolean;
  /** Leave out the last batch when it is smaller than batchSize. Default false. */
  dropLast?: boolean;
  /** Source of the shuffles; default: the global generator, seeded by bp.manualSeed. */
  generator?: Generator;
  /** Turns a list of items into a batch; default: stack each field (see defaultCollate). */
  collate?: (items: T[]) => Tensor[];
}

export class DataLoader<T = Tensor[]> implements Iterable<Tensor[]> {
  readonly dataset: Dataset<T>;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly generator: Generator | undefined;
  /** The user's collate function; null means the default, which permits the whole-tensor fast path. */
  private readonly collate: ((items: T[]) => Tensor[]) | null;

  constructor(dataset: Dataset<T>, options: DataLoaderOptions<T> = {}) {
    if (dataset === null || typeof dataset !== "object" || typeof dataset.get !== "function" || !Number.isInteger(dataset.length)) {
      throw new TypeError("DataLoader: expected a dataset with an integer `length` and a `get(index)` method, e.g. new TensorDataset(x, y)");
    }
    const { batchSize = 1, shuffle = false, dropLast = false, generator, collate = null } = options;
    if (!Number.isInteger(batchSize) || batchSize <= 0) {
      throw new ValueError(`DataLoader: batchSize must be a positive integer, got ${batchSize}`);
    }
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.generator = generator;
    this.collate = collate;
  }

  /** The number of batches in one epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  *[Symbol.iterator](): Iterator<Tensor[]> {
    const n = this.dataset.length;
    const batches = this.length;
    // Drawn when the epoch starts, so bp.manualSeed just before the loop fixes the order.
    const order = this.shuffle ? (randperm(n, { generator: this.generator }).storage as Int32Array) : null;
    const source = this.collate === null ? tensorSource(this.dataset) : null;
    for (let b = 0; b < batches; b++) {
      const start = b * this.batchSize;
      const size = Math.min(this.batchSize, n - start);
      if (source !== null && order === null && source.rows === null) {
        yield source.tensors.map((t) => t.narrow(0, start, size));
        continue;
      }
      const positions = new Int32Array(size);
      for (let k = 0; k < size; k++) positions[k] = order === null ? start + k : order[start + k];
      if (source !== null) {
        const rows = source.rows;
        if (rows !== null) for (let k = 0; k < size; k++) positions[k] = rows[positions[k]];
        const index = fromStorage(positions, [size]);
        yield source.tensors.map((t) => indexSelect(t, 0, index));
      } else {
        const items = new Array<T>(size);
        for (let k = 0; k < size; k++) items[k] = this.dataset.get(positions[k]);
        yield this.collate === null ? defaultCollate(items) : this.collate(items);
      }
    }
  }
}

/**
 * The whole tensors behind a TensorDataset, or behind subsets of one (with
 * `rows` mapping item positions to rows); null for other datasets.
 */
function tensorSource(dataset: Dataset<unknown>): { tensors: readonly Tensor[]; rows: Int32Array | null } | null {
  if (dataset instanceof TensorDataset) return { tensors: dataset.tensors, rows: null };
  if (dataset instanceof Subset) {
    const inner = tensorSource(dataset.dataset);
    if (inner === null) return null;
    const rows = new Int32Array(dataset.indices.length);
    for (let k = 0; k < rows.length; k++) rows[k] = inner.rows === null ? dataset.indices[k] : inner.rows[dataset.indices[k]];
    return { tensors: inner.tensors, rows };
  }
  return null;
}
