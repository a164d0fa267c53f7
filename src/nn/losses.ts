/**
 * Loss functions, composed from differentiable tensor ops, so gradients
 * (in the input and, where PyTorch has them, in the target) and second
 * derivatives come from autograd.
 */
import { crossEntropyOfIndices, targetOutOfRange } from "../ops/cross-entropy-indices.js";
import { DTypeError, ShapeError, ValueError } from "../errors.js";
import { where } from "../ops/elementwise.js";
import { isFloat } from "../tensor/dtype.js";
import { formatShape, mapDims, sameShape } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";

export type Reduction = "mean" | "sum" | "none";

export interface LossOptions {
  reduction?: Reduction;
}

function reduce(op: string, loss: Tensor, options: LossOptions | undefined): Tensor {
  const reduction = options?.reduction ?? "mean";
  switch (reduction) {
    case "mean": return loss.mean();
    case "sum": return loss.sum();
    case "none": return loss;
    default:
      throw new ValueError(`${op}: reduction must be "mean", "sum" or "none", got ${JSON.stringify(reduction)}`);
  }
}

function checkTensor(op: string, what: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new ValueError(`${op}: ${what} must be a Tensor, got ${t === null ? "null" : typeof t}`);
}

/**
 * Input and target of an elementwise loss must have the same shape: PyTorch
 * broadcasts them with a warning, which turns the classic [N, 1] vs [N]
 * mistake into a silent [N, N] loss; we refuse instead.
 */
function checkSameShape(op: string, input: Tensor, target: Tensor): void {
  checkTensor(op, "input", input);
  checkTensor(op, "target", target);
  if (!sameShape(input.shape, target.shape)) {
    throw new ShapeError(
      `${op}: input shape ${formatShape(input.shape)} and target shape ${formatShape(target.shape)} differ; they must be equal (reshape the target, e.g. target.reshape(${formatShape(input.shape)}))`,
    );
  }
  if (!isFloat(input.dtype)) throw new DTypeError(`${op}: the input must be float32 or float64, got ${input.dtype}`);
  if (!isFloat(target.dtype)) throw new DTypeError(`${op}: the target must be float32 or float64, got ${target.dtype}; convert it with .to("float32")`);
}

/** Mean squared error: (input − target)². */
export function mseLoss(input: Tensor, target: Tensor, options?: LossOptions): Tensor {
  checkSameShape("mseLoss", input, target);
  return reduce("mseLoss", input.sub(target).square(), options);
}

/** Mean absolute error: |input − target|. */
export function l1Loss(input: Tensor, target: Tensor, options?: LossOptions): Tensor {
  checkSameShape("l1Loss", input, target);
  return reduce("l1Loss", input.sub(target).abs(), options);
}

export interface SmoothL1Options extends LossOptions {
  /** Where the loss turns from quadratic to linear (default 1); 0 gives l1Loss. */
  beta?: number;
}

/** 0.5·d²/β where |d| < β, else |d| − 0.5·β (d = input − target). */
export function smoothL1Loss(input: Tensor, target: Tensor, options?: SmoothL1Options): Tensor {
  checkSameShape("smoothL1Loss", input, target);
  const beta = options?.beta ?? 1;
  if (!(beta >= 0)) throw new ValueError(`smoothL1Loss: beta must be non-negative, got ${beta}`);
  const d = input.sub(target);
  const absD = d.abs();
  if (beta === 0) return reduce("smoothL1Loss", absD, options);
  const loss = where(absD.lt(beta), d.square().mul(0.5 / beta), absD.sub(0.5 * beta));
  return reduce("smoothL1Loss", loss, options);
}

export interface BCEOptions extends LossOptions {
  /** Rescales each element's loss; broadcast against the input. */
  weight?: Tensor | null;
}

const LOG_FLOOR = -100;
const EXP_LOG_FLOOR = Math.exp(LOG_FLOOR);

/**
 * max(log x, −100), PyTorch's clamped log for BCE. Computed as a choice
 * rather than log(x).clamp(−100) so that x = 0 gives a zero gradient instead
 * of 0·∞ = NaN (the log only ever sees x > e^−100 or 1).
 */
function clampedLog(x: Tensor): Tensor {
  const inRange = x.gt(EXP_LOG_FLOOR);
  return where(inRange, where(inRange, x, 1).log(), LOG_FLOOR);
}

