/** Unflatten: splits one dim into several, the reverse of Flatten (e.g. [N, 784] → [N, 1, 28, 28]). */
import { ShapeError, ValueError } from "../../errors.js";
import { formatShape, normalizeDim } from "../../tensor/shape.js";
import type { Tensor } from "../../tensor/tensor.js";
import { Module } from "../module.js";

export class Unflatten extends Module {
  readonly sizes: number[];

  constructor(readonly dim: number, sizes: readonly number[]) {
    super();
    if (!Number.isInteger(dim)) throw new ValueError(`Unflatten: dim must be an integer, got ${dim}`);
    if (!Array.isArray(sizes) || sizes.length === 0 || sizes.some((s) => !Number.isInteger(s) || s < -1) || sizes.filter((s) => s === -1).length > 1) {
      throw new ValueError(`Unflatten: sizes must be a non-empty list of non-negative integers (one may be -1), got ${JSON.stringify(sizes)}`);
    }
    this.sizes = [...sizes];
  }

  forward(x: Tensor): Tensor {
    const d = normalizeDim("Unflatten", this.dim, x.ndim);
    const known = this.sizes.reduce((a, s) => (s === -1 ? a : a * s), 1);
    const fits = this.sizes.includes(-1) ? known > 0 && x.shape[d] % known === 0 : known === x.shape[d];
    if (!fits) {
      throw new ShapeError(`Unflatten: dim ${this.dim} of input ${formatShape(x.shape)} has size ${x.shape[d]}, which does not split into ${formatShape(this.sizes)}`);
    }
    return x.reshape([...x.shape.slice(0, d), ...this.sizes, ...x.shape.slice(d + 1)]);
  }

  override extraRepr(): string {
    return `dim=${this.dim}, sizes=${formatShape(this.sizes)}`;
  }
}
