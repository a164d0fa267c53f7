/**
 * batchNorm as one op over x [N, C, ...]: per channel, y = (x − mean)·invstd
 * ·weight + bias with the batch's mean and biased variance (training) or the
 * running ones (eval), invstd = 1/√(var + eps). The composite form (mean,
 * sub, square, mean, add, sqrt, div, mul, add and their backward) cost about
 * thirty passes over the activation; here the forward is two passes of sums
 * and one of y = x·scale + shift (the backend's kernels, split over
 * channels), and a plain backward one or two passes per channel.
 *
 * The VJP (M = N·∏spatial values per channel, x̂ = (x − mean)·invstd):
 *   training: x̄ = invstd·w·(ȳ − Σȳ/M − x̂·Σ(ȳ·x̂)/M),   eval: x̄ = ȳ·invstd·w,
 *   w̄ = Σ ȳ·x̂,  b̄ = Σ ȳ  (sums over every dim but the channel).
 * With createGraph the same formula is built from tensor ops, so it can be
 * differentiated again.
 */
import type { FloatArray } from "../backend/backend.js";
import { gpu } from "../backend/device-dispatch.js";
import type { DeviceStorage } from "../backend/device-storage.js";
import { backend } from "../backend/registry.js";
import { gradMode } from "../graph/mode.js";
import { defineOp, record } from "../graph/node.js";
import { allocateUninitialized } from "../tensor/dtype.js";
import { Tensor } from "../tensor/tensor.js";
import { deviceBatchNorm, deviceBatchNormGrads } from "./device-conv-ops.js";
import { contiguousData } from "./util.js";

interface BatchNormCtx {
  training: boolean;
  eps: number;
  hasWeight: boolean;
  hasBias: boolean;
  /** Per channel, in double: the mean and 1/√(var + eps) that normalised x. */
  mean: Float64Array;
  invstd: Float64Array;
  /** On the webgpu backend: the table [mean, invstd, scale, shift] on the device (mean and invstd above are then read from it when needed). */
  device?: DeviceStorage;
}

/** The running statistics to update in training: r ← (1 − momentum)·r + momentum·batch (unbiased variance). */
export interface RunningStats {
  mean: Tensor | null;
  variance: Tensor | null;
  momentum: number;
}

const BATCH_NORM = defineOp<BatchNormCtx>("batchNorm", (g, saved, c, needs) => {
  const [x, weight] = saved;
  if (c.device !== undefined) {
    const needW = c.hasWeight && needs[1], needB = c.hasBias && needs[c.hasWeight ? 2 : 1];
    const onDevice = gradMode.enabled ? null : deviceBatchNormGrads(g, x, c.hasWeight ? weight : null, c.device, c.training, [needs[0], needW, needB]);
    if (onDevice !== null) return c.hasWeight ? (c.hasBias ? onDevice : onDevice.slice(0, 2)) : [onDevice[0], ...(c.hasBias ? [onDevice[2]] : [])];
    // The host kernel, and the composite in eval mode, need the statistics (in training the composite recomputes them).
    if (!gradMode.enabled || !c.training) readDeviceStats(c);
  }
  const grads = gradMode.enabled ? compositeGrads(g, x, c.hasWeight ? weight : null, c, needs) : fusedGrads(g, x, c.hasWeight ? weight : null, c, needs);
  return c.hasWeight ? (c.hasBias ? grads : grads.slice(0, 2)) : [grads[0], ...(c.hasBias ? [grads[2]] : [])];
});

/** [N, C, S]: batch, channels, and the product of the spatial dims. */
function layoutOf(x: Tensor): [number, number, number] {
  const batch = x.shape[0], channels = x.shape[1];
  return [batch, channels, x.size / (batch * channels)];
}

/** A 1-D tensor's values as doubles (null stays null). */
function doubles(t: Tensor | null): Float64Array | null {
  if (!t) return null;
  const out = new Float64Array(t.shape[0]);
  for (let i = 0; i < out.length; i++) out[i] = t.storage[t.offset + i * t.strides[0]];
  return out;
}

/**
 * The fused batch norm. The caller has checked the shapes: x float with N·C
 * > 0 and more than one value per channel when training; weight and bias
 * [C] in x's dtype; in eval mode both running statistics given.
 */
