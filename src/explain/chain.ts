/**
 * The chain rule made visible. For a network of layers h1 = f1(x),
 * h2 = f2(h1), …, ŷ = fK(h_{K-1}) and a loss L(ŷ), the gradient of a
 * parameter of layer k is the product
 *
 *   ∂L/∂Wk = ∂L/∂ŷ · ∂ŷ/∂h_{K-1} · … · ∂h_{k+1}/∂hk · ∂hk/∂Wk
 *
 * Each factor is computed from the recorded graph as an explicit Jacobian
 * (one vector-Jacobian product per row, so autograd supplies the local
 * derivatives), and the product is multiplied out by hand. The result is
 * compared with what backward() gives and with finite differences.
 *
 * Samples in a batch are assumed independent (no batch statistics), so a
 * layer's Jacobian is one block per sample: shape [B, out, in]. A layer
 * whose output is more than a row (a convolution's [B, C, H, W]) counts
 * each sample's output as one vector of C·H·W units.
 */
import { grad } from "../autograd/api.js";
import { noGrad } from "../graph/mode.js";
import { ShapeError, ValueError } from "../errors.js";
import { zeros } from "../tensor/creation.js";
import { Generator } from "../tensor/random.js";
import type { Tensor } from "../tensor/tensor.js";
import { norm } from "./summary.js";
import { unravelIndex } from "../tensor/shape.js";

export interface ChainParam {
  /** PyTorch's name, e.g. "0.weight". */
  name: string;
  /** The lecture's symbol, e.g. "W1". */
  symbol: string;
  tensor: Tensor;
}

export interface ChainLayer {
  /** The lecture's symbol for the layer's output: "h1", "h2", …, "ŷ" for the last. */
  symbol: string;
  /** The layer's output on the batch, shape [B, units] (or [B, C, H, W]: C·H·W units), part of the recorded graph. */
  output: Tensor;
  params: ChainParam[];
}

export interface Factor {
  /** "∂L/∂ŷ", "∂ŷ/∂h2", "∂h1/∂W1". */
  symbol: string;
  /** Batch first: [B, C] for ∂L/∂ŷ, [B, out, in] for a layer, [B, out, ...param shape] for a parameter (out, in: units per sample). */
  shape: number[];
  /** One sample's block with the tensors' own shapes: output [C,H,W] by input [C',H',W'] (or by the parameter's shape). */
  block?: { out: number[]; in: number[] };
  norm: number;
}

export interface FiniteDifferenceCheck {
  /** Multi-index of the checked entry. */
  index: number[];
  chain: number;
  autograd: number;
  numeric: number;
}

export interface ParamChain {
  name: string;
  symbol: string;
  /** "∂L/∂W1 = ∂L/∂ŷ · ∂ŷ/∂h2 · ∂h2/∂h1 · ∂h1/∂W1" */
  formula: string;
  factors: Factor[];
  /** The product of the factors, in the parameter's shape (row-major). */
  chainGradient: Float64Array;
  /** What backward() computed for the same parameter. */
  autogradGradient: Float64Array;
  /** max |chain − autograd| over all entries. */
  maxAbsDiffAutograd: number;
  finiteDifferences: FiniteDifferenceCheck[];
  /** max |chain − numeric| over the sampled entries. */
  maxAbsErrorNumeric: number;
  /** Every sampled entry within atol + rtol·|numeric| of the chain-rule product. */
  agreesWithNumeric: boolean;
}

export interface ChainOptions {
  /** The loss on the batch, recorded from the layers' outputs (a scalar). */
  loss: Tensor;
  /** The layers in forward order; the last one's output is ŷ. */
  layers: ChainLayer[];
  /** Recomputes the loss (as a number) from the parameters' current values, for finite differences. */
  lossAt: () => number;
  /** Entries per parameter checked by finite differences (default 5). */
  entriesPerParam?: number;
  /** Finite-difference step (default 1e-6; use float64 parameters). */
  eps?: number;
  /** Seed that picks the sampled entries. */
  seed?: number;
  /**
   * Agreement with finite differences: |chain − numeric| ≤ atol + rtol·|numeric|.
   * Defaults (1e-7, 1e-4) suit float64 with eps 1e-6, whose rounding error is
   * about 1e-16·|L|/eps and truncation error about eps².
   */
  atol?: number;
  rtol?: number;
}

