/**
 * W7's two networks, built with whichever build of backprop `bp` is (the
 * bench's own in bench/impls/ours.mjs, any build in bench/profile/w7-step.mjs):
 * the module holding every parameter, and the forward pass from tokens.
 */
import { W7 } from "./workloads.mjs";

/** The character transformer: embeddings, pre-LayerNorm causal blocks, a final LayerNorm and the head. */
export function w7Transformer(bp) {
  const tok = new bp.nn.Embedding(W7.vocab, W7.embed);
  const pos = new bp.nn.Embedding(W7.context, W7.embed);
  const blocks = Array.from({ length: W7.layers }, () => new bp.nn.TransformerEncoderLayer(W7.embed, W7.heads, {
    dimFeedforward: W7.ff, dropout: 0, activation: "gelu", normFirst: true, batchFirst: true,
  }));
  const norm = new bp.nn.LayerNorm(W7.embed);
  const head = new bp.nn.Linear(W7.embed, W7.vocab);
  const positions = bp.arange(W7.context, undefined, 1, { dtype: "int32" });
  return {
    model: new bp.nn.ModuleList([tok, pos, ...blocks, norm, head]),
    forward: (tokens) => {
      let x = tok.forward(tokens).add(pos.forward(positions));
      for (const b of blocks) x = b.forward(x, { isCausal: true });
      return head.forward(norm.forward(x));
    },
  };
}

/** W7L: the token embedding, a 1-layer LSTM (hidden W7.lstmHidden) and a linear head. */
export function w7Lstm(bp) {
  const tok = new bp.nn.Embedding(W7.vocab, W7.embed);
  const lstm = new bp.nn.LSTM(W7.embed, W7.lstmHidden, { batchFirst: true });
  const head = new bp.nn.Linear(W7.lstmHidden, W7.vocab);
  return { model: new bp.nn.ModuleList([tok, lstm, head]), forward: (tokens) => head.forward(lstm.forward(tok.forward(tokens))[0]) };
}
