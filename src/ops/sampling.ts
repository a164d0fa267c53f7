/**
 * Issue #15: multinomial sampling of category indices from (unnormalised)
 * weights, driven by the library's seeded Generator.
 */
import { DTypeError, ShapeError, ValueError } from "../errors.js";
import { isFloat } from "../tensor/dtype.js";
import { defaultGenerator, type Generator } from "../tensor/random.js";
import { formatShape } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { contiguousData, describe } from "./util.js";

export interface MultinomialOptions {
  /** Draw with replacement (a category may repeat); default false. */
  replacement?: boolean;
  generator?: Generator;
}

/**
 * `numSamples` int32 category indices per row of `probs` (1-D: one
 * distribution; 2-D: one per row), category i drawn with probability
 * proportional to probs[i]. Without replacement every index in a row is
 * distinct (successive draws from what is left).
 */
export function multinomial(probs: Tensor, numSamples: number, options: MultinomialOptions = {}): Tensor {
  if (!(probs instanceof Tensor)) throw new ValueError(`multinomial: expected a Tensor of probabilities, got ${describe(probs)}`);
  if (!isFloat(probs.dtype)) throw new DTypeError(`multinomial: probs must be float32 or float64, got ${probs.dtype}; convert with .to("float32")`);
  if (probs.ndim !== 1 && probs.ndim !== 2) {
    throw new ShapeError(`multinomial: probs must be 1-D (one distribution) or 2-D (one per row), got shape ${formatShape(probs.shape)}`);
  }
  const replacement = options.replacement ?? false;
  const g = options.generator ?? defaultGenerator;
  const categories = probs.shape[probs.ndim - 1];
  if (!Number.isInteger(numSamples) || numSamples < 1) throw new ValueError(`multinomial: numSamples must be a positive integer, got ${numSamples}`);
  if (categories === 0) throw new ShapeError("multinomial: probs has no categories (its last dimension is 0)");
  if (!replacement && numSamples > categories) {
    throw new ValueError(`multinomial: cannot draw ${numSamples} samples without replacement from ${categories} categories; pass { replacement: true } or ask for at most ${categories}`);
  }
  const rows = probs.ndim === 1 ? 1 : probs.shape[0];
  const { data, offset } = contiguousData(probs);
  const out = new Int32Array(rows * numSamples);
  const weights = new Float64Array(categories);
  for (let r = 0; r < rows; r++) {
    let total = 0;
    let positive = 0;
    for (let c = 0; c < categories; c++) {
      const w = data[offset + r * categories + c];
      if (!(w >= 0) || w === Infinity) {
        throw new ValueError(`multinomial: probabilities must be finite and non-negative, got ${w} in row ${r}, category ${c}`);
      }
      weights[c] = w;
      total += w;
      if (w > 0) positive++;
    }
    if (total <= 0) throw new ValueError(`multinomial: the weights of row ${r} add up to 0; at least one must be positive`);
    const row = out.subarray(r * numSamples, (r + 1) * numSamples);
    if (replacement) drawWithReplacement(weights, row, g);
    else {
      if (positive < numSamples) {
        throw new ValueError(`multinomial: row ${r} has ${positive} categories with positive weight, too few for ${numSamples} samples without replacement`);
      }
      drawWithoutReplacement(weights, row, g);
    }
  }
  return new Tensor(out, probs.ndim === 1 ? [numSamples] : [rows, numSamples], "int32");
}

/** Inverse-CDF draws: a uniform point in [0, total) lands in category c's interval. */
function drawWithReplacement(weights: Float64Array, out: Int32Array, g: Generator): void {
  const n = weights.length;
  const cdf = new Float64Array(n);
  let acc = 0;
  for (let c = 0; c < n; c++) { acc += weights[c]; cdf[c] = acc; }
  for (let s = 0; s < out.length; s++) {
    const u = g.random() * acc;
    let lo = 0, hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] > u) hi = mid; else lo = mid + 1;
    }
    // Rounding can land u on a zero-weight tail; step back to a positive weight.
    while (weights[lo] === 0 && lo > 0) lo--;
    out[s] = lo;
  }
}

/**
 * Successive sampling without replacement by exponential keys: category c
 * gets key E_c / w_c with E_c ~ Exp(1); the categories with the smallest keys,
 * in key order, are distributed as drawing one at a time from the rest.
 */
function drawWithoutReplacement(weights: Float64Array, out: Int32Array, g: Generator): void {
  const n = weights.length;
  const keys = new Float64Array(n);
  const order: number[] = [];
  for (let c = 0; c < n; c++) {
    if (weights[c] > 0) {
      keys[c] = -Math.log(1 - g.random()) / weights[c];
      order.push(c);
    }
  }
  order.sort((a, b) => keys[a] - keys[b] || a - b);
  for (let s = 0; s < out.length; s++) out[s] = order[s];
}
