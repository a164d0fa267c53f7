/**
 * makemore: a character-level language model trained on the bundled word
 * list (16,000 English words of 3 to 10 letters), which then makes up new
 * words letter by letter. Each word is one sequence: the boundary token '.'
 * then its letters, and the model predicts every next letter (the word's end
 * is '.' again). Two models, picked by the first argument:
 *
 *   transformer (default)  token embedding + learned positions, 2 pre-LayerNorm
 *                          TransformerEncoderLayer blocks (4 heads of 16, GELU
 *                          MLP 64-256-64) with causal self-attention, LayerNorm,
 *                          a linear head over the 27 tokens
 *   lstm                   token embedding, a 1-layer LSTM (hidden 128), a linear head
 *
 * Words are split 90/10 into training and validation with a fixed seed;
 * cross-entropy over every position of every word, AdamW. Each epoch prints
 * the training loss per character (mean over its batches) and the validation
 * loss; at the end, 10 words sampled with bp.multinomial from a seeded
 * generator. See docs/sequences.md.
 * Run: npm run example:makemore [-- transformer|lstm] [EPOCHS]
 */
import * as bp from "backpropagation";

type Tensor = bp.Tensor;
const kind = process.argv[2] ?? "transformer";
if (kind !== "transformer" && kind !== "lstm") throw new Error(`makemore: the model is "transformer" or "lstm", got ${JSON.stringify(kind)}`);
const epochs = Number(process.argv[3] ?? 8);
const batchSize = 64;

bp.manualSeed(0);
const words = bp.data.loadWords();
const vocab = bp.data.CharVocabulary.fromTexts(words);
// Longest word plus its end token: every sequence is this long, padded targets are skipped by the loss (-100).
const length = Math.max(...words.map((w) => w.length)) + 1;

// A fixed 90/10 split of the words (its own generator, so the split does not depend on the model's init).
const order = bp.randperm(words.length, { generator: new bp.Generator(1234) }).toArray() as number[];
const cut = Math.floor(0.9 * words.length);
const trainWords = order.slice(0, cut).map((i) => words[i]);
const valWords = order.slice(cut).map((i) => words[i]);
const train = bp.data.charSequences(trainWords, vocab, { length });
const val = bp.data.charSequences(valWords, vocab, { length });

/** Logits [N, T, vocab] for token ids [N, T], each position seeing only itself and earlier ones. */
interface CharModel extends bp.nn.Module {
  forward(ids: Tensor): Tensor;
}

class CharTransformer extends bp.nn.Module implements CharModel {
  tokens = new bp.nn.Embedding(vocab.size, 64);
  positions = new bp.nn.Embedding(length, 64);
  blocks = new bp.nn.ModuleList([0, 1].map(() =>
    new bp.nn.TransformerEncoderLayer(64, 4, { dimFeedforward: 256, dropout: 0, activation: "gelu", normFirst: true, batchFirst: true })));
  norm = new bp.nn.LayerNorm(64);
  head = new bp.nn.Linear(64, vocab.size);

  forward(ids: Tensor): Tensor {
    const t = ids.shape[1];
    let x = this.tokens.forward(ids).add(this.positions.forward(bp.arange(t, undefined, 1, { dtype: "int32" })));
    for (const block of this.blocks) x = (block as bp.nn.TransformerEncoderLayer).forward(x, { isCausal: true });
    return this.head.forward(this.norm.forward(x));
  }
}

class CharLSTM extends bp.nn.Module implements CharModel {
  tokens = new bp.nn.Embedding(vocab.size, 64);
  lstm = new bp.nn.LSTM(64, 128, { batchFirst: true });
  head = new bp.nn.Linear(128, vocab.size);

  forward(ids: Tensor): Tensor {
    return this.head.forward(this.lstm.forward(this.tokens.forward(ids))[0]);
  }
}

const model: CharModel = kind === "transformer" ? new CharTransformer() : new CharLSTM();
const parameterCount = model.parameters().reduce((n, p) => n + p.size, 0);
const optimizer = new bp.optim.AdamW(model.parameters(), { lr: kind === "transformer" ? 3e-3 : 5e-3, weightDecay: 0.01 });
const loader = new bp.data.DataLoader(new bp.data.TensorDataset(train.inputs, train.targets), { batchSize, shuffle: true });

function lossOf(inputs: Tensor, targets: Tensor): Tensor {
  return bp.F.crossEntropy(model.forward(inputs).reshape([-1, vocab.size]), targets.reshape([-1]));
}

/** Mean loss per character (the padding after each word's end is not counted). */
function meanLoss(data: { inputs: Tensor; targets: Tensor }): number {
  return bp.noGrad(() => {
    let total = 0;
    let count = 0;
    for (let i = 0; i < data.inputs.shape[0]; i += 1000) {
      const n = Math.min(1000, data.inputs.shape[0] - i);
      const targets = data.targets.narrow(0, i, n);
      const chars = targets.ne(-100).sum().item();
      total += lossOf(data.inputs.narrow(0, i, n), targets).item() * chars;
      count += chars;
    }
    return total / count;
  });
}

/** One word: start from '.', sample each next token from the model's softmax until '.' comes out. */
function sampleWord(generator: bp.Generator): string {
  const ids = [vocab.boundaryId];
  while (ids.length < length) {
    const logits = model.forward(bp.tensor([ids], { dtype: "int32" })).narrow(1, ids.length - 1, 1).reshape([vocab.size]);
    const next = bp.multinomial(logits.softmax(-1), 1, { generator }).item();
    if (next === vocab.boundaryId) break;
    ids.push(next);
  }
  return vocab.decode(ids.slice(1));
}

console.log(
  `${kind}: ${parameterCount} parameters; backend ${bp.getBackend()}; ${trainWords.length} training words, ${valWords.length} validation words, ` +
    `${vocab.size} tokens, sequences of ${length}`,
);
const start = performance.now();
let valLoss = NaN;
for (let epoch = 1; epoch <= epochs; epoch++) {
  const t0 = performance.now();
  // The training loss is the epoch's running mean per character (the weights move during the epoch).
  let total = 0;
  let count = 0;
  for (const [x, y] of loader) {
    // In bp.tidy, the step's activations are reused by the next step.
    const lossValue = bp.tidy(() => {
      const loss = lossOf(x, y);
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      return loss.item();
    });
    const chars = y.ne(-100).sum().item();
    total += lossValue * chars;
    count += chars;
  }
  const seconds = (performance.now() - t0) / 1000;
  valLoss = meanLoss(val);
  console.log(`epoch ${epoch}  train loss ${(total / count).toFixed(4)}  validation loss ${valLoss.toFixed(4)}  ${seconds.toFixed(1)} s`);
}
const generator = new bp.Generator(42);
const samples = bp.noGrad(() => Array.from({ length: 10 }, () => sampleWord(generator)));
console.log(`validation loss ${valLoss.toFixed(4)} after ${epochs} epochs, ${((performance.now() - start) / 1000).toFixed(1)} s in all`);
console.log(`samples: ${samples.join(" ")}`);
