/**
 * A tiny character LSTM (Embedding 27→16, LSTM 16→32, Linear 32→27; Adam,
 * cross-entropy over every position) learns a fixed subset of the bundled
 * word list in 300 seeded steps and must end with a validation loss as low
 * as its PyTorch twin's (test/fixtures/gen_chars_twin.py: same words, same
 * batches in the same order, same optimizer; only the initial weights come
 * from a different generator).
 */
import { describe, expect, it } from "vitest";
import * as bp from "backpropagation";
import twin from "../fixtures/chars_twin.json" with { type: "json" };

const [LENGTH, BATCH, STEPS, LR] = [11, 32, 300, 0.01];

class CharLSTM extends bp.nn.Module {
  tokens: bp.nn.Embedding;
  lstm: bp.nn.LSTM;
  head: bp.nn.Linear;
  constructor(vocab: number) {
    super();
    this.tokens = new bp.nn.Embedding(vocab, 16);
    this.lstm = new bp.nn.LSTM(16, 32, { batchFirst: true });
    this.head = new bp.nn.Linear(32, vocab);
  }
  forward(x: bp.Tensor): bp.Tensor {
    return this.head.forward(this.lstm.forward(this.tokens.forward(x))[0]);
  }
}

function trainCharLSTM(): number {
  bp.manualSeed(0);
  const words = bp.data.loadWords();
  const vocab = bp.data.CharVocabulary.fromTexts(words);
  // The twin's words: every 8th for training, every 80th (offset 4) for validation.
  const trainWords = words.filter((_, i) => i % 8 === 0);
  const valWords = words.filter((_, i) => i % 80 === 4);
  const train = bp.data.charSequences(trainWords, vocab, { length: LENGTH });
  const val = bp.data.charSequences(valWords, vocab, { length: LENGTH });
  const model = new CharLSTM(vocab.size);
  const optimizer = new bp.optim.Adam(model.parameters(), { lr: LR });
  const n = trainWords.length;
  for (let s = 0; s < STEPS; s++) {
    const rows = bp.tensor(Array.from({ length: BATCH }, (_, j) => (s * BATCH + j) % n), { dtype: "int32" });
    const logits = model.forward(train.inputs.indexSelect(0, rows));
    const loss = bp.F.crossEntropy(logits.reshape([-1, vocab.size]), train.targets.indexSelect(0, rows).reshape([-1]));
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
  }
  return bp.noGrad(() => bp.F.crossEntropy(model.forward(val.inputs).reshape([-1, vocab.size]), val.targets.reshape([-1])).item());
}

describe("character LSTM on the bundled words (PyTorch twin)", () => {
  it("uses the twin's data", () => {
    const words = bp.data.loadWords();
    expect(words.filter((_, i) => i % 8 === 0).length).toBe(twin.trainWords);
    expect(words.filter((_, i) => i % 80 === 4).length).toBe(twin.valWords);
    expect(bp.data.CharVocabulary.fromTexts(words).size).toBe(twin.vocab);
  });

  it("reaches the twin's validation loss", () => {
    const loss = trainCharLSTM();
    // The twin's five PyTorch seeds end within about 1% of each other
    // (valLossMin..valLossMax in the fixture): 3% above their mean leaves room
    // for our different init while still failing on any real training bug
    // (an untrained model sits at ln 27 ≈ 3.30; a wrong gradient or optimizer
    // step ends well above the twin).
    expect(loss).toBeLessThanOrEqual(twin.valLossMean * 1.03);
    expect(Number.isFinite(loss)).toBe(true);
  }, 120_000);
});
