/**
 * Transformer layers as torch.nn's: TransformerEncoderLayer,
 * TransformerEncoder (a stack of copies of one layer) and
 * TransformerDecoderLayer, with PyTorch's state-dict keys (self_attn.*,
 * multihead_attn.*, linear1.*, linear2.*, norm1.*, norm2.*, norm3.*) and
 * PyTorch's post-norm (default) or pre-norm (normFirst) residual blocks.
 */
import type { DType } from "../../backend/backend.js";
import { ShapeError, ValueError } from "../../errors.js";
import type { Generator } from "../../tensor/random.js";
import { formatShape } from "../../tensor/shape.js";
import { Tensor } from "../../tensor/tensor.js";
import { gelu } from "../functional.js";
import { Module } from "../module.js";
import { MultiheadAttention } from "./attention.js";
import { ModuleList } from "./container.js";
import { Linear } from "./linear.js";
import { LayerNorm } from "./normalization.js";
import { Dropout } from "./simple.js";

export type TransformerActivation = "relu" | "gelu" | ((x: Tensor) => Tensor);

export interface TransformerLayerOptions {
  /** Width of the feed-forward block (default 2048). */
  dimFeedforward?: number;
  /** Dropout probability after attention, inside and after the feed-forward block (default 0.1). */
  dropout?: number;
  /** The feed-forward nonlinearity: "relu" (default), "gelu" (exact, erf-based) or a function. */
  activation?: TransformerActivation;
  /** LayerNorm's eps (default 1e-5). */
  layerNormEps?: number;
  /** Inputs are [N, L, E] (true) or [L, N, E] (false, the default). */
  batchFirst?: boolean;
  /** Pre-norm: LayerNorm before each block instead of after each residual sum (default false). */
  normFirst?: boolean;
  dtype?: DType;
  /** Source of the initial weights and of the dropout masks (default: the global generator). */
  generator?: Generator;
}

type ResolvedOptions = Required<Omit<TransformerLayerOptions, "generator">> & { generator: Generator | undefined };

