/**
 * BatchNorm1d and BatchNorm2d, with PyTorch's parameter and buffer names
 * (weight, bias; running_mean, running_var, num_batches_tracked) so that a
 * PyTorch state dict loads as is. num_batches_tracked is an int32 0-d tensor
 * (int64 in PyTorch; safetensors I64 values load into it).
 */
import type { DType } from "../../backend/backend.js";
import { ShapeError, ValueError } from "../../errors.js";
import { batchNorm } from "../../ops/normalization.js";
import { ones, zeros } from "../../tensor/creation.js";
import { formatShape } from "../../tensor/shape.js";
import type { Tensor } from "../../tensor/tensor.js";
import { Module } from "../module.js";
import { Parameter } from "../parameter.js";

export interface BatchNormLayerOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Weight of each batch in the running statistics (default 0.1); null for a cumulative average over all batches. */
  momentum?: number | null;
  /** Learnable per-channel weight and bias (default true). */
  affine?: boolean;
  /** Keep running statistics for eval mode (default true); without them every mode uses the batch's statistics. */
  trackRunningStats?: boolean;
  dtype?: DType;
}

abstract class BatchNormBase extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  weight: Parameter | null;
  bias: Parameter | null;
  declare running_mean: Tensor | null;
  declare running_var: Tensor | null;
  declare num_batches_tracked: Tensor | null;

  constructor(numFeatures: number, options: BatchNormLayerOptions = {}) {
    super();
    const name = new.target.name;
    if (!Number.isInteger(numFeatures) || numFeatures < 1) throw new ValueError(`${name}: numFeatures must be a positive integer, got ${numFeatures}`);
    this.numFeatures = numFeatures;
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    if (this.momentum !== null && !(this.momentum >= 0 && this.momentum <= 1)) {
      throw new ValueError(`${name}: momentum must be between 0 and 1, or null for a cumulative average; got ${this.momentum}`);
    }
    this.affine = options.affine ?? true;
    this.trackRunningStats = options.trackRunningStats ?? true;
    const dtype = options.dtype ?? "float32";
    this.weight = this.affine ? new Parameter(ones([numFeatures], { dtype })) : null;
    this.bias = this.affine ? new Parameter(zeros([numFeatures], { dtype })) : null;
    this.registerBuffer("running_mean", this.trackRunningStats ? zeros([numFeatures], { dtype }) : null);
    this.registerBuffer("running_var", this.trackRunningStats ? ones([numFeatures], { dtype }) : null);
    this.registerBuffer("num_batches_tracked", this.trackRunningStats ? zeros([], { dtype: "int32" }) : null);
  }

  /** The input ranks this layer takes, for the error message, e.g. [2, 3]. */
  protected abstract readonly ranks: readonly number[];
  protected abstract readonly layout: string;

  forward(x: Tensor): Tensor {
    const name = this.constructor.name;
    if (!this.ranks.includes(x.ndim)) {
      throw new ShapeError(`${name}: expected a ${this.layout} input, got shape ${formatShape(x.shape)}`);
    }
    if (x.shape[1] !== this.numFeatures) {
      throw new ShapeError(`${name}: input ${formatShape(x.shape)} has ${x.shape[1]} channels (dim 1), but the layer was built for numFeatures = ${this.numFeatures}`);
    }
    const counter = this.training && this.trackRunningStats ? this.num_batches_tracked : null;
    const batches = counter ? counter.storage[counter.offset] + 1 : 0;
    // momentum null: the running statistics are the plain average of all batches so far.
    const factor = this.momentum ?? (counter ? 1 / batches : 0);
    // Batch statistics in training, and always when there are no running ones (PyTorch's rule).
    const useBatch = this.training || (this.running_mean === null && this.running_var === null);
    const track = !this.training || this.trackRunningStats;
    const y = batchNorm(x, track ? this.running_mean : null, track ? this.running_var : null, this.weight, this.bias, {
      training: useBatch, momentum: factor, eps: this.eps,
    });
    // Counted once the batch is accepted (a batch of one in training throws above).
    if (counter) counter.storage[counter.offset] = batches;
    return y;
  }

  /** Running statistics back to mean 0, variance 1, and no batches seen. */
  resetRunningStats(): void {
    this.running_mean?.storage.fill(0, this.running_mean.offset, this.running_mean.offset + this.numFeatures);
    this.running_var?.storage.fill(1, this.running_var.offset, this.running_var.offset + this.numFeatures);
    if (this.num_batches_tracked) this.num_batches_tracked.storage[this.num_batches_tracked.offset] = 0;
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, trackRunningStats=${this.trackRunningStats}`;
  }
}

/** Batch normalisation of [N, C] or [N, C, L] over the batch (and length) dims, per channel C. */
export class BatchNorm1d extends BatchNormBase {
  protected readonly ranks = [2, 3];
  protected readonly layout = "2-D [N, C] or 3-D [N, C, L]";
}

/** Batch normalisation of [N, C, H, W] over the batch and spatial dims, per channel C. */
export class BatchNorm2d extends BatchNormBase {
  protected readonly ranks = [4];
  protected readonly layout = "4-D [N, C, H, W]";
}
