/**
 * MultiheadAttention, as torch.nn.MultiheadAttention: the query, key and
 * value are projected (one packed in_proj_weight [3E, E], or separate
 * q/k/v_proj_weight when kdim or vdim differ from embedDim), split into
 * numHeads heads of E / numHeads features, attended with scaled dot-product
 * attention, joined and projected by out_proj. State-dict keys are
 * PyTorch's: in_proj_weight, in_proj_bias, out_proj.weight, out_proj.bias.
 */
import type { DType } from "../../backend/backend.js";
import { DTypeError, ShapeError, ValueError } from "../../errors.js";
import { attentionWeights } from "../../ops/attention.js";
import { canFuseAttentionHeads, canFuseSelfAttentionHeads, fusedAttentionHeads, fusedSelfAttentionHeads } from "../../ops/fused-attention.js";
import { logicalAnd, logicalNot } from "../../ops/elementwise.js";
import { triangleMask } from "../../ops/masking.js";
import { zeros } from "../../tensor/creation.js";
import { isFloat } from "../../tensor/dtype.js";
import type { Generator } from "../../tensor/random.js";
import { formatShape } from "../../tensor/shape.js";
import { Tensor } from "../../tensor/tensor.js";
import { linear } from "../functional.js";
import { constant_, xavierUniform_ } from "../init.js";
import { Module } from "../module.js";
import { Parameter } from "../parameter.js";
import { Linear } from "./linear.js";

export interface MultiheadAttentionOptions {
  /** Dropout probability on the attention weights in training mode (default 0). */
  dropout?: number;
  /** Biases on the input and output projections (default true). */
  bias?: boolean;
  /** Inputs and output are [N, L, E] (true) or [L, N, E] (false, the default, as PyTorch). */
  batchFirst?: boolean;
  /** Feature size of the key (default embedDim). */
  kdim?: number;
  /** Feature size of the value (default embedDim). */
  vdim?: number;
  dtype?: DType;
  /** Source of the initial weights and of the dropout masks (default: the global generator). */
  generator?: Generator;
}

export interface MultiheadAttentionForwardOptions {
  /**
   * [N, S] (or [S] unbatched). Bool: true marks a key position to ignore
   * (padding). Float: added to the scores of that key.
   */
  keyPaddingMask?: Tensor | null;
  /** Return the attention weights as well (default true). */
  needWeights?: boolean;
  /**
   * [L, S], or [N·numHeads, L, S] for a mask per batch entry and head.
   * Bool: true marks a (query, key) pair that is NOT allowed to attend.
   * Float: added to the scores.
   */
  attnMask?: Tensor | null;
  /** Average the returned weights over the heads (default true): [N, L, S]; otherwise [N, numHeads, L, S]. */
  averageAttnWeights?: boolean;
  /**
   * Causal attention (query i sees keys 0..i). With attnMask given it is
   * only a hint, as in PyTorch, and attnMask is used; without one the
   * causal mask is built (PyTorch 2 raises an error there instead).
   */
  isCausal?: boolean;
}

export class MultiheadAttention extends Module {
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  // PyTorch's parameter names, in PyTorch's registration order (so stateDict keys and order match).
  in_proj_weight: Parameter | null;
  q_proj_weight: Parameter | null;
  k_proj_weight: Parameter | null;
  v_proj_weight: Parameter | null;
  in_proj_bias: Parameter | null;
  out_proj: Linear;
  private readonly generator: Generator | undefined;

  constructor(embedDim: number, numHeads: number, options: MultiheadAttentionOptions = {}) {
    super();
    const op = "MultiheadAttention";
    for (const [name, v] of [["embedDim", embedDim], ["numHeads", numHeads]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ValueError(`${op}: ${name} must be a positive integer, got ${v}`);
    }
    if (embedDim % numHeads !== 0) {
      const fits = divisors(embedDim).join(", ");
      throw new ValueError(`${op}: embedDim ${embedDim} must be divisible by numHeads ${numHeads} (each head gets embedDim / numHeads features); numHeads could be one of ${fits}`);
    }
    this.embedDim = embedDim;
    this.numHeads = numHeads;
    this.headDim = embedDim / numHeads;
    this.kdim = options.kdim ?? embedDim;
    this.vdim = options.vdim ?? embedDim;
    for (const [name, v] of [["kdim", this.kdim], ["vdim", this.vdim]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ValueError(`${op}: ${name} must be a positive integer, got ${v}`);
    }
    this.dropout = options.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout <= 1)) throw new ValueError(`${op}: dropout must be between 0 and 1, got ${this.dropout}`);
    this.batchFirst = options.batchFirst ?? false;
    const dtype = options.dtype ?? "float32";
    const E = embedDim;
    const packed = this.kdim === E && this.vdim === E;
    this.in_proj_weight = packed ? new Parameter(zeros([3 * E, E], { dtype })) : null;
    this.q_proj_weight = packed ? null : new Parameter(zeros([E, E], { dtype }));
    this.k_proj_weight = packed ? null : new Parameter(zeros([E, this.kdim], { dtype }));
    this.v_proj_weight = packed ? null : new Parameter(zeros([E, this.vdim], { dtype }));
    this.in_proj_bias = options.bias ?? true ? new Parameter(zeros([3 * E], { dtype })) : null;
    this.out_proj = new Linear(E, E, { bias: options.bias ?? true, dtype, generator: options.generator });
    this.generator = options.generator;
    this.resetParameters(options.generator);
  }