/** −(t·log x + (1 − t)·log(1 − x)), logs clamped at −100 as in PyTorch. Input must be probabilities. */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options?: BCEOptions): Tensor {
  checkSameShape("binaryCrossEntropy", input, target);
  const x = input.data();
  for (let i = 0; i < x.length; i++) {
    if (!(x[i] >= 0 && x[i] <= 1)) {
      throw new ValueError(`binaryCrossEntropy: every input element must be a probability in [0, 1], got ${x[i]} at flat index ${i}; for raw scores use binaryCrossEntropyWithLogits`);
    }
  }
  const logX = clampedLog(input);
  const log1mX = clampedLog(input.neg().add(1));
  let loss = target.mul(logX).add(target.neg().add(1).mul(log1mX)).neg();
  if (options?.weight) loss = loss.mul(options.weight);
  return reduce("binaryCrossEntropy", loss, options);
}

export interface BCEWithLogitsOptions extends BCEOptions {
  /** Weight of the positive examples, broadcast along the last dimension (one per class). */
  posWeight?: Tensor | null;
}

// softplus above this is linear to within float64 rounding (e^-50 ≈ 2e-22).
const SOFTPLUS_EXACT_THRESHOLD = 50;

/** Sigmoid then binary cross entropy, in the stable form (1 − t)·x + (1 + (p − 1)·t)·softplus(−x). */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, options?: BCEWithLogitsOptions): Tensor {
  checkSameShape("binaryCrossEntropyWithLogits", input, target);
  const softplusNeg = input.neg().softplus(1, SOFTPLUS_EXACT_THRESHOLD); // = −log σ(x)
  const oneMinusT = target.neg().add(1);
  let loss: Tensor;
  if (options?.posWeight) {
    const logWeight = options.posWeight.sub(1).mul(target).add(1);
    loss = oneMinusT.mul(input).add(logWeight.mul(softplusNeg));
  } else {
    loss = oneMinusT.mul(input).add(softplusNeg);
  }
  if (options?.weight) loss = loss.mul(options.weight);
  return reduce("binaryCrossEntropyWithLogits", loss, options);
}

export interface NLLOptions extends LossOptions {
  /** One weight per class, shape [C]. */
  weight?: Tensor | null;
  /** Targets equal to this contribute nothing (default −100). */
  ignoreIndex?: number;
}

export interface CrossEntropyOptions extends NLLOptions {
  /** Mixes the target with the uniform distribution: (1 − ε)·onehot + ε/C. */
  labelSmoothing?: number;
}

/** Shapes: input [N, C, d1…] (or [C]); class-index target [N, d1…] (or []). */
function classDim(input: Tensor): number {
  return input.ndim === 1 ? 0 : 1;
}

interface IndexTarget {
  /** Target with ignored entries replaced by 0, shaped to gather along the class dim. */
  gatherIndex: Tensor;
  /** 1 where the target counts, 0 where it equals ignoreIndex (input's dtype, target's shape). */
  keep: Tensor;
  /** Class weights picked per target (or the keep mask when unweighted). */
  weights: Tensor;
}

function checkIndexTarget(op: string, input: Tensor, target: Tensor, options: NLLOptions | undefined): IndexTarget {
  if (!isFloat(input.dtype)) throw new DTypeError(`${op}: the input must be float32 or float64, got ${input.dtype}`);
  if (input.ndim === 0) throw new ShapeError(`${op}: the input must have a class dimension, got a 0-d tensor`);
  const cd = classDim(input);
  const numClasses = input.shape[cd];
  const expected = input.shape.filter((_, i) => i !== cd);
  if (!sameShape(target.shape, expected)) {
    throw new ShapeError(
      `${op}: input shape ${formatShape(input.shape)} needs a class-index target of shape ${formatShape(expected)} (the input's shape without the class dimension ${cd}), got ${formatShape(target.shape)}`,
    );
  }
  if (target.dtype !== "int32") {
    throw new DTypeError(`${op}: class-index targets must be int32, got ${target.dtype}; use .to("int32"), or pass class probabilities of the input's shape`);
  }
  const ignoreIndex = options?.ignoreIndex ?? -100;
  const t = target.data();
  const cleaned = new Int32Array(t.length);
  const keep = new (input.dtype === "float64" ? Float64Array : Float32Array)(t.length);
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if (c === ignoreIndex) continue;
    if (c < 0 || c >= numClasses) throw targetOutOfRange(op, c, i, numClasses, options?.ignoreIndex);
    cleaned[i] = c;
    keep[i] = 1;
  }
  const cleanedTarget = new Tensor(cleaned, target.shape, "int32");
  const keepMask = new Tensor(keep, target.shape, input.dtype);
  let weights = keepMask;
  const weight = options?.weight;
  if (weight) {
    if (weight.ndim !== 1 || weight.shape[0] !== numClasses) {
      throw new ShapeError(`${op}: weight must have shape [${numClasses}] (one per class), got ${formatShape(weight.shape)}`);
    }
    weights = weight.indexSelect(0, cleanedTarget.reshape([-1])).reshape(target.shape).mul(keepMask);
  }
  return { gatherIndex: cleanedTarget.unsqueeze(cd), keep: keepMask, weights };
}