/** Units per sample of a batch-first tensor: [B, C, H, W] → C·H·W. */
function unitsOf(t: Tensor): number {
  return t.size / t.shape[0];
}

/** Per-sample Jacobian of a layer's output `out` [B, n] with respect to the previous layer's output `input` [B, m]: [B, n, m]. */
function layerJacobian(out: Tensor, input: Tensor): { values: Float64Array; shape: number[] } {
  const batch = out.shape[0];
  const units = unitsOf(out);
  const inSize = unitsOf(input);
  const values = new Float64Array(batch * units * inSize);
  const seed = zeros(out.shape, { dtype: out.dtype });
  // Row u for all samples at once: samples do not interact, so sample b's gradient is its own row.
  for (let u = 0; u < units; u++) {
    for (let b = 0; b < batch; b++) seed.storage[b * units + u] = 1;
    const g = grad([out], [input], { gradOutputs: [seed], retainGraph: true, allowUnused: true })[0];
    for (let b = 0; b < batch; b++) seed.storage[b * units + u] = 0;
    if (!g) continue;
    const gd = g.data();
    for (let b = 0; b < batch; b++) {
      const dst = (b * units + u) * inSize;
      for (let i = 0; i < inSize; i++) values[dst + i] = gd[b * inSize + i];
    }
  }
  return { values, shape: [batch, units, inSize] };
}

/**
 * The last factor, ∂h_k/∂P per sample ([B, units, ...P.shape]), contracted
 * with the upstream vector v = ∂L/∂h_k as it is computed: a parameter is
 * shared by all samples, so each (sample, unit) needs its own backward pass,
 * and the full Jacobian can be far larger than memory allows to keep.
 */
function contractParamJacobian(out: Tensor, param: Tensor, v: Float64Array): { gradient: Float64Array; norm: number } {
  const batch = out.shape[0];
  const units = unitsOf(out);
  const gradient = new Float64Array(param.size);
  let normSq = 0;
  const seed = zeros(out.shape, { dtype: out.dtype });
  for (let b = 0; b < batch; b++) {
    for (let u = 0; u < units; u++) {
      seed.storage[b * units + u] = 1;
      const g = grad([out], [param], { gradOutputs: [seed], retainGraph: true, allowUnused: true })[0];
      seed.storage[b * units + u] = 0;
      if (!g) continue;
      const gd = g.data();
      const vu = v[b * units + u];
      for (let i = 0; i < gd.length; i++) {
        gradient[i] += vu * gd[i];
        normSq += gd[i] * gd[i];
      }
    }
  }
  return { gradient, norm: Math.sqrt(normSq) };
}

/** v [B, n] · J [B, n, m] → [B, m], sample by sample. */
function vectorTimesJacobian(v: Float64Array, j: Float64Array, batch: number, n: number, m: number): Float64Array {
  const out = new Float64Array(batch * m);
  for (let b = 0; b < batch; b++) {
    for (let u = 0; u < n; u++) {
      const vu = v[b * n + u];
      if (vu === 0) continue;
      const row = (b * n + u) * m;
      for (let i = 0; i < m; i++) out[b * m + i] += vu * j[row + i];
    }
  }
  return out;
}

