/**
 * The PyTorch golden cases (test/fixtures/ops.json and optable.json, written
 * by gen_ops.py and gen_optable.py) and how each is run: shared by
 * test/core/golden.test.ts (every backend in Node) and the WebGPU page
 * (test/webgpu/fixtures/suites-page/), so it imports neither vitest nor node:*.
 */
import * as bp from "../src/index.js";
import type { Tensor, TensorLike } from "../src/index.js";
import { decode, type FixtureNumber } from "./fixture-numbers.js";
import opsFixture from "./fixtures/ops.json" with { type: "json" };
import opTableFixtureJson from "./fixtures/optable.json" with { type: "json" };

export type Num = FixtureNumber;
export interface Flat<T = Num> { shape: number[]; data: T[]; dtype?: string }
export type View = ["T"] | ["narrow", number, number, number] | ["expand", number[]];
export interface InputSpec extends Partial<Flat> {
  number?: number;
  index?: Flat<number>;
  bool?: Flat<boolean>;
  requiresGrad?: boolean;
  view?: View[];
}
export interface Case {
  op: string;
  desc: string;
  args: Record<string, any>;
  inputs: InputSpec[];
  output: Flat;
  weight: Flat;
  grads: (Flat | null)[];
}

export const fixture = opsFixture as unknown as { torch: string; cases: Case[] };
/** More cases in the same format: the ops the op table (src/ops/table.ts) found without any (gen_optable.py). */
export const opTableFixture = opTableFixtureJson as unknown as { torch: string; cases: Case[] };
export const cases = [...fixture.cases, ...opTableFixture.cases];

export const RTOL = 1e-12;
export const ATOL = 1e-13;

export function fromFlat(f: Flat, requiresGrad = false, dtype: "float32" | "float64" = "float64"): Tensor {
  const values = f.data.map(decode);
  const t = bp.fromStorage(dtype === "float32" ? Float32Array.from(values) : Float64Array.from(values), f.shape);
  t.requiresGrad = requiresGrad;
  return t;
}

export function applyViews(x: Tensor, views: View[]): Tensor {
  for (const v of views) {
    if (v[0] === "T") x = x.T;
    else if (v[0] === "narrow") x = x.narrow(v[1], v[2], v[3]);
    else x = x.expand(v[1]);
  }
  return x;
}

/** Our spelling of each op of the fixture. */
export function run(op: string, xs: TensorLike[], a: Record<string, any>): Tensor {
  const x = xs[0] as Tensor;
  switch (op) {
    case "add": return bp.add(xs[0], xs[1]);
    case "sub": return bp.sub(xs[0], xs[1]);
    case "mul": return bp.mul(xs[0], xs[1]);
    case "div": return bp.div(xs[0], xs[1]);
    case "pow": return bp.pow(xs[0], xs[1]);
    case "maximum": return bp.maximum(xs[0], xs[1]);
    case "eq": case "ne": case "gt": case "ge": case "lt": case "le": return x[op](xs[1]);
    case "argmax": return x.argmax(a.dim, a.keepdim);
    case "argmin": return x.argmin(a.dim, a.keepdim);
    case "logicalAnd": return bp.logicalAnd(xs[0], xs[1]);
    case "logicalNot": return bp.logicalNot(x);
    case "isfinite": return bp.isfinite(x);
    case "minimum": return bp.minimum(xs[0], xs[1]);
    case "leakyRelu": return x.leakyRelu(a.slope);
    case "softplus": return x.softplus(a.beta, a.threshold);
    case "clamp": return x.clamp(a.min, a.max);
    case "where": return bp.where(xs[0] as Tensor, xs[1], xs[2]);
    case "sum": return x.sum(a.dim, a.keepdim);
    case "mean": return x.mean(a.dim, a.keepdim);
    case "max": return x.max(a.dim, a.keepdim);
    case "min": return x.min(a.dim, a.keepdim);
    case "logsumexp": return x.logsumexp(a.dim, a.keepdim);
    case "variance": return x.variance(a.dim, { keepdim: a.keepdim, unbiased: a.unbiased });
    case "softmax": return x.softmax(a.dim);
    case "logSoftmax": return x.logSoftmax(a.dim);
    case "matmul": return x.matmul(xs[1] as Tensor);
    case "reshape": return x.reshape(a.shape);
    case "transpose": return x.transpose(a.dim0, a.dim1);
    case "permute": return x.permute(a.dims);
    case "T": return x.T;
    case "squeeze": return x.squeeze(a.dim);
    case "unsqueeze": return x.unsqueeze(a.dim);
    case "flatten": return x.flatten(a.start, a.end);
    case "expand": return x.expand(a.shape);
    case "narrow": return x.narrow(a.dim, a.start, a.length);
    case "gather": return x.gather(a.dim, xs[1] as Tensor);
    case "indexSelect": return x.indexSelect(a.dim, xs[1] as Tensor);
    case "cat": return bp.cat(xs as Tensor[], a.dim);
    case "stack": return bp.stack(xs as Tensor[], a.dim);
    default: {
      const unary = (x as unknown as Record<string, () => Tensor>)[op];
      if (typeof unary !== "function") throw new Error(`golden: no op "${op}"`);
      return unary.call(x);
    }
  }
}

/** How closely results must match: float64 inputs, or the same inputs rounded to float32. */
export interface Precision { dtype: "float32" | "float64"; rtol: number; atol: (expected: readonly number[]) => number }
export const FLOAT64: Precision = { dtype: "float64", rtol: RTOL, atol: () => ATOL };
/**
 * float32: the inputs themselves are rounded (2^-24 relative), which the op
 * may amplify a little (pow, tanh near its saturation, …), and results that
 * cancel to about 0 keep an error relative to the tensor's largest value.
 */
export const FLOAT32: Precision = {
  dtype: "float32", rtol: 2e-5,
  atol: (e) => 2e-6 * e.reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 0),
};

/**
 * Runs case `c` with its float inputs in `dtype`: the op's output, and the
 * gradient of sum(output · weight) for each input the fixture has one for
 * (null where it has none; no backward at all for comparisons and argmax).
 */
export function evaluateCase(c: Case, dtype: "float32" | "float64"): { output: Tensor; grads: (Tensor | null)[] } {
  const leaves: (Tensor | null)[] = [];
  const xs: TensorLike[] = c.inputs.map((spec) => {
    if (spec.number !== undefined) { leaves.push(null); return spec.number; }
    if (spec.index) { leaves.push(null); return bp.fromStorage(Int32Array.from(spec.index.data), spec.index.shape); }
    if (spec.bool) { leaves.push(null); return bp.fromStorage(Uint8Array.from(spec.bool.data, Number), spec.bool.shape, "bool"); }
    const leaf = fromFlat(spec as Flat, spec.requiresGrad, dtype);
    leaves.push(spec.requiresGrad ? leaf : null);
    return applyViews(leaf, spec.view ?? []);
  });
  const output = run(c.op, xs, c.args);
  if (c.grads.every((g) => g === null)) return { output, grads: c.grads.map(() => null) };
  output.mul(fromFlat(c.weight, false, dtype)).sum().backward();
  return { output, grads: c.grads.map((g, i) => (g === null ? null : leaves[i]!.grad)) };
}
