/**
 * Second of the three correctness oracles (CONTRIBUTING.md): outputs and gradients against golden values
 * that PyTorch 1.13 computed in float64 (test/fixtures/gen_ops.py writes
 * test/fixtures/ops.json). For each case: the op's output, and the gradient
 * of sum(output * w) with respect to every input, for a fixed random w.
 *
 * Tolerance: rtol 1e-12 plus atol 1e-13 (for results that cancel to about 0,
 * like variance or softmax gradients, where the last bits depend on the order
 * of summation). gelu is compared at rtol 1e-12 too: our erf (Maclaurin series
 * and continued fraction) agrees with glibc's to within ~100 ulps.
 *
 * Each case also runs with its inputs rounded to float32, at float32
 * tolerance, on js and on the wasm and native backends with their kernels
 * forced (the cases are smaller than every dispatch threshold): that is
 * where wasm's own kernels run, since it hands float64 to the JS ones.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";
import type { Tensor, TensorLike } from "../../src/index.js";
import { BACKEND_MODES, enterMode, leaveMode } from "../backends.js";
import { decode, expectElementsClose, type FixtureNumber } from "../fixture-values.js";

type Num = FixtureNumber;
interface Flat<T = Num> { shape: number[]; data: T[]; dtype?: string }
type View = ["T"] | ["narrow", number, number, number] | ["expand", number[]];
interface InputSpec extends Partial<Flat> {
  number?: number;
  index?: Flat<number>;
  bool?: Flat<boolean>;
  requiresGrad?: boolean;
  view?: View[];
}
interface Case {
  op: string;
  desc: string;
  args: Record<string, any>;
  inputs: InputSpec[];
  output: Flat;
  weight: Flat;
  grads: (Flat | null)[];
}

const fixture = JSON.parse(readFileSync(new URL("../fixtures/ops.json", import.meta.url), "utf8")) as { torch: string; cases: Case[] };
/** More cases in the same format: the ops the op table (src/ops/table.ts) found without any (gen_optable.py). */
const opTableFixture = JSON.parse(readFileSync(new URL("../fixtures/optable.json", import.meta.url), "utf8")) as { torch: string; cases: Case[] };
const cases = [...fixture.cases, ...opTableFixture.cases];

const RTOL = 1e-12;
const ATOL = 1e-13;

function fromFlat(f: Flat, requiresGrad = false, dtype: "float32" | "float64" = "float64"): Tensor {
  const values = f.data.map(decode);
  const t = bp.fromStorage(dtype === "float32" ? Float32Array.from(values) : Float64Array.from(values), f.shape);
  t.requiresGrad = requiresGrad;
  return t;
}

function applyViews(x: Tensor, views: View[]): Tensor {
  for (const v of views) {
    if (v[0] === "T") x = x.T;
    else if (v[0] === "narrow") x = x.narrow(v[1], v[2], v[3]);
    else x = x.expand(v[1]);
  }
  return x;
}

/** Our spelling of each op of the fixture. */
function run(op: string, xs: TensorLike[], a: Record<string, any>): Tensor {
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
interface Precision { dtype: "float32" | "float64"; rtol: number; atol: (expected: readonly number[]) => number }
const FLOAT64: Precision = { dtype: "float64", rtol: RTOL, atol: () => ATOL };
/**
 * float32: the inputs themselves are rounded (2^-24 relative), which the op
 * may amplify a little (pow, tanh near its saturation, …), and results that
 * cancel to about 0 keep an error relative to the tensor's largest value.
 */
const FLOAT32: Precision = {
  dtype: "float32", rtol: 2e-5,
  atol: (e) => 2e-6 * e.reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 0),
};

function expectMatches(actual: Tensor, expected: Flat, where: string, precision: Precision = FLOAT64): void {
  expect(actual.shape, `${where}: shape`).toEqual(expected.shape);
  const dtype = expected.dtype === undefined || expected.dtype === "float64" ? precision.dtype : expected.dtype;
  expect(actual.dtype, `${where}: dtype`).toBe(dtype);
  const values = expected.data.map(decode);
  // In float32, a value beyond its range is ±Infinity.
  const reference = precision.dtype === "float32" ? values.map(Math.fround) : values;
  expectElementsClose(actual.data(), reference, precision.rtol, precision.atol(values), where);
}

describe("fixture", () => {
  it("was generated by PyTorch 1.13 and covers every op of the public API's operations", () => {
    expect(fixture.torch.startsWith("1.13")).toBe(true);
    expect(opTableFixture.torch.startsWith("1.13")).toBe(true);
    const ops = new Set(fixture.cases.map((c) => c.op));
    const required = [
      "add", "sub", "mul", "div", "pow", "neg", "exp", "log", "sqrt", "abs", "square", "sin", "cos", "tanh", "sigmoid",
      "relu", "leakyRelu", "gelu", "softplus", "clamp", "maximum", "minimum", "where", "sum", "mean", "max", "min",
      "logsumexp", "variance", "softmax", "logSoftmax", "matmul", "reshape", "transpose", "permute", "T", "squeeze",
      "unsqueeze", "flatten", "expand", "narrow", "gather", "indexSelect", "cat", "stack",
      "eq", "ne", "gt", "ge", "lt", "le", "argmax",
    ];
    expect(required.filter((op) => !ops.has(op))).toEqual([]);
  });
});

describe.each(BACKEND_MODES.map((m) => [m.label, m] as const))("backend %s", (_label, mode) => {
  beforeAll(async () => { await enterMode(mode); });
  afterAll(async () => { await leaveMode(); });

  // float64 everywhere; float32 (the inputs rounded to float32) on the JS kernels and the fast backends' own.
  const precisions = mode.force || mode.name === "js" ? [FLOAT64, FLOAT32] : [FLOAT64];
  describe.each(precisions.map((p) => [p.dtype, p] as const))("%s", (_dtype, precision) => {
    it.each(cases.map((c) => [`${c.op}: ${c.desc}`, c] as const))("%s", (name, c) => {
      const leaves: (Tensor | null)[] = [];
      const xs: TensorLike[] = c.inputs.map((spec) => {
        if (spec.number !== undefined) { leaves.push(null); return spec.number; }
        if (spec.index) { leaves.push(null); return bp.fromStorage(Int32Array.from(spec.index.data), spec.index.shape); }
        if (spec.bool) { leaves.push(null); return bp.fromStorage(Uint8Array.from(spec.bool.data, Number), spec.bool.shape, "bool"); }
        const leaf = fromFlat(spec as Flat, spec.requiresGrad, precision.dtype);
        leaves.push(spec.requiresGrad ? leaf : null);
        return applyViews(leaf, spec.view ?? []);
      });
      const out = run(c.op, xs, c.args);
      expectMatches(out, c.output, `${name}: output`, precision);
      if (c.grads.every((g) => g === null)) return; // comparisons, argmax: no gradient
      out.mul(fromFlat(c.weight, false, precision.dtype)).sum().backward();
      c.grads.forEach((g, i) => {
        if (g === null) return;
        const leaf = leaves[i]!;
        expect(leaf.grad, `${name}: grad of input ${i}`).not.toBeNull();
        expectMatches(leaf.grad!, g, `${name}: grad of input ${i}`, precision);
      });
    });
  });
});
