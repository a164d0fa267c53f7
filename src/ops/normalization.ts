/**
 * batchNorm: normalises each channel (dim 1) of [N, C], [N, C, L] or
 * [N, C, H, W] over the batch and the spatial dims. It runs as one fused op
 * (src/ops/batch-norm.ts); an export trace, mixed dtypes or an empty input
 * take the composition of differentiable ops below instead (a trace records
 * those steps, or one BatchNormalization in eval mode). Only the running
 * statistics are written in place, outside the graph.
 */
import { noGrad } from "../graph/mode.js";
import { traced, tracer } from "../graph/node.js";
import { ShapeError, ValueError } from "../errors.js";
import { formatShape } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { batchNormOp } from "./batch-norm.js";
import { requireFloat } from "./util.js";

export interface BatchNormOptions {
  /** Normalise with the batch's statistics and update the running ones (default false: use the running ones). */
  training?: boolean;
  /** Weight of the batch statistics in the running update: r ← (1 − m)·r + m·batch (default 0.1). */
  momentum?: number;
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
}

/**
 * y = (x − mean) / √(var + eps) · weight + bias per channel. In training mode
 * mean and var are the batch's (biased var), and `runningMean`/`runningVar`
 * (when given) are updated in place with the unbiased var, as in PyTorch; in
 * eval mode the running statistics are used.
 */
export function batchNorm(
  x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight?: Tensor | null, bias?: Tensor | null, options: BatchNormOptions = {},
): Tensor {
  const op = "batchNorm";
  const training = options.training ?? false;
  const momentum = options.momentum ?? 0.1;
  const eps = options.eps ?? 1e-5;
  requireFloat(op, x);
  if (x.ndim < 2) throw new ShapeError(`${op}: expected an input [N, C, ...] with a channel dim 1, got shape ${formatShape(x.shape)}`);
  const channels = x.shape[1];
  for (const [name, t] of [["runningMean", runningMean], ["runningVar", runningVar], ["weight", weight], ["bias", bias]] as const) {
    if (t && (t.ndim !== 1 || t.shape[0] !== channels)) {
      throw new ShapeError(`${op}: ${name} has shape ${formatShape(t.shape)} but input ${formatShape(x.shape)} has ${channels} channels (dim 1); expected [${channels}]`);
    }
  }
  if (!(momentum >= 0 && momentum <= 1)) throw new ValueError(`${op}: momentum must be between 0 and 1, got ${momentum}`);
  if (!(eps >= 0)) throw new ValueError(`${op}: eps must be non-negative, got ${eps}`);
  const count = x.size / Math.max(channels, 1);
  if (training && count <= 1) {
    throw new ValueError(`${op}: expected more than 1 value per channel when training, got input ${formatShape(x.shape)}; use a batch of 2 or more, or eval mode`);
  }
  if (!training && (!runningMean || !runningVar)) {
    throw new ValueError(`${op}: eval mode (training false) normalises with runningMean and runningVar, but ${runningMean ? "runningVar" : "runningMean"} is null; pass both, or training: true`);
  }
  const fusable = tracer.hook === null && x.size > 0 && (!weight || weight.dtype === x.dtype) && (!bias || bias.dtype === x.dtype) &&
    (training || (!runningMean!.requiresGrad && !runningVar!.requiresGrad));
  if (fusable) {
    return batchNormOp(x, weight ?? null, bias ?? null, training, eps, { mean: runningMean, variance: runningVar, momentum });
  }
  return compositeBatchNorm(x, runningMean, runningVar, weight ?? null, bias ?? null, training, momentum, eps, count);
}

/** batchNorm from differentiable ops (checked arguments). */
function compositeBatchNorm(
  x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight: Tensor | null, bias: Tensor | null,
  training: boolean, momentum: number, eps: number, count: number,
): Tensor {
  const channels = x.shape[1];
  const dims = [0];
  for (let d = 2; d < x.ndim; d++) dims.push(d);
  const perChannel = [1, channels, ...x.shape.slice(2).map(() => 1)];
  let y: Tensor;
  if (training) {
    const mean = x.mean(dims, true);
    const centered = x.sub(mean);
    const variance = centered.square().mean(dims, true);
    y = centered.div(variance.add(eps).sqrt());
    noGrad(() => {
      if (runningMean) assign(runningMean, runningMean.mul(1 - momentum).add(mean.reshape([channels]).mul(momentum)));
      if (runningVar) assign(runningVar, runningVar.mul(1 - momentum).add(variance.reshape([channels]).mul(momentum * count / (count - 1))));
    });
  } else {
    y = x.sub(runningMean!.reshape(perChannel)).div(runningVar!.reshape(perChannel).add(eps).sqrt());
  }
  if (weight) y = y.mul(weight.reshape(perChannel));
  if (bias) y = y.add(bias.reshape(perChannel));
  // An export trace sees one BatchNormalization instead of the steps above.
  return training ? y : traced(y, "batchNorm", [x, weight, bias, runningMean, runningVar], { eps });
}

/** target ← values (same shape, 1-D), written into target's storage in its dtype. */
function assign(target: Tensor, values: Tensor): void {
  const v = values.data();
  const { storage, offset, strides } = target;
  for (let i = 0; i < v.length; i++) storage[offset + i * strides[0]] = v[i];
}