function resolve(op: string, dModel: number, nhead: number, options: TransformerLayerOptions): ResolvedOptions {
  for (const [name, v] of [["dModel", dModel], ["nhead", nhead]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new ValueError(`${op}: ${name} must be a positive integer, got ${v}`);
  }
  if (dModel % nhead !== 0) {
    throw new ValueError(`${op}: dModel ${dModel} must be divisible by nhead ${nhead} (each attention head gets dModel / nhead features)`);
  }
  const resolved: ResolvedOptions = {
    dimFeedforward: options.dimFeedforward ?? 2048,
    dropout: options.dropout ?? 0.1,
    activation: options.activation ?? "relu",
    layerNormEps: options.layerNormEps ?? 1e-5,
    batchFirst: options.batchFirst ?? false,
    normFirst: options.normFirst ?? false,
    dtype: options.dtype ?? "float32",
    generator: options.generator,
  };
  if (!Number.isInteger(resolved.dimFeedforward) || resolved.dimFeedforward < 1) {
    throw new ValueError(`${op}: dimFeedforward must be a positive integer, got ${resolved.dimFeedforward}`);
  }
  const a = resolved.activation;
  if (a !== "relu" && a !== "gelu" && typeof a !== "function") {
    throw new ValueError(`${op}: activation must be "relu", "gelu" or a function of a tensor, got ${JSON.stringify(a)}`);
  }
  return resolved;
}

function activationFn(a: TransformerActivation): (x: Tensor) => Tensor {
  if (a === "relu") return (x) => x.relu();
  if (a === "gelu") return (x) => gelu(x);
  return a;
}

/** Checks the input of a layer: [L, N, E] / [N, L, E] batched or [L, E] unbatched, with E = dModel. */
function checkInput(op: string, name: string, x: Tensor, dModel: number, batchFirst: boolean): void {
  if (!(x instanceof Tensor)) throw new ValueError(`${op}: ${name} must be a Tensor`);
  if ((x.ndim !== 2 && x.ndim !== 3) || x.shape[x.ndim - 1] !== dModel) {
    const layout = batchFirst ? "[N, L, dModel] (batchFirst: true)" : "[L, N, dModel] (batchFirst: false; pass batchFirst: true for [N, L, dModel])";
    throw new ShapeError(`${op}: ${name} ${formatShape(x.shape)} must be ${layout} or unbatched [L, dModel], with dModel = ${dModel}`);
  }
}

export interface TransformerEncoderLayerForwardOptions {
  /** Attention mask as MultiheadAttention's attnMask: [L, L] or [N·nhead, L, L]; bool true = ignore, float added. */
  srcMask?: Tensor | null;
  /** [N, L] (or [L]): bool true = a padding position to ignore; float added. */
  srcKeyPaddingMask?: Tensor | null;
  /** Causal self-attention (a hint when srcMask is given, as in PyTorch). */
  isCausal?: boolean;
}

/** Self-attention then a feed-forward block, each with a residual connection and LayerNorm. */
export class TransformerEncoderLayer extends Module {
  readonly dModel: number;
  readonly nhead: number;
  readonly options: ResolvedOptions;
  // PyTorch's submodule names and order.
  self_attn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  readonly normFirst: boolean;
  norm1: LayerNorm;
  norm2: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  private readonly activation: (x: Tensor) => Tensor;

  constructor(dModel: number, nhead: number, options: TransformerLayerOptions = {}) {
    super();
    const o = resolve("TransformerEncoderLayer", dModel, nhead, options);
    this.dModel = dModel;
    this.nhead = nhead;
    this.options = o;
    const { dtype, generator } = o;
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout: o.dropout, batchFirst: o.batchFirst, dtype, generator });
    this.linear1 = new Linear(dModel, o.dimFeedforward, { dtype, generator });
    this.dropout = new Dropout(o.dropout, { generator });
    this.linear2 = new Linear(o.dimFeedforward, dModel, { dtype, generator });
    this.normFirst = o.normFirst;
    this.norm1 = new LayerNorm(dModel, { eps: o.layerNormEps, dtype });
    this.norm2 = new LayerNorm(dModel, { eps: o.layerNormEps, dtype });
    this.dropout1 = new Dropout(o.dropout, { generator });
    this.dropout2 = new Dropout(o.dropout, { generator });
    this.activation = activationFn(o.activation);
  }

  /** src: [L, N, dModel] ([N, L, dModel] with batchFirst, or [L, dModel]) → the same shape. */
  forward(src: Tensor, options: TransformerEncoderLayerForwardOptions = {}): Tensor {
    checkInput("TransformerEncoderLayer", "src", src, this.dModel, this.options.batchFirst);
    const { srcMask = null, srcKeyPaddingMask = null, isCausal = false } = options;
    const selfAttention = (x: Tensor) => this.dropout1.forward(
      this.self_attn.forward(x, x, x, { attnMask: srcMask, keyPaddingMask: srcKeyPaddingMask, needWeights: false, isCausal })[0],
    );
    let x = src;
    if (this.normFirst) {
      x = x.add(selfAttention(this.norm1.forward(x)));
      x = x.add(this.feedForward(this.norm2.forward(x)));
    } else {
      x = this.norm1.forward(x.add(selfAttention(x)));
      x = this.norm2.forward(x.add(this.feedForward(x)));
    }
    return x;
  }

  private feedForward(x: Tensor): Tensor {
    return this.dropout2.forward(this.linear2.forward(this.dropout.forward(this.activation(this.linear1.forward(x)))));
  }

  override extraRepr(): string {
    return describeLayer(this.dModel, this.nhead, this.options);
  }
}

