/**
 * Datasets: anything with a `length` and a `get(i)`. TensorDataset holds
 * whole tensors (row i of each is item i); Subset picks items of another
 * dataset by index (what randomSplit returns).
 */
import { ShapeError, ValueError } from "../errors.js";
import { formatShape } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";

/** A dataset of `length` items, item i being `get(i)` (PyTorch's map-style Dataset). */
export interface Dataset<T = Tensor[]> {
  readonly length: number;
  get(index: number): T;
}

/** Checks an item index (negative counts from the end, as in PyTorch) and returns it as 0..length-1. */
export function checkIndex(op: string, index: number, length: number): number {
  if (!Number.isInteger(index) || index < -length || index >= length) {
    throw new ValueError(`${op}: index ${index} is out of range for a dataset of ${length} items`);
  }
  return index < 0 ? index + length : index;
}

/** Item i is [t[i] for each tensor t]; all tensors must have the same size in dimension 0. */
export class TensorDataset implements Dataset<Tensor[]> {
  readonly tensors: readonly Tensor[];

  constructor(...tensors: Tensor[]) {
    if (tensors.length === 0) throw new ValueError("TensorDataset: expected at least one tensor, e.g. new TensorDataset(features, target)");
    tensors.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new TypeError(`TensorDataset: argument ${i} is not a Tensor`);
      if (t.ndim === 0) throw new ShapeError(`TensorDataset: tensor ${i} is 0-d; each tensor needs a first dimension that indexes the items`);
      if (t.shape[0] !== tensors[0].shape[0]) {
        throw new ShapeError(
          `TensorDataset: tensor ${i} has shape ${formatShape(t.shape)} but tensor 0 has shape ${formatShape(tensors[0].shape)}; all tensors must have the same size in dimension 0 (the number of items)`,
        );
      }
    });
    this.tensors = tensors;
  }

  get length(): number {
    return this.tensors[0].shape[0];
  }

  get(index: number): Tensor[] {
    const i = checkIndex("TensorDataset.get", index, this.length);
    return this.tensors.map((t) => t.narrow(0, i, 1).reshape(t.shape.slice(1)));
  }
}

/** The items of `dataset` at `indices`, in that order. */
export class Subset<T = Tensor[]> implements Dataset<T> {
  readonly dataset: Dataset<T>;
  readonly indices: Int32Array;

  constructor(dataset: Dataset<T>, indices: ArrayLike<number>) {
    this.dataset = dataset;
    this.indices = new Int32Array(indices.length);
    for (let k = 0; k < indices.length; k++) this.indices[k] = checkIndex("Subset", indices[k], dataset.length);
  }

  get length(): number {
    return this.indices.length;
  }

  get(index: number): T {
    return this.dataset.get(this.indices[checkIndex("Subset.get", index, this.length)]);
  }
}
