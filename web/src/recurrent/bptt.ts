/**
 * Backpropagation through time for the recurrent mode's Elman network,
 * step by step, in plain float64 (independently of the library, so the page
 * can set the result beside what `loss.backward()` gave):
 *
 *   a_t = x_t·W_xh + h_{t−1}·W_hh + b,   h_t = tanh(a_t),   h_0 = 0,
 *   ŷ = h_T·W_hy + b_y,                   L = (ŷ − y)².
 *
 * W_xh, W_hh and b are the same at every step, so their gradient is a sum
 * over the steps of the unrolled chain. Step t's term is
 *
 *   ∂L/∂h_T · ∂h_T/∂h_t · ∂⁺h_t/∂θ,
 *
 * where ∂⁺h_t/∂θ is the direct dependence through step t alone and
 *
 *   ∂h_T/∂h_t = J_T · J_{T−1} ⋯ J_{t+1},   J_k = ∂h_k/∂h_{k−1} = diag(1 − h_k²)·W_hhᵀ
 *
 * (column-vector Jacobians). Its norm shrinks or grows roughly
 * geometrically with T − t: vanishing or exploding gradients.
 */
import { centralDifferenceOf, type FiniteDifference } from "../viewmodel/finiteDifference.js";

/** The network's parameters, row-major as `x_t·W` reads them (inputs are rows, hidden units columns). */
export interface RnnWeights {
  inputs: number;
  hidden: number;
  /** [inputs, hidden] */
  wxh: ArrayLike<number>;
  /** [hidden, hidden]: row i is h_{t−1,i}, column j is unit j of a_t. */
  whh: ArrayLike<number>;
  /** [hidden] */
  b: ArrayLike<number>;
  /** [hidden] (one output). */
  why: ArrayLike<number>;
  by: number;
}

/** A parameter shared across the steps: W_xh[row, col], W_hh[row, col] or b[col] (row 0). */
export interface RnnParamRef {
  matrix: "wxh" | "whh" | "b";
  row: number;
  col: number;
}

export function rnnParamName(p: RnnParamRef): string {
  switch (p.matrix) {
    case "wxh":
      return `W_xh[${p.row},${p.col}]`;
    case "whh":
      return `W_hh[${p.row},${p.col}]`;
    case "b":
      return `b[${p.col}]`;
  }
}

export function checkRnnParam(p: RnnParamRef, w: Pick<RnnWeights, "inputs" | "hidden">): void {
  const rows = p.matrix === "wxh" ? w.inputs : p.matrix === "whh" ? w.hidden : 1;
  const ok = (p.matrix === "wxh" || p.matrix === "whh" || p.matrix === "b")
    && Number.isInteger(p.row) && p.row >= 0 && p.row < rows && Number.isInteger(p.col) && p.col >= 0 && p.col < w.hidden;
  if (!ok) {
    throw new RangeError(
      `bptt: ${JSON.stringify(p)} is not a parameter of a recurrent net with ${w.inputs} input(s) and ${w.hidden} hidden units; ` +
        `use W_xh[0..${w.inputs - 1}, 0..${w.hidden - 1}], W_hh[0..${w.hidden - 1}, 0..${w.hidden - 1}] or b[0..${w.hidden - 1}]`,
    );
  }
}

export interface ForwardPass {
  /** h_0..h_T, each [hidden]. */
  states: Float64Array[];
  output: number;
  loss: number;
}

/** The forward pass over one sequence x ([steps, inputs] row-major) with target y. */
export function rnnForward(w: RnnWeights, x: ArrayLike<number>, y: number): ForwardPass {
  const H = w.hidden;
  const I = w.inputs;
  const steps = x.length / I;
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`rnnForward: the sequence has ${x.length} values, not a whole number of steps of ${I} input(s)`);
  const states = [new Float64Array(H)];
  for (let t = 1; t <= steps; t++) {
    const prev = states[t - 1];
    const h = new Float64Array(H);
    for (let j = 0; j < H; j++) {
      let a = w.b[j];
      for (let i = 0; i < I; i++) a += x[(t - 1) * I + i] * w.wxh[i * H + j];
      for (let i = 0; i < H; i++) a += prev[i] * w.whh[i * H + j];
      h[j] = Math.tanh(a);
    }
    states.push(h);
  }
  let output = w.by;
  const last = states[steps];
  for (let j = 0; j < H; j++) output += last[j] * w.why[j];
  return { states, output, loss: (output - y) ** 2 };
}

