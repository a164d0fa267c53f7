/**
 * bp.nn.functional (also bp.F): stateless versions of the layers, and the
 * losses. Everything here is a composition of differentiable tensor ops.
 */
import { traced } from "../graph/node.js";
import { DTypeError, ShapeError, ValueError } from "../errors.js";
import { where } from "../ops/elementwise.js";
import { layerNormOp } from "../ops/layer-norm.js";
import { linear as fusedLinear } from "../ops/linalg.js";
import { isFloat } from "../tensor/dtype.js";
import { rand } from "../tensor/creation.js";
import type { Generator } from "../tensor/random.js";
import { formatShape } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";

export {
  mseLoss, l1Loss, smoothL1Loss, binaryCrossEntropy, binaryCrossEntropyWithLogits, nllLoss, crossEntropy,
} from "./losses.js";
export type {
  Reduction, LossOptions, SmoothL1Options, BCEOptions, BCEWithLogitsOptions, NLLOptions, CrossEntropyOptions,
} from "./losses.js";
export { relu, sigmoid, tanh, leakyRelu, softplus } from "../ops/elementwise.js";
export { softmax, logSoftmax } from "../ops/reduce.js";
// issue #14
export { silu, elu, mish } from "../ops/elementwise.js";
// issue #15
export { oneHot } from "../ops/sequence.js";

/** y = x·Wᵀ + b, with weight [out, in] and bias [out]. */
export function linear(input: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const inFeatures = weight.shape[weight.ndim - 1];
  if (weight.ndim !== 2 || input.ndim === 0 || input.shape[input.ndim - 1] !== inFeatures) {
    throw new ShapeError(
      `linear: input ${formatShape(input.shape)} does not fit weight ${formatShape(weight.shape)}; the weight must be [out, in] and the input's last dimension must equal in`,
    );
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== weight.shape[0])) {
    throw new ShapeError(`linear: bias ${formatShape(bias.shape)} does not fit weight ${formatShape(weight.shape)}; the bias must be [out]`);
  }
  if (!isFloat(input.dtype)) throw new DTypeError(`linear: expected a float32 or float64 input, got ${input.dtype}; convert with .to("float32")`);
  return fusedLinear(input, weight, bias);
}

export interface DropoutOptions {
  /** Probability of zeroing an element (default 0.5). */
  p?: number;
  /** Only active in training (default true); otherwise the input is returned. */
  training?: boolean;
  generator?: Generator;
}

/**
 * Zeroes each element with probability p and scales the rest by 1/(1 − p).
 * Call as dropout(x, p, training, opts) or dropout(x, { p, training, generator }).
 */
export function dropout(input: Tensor, p: number | DropoutOptions = 0.5, training = true, options: DropoutOptions = {}): Tensor {
  if (typeof p === "object") return dropout(input, p.p ?? 0.5, p.training ?? true, p);
  if (!(p >= 0 && p <= 1)) throw new ValueError(`dropout: probability p must be between 0 and 1, got ${p}`);
  if (!training || p === 0) return input;
  const dtype = input.dtype === "float64" ? "float64" : "float32";
  const scale = p === 1 ? 0 : 1 / (1 - p);
  // Keep an element where u ≥ p: a 0 / (1 − p)⁻¹ mask, multiplied in so the gradient is masked the same way.
  const mask = rand(input.shape, { dtype, generator: options.generator });
  const m = mask.storage;
  for (let i = 0; i < m.length; i++) m[i] = m[i] >= p ? scale : 0;
  return input.mul(mask);
}

/** Normalises over the trailing dims given by `normalizedShape`, then applies the optional affine map. */
export function layerNorm(input: Tensor, normalizedShape: readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  const k = normalizedShape.length;
  const tail = input.shape.slice(input.ndim - k);
  if (k === 0 || input.ndim < k || tail.some((s, i) => s !== normalizedShape[i])) {
    throw new ShapeError(
      `layerNorm: input ${formatShape(input.shape)} must end with the normalized shape ${formatShape(normalizedShape)}`,
    );
  }
  let y: Tensor;
  const sameType = (t: Tensor | null | undefined) => !t || (t.dtype === input.dtype && t.ndim === k && t.shape.every((s, i) => s === tail[i]));
  if (isFloat(input.dtype) && sameType(weight) && sameType(bias)) {
    // One op (src/ops/layer-norm.ts); mixed dtypes or broadcast affine terms take the composite below.
    y = layerNormOp(input, k, weight ?? null, bias ?? null, eps);
  } else {
    const dims = Array.from({ length: k }, (_, i) => input.ndim - k + i);
    const centered = input.sub(input.mean(dims, true));
    const variance = centered.square().mean(dims, true);
    y = centered.div(variance.add(eps).sqrt());
    if (weight) y = y.mul(weight);
    if (bias) y = y.add(bias);
  }
  // An export trace sees one LayerNormalization instead of the steps above.
  return traced(y, "layerNorm", [input, weight ?? null, bias ?? null], { axis: -k, eps });
}

