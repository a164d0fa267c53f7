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
import type { FloatArray, TypedArray } from "../backend/backend.js";
import { gpu } from "../backend/device-dispatch.js";
import { backend } from "../backend/registry.js";
import { gradMode } from "../graph/mode.js";
import { defineOp, record, tracer } from "../graph/node.js";
import { markScratch } from "../tensor/construction-log.js";
import { allocateUninitialized, isFloat, type DType } from "../tensor/dtype.js";
import { sameShape } from "../tensor/shape.js";
import { Tensor, viewOf } from "../tensor/tensor.js";
import { where } from "./elementwise.js";
import { triangleMask } from "./masking.js";
import { softmax } from "./reduce.js";
import { cat } from "./shape.js";
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

export function fusedAttention(q: Tensor, k: Tensor, v: Tensor, scale: number, causal: boolean): Tensor {
  if (onDevice(q, k, v)) return residentAttention(q, k, v, scale, causal);
  const d = dimsOf(q, k, v);
  const qd = contiguousData(q), kd = contiguousData(k), vd = contiguousData(v);
  const { weights, out } = attendForward(q.dtype, d, qd, kd, vd, scale, causal);
  const p = new Tensor(weights, [...q.shape.slice(0, -2), d.L, d.S], q.dtype);
  return record(new Tensor(out, [...q.shape.slice(0, -2), d.L, d.Ev], q.dtype), ATTENTION, [q, k, v], [q, k, v, p], { scale, causal });
}

/** A float array and the index of its first element. */
interface Span {
  data: FloatArray | TypedArray;
  offset: number;
}

/** softmax(q·kᵀ·scale, causal) and its product with v, on contiguous [batch, L, E], [batch, S, E], [batch, S, Ev]. */
function attendForward(dtype: DType, d: Dims, qd: Span, kd: Span, vd: Span, scale: number, causal: boolean): { weights: FloatArray; out: FloatArray } {
  const { batch, L, S, E, Ev } = d;
  const scores = allocateUninitialized(dtype, batch * L * S) as FloatArray;
  backend.matmul(qd.data as FloatArray, qd.offset, L * E, false, kd.data as FloatArray, kd.offset, S * E, true, scores, batch, L, E, S);
  // Scale, and −∞ above the diagonal (as triangleMask(L, S, 0, true) keeps j ≤ i), in place.
  backend.attentionScores(scores, batch, L, S, scale, causal);
  // The weights overwrite the scores (a private buffer): one [batch, L, S] allocation, not two.
  const weights = scores;
  backend.softmax(scores, 0, batch * L, S, 1, weights, false);
  const out = allocateUninitialized(dtype, batch * L * Ev) as FloatArray;
  backend.matmul(weights, 0, L * S, false, vd.data as FloatArray, vd.offset, S * Ev, false, out, batch, L, S, Ev);
  return { weights, out };
}

/** [q̄, k̄, v̄] from the saved weights P: four batched products and one pass (no graph). */
function fusedGrads(g: Tensor, q: Tensor, k: Tensor, v: Tensor, p: Tensor, c: AttentionCtx, needs: readonly boolean[]): (Tensor | null)[] {
  const d = dimsOf(q, k, v);
  const gd = contiguousData(g.dtype === q.dtype ? g : g.to(q.dtype));
  const grads = attendBackward(q.dtype, d, gd, p.storage as FloatArray, () => contiguousData(q), () => contiguousData(k), () => contiguousData(v), c.scale, needs);
  return [
    grads[0] && new Tensor(grads[0], q.shape, q.dtype),
    grads[1] && new Tensor(grads[1], k.shape, q.dtype),
    grads[2] && new Tensor(grads[2], v.shape, q.dtype),
  ];
}

/**
 * The plain backward on contiguous operands: v̄ = Pᵀ·ȳ, then P̄ = ȳ·vᵀ,
 * S̄ = P ⊙ (P̄ − Σⱼ P̄ ⊙ P)·scale, q̄ = S̄·k, k̄ = S̄ᵀ·q. q, k and v are fetched
 * only when a gradient needs them.
 */