/** Mean over targets weighted like PyTorch's nll_loss: Σ loss / Σ weight[target]. */
function weightedReduce(op: string, loss: Tensor, weights: Tensor, options: LossOptions | undefined): Tensor {
  const reduction = options?.reduction ?? "mean";
  if (reduction === "mean") return loss.sum().div(weights.sum());
  return reduce(op, loss, options);
}

/** Negative log likelihood of log-probabilities `input` at the class indices `target`. */
export function nllLoss(input: Tensor, target: Tensor, options?: NLLOptions): Tensor {
  checkTensor("nllLoss", "input", input);
  checkTensor("nllLoss", "target", target);
  const t = checkIndexTarget("nllLoss", input, target, options);
  const picked = input.gather(classDim(input), t.gatherIndex).squeeze(classDim(input));
  return weightedReduce("nllLoss", picked.neg().mul(t.weights), t.weights, options);
}

/**
 * Cross entropy of raw scores `input` ([N, C], [N, C, d…] or [C]) against
 * int32 class indices, or against class probabilities of the input's shape.
 */
export function crossEntropy(input: Tensor, target: Tensor, options?: CrossEntropyOptions): Tensor {
  const op = "crossEntropy";
  checkTensor(op, "input", input);
  checkTensor(op, "target", target);
  const smoothing = options?.labelSmoothing ?? 0;
  if (!(smoothing >= 0 && smoothing <= 1)) throw new ValueError(`${op}: labelSmoothing must be in [0, 1], got ${smoothing}`);
  if (!isFloat(input.dtype)) throw new DTypeError(`${op}: the input must be float32 or float64, got ${input.dtype}`);
  if (input.ndim === 0) throw new ShapeError(`${op}: the input must have a class dimension, got a 0-d tensor`);
  const cd = classDim(input);
  const numClasses = input.shape[cd];
  const weight = options?.weight ?? null;
  const reduction = options?.reduction ?? "mean";
  // The common case as one fused op (same values, a fraction of the op dispatches).
  if (smoothing === 0 && weight === null && (reduction === "mean" || reduction === "sum") && input.ndim === 2
    && target.dtype === "int32" && target.ndim === 1 && target.shape[0] === input.shape[0]) {
    return crossEntropyOfIndices(input, target, options?.ignoreIndex ?? -100, options?.ignoreIndex !== undefined, reduction);
  }
  const logProb = input.logSoftmax(cd);
  if (weight && (weight.ndim !== 1 || weight.shape[0] !== numClasses)) {
    throw new ShapeError(`${op}: weight must have shape [${numClasses}] (one per class), got ${formatShape(weight.shape)}`);
  }
  // Class weights shaped to broadcast along the class dimension.
  const weightView = weight ? weight.reshape(mapDims(input.shape, (s, i) => (i === cd ? s : 1))) : null;

  if (isFloat(target.dtype) && sameShape(target.shape, input.shape)) {
    // Class probabilities: −Σ_c w_c·t_c·log p_c, mean over the non-class elements.
    const probs = smoothing > 0 ? target.mul(1 - smoothing).add(smoothing / numClasses) : target;
    let terms = logProb.mul(probs);
    if (weightView) terms = terms.mul(weightView);
    const loss = terms.sum(cd).neg();
    return reduce(op, loss, options);
  }

  const t = checkIndexTarget(op, input, target, options);
  const picked = logProb.gather(cd, t.gatherIndex).squeeze(cd);
  const nll = weightedReduce(op, picked.neg().mul(t.weights), t.weights, options);
  if (smoothing === 0) return nll;
  // PyTorch's smoothing term: −Σ_c w_c·log p_c per target, ignored targets zeroed, normalised like nll.
  const smooth = (weightView ? logProb.mul(weightView) : logProb).sum(cd).neg().mul(t.keep);
  const smoothReduced = weightedReduce(op, smooth, t.weights, options);
  return nll.mul(1 - smoothing).add(smoothReduced.mul(smoothing / numClasses));
}