export interface TransformerDecoderLayerForwardOptions {
  /** Self-attention mask over the target, [T, T] or [N·nhead, T, T]; bool true = ignore, float added. */
  tgtMask?: Tensor | null;
  /** Cross-attention mask, [T, S] or [N·nhead, T, S]. */
  memoryMask?: Tensor | null;
  /** [N, T] (or [T]): target positions to ignore as keys. */
  tgtKeyPaddingMask?: Tensor | null;
  /** [N, S] (or [S]): memory positions to ignore. */
  memoryKeyPaddingMask?: Tensor | null;
  /** Causal self-attention (a hint when tgtMask is given). */
  tgtIsCausal?: boolean;
  /** Causal cross-attention (a hint when memoryMask is given). */
  memoryIsCausal?: boolean;
}

/** Self-attention over the target, attention to the encoder's memory, then a feed-forward block. */
export class TransformerDecoderLayer extends Module {
  readonly dModel: number;
  readonly nhead: number;
  readonly options: ResolvedOptions;
  self_attn: MultiheadAttention;
  multihead_attn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  readonly normFirst: boolean;
  norm1: LayerNorm;
  norm2: LayerNorm;
  norm3: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  dropout3: Dropout;
  private readonly activation: (x: Tensor) => Tensor;

  constructor(dModel: number, nhead: number, options: TransformerLayerOptions = {}) {
    super();
    const o = resolve("TransformerDecoderLayer", dModel, nhead, options);
    this.dModel = dModel;
    this.nhead = nhead;
    this.options = o;
    const { dtype, generator } = o;
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout: o.dropout, batchFirst: o.batchFirst, dtype, generator });
    this.multihead_attn = new MultiheadAttention(dModel, nhead, { dropout: o.dropout, batchFirst: o.batchFirst, dtype, generator });
    this.linear1 = new Linear(dModel, o.dimFeedforward, { dtype, generator });
    this.dropout = new Dropout(o.dropout, { generator });
    this.linear2 = new Linear(o.dimFeedforward, dModel, { dtype, generator });
    this.normFirst = o.normFirst;
    this.norm1 = new LayerNorm(dModel, { eps: o.layerNormEps, dtype });
    this.norm2 = new LayerNorm(dModel, { eps: o.layerNormEps, dtype });
    this.norm3 = new LayerNorm(dModel, { eps: o.layerNormEps, dtype });
    this.dropout1 = new Dropout(o.dropout, { generator });
    this.dropout2 = new Dropout(o.dropout, { generator });
    this.dropout3 = new Dropout(o.dropout, { generator });
    this.activation = activationFn(o.activation);
  }

  /** tgt: [T, N, dModel], memory: [S, N, dModel] (batchFirst: [N, T, dModel], [N, S, dModel]) → tgt's shape. */
  forward(tgt: Tensor, memory: Tensor, options: TransformerDecoderLayerForwardOptions = {}): Tensor {
    const op = "TransformerDecoderLayer";
    checkInput(op, "tgt", tgt, this.dModel, this.options.batchFirst);
    checkInput(op, "memory", memory, this.dModel, this.options.batchFirst);
    const o = options;
    const selfAttention = (x: Tensor) => this.dropout1.forward(this.self_attn.forward(x, x, x, {
      attnMask: o.tgtMask ?? null, keyPaddingMask: o.tgtKeyPaddingMask ?? null, needWeights: false, isCausal: o.tgtIsCausal ?? false,
    })[0]);
    const crossAttention = (x: Tensor) => this.dropout2.forward(this.multihead_attn.forward(x, memory, memory, {
      attnMask: o.memoryMask ?? null, keyPaddingMask: o.memoryKeyPaddingMask ?? null, needWeights: false, isCausal: o.memoryIsCausal ?? false,
    })[0]);
    let x = tgt;
    if (this.normFirst) {
      x = x.add(selfAttention(this.norm1.forward(x)));
      x = x.add(crossAttention(this.norm2.forward(x)));
      x = x.add(this.feedForward(this.norm3.forward(x)));
    } else {
      x = this.norm1.forward(x.add(selfAttention(x)));
      x = this.norm2.forward(x.add(crossAttention(x)));
      x = this.norm3.forward(x.add(this.feedForward(x)));
    }
    return x;
  }

  private feedForward(x: Tensor): Tensor {
    return this.dropout3.forward(this.linear2.forward(this.dropout.forward(this.activation(this.linear1.forward(x)))));
  }

  override extraRepr(): string {
    return describeLayer(this.dModel, this.nhead, this.options);
  }
}