export function batchNormOp(
  x: Tensor, weight: Tensor | null, bias: Tensor | null, training: boolean, eps: number, running: RunningStats,
): Tensor {
  const inputs = [x];
  if (weight) inputs.push(weight);
  if (bias) inputs.push(bias);
  const onDevice = gpu.active !== null ? deviceBatchNorm(x, weight, bias, training, eps, running) : null;
  if (onDevice !== null) {
    const none = new Float64Array(0);
    const ctx: BatchNormCtx = { training, eps, hasWeight: !!weight, hasBias: !!bias, mean: none, invstd: none, device: onDevice.stats };
    return record(onDevice.y, BATCH_NORM, inputs, weight ? [x, weight] : [x], ctx);
  }
  const [batch, channels, spatial] = layoutOf(x);
  const { data, offset } = contiguousData(x);
  const xd = data as FloatArray;
  let mean: Float64Array, invstd: Float64Array;
  if (training) {
    mean = new Float64Array(channels);
    const variance = new Float64Array(channels);
    backend.batchNormStats(xd, offset, batch, channels, spatial, mean, variance);
    invstd = variance.map((v) => 1 / Math.sqrt(v + eps));
    updateRunning(running, mean, variance, batch * spatial);
  } else {
    mean = doubles(running.mean)!;
    invstd = doubles(running.variance)!.map((v) => 1 / Math.sqrt(v + eps));
  }
  // y = x·scale + shift with scale = invstd·w and shift = b − mean·scale, as PyTorch's CPU kernel folds it.
  const w = doubles(weight), b = doubles(bias);
  const scale = new Float64Array(channels), shift = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    scale[c] = w ? invstd[c] * w[c] : invstd[c];
    shift[c] = (b ? b[c] : 0) - mean[c] * scale[c];
  }
  const out = allocateUninitialized(x.dtype, x.size) as FloatArray;
  backend.batchNormApply(xd, offset, batch, channels, spatial, scale, shift, out);
  const y = new Tensor(out, x.shape, x.dtype);
  const ctx: BatchNormCtx = { training, eps, hasWeight: !!weight, hasBias: !!bias, mean, invstd };
  return record(y, BATCH_NORM, inputs, weight ? [x, weight] : [x], ctx);
}

/** Fills the context's mean and invstd from the device table, for the host formulas (createGraph, or a gradient the device declined). */
function readDeviceStats(c: BatchNormCtx): void {
  if (c.mean.length > 0 || c.device === undefined) return;
  const table = c.device.materialise(false), channels = table.length / 4;
  c.mean = Float64Array.from(table.subarray(0, channels));
  c.invstd = Float64Array.from(table.subarray(channels, 2 * channels));
}

/** The running update in double, each value rounded once into its tensor's storage (PyTorch's order). */
function updateRunning(running: RunningStats, mean: Float64Array, variance: Float64Array, count: number): void {
  const m = running.momentum;
  const write = (t: Tensor | null, batchValue: (c: number) => number) => {
    if (!t) return;
    for (let c = 0; c < mean.length; c++) {
      const at = t.offset + c * t.strides[0];
      t.storage[at] = m * batchValue(c) + (1 - m) * t.storage[at];
    }
  };
  write(running.mean, (c) => mean[c]);
  write(running.variance, (c) => variance[c] * count / (count - 1));
}

/** [x̄, w̄, b̄] with one backend call (no graph). */
function fusedGrads(g: Tensor, x: Tensor, weight: Tensor | null, c: BatchNormCtx, needs: readonly boolean[]): (Tensor | null)[] {
  const [batch, channels, spatial] = layoutOf(x);
  const gd = contiguousData(g), xd = contiguousData(x);
  const needX = needs[0], needW = c.hasWeight && needs[1], needB = c.hasBias && needs[c.hasWeight ? 2 : 1];
  const dx = needX ? allocateUninitialized(x.dtype, x.size) as FloatArray : null;
  const sumGrad = new Float64Array(channels), sumGradCentered = new Float64Array(channels);
  backend.batchNormBackward(gd.data as FloatArray, gd.offset, xd.data as FloatArray, xd.offset, batch, channels, spatial,
    c.mean, c.invstd, doubles(weight), c.training, sumGrad, sumGradCentered, dx);
  const perChannel = (values: Float64Array, dtype: Tensor["dtype"]) => {
    const o = allocateUninitialized(dtype, channels) as FloatArray;
    o.set(values);
    return new Tensor(o, [channels], dtype);
  };
  return [
    dx ? new Tensor(dx, x.shape, x.dtype) : null,
    needW ? perChannel(sumGradCentered.map((v, i) => v * c.invstd[i]), weight!.dtype) : null,
    needB ? perChannel(sumGrad, x.dtype) : null,
  ];
}

/** [x̄, w̄, b̄] from tensor ops, recording a graph (createGraph). */
function compositeGrads(g: Tensor, x: Tensor, weight: Tensor | null, c: BatchNormCtx, needs: readonly boolean[]): (Tensor | null)[] {
  const channels = x.shape[1];
  const dims = [0];
  for (let d = 2; d < x.ndim; d++) dims.push(d);
  const perChannel = [1, channels, ...x.shape.slice(2).map(() => 1)];
  const constant = (values: Float64Array) => {
    const o = allocateUninitialized(x.dtype, channels) as FloatArray;
    o.set(values);
    return new Tensor(o, perChannel, x.dtype);
  };
  let xhat: Tensor, invstd: Tensor;
  if (c.training) {
    // The statistics depend on x: recomputed from it, so that x̄ can be differentiated again.
    const centered = x.sub(x.mean(dims, true));
    invstd = centered.square().mean(dims, true).add(c.eps).sqrt().reciprocal();
    xhat = centered.mul(invstd);
  } else {
    invstd = constant(c.invstd);
    xhat = x.sub(constant(c.mean)).mul(invstd);
  }
  const gw = weight ? g.mul(weight.reshape(perChannel)) : g;
  const needW = c.hasWeight && needs[1], needB = c.hasBias && needs[c.hasWeight ? 2 : 1];
  let dx: Tensor | null = null;
  if (needs[0]) {
    dx = c.training ? invstd.mul(gw.sub(gw.mean(dims, true)).sub(xhat.mul(gw.mul(xhat).mean(dims, true)))) : gw.mul(invstd);
  }
  return [dx, needW ? g.mul(xhat).sum(dims) : null, needB ? g.sum(dims) : null];
}