export type GeluApproximate = "none" | "tanh";

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** x·Φ(x) (approximate "none", the default), or PyTorch's tanh approximation 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
export function gelu(input: Tensor, options: { approximate?: GeluApproximate } = {}): Tensor {
  const approximate = options.approximate ?? "none";
  if (approximate === "none") return input.gelu();
  if (approximate !== "tanh") throw new ValueError(`gelu: approximate must be "none" or "tanh", got ${JSON.stringify(approximate)}`);
  const inner = input.add(input.pow(3).mul(0.044715)).mul(SQRT_2_OVER_PI);
  return input.mul(0.5).mul(inner.tanh().add(1));
}

export interface EmbeddingFunctionalOptions {
  /** Rows looked up at this index get no gradient (PyTorch's padding_idx). */
  paddingIdx?: number | null;
}

/** Rows of `weight` ([num, dim]) picked by the int32 `indices` (any shape); result is indices.shape + [dim]. */
export function embedding(indices: Tensor, weight: Tensor, options: EmbeddingFunctionalOptions = {}): Tensor {
  if (weight.ndim !== 2) throw new ShapeError(`embedding: the weight must be [numEmbeddings, embeddingDim], got ${formatShape(weight.shape)}`);
  if (indices.dtype !== "int32") throw new DTypeError(`embedding: indices must be an int32 tensor, got ${indices.dtype}`);
  const flat = indices.reshape([-1]);
  let rows = weight.indexSelect(0, flat);
  const pad = normalizePaddingIdx(options.paddingIdx, weight.shape[0]);
  if (pad !== null) {
    // Same values, but the padding rows' gradient is cut off (the detached copy is used there).
    const keep = flat.ne(pad).reshape([flat.size, 1]);
    rows = where(keep, rows, rows.detach());
  }
  return traced(rows.reshape([...indices.shape, weight.shape[1]]), "embedding", [weight, indices], {});
}

/** paddingIdx in [−num, num) as a row index, or null. */
export function normalizePaddingIdx(paddingIdx: number | null | undefined, num: number): number | null {
  if (paddingIdx === undefined || paddingIdx === null) return null;
  if (!Number.isInteger(paddingIdx) || paddingIdx < -num || paddingIdx >= num) {
    throw new ValueError(`embedding: paddingIdx must be an integer in [${-num}, ${num}), got ${paddingIdx}`);
  }
  return paddingIdx < 0 ? paddingIdx + num : paddingIdx;
}

// ---- convolutional networks: pooling, normalisation, padding, resampling (issue #20)
export { maxPool1d, maxPool2d, avgPool2d, adaptiveAvgPool2d } from "../ops/pool.js";
export type { MaxPool1dOptions, MaxPool2dOptions, AvgPool2dOptions, Size2 } from "../ops/pool.js";
export { batchNorm } from "../ops/normalization.js";
export type { BatchNormOptions } from "../ops/normalization.js";
export { pad } from "../ops/padding.js";
export type { PadOptions, PadMode } from "../ops/padding.js";
export { interpolate } from "../ops/resample.js";
export type { InterpolateOptions, InterpolateMode } from "../ops/resample.js";
export { dropout2d } from "./channel-dropout.js";
export type { Dropout2dOptions } from "./channel-dropout.js";
// Convolution (issue #20): conv1d, conv2d, convTranspose2d in NCHW.
export { conv1d, conv2d, convTranspose2d } from "../ops/conv.js";
export type { ConvOptions, ConvTransposeOptions, SpatialArg } from "../ops/conv.js";
// Attention (issue #15).
export { scaledDotProductAttention } from "../ops/attention.js";
export type { ScaledDotProductAttentionOptions } from "../ops/attention.js";
