/**
 * gradcheck: compares the gradients backward() computes with central finite
 * differences, element by element, in float64. gradgradcheck does the same
 * for the gradient function itself (second order).
 */
import { DTypeError, GradcheckError, ValueError } from "../errors.js";
import { Generator } from "../tensor/random.js";
import { randn, zeros } from "../tensor/creation.js";
import { Tensor } from "../tensor/tensor.js";
import { grad } from "./api.js";
import { enableGrad, noGrad } from "../graph/mode.js";
import { unravelIndex } from "../tensor/shape.js";

export interface GradcheckOptions {
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance (default 1e-3). */
  rtol?: number;
  /** Throw a GradcheckError on failure (default true); otherwise return false. */
  raiseException?: boolean;
}

/** The worst disagreement found, for reports. */
export interface GradcheckReport {
  ok: boolean;
  /** Largest |analytic - numeric| over all checked entries. */
  maxAbsError: number;
  worst: { input: number; element: number[]; output: number; outputElement: number; analytic: number; numeric: number } | null;
}

type Fn = (...inputs: Tensor[]) => Tensor | readonly Tensor[];

function outputsOf(fn: Fn, inputs: Tensor[]): Tensor[] {
  const r = fn(...inputs);
  const outs = r instanceof Tensor ? [r] : [...r];
  for (const o of outs) {
    if (!(o instanceof Tensor)) throw new ValueError("gradcheck: the function must return a Tensor or an array of Tensors");
  }
  return outs;
}

/** Full comparison of the analytic and numeric Jacobians; never throws on mismatch. */
export function gradcheckReport(fn: Fn, inputs: readonly Tensor[], options: GradcheckOptions = {}): GradcheckReport {
  const eps = options.eps ?? 1e-6;
  const atol = options.atol ?? 1e-5;
  const rtol = options.rtol ?? 1e-3;
  inputs.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new ValueError(`gradcheck: input ${i} is not a Tensor`);
    if (t.requiresGrad && t.dtype !== "float64") {
      throw new DTypeError(`gradcheck: input ${i} is ${t.dtype}; finite differences need float64 inputs (use .to("float64"))`);
    }
  });
  // Private contiguous leaves, so that perturbing them touches nothing of the caller's.
  const xs = inputs.map((t) => {
    const c = new Tensor(t.data(), t.shape, t.dtype);
    c.requiresGrad = t.requiresGrad;
    return c;
  });
  const checked = xs.map((x, i) => ({ x, i })).filter(({ x }) => x.requiresGrad);
  if (checked.length === 0) throw new ValueError("gradcheck: no input requires grad, so there is nothing to check");

  const outs = outputsOf(fn, xs);
  const report: GradcheckReport = { ok: true, maxAbsError: 0, worst: null };
  let worstExcess = -Infinity;

  // Numeric Jacobian columns: one per input element, by central differences.
  const numeric: Float64Array[][] = checked.map(({ x }) => {
    const cols: Float64Array[] = [];
    const s = x.storage;
    for (let j = 0; j < x.size; j++) {
      const orig = s[j];
      s[j] = orig + eps;
      const plus = noGrad(() => outputsOf(fn, xs).map((o) => o.to("float64").data()));
      s[j] = orig - eps;
      const minus = noGrad(() => outputsOf(fn, xs).map((o) => o.to("float64").data()));
      s[j] = orig;
      const total = plus.reduce((a, p) => a + p.length, 0);
      const col = new Float64Array(total);
      let k = 0;
      for (let o = 0; o < plus.length; o++) for (let e = 0; e < plus[o].length; e++) col[k++] = (plus[o][e] - minus[o][e]) / (2 * eps);
      cols.push(col);
    }
    return cols;
  });

  // Analytic Jacobian rows: one backward per output element.
  let row = 0;
  outs.forEach((out, o) => {
    if (!out.requiresGrad) {
      // A constant output has a zero Jacobian; the numeric one must agree.
      for (let e = 0; e < out.size; e++, row++) compareRow(o, e, row, null);
      return;
    }
    for (let e = 0; e < out.size; e++, row++) {
      const seed = zeros(out.shape, { dtype: out.dtype });
      seed.storage[e] = 1;
      const grads = grad([out], checked.map(({ x }) => x), { gradOutputs: [seed], retainGraph: true, allowUnused: true });
      compareRow(o, e, row, grads);
    }
  });

  function compareRow(o: number, e: number, r: number, grads: (Tensor | null)[] | null): void {
    checked.forEach(({ x, i }, c) => {
      const g = grads && grads[c] ? grads[c]!.to("float64").data() : null;
      for (let j = 0; j < x.size; j++) {
        const a = g ? g[j] : 0;
        const n = numeric[c][j][r];
        const err = Math.abs(a - n);
        const excess = err - (atol + rtol * Math.abs(n));
        if (!(err <= atol + rtol * Math.abs(n))) report.ok = false;
        if (err > report.maxAbsError || Number.isNaN(err)) report.maxAbsError = err;
        if (excess > worstExcess || Number.isNaN(excess)) {
          worstExcess = Number.isNaN(excess) ? Infinity : excess;
          report.worst = { input: i, element: unravelIndex(j, x.shape), output: o, outputElement: e, analytic: a, numeric: n };
        }
      }
    });
  }
  return report;
}

/** True when backward agrees with finite differences; throws a GradcheckError naming the worst element otherwise. */
export function gradcheck(fn: Fn, inputs: readonly Tensor[], options: GradcheckOptions = {}): boolean {
  const r = gradcheckReport(fn, inputs, options);
  if (r.ok) return true;
  if (options.raiseException === false) return false;
  const w = r.worst!;
  throw new GradcheckError(
    `gradcheck: the gradient of output ${w.output} (element ${w.outputElement}) with respect to input ${w.input} at [${w.element.join(",")}] is ${w.analytic} from backward but ${w.numeric} from finite differences (largest absolute error ${r.maxAbsError})`,
  );
}

/**
 * Second-order check: the vector-Jacobian product itself, as a function of
 * the inputs and a random output gradient, passes gradcheck.
 */
export function gradgradcheck(fn: Fn, inputs: readonly Tensor[], options: GradcheckOptions & { seed?: number } = {}): boolean {
  const outs0 = outputsOf(fn, [...inputs]);
  const gen = new Generator(options.seed ?? 0);
  const gos = outs0.map((o) => {
    const g = randn(o.shape, { dtype: "float64", generator: gen });
    g.requiresGrad = true;
    return g;
  });
  const nIn = inputs.length;
  const diffIdx = inputs.map((t, i) => (t.requiresGrad ? i : -1)).filter((i) => i >= 0);
  // enableGrad: the numeric side evaluates this under noGrad, but a VJP needs its graph.
  const vjpFn = (...args: Tensor[]) => enableGrad(() => {
    const ins = args.slice(0, nIn);
    const gradOuts = args.slice(nIn);
    const outs = outputsOf(fn, ins);
    const gs = grad(outs, diffIdx.map((i) => ins[i]), { gradOutputs: gradOuts, createGraph: true, allowUnused: true });
    // An unused input has a zero gradient; represent it as a constant zero output.
    return gs.map((g, k) => g ?? zeros(ins[diffIdx[k]].shape, { dtype: "float64" }));
  });
  return gradcheck(vjpFn, [...inputs, ...gos], options);
}
