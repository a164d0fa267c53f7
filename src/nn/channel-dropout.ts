/** dropout2d: zeroes whole channels, the dropout that suits convolutional feature maps. */
import { ShapeError, ValueError } from "../errors.js";
import { rand } from "../tensor/creation.js";
import type { Generator } from "../tensor/random.js";
import { formatShape } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";

export interface Dropout2dOptions {
  /** Probability of zeroing a channel (default 0.5). */
  p?: number;
  /** Only active in training (default true); otherwise the input is returned. */
  training?: boolean;
  /** Source of the mask (default: the global generator seeded by bp.manualSeed). */
  generator?: Generator;
}

/**
 * Zeroes each channel of [N, C, H, W] (or [N, C, L], as PyTorch 1.13 reads a
 * 3-D input) with probability p, all its positions together, and scales the
 * kept channels by 1/(1 − p).
 */
export function dropout2d(input: Tensor, options: Dropout2dOptions = {}): Tensor {
  const p = options.p ?? 0.5;
  if (!(p >= 0 && p <= 1)) throw new ValueError(`dropout2d: probability p must be between 0 and 1, got ${p}`);
  if (input.ndim !== 3 && input.ndim !== 4) {
    throw new ShapeError(`dropout2d: expected a 4-D [N, C, H, W] (or 3-D [N, C, L]) input, got shape ${formatShape(input.shape)}`);
  }
  if (!(options.training ?? true) || p === 0) return input;
  const dtype = input.dtype === "float64" ? "float64" : "float32";
  const scale = p === 1 ? 0 : 1 / (1 - p);
  // One draw per (item, channel), broadcast over the spatial dims.
  const mask = rand([input.shape[0], input.shape[1], ...input.shape.slice(2).map(() => 1)], { dtype, generator: options.generator });
  const m = mask.storage;
  for (let i = 0; i < m.length; i++) m[i] = m[i] >= p ? scale : 0;
  return input.mul(mask);
}
