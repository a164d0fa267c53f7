/**
 * Standardizing features: subtract each feature's mean and divide by its
 * standard deviation, both measured on the training data only (so nothing
 * about the test data leaks into the model), like scikit-learn's StandardScaler.
 */
import { ShapeError, ValueError } from "../errors.js";
import { fromStorage } from "../tensor/creation.js";
import { formatShape, sizeOf } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";

export class Standardizer {
  /** Per-feature mean, shape = a row's shape. */
  readonly mean: Tensor;
  /** Per-feature standard deviation (population, ddof = 0); 1 where a feature is constant. */
  readonly std: Tensor;

  constructor(mean: Tensor, std: Tensor) {
    this.mean = mean;
    this.std = std;
  }

  /** Measures mean and std over the rows (dimension 0) of the training features. */
  static fit(x: Tensor): Standardizer {
    if (x.ndim === 0 || x.shape[0] === 0) throw new ShapeError(`Standardizer.fit: expected rows of features, got shape ${formatShape(x.shape)}`);
    if (x.dtype !== "float32" && x.dtype !== "float64") throw new ValueError(`Standardizer.fit: expected float32 or float64 features, got ${x.dtype}`);
    const rows = x.shape[0];
    const width = sizeOf(x.shape.slice(1));
    const data = x.data();
    // Two passes in float64: the mean, then squared deviations from it (stable for large offsets).
    const mean = new Float64Array(width);
    for (let r = 0; r < rows; r++) for (let c = 0; c < width; c++) mean[c] += data[r * width + c];
    for (let c = 0; c < width; c++) mean[c] /= rows;
    const variance = new Float64Array(width);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < width; c++) {
        const d = data[r * width + c] - mean[c];
        variance[c] += d * d;
      }
    }
    const std = new Float64Array(width);
    for (let c = 0; c < width; c++) {
      const s = Math.sqrt(variance[c] / rows);
      std[c] = s > 0 ? s : 1; // a constant feature stays 0 after centring instead of becoming NaN
    }
    const shape = x.shape.slice(1);
    const inDType = (values: Float64Array) => (x.dtype === "float64" ? fromStorage(values, shape) : fromStorage(Float32Array.from(values), shape));
    return new Standardizer(inDType(mean), inDType(std));
  }

  /** (x − mean) / std, row by row. */
  transform(x: Tensor): Tensor {
    this.checkRows("transform", x);
    return x.sub(this.mean).div(this.std);
  }

  /** x · std + mean: undoes transform. */
  inverseTransform(x: Tensor): Tensor {
    this.checkRows("inverseTransform", x);
    return x.mul(this.std).add(this.mean);
  }

  private checkRows(op: string, x: Tensor): void {
    const row = x.shape.slice(1);
    if (x.ndim !== this.mean.ndim + 1 || row.some((s, i) => s !== this.mean.shape[i])) {
      throw new ShapeError(`Standardizer.${op}: rows of shape ${formatShape(row)} (x ${formatShape(x.shape)}) do not match the ${formatShape(this.mean.shape)} rows it was fitted on`);
    }
  }
}
