/**
 * Turning table rows into tensors for the network: scaled features, and the
 * target in the form the loss wants (class indices, one-hot rows, or a
 * standardised column).
 */
import { fromStorage } from "../tensor/creation.js";
import type { Tensor } from "../tensor/tensor.js";
import type { FloatDType } from "./options.js";
import { gatherRows, type Scaling, type Table } from "./table.js";

export interface Batch {
  size: number;
  x: Tensor;
  /** int32 class indices (classification) or a [B, 1] float column (regression). */
  labels: Tensor;
  /** [B, K] one-hot rows for squared error on classes; null otherwise. */
  oneHot: Tensor | null;
  /** The raw target values of the rows (class index or standardised number). */
  targets: Float64Array;
}

/** `inputShape`: the per-sample shape the network takes ([C,H,W] for images; default rows). */
export function makeBatch(
  t: Table, rows: ArrayLike<number>, scaling: Scaling | null, targetScaling: { mean: number; std: number } | null, dtype: FloatDType, withOneHot: boolean,
  inputShape?: readonly number[],
): Batch {
  const n = rows.length;
  const xs = dtype === "float64" ? new Float64Array(n * t.columns) : new Float32Array(n * t.columns);
  gatherRows(t, rows, scaling, xs);
  const targets = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = t.target[rows[i]];
    targets[i] = targetScaling ? (v - targetScaling.mean) / targetScaling.std : v;
  }
  let labels: Tensor;
  let oneHot: Tensor | null = null;
  if (t.task === "classify") {
    labels = fromStorage(Int32Array.from(targets), [n], "int32");
    if (withOneHot) {
      const k = t.numClasses;
      const oh = dtype === "float64" ? new Float64Array(n * k) : new Float32Array(n * k);
      for (let i = 0; i < n; i++) oh[i * k + targets[i]] = 1;
      oneHot = fromStorage(oh, [n, k], dtype);
    }
  } else {
    const ys = dtype === "float64" ? Float64Array.from(targets) : Float32Array.from(targets);
    labels = fromStorage(ys, [n, 1], dtype);
  }
  return { size: n, x: fromStorage(xs, [n, ...(inputShape ?? [t.columns])], dtype), labels, oneHot, targets };
}

/** Index of the largest entry in each row of a [B, K] output. */
export function argmaxRows(values: ArrayLike<number>, rows: number, k: number): Int32Array {
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (values[i * k + j] > values[i * k + best]) best = j;
    out[i] = best;
  }
  return out;
}