export function explainChain(options: ChainOptions): ParamChain[] {
  const { loss, layers } = options;
  if (loss.size !== 1) throw new ShapeError(`explainChain: the loss must be a scalar, got shape [${loss.shape.join(",")}]`);
  if (layers.length === 0) throw new ValueError("explainChain: no layers given");
  for (const layer of layers) {
    if (layer.output.ndim < 2 || !layer.output.isContiguous) {
      throw new ShapeError(`explainChain: layer ${layer.symbol} has output shape [${layer.output.shape.join(",")}]; expected a contiguous [batch, units] or [batch, C, H, W]`);
    }
  }
  const batch = layers[0].output.shape[0];
  const K = layers.length;
  const yHat = layers[K - 1];

  // ∂L/∂ŷ, then the vectors ∂L/∂h_k = ∂L/∂ŷ · ∂ŷ/∂h_{K-1} · … · ∂h_{k+1}/∂h_k, keeping every factor.
  const dLdY = grad([loss], [yHat.output], { retainGraph: true })[0]!;
  const upstream: Float64Array[] = new Array(K);
  upstream[K - 1] = Float64Array.from(dLdY.data());
  const layerFactors: Factor[] = new Array(K);
  layerFactors[K - 1] = { symbol: `∂L/∂${yHat.symbol}`, shape: [...yHat.output.shape], norm: norm(upstream[K - 1]) };
  const between: Factor[] = new Array(K);
  for (let k = K - 2; k >= 0; k--) {
    const hi = layers[k + 1];
    const lo = layers[k];
    const j = layerJacobian(hi.output, lo.output);
    between[k] = { symbol: `∂${hi.symbol}/∂${lo.symbol}`, shape: j.shape, norm: norm(j.values), block: { out: hi.output.shape.slice(1), in: lo.output.shape.slice(1) } };
    upstream[k] = vectorTimesJacobian(upstream[k + 1], j.values, batch, unitsOf(hi.output), unitsOf(lo.output));
  }

  const generator = new Generator(options.seed ?? 0);
  const perParam = options.entriesPerParam ?? 5;
  const eps = options.eps ?? 1e-6;
  const atol = options.atol ?? 1e-7;
  const rtol = options.rtol ?? 1e-4;
  const results: ParamChain[] = [];
  for (let k = 0; k < K; k++) {
    const layer = layers[k];
    for (const p of layer.params) {
      const { gradient: chainGradient, norm: paramFactorNorm } = contractParamJacobian(layer.output, p.tensor, upstream[k]);
      const auto = grad([loss], [p.tensor], { retainGraph: true, allowUnused: true })[0];
      const autogradGradient = auto ? Float64Array.from(auto.data()) : new Float64Array(p.tensor.size);
      let maxAbsDiffAutograd = 0;
      for (let i = 0; i < chainGradient.length; i++) maxAbsDiffAutograd = Math.max(maxAbsDiffAutograd, Math.abs(chainGradient[i] - autogradGradient[i]));

      const factors: Factor[] = [layerFactors[K - 1]];
      for (let m = K - 2; m >= k; m--) factors.push(between[m]);
      factors.push({
        symbol: `∂${layer.symbol}/∂${p.symbol}`, shape: [batch, unitsOf(layer.output), ...p.tensor.shape], norm: paramFactorNorm,
        block: { out: layer.output.shape.slice(1), in: [...p.tensor.shape] },
      });
      const formula = `∂L/∂${p.symbol} = ${factors.map((f) => f.symbol).join(" · ")}`;

      const checks = finiteDifferences(p.tensor, chainGradient, autogradGradient, options.lossAt, perParam, eps, generator);
      let maxAbs = 0;
      let agrees = true;
      for (const c of checks) {
        const err = Math.abs(c.chain - c.numeric);
        maxAbs = Math.max(maxAbs, err);
        if (!(err <= atol + rtol * Math.abs(c.numeric))) agrees = false;
      }
      results.push({
        name: p.name, symbol: p.symbol, formula, factors, chainGradient, autogradGradient, maxAbsDiffAutograd,
        finiteDifferences: checks, maxAbsErrorNumeric: maxAbs, agreesWithNumeric: agrees,
      });
    }
  }
  return results;
}

/** Central differences of the loss on `count` randomly chosen entries of `param`. */
function finiteDifferences(
  param: Tensor, chain: Float64Array, auto: Float64Array, lossAt: () => number, count: number, eps: number, generator: Generator,
): FiniteDifferenceCheck[] {
  if (!param.isContiguous) throw new ValueError("explainChain: finite differences need contiguous parameters");
  const picks = new Set<number>();
  const want = Math.min(count, param.size);
  while (picks.size < want) picks.add(generator.integer(0, param.size));
  const checks: FiniteDifferenceCheck[] = [];
  const s = param.storage;
  for (const flat of [...picks].sort((a, b) => a - b)) {
    const at = param.offset + flat;
    const orig = s[at];
    s[at] = orig + eps;
    const plus = noGrad(lossAt);
    s[at] = orig - eps;
    const minus = noGrad(lossAt);
    s[at] = orig;
    checks.push({ index: unravelIndex(flat, param.shape), chain: chain[flat], autograd: auto[flat], numeric: (plus - minus) / (2 * eps) });
  }
  return checks;
}
