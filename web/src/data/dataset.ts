/**
 * What the playground trains on: rows of features with a label (class index)
 * or a target (regression), split into a training and a test part.
 */
export type TaskKind = "binary" | "multiclass" | "regression";

export interface Dataset {
  readonly name: string;
  readonly task: TaskKind;
  /** Number of features per example. */
  readonly inputDim: number;
  /** Number of classes (2 for binary, 1 for regression). */
  readonly numClasses: number;
  /** Row-major features, `length * inputDim` values. */
  readonly x: Float32Array;
  /** Class index (as a number) or regression target, one per example. */
  readonly y: Float32Array;
  readonly length: number;
}

export interface Split {
  readonly train: Dataset;
  readonly test: Dataset;
}

/** Picks the given rows of a dataset into a new one. */
export function selectRows(data: Dataset, rows: ArrayLike<number>): Dataset {
  const d = data.inputDim;
  const x = new Float32Array(rows.length * d);
  const y = new Float32Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const src = rows[r];
    x.set(data.x.subarray(src * d, src * d + d), r * d);
    y[r] = data.y[src];
  }
  return { ...data, x, y, length: rows.length };
}

/**
 * Splits a dataset into train and test after shuffling with `order` (a
 * permutation of the rows); `trainFraction` of the rows go to training, and
 * each side keeps at least one row.
 */
export function trainTestSplit(data: Dataset, trainFraction: number, order: Int32Array): Split {
  if (!(trainFraction > 0 && trainFraction < 1)) {
    throw new RangeError(`trainTestSplit: trainFraction must lie strictly between 0 and 1, got ${trainFraction}`);
  }
  if (order.length !== data.length) {
    throw new RangeError(`trainTestSplit: the permutation has ${order.length} entries but the dataset "${data.name}" has ${data.length} rows`);
  }
  if (data.length < 2) {
    throw new RangeError(`trainTestSplit: the dataset "${data.name}" has ${data.length} row(s); at least 2 are needed to split`);
  }
  const nTrain = Math.min(data.length - 1, Math.max(1, Math.round(data.length * trainFraction)));
  return {
    train: selectRows(data, order.subarray(0, nTrain)),
    test: selectRows(data, order.subarray(nTrain)),
  };
}
