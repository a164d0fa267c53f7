/**
 * Generating items from a character model: start from the end-of-item token
 * and the prefix, run the model on the last `context` tokens, turn the last
 * position's logits into probabilities (divided by the temperature, cut to
 * the top k), draw the next token with `multinomial` from a seeded
 * generator, and stop at the end token or the length limit. The same seed
 * gives the same items.
 */
import type { CharVocabulary } from "../data/chars.js";
import { multinomial } from "../ops/sampling.js";
import { fromStorage } from "../tensor/creation.js";
import { Generator } from "../tensor/random.js";
import type { CharArchitecture, CharModel } from "./chars-model.js";

export interface SampleOptions {
  count: number;
  /** Logits are divided by this: below 1 sharper (safer picks), above 1 flatter (more surprising ones). */
  temperature: number;
  /** Draw only among the k most likely tokens (absent: all). */
  topK?: number;
  seed: number;
  /** Characters every item starts with (already checked against the vocabulary). */
  prefix: string;
  /** Characters per item at most, the prefix included. */
  maxLength: number;
}

export interface Samples {
  items: string[];
  /** Items cut at maxLength before the model ended them. */
  unfinished: number;
}

/** The next-token distribution from one position's logits: softmax(logits / temperature) over the top k. */
export function nextTokenProbabilities(logits: ArrayLike<number>, temperature: number, topK?: number): Float64Array {
  const v = logits.length;
  const scaled = Float64Array.from(logits, (x) => x / temperature);
  if (topK !== undefined && topK < v) {
    // The k-th largest logit is the threshold; ties at it are kept (at least k tokens stay).
    const threshold = [...scaled].sort((a, b) => b - a)[topK - 1];
    for (let i = 0; i < v; i++) if (scaled[i] < threshold) scaled[i] = -Infinity;
  }
  let max = -Infinity;
  for (const x of scaled) max = Math.max(max, x);
  let sum = 0;
  for (let i = 0; i < v; i++) {
    scaled[i] = Math.exp(scaled[i] - max);
    sum += scaled[i];
  }
  for (let i = 0; i < v; i++) scaled[i] /= sum;
  return scaled;
}

export function sampleItems(model: CharModel, arch: CharArchitecture, vocab: CharVocabulary, o: SampleOptions): Samples {
  const generator = new Generator(o.seed);
  const prefix = vocab.encode(o.prefix);
  const items: string[] = [];
  let unfinished = 0;
  for (let n = 0; n < o.count; n++) {
    const ids = [vocab.boundaryId, ...prefix];
    let ended = false;
    while (ids.length - 1 < o.maxLength) {
      const window = ids.slice(-arch.context);
      const logits = model.forward(fromStorage(Int32Array.from(window), [1, window.length], "int32")).data();
      const last = Array.prototype.slice.call(logits, (window.length - 1) * vocab.size, window.length * vocab.size) as number[];
      const probs = nextTokenProbabilities(last, o.temperature, o.topK);
      const next = multinomial(fromStorage(probs, [vocab.size], "float64"), 1, { generator }).item();
      if (next === vocab.boundaryId) {
        ended = true;
        break;
      }
      ids.push(next);
    }
    if (!ended) unfinished++;
    items.push(vocab.decode(ids.slice(1)));
  }
  return { items, unfinished };
}