export interface BpttStep {
  /** 1-based step. */
  t: number;
  h: Float64Array;
  /** ∂h_T/∂h_t, [hidden, hidden] row-major (the identity at t = T). */
  jacobian: Float64Array;
  /** Its Frobenius norm. */
  jacobianNorm: number;
  /** ∂L/∂h_t = ∂L/∂h_T · ∂h_T/∂h_t, [hidden]. */
  gradH: Float64Array;
  /** ∂L/∂a_t for the chosen parameter's unit: gradH[col] · (1 − h_t[col]²). */
  delta: number;
  /** ∂a_t[col]/∂θ through this step alone: h_{t−1}[row], x_t[row], or 1 for b. */
  local: number;
  /** This step's term of ∂L/∂θ: delta · local. */
  term: number;
}

export interface Bptt {
  param: RnnParamRef;
  paramName: string;
  steps: BpttStep[];
  /** Σ_t term: ∂L/∂θ for this sequence. */
  sum: number;
  output: number;
  target: number;
  loss: number;
  /** ∂L/∂h_T = 2(ŷ − y)·W_hyᵀ. */
  gradOutput: Float64Array;
}

/** [n, n] row-major product a·b. */
function matmul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let r = 0; r < n; r++) for (let k = 0; k < n; k++) {
    const v = a[r * n + k];
    if (v !== 0) for (let c = 0; c < n; c++) out[r * n + c] += v * b[k * n + c];
  }
  return out;
}

/** J_k = diag(1 − h_k²)·W_hhᵀ: entry [j, i] = (1 − h_k[j]²)·W_hh[i, j]. */
export function stepJacobian(w: RnnWeights, h: Float64Array): Float64Array {
  const H = w.hidden;
  const j = new Float64Array(H * H);
  for (let r = 0; r < H; r++) for (let c = 0; c < H; c++) j[r * H + c] = (1 - h[r] * h[r]) * w.whh[c * H + r];
  return j;
}

/** Every step's factor chain and term of ∂L/∂θ for one sequence x ([steps, inputs]) with target y. */
export function bptt(w: RnnWeights, x: ArrayLike<number>, y: number, param: RnnParamRef): Bptt {
  checkRnnParam(param, w);
  const H = w.hidden;
  const I = w.inputs;
  const { states, output, loss } = rnnForward(w, x, y);
  const T = states.length - 1;
  const gradOutput = new Float64Array(H);
  for (let j = 0; j < H; j++) gradOutput[j] = 2 * (output - y) * w.why[j];
  const steps: BpttStep[] = [];
  // Walk back from T, multiplying one Jacobian per step onto the right of the product.
  let jacobian: Float64Array = new Float64Array(H * H);
  for (let k = 0; k < H; k++) jacobian[k * H + k] = 1;
  for (let t = T; t >= 1; t--) {
    const h = states[t];
    const gradH = new Float64Array(H);
    for (let c = 0; c < H; c++) {
      let s = 0;
      for (let r = 0; r < H; r++) s += gradOutput[r] * jacobian[r * H + c];
      gradH[c] = s;
    }
    const j = param.col;
    const delta = gradH[j] * (1 - h[j] * h[j]);
    const local = param.matrix === "whh" ? states[t - 1][param.row] : param.matrix === "wxh" ? x[(t - 1) * I + param.row] : 1;
    let norm = 0;
    for (const v of jacobian) norm += v * v;
    steps.push({ t, h, jacobian, jacobianNorm: Math.sqrt(norm), gradH, delta, local, term: delta * local });
    jacobian = matmul(jacobian, stepJacobian(w, h), H);
  }
  steps.reverse();
  let sum = 0;
  for (const s of steps) sum += s.term;
  return { param, paramName: rnnParamName(param), steps, sum, output, target: y, loss, gradOutput };
}

/** A copy of the weights with one parameter moved by `delta`. */
export function nudgedWeights(w: RnnWeights, p: RnnParamRef, delta: number): RnnWeights {
  checkRnnParam(p, w);
  const H = w.hidden;
  switch (p.matrix) {
    case "wxh": {
      const wxh = Float64Array.from(w.wxh);
      wxh[p.row * H + p.col] += delta;
      return { ...w, wxh };
    }
    case "whh": {
      const whh = Float64Array.from(w.whh);
      whh[p.row * H + p.col] += delta;
      return { ...w, whh };
    }
    case "b": {
      const b = Float64Array.from(w.b);
      b[p.col] += delta;
      return { ...w, b };
    }
  }
}

/** The gradient without the chain rule: the central difference of the sequence's loss (finiteDifference.ts). */
export function rnnFiniteDifference(w: RnnWeights, x: ArrayLike<number>, y: number, p: RnnParamRef): FiniteDifference {
  checkRnnParam(p, w);
  return centralDifferenceOf((delta) => rnnForward(nudgedWeights(w, p, delta), x, y).loss, undefined, "rnnFiniteDifference");
}
