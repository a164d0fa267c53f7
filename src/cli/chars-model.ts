/**
 * The character models `backprop train --task chars` trains and `backprop
 * sample` generates from: token ids [N, T] in, next-token logits [N, T, V]
 * out, position t seeing only positions ≤ t. Two families:
 *
 *   transformer  token embedding + learned positions, `layers` pre-LayerNorm
 *                TransformerEncoderLayer blocks with causal self-attention
 *                (GELU MLP of `hidden` units), a final LayerNorm, a linear head
 *   lstm, gru    token embedding, a `layers`-deep LSTM or GRU of `hidden` units, a linear head
 *
 * The architecture is saved in config.json, so the model can be rebuilt and
 * its saved weights loaded by name.
 */
import { Embedding, GRU, LayerNorm, LSTM, Linear, Module, ModuleList, TransformerEncoderLayer } from "../nn/index.js";
import { arange } from "../tensor/creation.js";
import type { Tensor } from "../tensor/tensor.js";
import type { FloatDType } from "./options.js";

export const CHAR_MODELS = ["transformer", "lstm", "gru"] as const;
export type CharModelName = (typeof CHAR_MODELS)[number];

export interface CharArchitecture {
  model: CharModelName;
  /** Tokens, the end-of-item token included: rows of the embedding, outputs of the head. */
  vocabSize: number;
  /** Positions the model sees at once (the transformer's position table; the RNNs' training window). */
  context: number;
  embed: number;
  /** Transformer blocks, or stacked RNN layers. */
  layers: number;
  /** Attention heads (transformer only; 0 for the RNNs). */
  heads: number;
  /** The transformer's feed-forward width, or the RNN's hidden size. */
  hidden: number;
}

/** The defaults `train --task chars` uses for what is not given. */
export function defaultCharArchitecture(model: CharModelName, embed: number | undefined): Omit<CharArchitecture, "vocabSize"> {
  const e = embed ?? 64;
  return { model, context: 16, embed: e, layers: model === "transformer" ? 2 : 1, heads: model === "transformer" ? 4 : 0, hidden: model === "transformer" ? 4 * e : 128 };
}

export abstract class CharModel extends Module {
  /** Logits [N, T, vocabSize] for ids [N, T] (T ≤ context). */
  abstract override forward(ids: Tensor): Tensor;
  /** The token table, named in errors about characters it has no row for. */
  abstract tokens: Embedding;
  /** The output layer, one logit per token. */
  abstract head: Linear;
}

class CharTransformer extends CharModel {
  tokens: Embedding;
  positions: Embedding;
  blocks: ModuleList;
  norm: LayerNorm;
  head: Linear;

  constructor(a: CharArchitecture, dtype: FloatDType) {
    super();
    this.tokens = new Embedding(a.vocabSize, a.embed, { dtype });
    this.positions = new Embedding(a.context, a.embed, { dtype });
    this.blocks = new ModuleList(Array.from({ length: a.layers }, () =>
      new TransformerEncoderLayer(a.embed, a.heads, { dimFeedforward: a.hidden, dropout: 0, activation: "gelu", normFirst: true, batchFirst: true, dtype })));
    this.norm = new LayerNorm(a.embed, { dtype });
    this.head = new Linear(a.embed, a.vocabSize, { dtype });
  }

  forward(ids: Tensor): Tensor {
    let x = this.tokens.forward(ids).add(this.positions.forward(arange(ids.shape[1], undefined, 1, { dtype: "int32" })));
    for (const block of this.blocks) x = (block as TransformerEncoderLayer).forward(x, { isCausal: true });
    return this.head.forward(this.norm.forward(x));
  }
}

class CharRecurrent extends CharModel {
  tokens: Embedding;
  rnn: LSTM | GRU;
  head: Linear;

  constructor(a: CharArchitecture, dtype: FloatDType) {
    super();
    this.tokens = new Embedding(a.vocabSize, a.embed, { dtype });
    const Layer = a.model === "lstm" ? LSTM : GRU;
    this.rnn = new Layer(a.embed, a.hidden, { numLayers: a.layers, batchFirst: true, dtype });
    this.head = new Linear(a.hidden, a.vocabSize, { dtype });
  }

  forward(ids: Tensor): Tensor {
    return this.head.forward(this.rnn.forward(this.tokens.forward(ids))[0]);
  }
}

export function buildCharModel(a: CharArchitecture, dtype: FloatDType): CharModel {
  return a.model === "transformer" ? new CharTransformer(a, dtype) : new CharRecurrent(a, dtype);
}

/** "transformer (2 blocks, embed 64, 4 heads, MLP 256, context 16, 28 tokens)" */
export function describeCharArchitecture(a: CharArchitecture): string {
  if (a.model === "transformer") {
    return `transformer (${a.layers} block${a.layers === 1 ? "" : "s"}, embed ${a.embed}, ${a.heads} head${a.heads === 1 ? "" : "s"}, MLP ${a.hidden}, context ${a.context}, ${a.vocabSize} tokens)`;
  }
  return `${a.model} (${a.layers} layer${a.layers === 1 ? "" : "s"} of ${a.hidden}, embed ${a.embed}, context ${a.context}, ${a.vocabSize} tokens)`;
}

/** Parameter count of the architecture, checked against a weights file before building (a damaged config must not allocate huge layers). */
export function charParameterCount(a: CharArchitecture): number {
  const { vocabSize: v, embed: e, hidden: h, layers: l } = a;
  const head = (a.model === "transformer" ? e : h) * v + v;
  if (a.model === "transformer") {
    // Attention in/out projections (4e² + 4e), MLP (2eh + h + e), two LayerNorms (4e) per block.
    const block = 4 * e * e + 4 * e + 2 * e * h + h + e + 4 * e;
    return v * e + a.context * e + l * block + 2 * e + head;
  }
  const gates = a.model === "lstm" ? 4 : 3;
  let rnn = 0;
  for (let i = 0; i < l; i++) rnn += gates * h * ((i === 0 ? e : h) + h + 2);
  return v * e + rnn + head;
}