function attendBackward(
  dtype: DType, d: Dims, gd: Span, P: FloatArray, q: () => Span, k: () => Span, v: () => Span, scale: number, needs: readonly boolean[],
  into: FloatArray | null = null,
): (FloatArray | null)[] {
  const { batch, L, S, E, Ev } = d;
  const G = gd.data as FloatArray;
  // `into` holds q̄, k̄, v̄ back to back (self-attention, L = S, Ev = E): views of it, else new buffers.
  const result = (which: number, size: number) => (into ? into.subarray(which * size, (which + 1) * size) : allocateUninitialized(dtype, size) as FloatArray);
  let dv: FloatArray | null = null;
  if (needs[2]) {
    dv = result(2, batch * S * Ev);
    backend.matmul(P, 0, L * S, true, G, gd.offset, L * Ev, false, dv, batch, S, L, Ev);
  }
  if (!needs[0] && !needs[1]) return [null, null, dv];
  const vd = v();
  const ds = allocateUninitialized(dtype, batch * L * S) as FloatArray;
  backend.matmul(G, gd.offset, L * Ev, false, vd.data as FloatArray, vd.offset, S * Ev, true, ds, batch, L, Ev, S);
  // S̄ = P ⊙ (P̄ − Σⱼ P̄ ⊙ P)·scale, row by row, in place over P̄.
  backend.softmaxBackward(P, 0, ds, 0, batch * L, S, scale, ds);
  let dq: FloatArray | null = null, dk: FloatArray | null = null;
  if (needs[0]) {
    const kd = k();
    dq = result(0, batch * L * E);
    backend.matmul(ds, 0, L * S, false, kd.data as FloatArray, kd.offset, S * E, false, dq, batch, L, S, E);
  }
  if (needs[1]) {
    const qd = q();
    dk = result(1, batch * S * E);
    backend.matmul(ds, 0, L * S, true, qd.data as FloatArray, qd.offset, L * E, false, dk, batch, S, L, E);
  }
  return [dq, dk, dv];
}

// ---- Heads packed in the last dim: q [N, L, H·D], k [N, S, H·D], v [N, S, H·Dv] (MultiheadAttention's layout)

interface HeadsCtx extends AttentionCtx {
  heads: number;
}

const ATTENTION_HEADS = defineOp<HeadsCtx>("attention", (g, [q, k, v, p, qp, kp, vp], c, needs) =>
  gradMode.enabled ? compositeHeadsGrads(g, q, k, v, c, needs) : fusedHeadsGrads(g, q, k, v, p, qp, kp, vp, c, needs));

/**
 * Whether fusedAttentionHeads can run: canFuseAttention's conditions on
 * 3-D q, k, v whose last dims split into `heads` equal parts and walk with
 * step 1 (a narrow of a packed q‖k‖v projection does).
 */
export function canFuseAttentionHeads(q: Tensor, k: Tensor, v: Tensor, heads: number): boolean {
  if (q.ndim !== 3 || !canFuseAttention(q, k, v)) return false;
  if (q.shape[2] !== k.shape[2] || q.shape[2] % heads !== 0 || v.shape[2] % heads !== 0 || k.shape[1] !== v.shape[1]) return false;
  return q.strides[2] === 1 && k.strides[2] === 1 && v.strides[2] === 1;
}

/**
 * Multi-head attention on heads packed in the last dim: for q [N, L, H·D],
 * k [N, S, H·D], v [N, S, H·Dv], head h attends with features h·D..h·D+D−1,
 * and the result is [N, L, H·Dv] with head h's output in its slice: what
 * splitting into [N, H, ·, D] heads, fusedAttention and merging back give,
 * without the split and merge as tensors. The heads are gathered into one
 * contiguous buffer each (kept for the backward), and the output and the
 * gradients are scattered straight into the packed layout.
 */
export function fusedAttentionHeads(q: Tensor, k: Tensor, v: Tensor, heads: number, scale: number, causal: boolean): Tensor {
  if (onDevice(q, k, v)) return residentHeads(q, k, v, heads, scale, causal);
  const r = attendHeads(q, k, v, heads, scale, causal);
  return record(r.out, ATTENTION_HEADS, [q, k, v], [q, k, v, ...r.saved], { scale, causal, heads });
}

/** The forward of both packed-heads ops: the merged output, and [P, q, k, v as heads] for the backward. */
function attendHeads(q: Tensor, k: Tensor, v: Tensor, heads: number, scale: number, causal: boolean): { out: Tensor; saved: Tensor[] } {
  const N = q.shape[0], L = q.shape[1], S = k.shape[1];
  const D = q.shape[2] / heads, Dv = v.shape[2] / heads;
  const d: Dims = { batch: N * heads, L, S, E: D, Ev: Dv };
  const dtype = q.dtype;
  const qp = splitHeads(q, heads), kp = splitHeads(k, heads), vp = splitHeads(v, heads);
  const { weights, out } = attendForward(dtype, d, { data: qp, offset: 0 }, { data: kp, offset: 0 }, { data: vp, offset: 0 }, scale, causal);
  const merged = new Tensor(mergeHeads(out, N, heads, L, Dv, dtype), [N, L, heads * Dv], dtype);
  // Made here for the backward and never returned: scratch a tidy scope may release.
  const packed = (data: FloatArray, len: number, width: number) => markScratch(new Tensor(data, [N * heads, len, width], dtype));
  const p = markScratch(new Tensor(weights, [N * heads, L, S], dtype));
  return { out: merged, saved: [p, packed(qp, L, D), packed(kp, S, D), packed(vp, S, Dv)] };
}

