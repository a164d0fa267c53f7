/**
 * The chain rule for one parameter, written as the lecture writes it:
 *
 *   ∂L/∂W1 = ∂L/∂ŷ · ∂ŷ/∂h2 · ∂h2/∂h1 · ∂h1/∂W1
 *
 * For one example, every factor is a small matrix (a row vector, Jacobians,
 * a column vector), and their product is a number: the gradient of that
 * example's loss with respect to the chosen weight or bias. Computed here in
 * plain float64 arithmetic from the weights, independently of the library,
 * so the page can set it beside what `loss.backward()` gave.
 */
import type { Activation, LossName } from "../config.js";

export interface ParamRef {
  /** 0-based Linear layer index. */
  layer: number;
  kind: "weight" | "bias";
  /** Output unit (row of W). */
  row: number;
  /** Input unit (column of W); ignored for a bias. */
  col: number;
}

export interface ChainRuleInput {
  /** [inputs, hidden..., outputs] */
  sizes: readonly number[];
  /** Per layer, row-major [out, in]. */
  weights: readonly ArrayLike<number>[];
  biases: readonly ArrayLike<number>[];
  activation: Activation;
  /** "sigmoid" when ŷ = σ(z) (classification by squared error), "none" for a linear output. */
  outputActivation: "sigmoid" | "none";
  loss: LossName;
  /** One example's features. */
  x: ArrayLike<number>;
  /** Its label (class index) or regression target. */
  label: number;
  param: ParamRef;
}

export interface Factor {
  /** e.g. "∂h2/∂h1" */
  symbol: string;
  rows: number;
  cols: number;
  /** Row-major values. */
  values: Float64Array;
}

export interface ChainRule {
  /** e.g. "W1[2,0]" */
  paramName: string;
  /** The factors, left to right. */
  factors: Factor[];
  /** Their product: ∂L/∂(param) for this example. */
  product: number;
  /** Network output ŷ and the example's loss. */
  output: Float64Array;
  loss: number;
}

/** Name of layer k's output (0-based k): h1, h2, ..., and ŷ for the last layer. */
export function outputSymbol(k: number, layers: number): string {
  return k === layers - 1 ? "ŷ" : `h${k + 1}`;
}

export function paramName(p: ParamRef): string {
  return p.kind === "weight" ? `W${p.layer + 1}[${p.row},${p.col}]` : `b${p.layer + 1}[${p.row}]`;
}

/** The symbolic equation, e.g. "∂L/∂W1[0,1] = ∂L/∂ŷ · ∂ŷ/∂h2 · ∂h2/∂h1 · ∂h1/∂W1[0,1]". */
export function chainEquation(p: ParamRef, layers: number): string {
  return `∂L/∂${paramName(p)} = ${factorSymbols(p, layers).join(" · ")}`;
}

function factorSymbols(p: ParamRef, layers: number): string[] {
  const symbols = ["∂L/∂ŷ"];
  for (let k = layers - 1; k > p.layer; k--) symbols.push(`∂${outputSymbol(k, layers)}/∂${outputSymbol(k - 1, layers)}`);
  symbols.push(`∂${outputSymbol(p.layer, layers)}/∂${paramName(p)}`);
  return symbols;
}

function activationDerivative(activation: Activation, z: number): number {
  switch (activation) {
    case "sigmoid": {
      const s = 1 / (1 + Math.exp(-z));
      return s * (1 - s);
    }
    case "tanh": {
      const t = Math.tanh(z);
      return 1 - t * t;
    }
    case "relu":
      return z > 0 ? 1 : 0; // PyTorch's choice at 0
    case "linear":
      return 1;
  }
}

function activationValue(activation: Activation, z: number): number {
  switch (activation) {
    case "sigmoid":
      return 1 / (1 + Math.exp(-z));
    case "tanh":
      return Math.tanh(z);
    case "relu":
      return z > 0 ? z : 0;
    case "linear":
      return z;
  }
}

/** ∂L/∂ŷ and L for one example, for the mean-reduced losses the trainer uses. */
function lossGradient(output: Float64Array, label: number, loss: LossName): { grad: Float64Array; value: number } {
  const n = output.length;
  const grad = new Float64Array(n);
  let value = 0;
  if (loss === "cross-entropy") {
    let max = -Infinity;
    for (let c = 0; c < n; c++) max = Math.max(max, output[c]);
    let total = 0;
    for (let c = 0; c < n; c++) total += Math.exp(output[c] - max);
    for (let c = 0; c < n; c++) grad[c] = Math.exp(output[c] - max) / total - (c === label ? 1 : 0);
    value = -(output[label] - max - Math.log(total));
  } else {
    // Squared error, mean over the output units: one output is a regression
    // target, several are compared with the one-hot row of the label.
    for (let c = 0; c < n; c++) {
      const target = n === 1 ? label : c === label ? 1 : 0;
      grad[c] = (2 * (output[c] - target)) / n;
      value += (output[c] - target) ** 2 / n;
    }
  }
  return { grad, value };
}

/** One example's network and label, without a chosen parameter (for the whole-network views). */
export type ExampleInput = Omit<ChainRuleInput, "param">;

