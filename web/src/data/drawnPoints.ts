/**
 * Points the user draws on the data view: they join the training set (never
 * the test set, which keeps measuring the dataset itself). A class-1 point
 * in a classification is a +1 target in a regression, class 0 is −1.
 */
import type { Dataset, Split } from "./dataset.js";

export interface DrawnPoint {
  x: number;
  y: number;
  /** true: class 1 (or target +1); false: class 0 (or −1). */
  positive: boolean;
}

/** The target a drawn point gets in a dataset of this task. */
export function drawnTarget(point: DrawnPoint, task: Dataset["task"]): number {
  if (task === "regression") return point.positive ? 1 : -1;
  return point.positive ? 1 : 0;
}

/** The split with the points appended to its training rows (2-D data only). */
export function withDrawnPoints(split: Split, points: readonly DrawnPoint[]): Split {
  const train = split.train;
  if (points.length === 0) return split;
  if (train.inputDim !== 2) throw new RangeError(`withDrawnPoints: points can only be drawn on 2-D data; "${train.name}" has ${train.inputDim} inputs`);
  const x = new Float32Array(train.x.length + 2 * points.length);
  const y = new Float32Array(train.length + points.length);
  x.set(train.x);
  y.set(train.y);
  points.forEach((p, i) => {
    x[train.x.length + 2 * i] = p.x;
    x[train.x.length + 2 * i + 1] = p.y;
    y[train.length + i] = drawnTarget(p, train.task);
  });
  return { train: { ...train, x, y, length: y.length }, test: split.test };
}