  /** PyTorch's init: xavier_uniform_ for the input projections, zeros for both biases; out_proj.weight keeps Linear's init. */
  resetParameters(generator?: Generator): void {
    for (const w of [this.in_proj_weight, this.q_proj_weight, this.k_proj_weight, this.v_proj_weight]) {
      if (w) xavierUniform_(w, { generator });
    }
    if (this.in_proj_bias) constant_(this.in_proj_bias, 0);
    if (this.out_proj.bias) constant_(this.out_proj.bias, 0);
  }

  /**
   * Attends from `query` to `key`/`value`: [L, N, E], [S, N, kdim],
   * [S, N, vdim] (batchFirst: [N, L, E], …; unbatched: [L, E], …). Returns
   * [output (query's layout), weights or null].
   */
  forward(query: Tensor, key: Tensor, value: Tensor, options: MultiheadAttentionForwardOptions = {}): [Tensor, Tensor | null] {
    const op = "MultiheadAttention";
    const { keyPaddingMask = null, needWeights = true, attnMask = null, averageAttnWeights = true, isCausal = false } = options;
    for (const [name, t] of [["query", query], ["key", key], ["value", value]] as const) {
      if (!(t instanceof Tensor)) throw new ValueError(`${op}: ${name} must be a Tensor`);
      if (!isFloat(t.dtype)) throw new DTypeError(`${op}: ${name} must be float32 or float64, got ${t.dtype}`);
    }
    const batched = query.ndim === 3;
    const layout = this.batchFirst ? "[N, L, E] (batchFirst: true)" : "[L, N, E] (batchFirst: false, PyTorch's default; pass batchFirst: true for [N, L, E])";
    if (query.ndim !== 2 && query.ndim !== 3) {
      throw new ShapeError(`${op}: query must be batched ${layout} or unbatched [L, E], got shape ${formatShape(query.shape)}`);
    }
    if (key.ndim !== query.ndim || value.ndim !== query.ndim) {
      throw new ShapeError(`${op}: query ${formatShape(query.shape)}, key ${formatShape(key.shape)} and value ${formatShape(value.shape)} must all be ${batched ? "3-D" : "2-D"}, like the query`);
    }
    // Work batch first: [N, L, E].
    const toBatchFirst = (t: Tensor) => (!batched ? t.unsqueeze(0) : this.batchFirst ? t : t.transpose(0, 1));
    const q0 = toBatchFirst(query), k0 = toBatchFirst(key), v0 = toBatchFirst(value);
    const N = q0.shape[0], L = q0.shape[1], S = k0.shape[1];
    for (const [name, t, size, dimName] of [["query", query, this.embedDim, "embedDim"], ["key", key, this.kdim, "kdim"], ["value", value, this.vdim, "vdim"]] as const) {
      if (t.shape[t.ndim - 1] !== size) {
        throw new ShapeError(`${op}: ${name} ${formatShape(t.shape)} has ${t.shape[t.ndim - 1]} features in its last dim, expected ${dimName} = ${size}`);
      }
    }
    if (k0.shape[0] !== N || v0.shape[0] !== N || v0.shape[1] !== S) {
      throw new ShapeError(
        `${op}: query ${formatShape(query.shape)}, key ${formatShape(key.shape)} and value ${formatShape(value.shape)} do not agree: read as ${batched ? layout : "unbatched [L, E]"}, ` +
        `the batch sizes are ${N}, ${k0.shape[0]}, ${v0.shape[0]} and the key and value lengths ${S}, ${v0.shape[1]}; key and value must have the same length, and all three the same batch`,
      );
    }
    const H = this.numHeads, D = this.headDim, E = this.embedDim;

    // ---- masks, in one convention: keep (bool, true = attend) and bias (float, added)
    let keep: Tensor | null = null;
    let bias: Tensor | null = null;
    const addMask = (mask: Tensor, name: string) => {
      if (mask.dtype === "bool") {
        const k = logicalNot(mask);
        keep = keep === null ? k : logicalAnd(keep, k);
      } else if (isFloat(mask.dtype)) {
        bias = bias === null ? mask : bias.add(mask);
      } else {
        throw new DTypeError(`${op}: ${name} must be bool (true = ignore) or float (added to the scores), got ${mask.dtype}`);
      }
    };
    if (attnMask !== null) {
      if (!(attnMask instanceof Tensor)) throw new ValueError(`${op}: attnMask must be a bool or float Tensor`);
      const ok2 = attnMask.ndim === 2 && attnMask.shape[0] === L && attnMask.shape[1] === S;
      const ok3 = attnMask.ndim === 3 && attnMask.shape[0] === N * H && attnMask.shape[1] === L && attnMask.shape[2] === S;
      if (!ok2 && !ok3) {
        throw new ShapeError(
          `${op}: attnMask ${formatShape(attnMask.shape)} does not fit ${L} queries and ${S} keys; expected ${formatShape([L, S])} (L, S) or ${formatShape([N * H, L, S])} (N·numHeads, L, S)`,
        );
      }
      addMask(ok3 ? attnMask.reshape([N, H, L, S]) : attnMask, "attnMask");
    } else if (isCausal) {
      keep = triangleMask(L, S, 0, true);
    }
    if (keyPaddingMask !== null) {
      if (!(keyPaddingMask instanceof Tensor)) throw new ValueError(`${op}: keyPaddingMask must be a bool or float Tensor`);
      const expected = batched ? [N, S] : [S];
      if (keyPaddingMask.ndim !== expected.length || keyPaddingMask.shape.some((s, i) => s !== expected[i])) {
        throw new ShapeError(
          `${op}: keyPaddingMask ${formatShape(keyPaddingMask.shape)} does not fit ${batched ? `batch ${N} and ` : ""}${S} keys; expected ${formatShape(expected)} ` +
          `(${batched ? "[N, S]" : "[S]"}, with key ${formatShape(key.shape)} read as ${batched ? layout.replace("L", "S") : "unbatched [S, kdim]"})`,
        );
      }
      addMask(keyPaddingMask.reshape([N, 1, 1, S]), "keyPaddingMask");
    }

    // ---- projections, split into heads: [N, H, L, D]
    const qkv = this.packedProjection(q0, query === key && key === value);
    // The three slices of qkv are only taken when the packed op cannot run.
    const split = (): Tensor[] => (qkv ? [0, 1, 2].map((i) => qkv.narrow(-1, i * E, E)) : this.project(q0, k0, v0));
    const heads = (t: Tensor, len: number) => t.reshape([N, len, H, D]).transpose(1, 2);
    const dropoutP = this.training ? this.dropout : 0;
    if (!needWeights && attnMask === null && keyPaddingMask === null && dropoutP === 0) {
      // Nothing but the causal mask, if any: one fused op (src/ops/fused-attention.ts) on the
      // heads where they lie in the projections (self-attention: all three in one), with the
      // output already merged.
      const scale = 1 / Math.sqrt(D);
      let fused: Tensor | null = null;
      if (qkv && canFuseSelfAttentionHeads(qkv, H)) {
        fused = fusedSelfAttentionHeads(qkv, H, scale, isCausal);
      } else {
        const [q, k, v] = split();
        if (canFuseAttentionHeads(q, k, v, H)) fused = fusedAttentionHeads(q, k, v, H, scale, isCausal);
      }
      if (fused) {
        const result = this.out_proj.forward(fused);
        return [!batched ? result.squeeze(0) : this.batchFirst ? result : result.transpose(0, 1), null];
      }
    }
    const [q, k, v] = split();
    const weights = attentionWeights(heads(q, L), heads(k, S), {
      keep, bias, scale: 1 / Math.sqrt(D), dropoutP, generator: this.generator,
    });
    const attended = weights.matmul(heads(v, S)).transpose(1, 2).reshape([N, L, E]);
    let out = this.out_proj.forward(attended);
    out = !batched ? out.squeeze(0) : this.batchFirst ? out : out.transpose(0, 1);
    if (!needWeights) return [out, null];
    let w = averageAttnWeights ? weights.mean(1) : weights;
    if (!batched) w = w.squeeze(0);
    return [out, w];
  }