/** The forward pass of one example in float64: z_k (pre-activations) and h_k (h[0] = x, h[L] = ŷ). */
export interface ForwardTrace {
  z: Float64Array[];
  h: Float64Array[];
}

export function forwardPass(input: ExampleInput): ForwardTrace {
  const { sizes, weights, biases, activation, outputActivation } = input;
  const layers = sizes.length - 1;
  const h: Float64Array[] = [Float64Array.from(input.x)];
  const z: Float64Array[] = [];
  for (let k = 0; k < layers; k++) {
    const nIn = sizes[k];
    const nOut = sizes[k + 1];
    const pre = new Float64Array(nOut);
    const out = new Float64Array(nOut);
    for (let j = 0; j < nOut; j++) {
      let s = biases[k][j];
      for (let i = 0; i < nIn; i++) s += weights[k][j * nIn + i] * h[k][i];
      pre[j] = s;
      out[j] = k < layers - 1 ? activationValue(activation, s) : outputActivation === "sigmoid" ? activationValue("sigmoid", s) : s;
    }
    z.push(pre);
    h.push(out);
  }
  return { z, h };
}

/** d h_k / d z_k for one unit of layer k (0-based): the hidden activation's slope, or the output's. */
export function layerSlope(input: Pick<ExampleInput, "sizes" | "activation" | "outputActivation">, k: number, pre: number): number {
  const layers = input.sizes.length - 1;
  if (k < layers - 1) return activationDerivative(input.activation, pre);
  return input.outputActivation === "sigmoid" ? activationDerivative("sigmoid", pre) : 1;
}

/** One example's loss and ∂L/∂ŷ, in float64. */
export function exampleLoss(input: ExampleInput): { trace: ForwardTrace; value: number; grad: Float64Array } {
  const trace = forwardPass(input);
  const { grad, value } = lossGradient(trace.h[trace.h.length - 1], input.label, input.loss);
  return { trace, value, grad };
}

export function computeChainRule(input: ChainRuleInput): ChainRule {
  const { sizes, weights, param } = input;
  const layers = sizes.length - 1;
  checkParam(param, sizes);

  const { trace: { z, h }, grad, value } = exampleLoss(input);
  const output = h[layers];
  const symbols = factorSymbols(param, layers);
  const factors: Factor[] = [{ symbol: symbols[0], rows: 1, cols: output.length, values: grad }];
  // Jacobians ∂h_k/∂h_{k-1} = diag(act'(z_k)) · W_k, from the output layer down to the chosen one.
  for (let k = layers - 1; k > param.layer; k--) {
    const nIn = sizes[k];
    const nOut = sizes[k + 1];
    const jac = new Float64Array(nOut * nIn);
    for (let j = 0; j < nOut; j++) {
      const slope = layerSlope(input, k, z[k][j]);
      for (let i = 0; i < nIn; i++) jac[j * nIn + i] = slope * weights[k][j * nIn + i];
    }
    factors.push({ symbol: symbols[factors.length], rows: nOut, cols: nIn, values: jac });
  }
  // ∂h_k/∂θ: only unit `row` depends on the parameter.
  const k = param.layer;
  const local = new Float64Array(sizes[k + 1]);
  const slope = layerSlope(input, k, z[k][param.row]);
  local[param.row] = slope * (param.kind === "weight" ? h[k][param.col] : 1);
  factors.push({ symbol: symbols[symbols.length - 1], rows: local.length, cols: 1, values: local });

  return { paramName: paramName(param), factors, product: multiplyChain(factors), output, loss: value };
}

/** Multiplies the factors left to right: a row vector through Jacobians into a column vector. */
export function multiplyChain(factors: readonly Factor[]): number {
  let row = Float64Array.from(factors[0].values);
  for (let f = 1; f < factors.length; f++) {
    const m = factors[f];
    if (m.rows !== row.length) {
      throw new RangeError(`multiplyChain: factor ${f} (${m.symbol}) has ${m.rows} rows but the running product has ${row.length} columns`);
    }
    const next = new Float64Array(m.cols);
    for (let r = 0; r < m.rows; r++) {
      const a = row[r];
      if (a === 0) continue;
      for (let c = 0; c < m.cols; c++) next[c] += a * m.values[r * m.cols + c];
    }
    row = next;
  }
  return row[0];
}

export function checkParam(p: ParamRef, sizes: readonly number[]): void {
  const layers = sizes.length - 1;
  if (!Number.isInteger(p.layer) || p.layer < 0 || p.layer >= layers) {
    throw new RangeError(`chain rule: layer ${p.layer} does not exist; the network has layers 0..${layers - 1}`);
  }
  const nOut = sizes[p.layer + 1];
  const nIn = sizes[p.layer];
  if (!Number.isInteger(p.row) || p.row < 0 || p.row >= nOut) {
    throw new RangeError(`chain rule: ${paramName(p)}: row ${p.row} is outside 0..${nOut - 1}`);
  }
  if (p.kind === "weight" && (!Number.isInteger(p.col) || p.col < 0 || p.col >= nIn)) {
    throw new RangeError(`chain rule: ${paramName(p)}: column ${p.col} is outside 0..${nIn - 1}`);
  }
}