// ---- Self-attention on one packed projection qkv [N, L, 3·H·D] (q‖k‖v in the last dim)

const SELF_ATTENTION_HEADS = defineOp<HeadsCtx>("attention", (g, [qkv, p, qp, kp, vp], c, needs) =>
  gradMode.enabled ? compositeSelfHeadsGrads(g, qkv, c) : [fusedSelfHeadsGrads(g, qkv, p, qp, kp, vp, c)]);

/** Whether fusedSelfAttentionHeads can run on qkv (canFuseAttentionHeads on its three thirds). */
export function canFuseSelfAttentionHeads(qkv: Tensor, heads: number): boolean {
  if (qkv.ndim !== 3 || qkv.shape[2] % 3 !== 0) return false;
  const [q, k, v] = thirds(qkv);
  return canFuseAttentionHeads(q, k, v, heads);
}

/**
 * fusedAttentionHeads on the three thirds of one projection qkv [N, L, 3E]
 * (q, k, v = qkv[..., 0:E], [E:2E], [2E:3E]), as one op with one input: its
 * gradient is written straight into qkv's layout, where three slices would
 * each be padded to [N, L, 3E] and then added.
 */
export function fusedSelfAttentionHeads(qkv: Tensor, heads: number, scale: number, causal: boolean): Tensor {
  if (onDevice(qkv)) {
    const E = qkv.shape[2] / 3;
    return residentHeads(qkv.narrow(-1, 0, E), qkv.narrow(-1, E, E), qkv.narrow(-1, 2 * E, E), heads, scale, causal);
  }
  const [q, k, v] = thirds(qkv);
  const r = attendHeads(q, k, v, heads, scale, causal);
  return record(r.out, SELF_ATTENTION_HEADS, [qkv], [qkv, ...r.saved], { scale, causal, heads });
}

/** qkv's three thirds along the last dim, as views (not recorded). */
function thirds(qkv: Tensor): [Tensor, Tensor, Tensor] {
  const E = qkv.shape[2] / 3;
  const shape = [qkv.shape[0], qkv.shape[1], E];
  const view = (i: number) => viewOf(qkv, shape, qkv.strides, qkv.offset + i * E * qkv.strides[2]);
  return [view(0), view(1), view(2)];
}

/** q̄‖k̄‖v̄ as one [N, L, 3E] gradient: the three computed back to back as heads, then interleaved by one strided copy per batch entry. */
function fusedSelfHeadsGrads(g: Tensor, qkv: Tensor, p: Tensor, qp: Tensor, kp: Tensor, vp: Tensor, c: HeadsCtx): Tensor {
  const H = c.heads, N = qkv.shape[0], L = qkv.shape[1], E = qkv.shape[2] / 3, D = E / H;
  const dtype = qkv.dtype;
  const gp = splitHeads(g.dtype === dtype ? g : g.to(dtype), H);
  const span = (t: Tensor) => () => ({ data: t.storage, offset: 0 });
  const heads = allocateUninitialized(dtype, 3 * N * L * E) as FloatArray; // [3, N, H, L, D]
  attendBackward(dtype, { batch: N * H, L, S: L, E: D, Ev: D }, { data: gp, offset: 0 }, p.storage as FloatArray,
    span(qp), span(kp), span(vp), c.scale, [true, true, true], heads);
  const out = allocateUninitialized(dtype, 3 * N * L * E) as FloatArray; // [N, L, 3, H, D]
  const block = L * 3 * E;
  for (let n = 0; n < N; n++) {
    backend.copyStrided(heads, n * H * L * D, [D, N * H * L * D, L * D, 1], [L, 3, H, D], out.subarray(n * block, (n + 1) * block));
  }
  return new Tensor(out, qkv.shape, dtype);
}

/** compositeHeadsGrads on the thirds, concatenated (createGraph). */
function compositeSelfHeadsGrads(g: Tensor, qkv: Tensor, c: HeadsCtx): Tensor[] {
  const E = qkv.shape[2] / 3;
  const [q, k, v] = [0, 1, 2].map((i) => qkv.narrow(-1, i * E, E));
  const grads = compositeHeadsGrads(g, q, k, v, c, [true, true, true]) as Tensor[];
  return [cat(grads, -1)];
}

