/**
 * Scaled dot-product attention, softmax(q·kᵀ·scale + mask)·v, composed of
 * matmul (which reaches the backends' GEMM kernels), where and softmax, so
 * its gradients of every order are theirs. The masking helpers here are
 * shared with nn.MultiheadAttention, whose bool masks mean the opposite.
 */
import { DTypeError, ShapeError, ValueError } from "../errors.js";
import { isFloat } from "../tensor/dtype.js";
import { rand } from "../tensor/creation.js";
import type { Generator } from "../tensor/random.js";
import { broadcastShapes, formatShape, sameShape } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { where } from "./elementwise.js";
import { canFuseAttention, fusedAttention } from "./fused-attention.js";
import { matmul } from "./linalg.js";
import { triangleMask } from "./masking.js";
import { softmax } from "./reduce.js";

export interface ScaledDotProductAttentionOptions {
  /**
   * Broadcasts to the scores [..., L, S]. Bool: true marks the keys a query
   * attends to (false entries are excluded, as with −∞). Float: added to the
   * scores.
   */
  attnMask?: Tensor | null;
  /** Probability of zeroing each attention weight (default 0; applied whenever > 0, as in PyTorch). */
  dropoutP?: number;
  /** Query i attends to keys 0..i only (the lower triangle of [L, S]); not together with attnMask. */
  isCausal?: boolean;
  /** Multiplies q·kᵀ (default 1/√E, E the last dim of q). */
  scale?: number | null;
  /** Source of the dropout masks (default: the global generator). */
  generator?: Generator;
}

/** What the attention core needs, with masks already in one convention. */
export interface AttentionCore {
  /** Bool, true = attend; broadcasts to the scores. */
  keep: Tensor | null;
  /** Float, added to the scores; broadcasts to them. */
  bias: Tensor | null;
  scale: number;
  dropoutP: number;
  generator?: Generator;
}

/**
 * softmax(q·kᵀ·scale + bias, with −∞ where not keep) over the keys, then
 * dropout: the attention weights [..., L, S].
 */
export function attentionWeights(q: Tensor, k: Tensor, core: AttentionCore): Tensor {
  let scores = matmul(q, k.transpose(-2, -1)).mul(core.scale);
  if (core.bias) scores = scores.add(core.bias.dtype === scores.dtype ? core.bias : core.bias.to(scores.dtype));
  if (core.keep) scores = where(core.keep, scores, -Infinity);
  let weights = softmax(scores, -1);
  if (core.dropoutP > 0) weights = dropoutWeights(weights, core.dropoutP, core.generator);
  return weights;
}

/** Zeroes each weight with probability p and scales the rest by 1/(1 − p), as F.dropout does. */
function dropoutWeights(w: Tensor, p: number, generator: Generator | undefined): Tensor {
  const scale = p === 1 ? 0 : 1 / (1 - p);
  const mask = rand(w.shape, { dtype: w.dtype === "float64" ? "float64" : "float32", generator });
  const m = mask.storage;
  for (let i = 0; i < m.length; i++) m[i] = m[i] >= p ? scale : 0;
  return w.mul(mask);
}

/** The batch dims of q, k and v broadcast together, or an error naming all three. */
function batchShape(op: string, q: Tensor, k: Tensor, v: Tensor): number[] {
  try {
    return broadcastShapes(op, broadcastShapes(op, q.shape.slice(0, -2), k.shape.slice(0, -2)), v.shape.slice(0, -2));
  } catch {
    throw new ShapeError(
      `${op}: the batch dims of query ${formatShape(q.shape)}, key ${formatShape(k.shape)} and value ${formatShape(v.shape)} (all but the last two) do not broadcast together`,
    );
  }
}

/** Checks that a mask broadcasts to the scores' shape without widening it. */
export function checkMaskShape(op: string, name: string, mask: Tensor, scores: readonly number[], hint: string): void {
  let shape: number[] | null;
  try {
    shape = broadcastShapes(op, mask.shape, scores);
  } catch {
    shape = null;
  }
  if (shape === null || !sameShape(shape, scores)) {
    throw new ShapeError(`${op}: ${name} ${formatShape(mask.shape)} does not broadcast to the attention scores ${formatShape(scores)} ${hint}`);
  }
}

/**
 * PyTorch 2's F.scaled_dot_product_attention: q [..., L, E], k [..., S, E],
 * v [..., S, Ev] → [..., L, Ev], the leading dims broadcast. A fully
 * masked query row has no key to attend to and gives NaN, as in PyTorch.
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, options: ScaledDotProductAttentionOptions = {}): Tensor {
  const op = "scaledDotProductAttention";
  for (const [name, t] of [["query", q], ["key", k], ["value", v]] as const) {
    if (!(t instanceof Tensor)) throw new ValueError(`${op}: ${name} must be a Tensor`);
    if (!isFloat(t.dtype)) throw new DTypeError(`${op}: ${name} must be float32 or float64, got ${t.dtype}; convert it with .to("float32")`);
    if (t.ndim < 2) throw new ShapeError(`${op}: ${name} must have at least 2 dims ([..., length, features]), got shape ${formatShape(t.shape)}`);
  }
  const L = q.shape[q.ndim - 2], E = q.shape[q.ndim - 1];
  const S = k.shape[k.ndim - 2];
  if (k.shape[k.ndim - 1] !== E) {
    throw new ShapeError(`${op}: query ${formatShape(q.shape)} and key ${formatShape(k.shape)} must share the last dim (the feature size E of q·kᵀ), got ${E} and ${k.shape[k.ndim - 1]}`);
  }
  if (v.shape[v.ndim - 2] !== S) {
    throw new ShapeError(`${op}: key ${formatShape(k.shape)} and value ${formatShape(v.shape)} must have the same length S (dim -2), got ${S} and ${v.shape[v.ndim - 2]}`);
  }
  const scoresShape = [...batchShape(op, q, k, v), L, S];
  const { attnMask = null, dropoutP = 0, isCausal = false, scale = null } = options;
  if (!(dropoutP >= 0 && dropoutP <= 1)) throw new ValueError(`${op}: dropoutP must be between 0 and 1, got ${dropoutP}`);
  if (scale !== null && !Number.isFinite(scale)) throw new ValueError(`${op}: scale must be a finite number, got ${scale}`);
  let keep: Tensor | null = null;
  let bias: Tensor | null = null;
  if (attnMask !== null) {
    if (!(attnMask instanceof Tensor)) throw new ValueError(`${op}: attnMask must be a bool or float Tensor`);
    if (isCausal) throw new ValueError(`${op}: pass either attnMask or isCausal: true, not both (fold the causal mask into attnMask with .tril())`);
    checkMaskShape(op, "attnMask", attnMask, scoresShape, `[..., L, S] (L = ${L} queries, S = ${S} keys)`);
    if (attnMask.dtype === "bool") keep = attnMask;
    else if (isFloat(attnMask.dtype)) bias = attnMask;
    else throw new DTypeError(`${op}: attnMask must be bool (true = attend) or float (added to the scores), got ${attnMask.dtype}`);
  } else if (isCausal) {
    keep = triangleMask(L, S, 0, true);
  }
  // No mask but the causal one and no dropout: one fused op (src/ops/fused-attention.ts).
  if (attnMask === null && dropoutP === 0 && canFuseAttention(q, k, v)) return fusedAttention(q, k, v, scale ?? 1 / Math.sqrt(E), isCausal);
  const weights = attentionWeights(q, k, { keep, bias, scale: scale ?? 1 / Math.sqrt(E), dropoutP, generator: options.generator });
  return matmul(weights, v);
}
