/**
 * The attention core softmax(q·kᵀ·scale, causal)·v as one op, for the calls
 * that need nothing more: no mask but the causal one, no dropout, and no
 * weights handed back (nn.TransformerEncoderLayer's self-attention, and
 * F.scaledDotProductAttention without attnMask). The composite (matmul,
 * mul, a −∞ mask through where, softmax, matmul) allocated and recorded
 * five tensors and, backward, about a dozen; here the scores are scaled and
 * masked in place before the backend's softmax, the mask is never a tensor,
 * and a plain backward is four batched products and one pass:
 *   v̄ = Pᵀ·ȳ,  P̄ = ȳ·vᵀ,  S̄ = P ⊙ (P̄ − Σⱼ P̄ ⊙ P)·scale,  q̄ = S̄·k,  k̄ = S̄ᵀ·q.
 * With createGraph the same formula is built from tensor ops, recomputing
 * P from q and k, so that it can be differentiated again.
 */
import type { FloatArray } from "../backend/backend.js";
import { backend } from "../backend/registry.js";
import { gradMode } from "../graph/mode.js";
import { defineOp, record, tracer } from "../graph/node.js";
import { allocateUninitialized, isFloat } from "../tensor/dtype.js";
import { sameShape } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { where } from "./elementwise.js";
import { triangleMask } from "./masking.js";
import { softmax } from "./reduce.js";
import { contiguousData } from "./util.js";

interface AttentionCtx {
  scale: number;
  causal: boolean;
}

/** Sizes of one call: batch entries and the per-entry dims. */
interface Dims {
  batch: number;
  L: number;
  S: number;
  E: number;
  Ev: number;
}

function dimsOf(q: Tensor, k: Tensor, v: Tensor): Dims {
  const L = q.shape[q.ndim - 2], E = q.shape[q.ndim - 1], S = k.shape[k.ndim - 2], Ev = v.shape[v.ndim - 1];
  return { batch: q.size / (L * E), L, S, E, Ev };
}

const ATTENTION = defineOp<AttentionCtx>("attention", (g, [q, k, v, p], c, needs) =>
  gradMode.enabled ? compositeGrads(g, q, k, v, c, needs) : fusedGrads(g, q, k, v, p, c, needs));

/**
 * Whether the fused op can run softmax(q·kᵀ·scale)·v: float q, k, v of one
 * dtype with the same batch dims (no broadcasting), no empty dim, and no
 * export trace listening (a trace records the composite, which ONNX can express).
 */
export function canFuseAttention(q: Tensor, k: Tensor, v: Tensor): boolean {
  if (tracer.hook !== null) return false;
  if (!isFloat(q.dtype) || k.dtype !== q.dtype || v.dtype !== q.dtype) return false;
  if (q.ndim < 2 || k.ndim !== q.ndim || v.ndim !== q.ndim || q.size === 0 || k.size === 0 || v.size === 0) return false;
  const batch = q.shape.slice(0, -2);
  return sameShape(batch, k.shape.slice(0, -2)) && sameShape(batch, v.shape.slice(0, -2));
}

/**
 * softmax(q·kᵀ·scale, over the keys; with `causal`, query i sees keys 0..i)·v
 * for q [..., L, E], k [..., S, E], v [..., S, Ev] → [..., L, Ev]. The
 * caller has checked the shapes and canFuseAttention.
 */
export function fusedAttention(q: Tensor, k: Tensor, v: Tensor, scale: number, causal: boolean): Tensor {
  const d = dimsOf(q, k, v);
  const { batch, L, S, E, Ev } = d;
  const qd = contiguousData(q), kd = contiguousData(k), vd = contiguousData(v);
  const scores = allocateUninitialized(q.dtype, batch * L * S) as FloatArray;
  backend.matmul(qd.data as FloatArray, qd.offset, L * E, false, kd.data as FloatArray, kd.offset, S * E, true, scores, batch, L, E, S);
  // Scale, and −∞ above the diagonal (as triangleMask(L, S, 0, true) keeps j ≤ i), in place.
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < L; i++) {
      const row = (b * L + i) * S;
      const visible = causal ? Math.min(i + 1, S) : S;
      for (let j = 0; j < visible; j++) scores[row + j] *= scale;
      for (let j = visible; j < S; j++) scores[row + j] = -Infinity;
    }
  }
  const weights = allocateUninitialized(q.dtype, batch * L * S) as FloatArray;
  backend.softmax(scores, 0, batch * L, S, 1, weights, false);
  const out = allocateUninitialized(q.dtype, batch * L * Ev) as FloatArray;
  backend.matmul(weights, 0, L * S, false, vd.data as FloatArray, vd.offset, S * Ev, false, out, batch, L, S, Ev);
  const p = new Tensor(weights, [...q.shape.slice(0, -2), L, S], q.dtype);
  return record(new Tensor(out, [...q.shape.slice(0, -2), L, Ev], q.dtype), ATTENTION, [q, k, v], [q, k, v, p], { scale, causal });
}