/** t [N, len, H·D] (last-dim step 1) as contiguous [N, H, len, D]: one strided copy (native: in C++). */
function splitHeads(t: Tensor, heads: number): FloatArray {
  const [N, len, width] = t.shape;
  const D = width / heads;
  const out = allocateUninitialized(t.dtype, t.size) as FloatArray;
  backend.copyStrided(t.storage, t.offset, [t.strides[0], D, t.strides[1], 1], [N, heads, len, D], out);
  return out;
}

/** Contiguous [N, H, len, D] as contiguous [N, len, H·D]. */
function mergeHeads(x: FloatArray, N: number, heads: number, len: number, D: number, dtype: DType): FloatArray {
  const out = allocateUninitialized(dtype, N * len * heads * D) as FloatArray;
  backend.copyStrided(x, 0, [heads * len * D, D, len * D, 1], [N, len, heads, D], out);
  return out;
}

function fusedHeadsGrads(
  g: Tensor, q: Tensor, k: Tensor, v: Tensor, p: Tensor, qp: Tensor, kp: Tensor, vp: Tensor, c: HeadsCtx, needs: readonly boolean[],
): (Tensor | null)[] {
  const H = c.heads, N = q.shape[0], L = q.shape[1], S = k.shape[1];
  const D = q.shape[2] / H, Dv = v.shape[2] / H;
  const dtype = q.dtype;
  const gp = splitHeads(g.dtype === dtype ? g : g.to(dtype), H);
  const span = (t: Tensor) => () => ({ data: t.storage, offset: 0 });
  const grads = attendBackward(dtype, { batch: N * H, L, S, E: D, Ev: Dv }, { data: gp, offset: 0 }, p.storage as FloatArray,
    span(qp), span(kp), span(vp), c.scale, needs);
  return [
    grads[0] && new Tensor(mergeHeads(grads[0], N, H, L, D, dtype), q.shape, dtype),
    grads[1] && new Tensor(mergeHeads(grads[1], N, H, S, D, dtype), k.shape, dtype),
    grads[2] && new Tensor(mergeHeads(grads[2], N, H, S, Dv, dtype), v.shape, dtype),
  ];
}

/** compositeGrads on the heads as [N, H, ·, D] views, merged back (createGraph). */
function compositeHeadsGrads(g: Tensor, q: Tensor, k: Tensor, v: Tensor, c: HeadsCtx, needs: readonly boolean[]): (Tensor | null)[] {
  const H = c.heads;
  const split = (t: Tensor) => t.reshape([t.shape[0], t.shape[1], H, t.shape[2] / H]).transpose(1, 2);
  const merge = (t: Tensor | null, like: Tensor) => t && t.transpose(1, 2).reshape(like.shape);
  const [dq, dk, dv] = compositeGrads(split(g), split(q), split(k), split(v), c, needs);
  return [merge(dq, q), merge(dk, k), merge(dv, v)];
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

// ---- On the webgpu backend, with an operand on the GPU: the composite, whose ops all have device kernels

function onDevice(...ts: Tensor[]): boolean {
  return gpu.active !== null && ts.some((t) => t._device !== null);
}

/**
 * softmax(q·kᵀ·scale, causal)·v from recorded tensor ops (matmul, mul, add,
 * softmax; their gradients likewise), so that it runs and differentiates
 * on the device without a read. The causal mask is added as 0 / −∞ (a
 * host tensor, uploaded), where the CPU op's masking in place would need
 * the scores on the host.
 */
function residentAttention(q: Tensor, k: Tensor, v: Tensor, scale: number, causal: boolean): Tensor {
  const L = q.shape[q.ndim - 2], S = k.shape[k.ndim - 2];
  let scores = q.matmul(k.transpose(-2, -1)).mul(scale);
  if (causal) {
    const bias = new Float32Array(L * S);
    for (let i = 0; i < L; i++) bias.fill(-Infinity, i * S + Math.min(i + 1, S), (i + 1) * S);
    scores = scores.add(new Tensor(bias, [L, S], "float32").to(scores.dtype));
  }
  return softmax(scores, -1).matmul(v);
}

/** residentAttention on heads packed in the last dim (fusedAttentionHeads' layout), merged back. */
function residentHeads(q: Tensor, k: Tensor, v: Tensor, heads: number, scale: number, causal: boolean): Tensor {
  const N = q.shape[0];
  const split = (t: Tensor) => t.reshape([N, t.shape[1], heads, t.shape[2] / heads]).transpose(1, 2);
  return residentAttention(split(q), split(k), split(v), scale, causal).transpose(1, 2).reshape([N, q.shape[1], v.shape[2]]);
}