function describeLayer(dModel: number, nhead: number, o: ResolvedOptions): string {
  const act = typeof o.activation === "function" ? "custom" : o.activation;
  return `dModel=${dModel}, nhead=${nhead}, dimFeedforward=${o.dimFeedforward}, dropout=${o.dropout}, activation=${act}, batchFirst=${o.batchFirst}, normFirst=${o.normFirst}`;
}

export interface TransformerEncoderOptions {
  /** Applied to the output of the last layer (e.g. a LayerNorm, as pre-norm stacks use). */
  norm?: Module | null;
}

export interface TransformerEncoderForwardOptions {
  /** Passed to every layer as srcMask. */
  mask?: Tensor | null;
  /** Passed to every layer. */
  srcKeyPaddingMask?: Tensor | null;
  /** Passed to every layer. */
  isCausal?: boolean;
}

/**
 * numLayers copies of `layer` (keys layers.0.…, layers.1.…), applied in
 * turn, then `norm`. As PyTorch deep-copies the layer, each copy here is a
 * fresh TransformerEncoderLayer built with the same configuration, whose
 * parameters are then overwritten with the given layer's (so building the
 * copies draws, and discards, initial weights from the generator); the
 * copies share no storage with `layer` or with each other, and `layer`
 * itself is not part of the encoder.
 */
export class TransformerEncoder extends Module {
  layers: ModuleList;
  readonly numLayers: number;
  norm: Module | null;

  constructor(layer: TransformerEncoderLayer, numLayers: number, options: TransformerEncoderOptions = {}) {
    super();
    if (!(layer instanceof TransformerEncoderLayer)) {
      throw new ValueError("TransformerEncoder: the first argument must be a TransformerEncoderLayer (the layer to copy numLayers times)");
    }
    if (!Number.isInteger(numLayers) || numLayers < 1) throw new ValueError(`TransformerEncoder: numLayers must be a positive integer, got ${numLayers}`);
    const norm = options.norm ?? null;
    if (norm !== null && !(norm instanceof Module)) throw new ValueError("TransformerEncoder: norm must be a Module (e.g. a LayerNorm) or null");
    this.layers = new ModuleList(Array.from({ length: numLayers }, () => copyEncoderLayer(layer)));
    this.numLayers = numLayers;
    this.norm = norm;
  }

  forward(src: Tensor, options: TransformerEncoderForwardOptions = {}): Tensor {
    let x = src;
    for (const layer of this.layers) {
      x = (layer as TransformerEncoderLayer).forward(x, { srcMask: options.mask ?? null, srcKeyPaddingMask: options.srcKeyPaddingMask ?? null, isCausal: options.isCausal ?? false });
    }
    return this.norm ? this.norm.forward(x) : x;
  }

  override extraRepr(): string {
    return `numLayers=${this.numLayers}`;
  }
}

/** A fresh layer with `layer`'s configuration, dtype, parameter values and training mode. */
function copyEncoderLayer(layer: TransformerEncoderLayer): TransformerEncoderLayer {
  const dtype = layer.linear1.weight.dtype as DType;
  const copy = new TransformerEncoderLayer(layer.dModel, layer.nhead, { ...layer.options, dtype });
  copy.loadStateDict(layer.stateDict());
  copy.train(layer.training);
  return copy;
}