/** [q̄, k̄, v̄] from the saved weights P: four batched products and one pass (no graph). */
function fusedGrads(g: Tensor, q: Tensor, k: Tensor, v: Tensor, p: Tensor, c: AttentionCtx, needs: readonly boolean[]): (Tensor | null)[] {
  const { batch, L, S, E, Ev } = dimsOf(q, k, v);
  const dtype = q.dtype;
  const gd = contiguousData(g.dtype === dtype ? g : g.to(dtype));
  const P = p.storage as FloatArray;
  const G = gd.data as FloatArray;
  let dv: Tensor | null = null;
  if (needs[2]) {
    const out = allocateUninitialized(dtype, batch * S * Ev) as FloatArray;
    backend.matmul(P, 0, L * S, true, G, gd.offset, L * Ev, false, out, batch, S, L, Ev);
    dv = new Tensor(out, v.shape, dtype);
  }
  if (!needs[0] && !needs[1]) return [null, null, dv];
  const vd = contiguousData(v);
  const ds = allocateUninitialized(dtype, batch * L * S) as FloatArray;
  backend.matmul(G, gd.offset, L * Ev, false, vd.data as FloatArray, vd.offset, S * Ev, true, ds, batch, L, Ev, S);
  // S̄ = P ⊙ (P̄ − Σⱼ P̄ ⊙ P)·scale, row by row, in place over P̄.
  for (let r = 0; r < batch * L; r++) {
    const row = r * S;
    let dot = 0;
    for (let j = 0; j < S; j++) dot += ds[row + j] * P[row + j];
    for (let j = 0; j < S; j++) ds[row + j] = P[row + j] * (ds[row + j] - dot) * c.scale;
  }
  let dq: Tensor | null = null, dk: Tensor | null = null;
  if (needs[0]) {
    const kd = contiguousData(k);
    const out = allocateUninitialized(dtype, batch * L * E) as FloatArray;
    backend.matmul(ds, 0, L * S, false, kd.data as FloatArray, kd.offset, S * E, false, out, batch, L, S, E);
    dq = new Tensor(out, q.shape, dtype);
  }
  if (needs[1]) {
    const qd = contiguousData(q);
    const out = allocateUninitialized(dtype, batch * S * E) as FloatArray;
    backend.matmul(ds, 0, L * S, true, qd.data as FloatArray, qd.offset, L * E, false, out, batch, S, L, E);
    dk = new Tensor(out, k.shape, dtype);
  }
  return [dq, dk, dv];
}

/** [q̄, k̄, v̄] from tensor ops, recording a graph (createGraph); P is recomputed from q and k. */
function compositeGrads(g: Tensor, q: Tensor, k: Tensor, v: Tensor, c: AttentionCtx, needs: readonly boolean[]): (Tensor | null)[] {
  const L = q.shape[q.ndim - 2], S = k.shape[k.ndim - 2];
  let scores = q.matmul(k.transpose(-2, -1)).mul(c.scale);
  if (c.causal) scores = where(triangleMask(L, S, 0, true), scores, -Infinity);
  const p = softmax(scores, -1);
  const dp = g.matmul(v.transpose(-2, -1));
  const ds = p.mul(dp.sub(dp.mul(p).sum(-1, true))).mul(c.scale);
  return [
    needs[0] ? ds.matmul(k) : null,
    needs[1] ? ds.transpose(-2, -1).matmul(q) : null,
    needs[2] ? p.transpose(-2, -1).matmul(g) : null,
  ];
}