  /**
   * Self-attention with the packed in_proj_weight: q‖k‖v [N, L, 3E] from one
   * product, as PyTorch does when query, key and value are one tensor; else null.
   */
  private packedProjection(x: Tensor, selfAttention: boolean): Tensor | null {
    return selfAttention && this.in_proj_weight ? linear(x, this.in_proj_weight, this.in_proj_bias) : null;
  }

  /** q, k, v after separate input projections, each [N, len, E]. */
  private project(q: Tensor, k: Tensor, v: Tensor): [Tensor, Tensor, Tensor] {
    const E = this.embedDim;
    const b = this.in_proj_bias;
    const bias = (i: number) => (b ? b.narrow(0, i * E, E) : null);
    if (this.in_proj_weight) {
      const w = this.in_proj_weight;
      return [linear(q, w.narrow(0, 0, E), bias(0)), linear(k, w.narrow(0, E, E), bias(1)), linear(v, w.narrow(0, 2 * E, E), bias(2))];
    }
    return [linear(q, this.q_proj_weight!, bias(0)), linear(k, this.k_proj_weight!, bias(1)), linear(v, this.v_proj_weight!, bias(2))];
  }

  override extraRepr(): string {
    const extra = this.kdim !== this.embedDim || this.vdim !== this.embedDim ? `, kdim=${this.kdim}, vdim=${this.vdim}` : "";
    return `embedDim=${this.embedDim}, numHeads=${this.numHeads}, dropout=${this.dropout}, batchFirst=${this.batchFirst}${extra}`;
  }
}

function divisors(n: number): number[] {
  const out: number[] = [];
  for (let d = 1; d <= n; d++) if (n % d === 0) out.push(d);
  return out;
}
