/**
 * Pooling, batch norm, padding and resampling against PyTorch 1.13 (fixtures
 * from test/fixtures/gen_pool.py): outputs, max-pool indices, running
 * statistics, and gradients of Σ output·cotangent, in float64; plus the
 * float32 path to float32 precision.
 */
import { describe, expect, test } from "vitest";
import * as bp from "../../src/index.js";
import fixture from "../fixtures/pool.json" with { type: "json" };

interface Encoded { shape: number[]; data: number[]; dtype: "int32" | "float64" }
interface OpCase {
  name: string;
  fn: string;
  options: Record<string, any>;
  inputs: Record<string, Encoded>;
  out: Encoded;
  indices?: Encoded;
  cotangent: number[];
  grads: Record<string, number[]>;
  runningAfter?: { runningMean: number[]; runningVar: number[] } | null;
}

const F = bp.F;
type Inputs = Record<string, bp.Tensor>;
/** Runs a case: the output (and max-pool indices when asked for). */
const runners: Record<string, (t: Inputs, o: Record<string, any>) => bp.Tensor | [bp.Tensor, bp.Tensor]> = {
  maxPool1d: (t, o) => F.maxPool1d(t.x, o as bp.F.MaxPool1dOptions),
  maxPool2d: (t, o) => F.maxPool2d(t.x, o as bp.F.MaxPool2dOptions),
  avgPool2d: (t, o) => F.avgPool2d(t.x, o as bp.F.AvgPool2dOptions),
  adaptiveAvgPool2d: (t, o) => F.adaptiveAvgPool2d(t.x, o.outputSize),
  pad: (t, o) => F.pad(t.x, o.pads, { mode: o.mode, value: o.value }),
  batchNorm: (t, o) => F.batchNorm(t.x, t.runningMean ?? null, t.runningVar ?? null, t.weight, t.bias, o),
  interpolate: (t, o) => F.interpolate(t.x, o),
};

function leaf(e: Encoded, dtype: "float32" | "float64", requiresGrad: boolean): bp.Tensor {
  const t = bp.tensor(e.data, { dtype }).reshape(e.shape).contiguous().detach();
  t.requiresGrad = requiresGrad;
  return t;
}

function run(c: OpCase, dtype: "float32" | "float64") {
  const t: Inputs = {};
  for (const [k, e] of Object.entries(c.inputs)) t[k] = leaf(e, dtype, !k.startsWith("running"));
  const result = runners[c.fn](t, c.options);
  const [out, indices] = Array.isArray(result) ? result : [result, null];
  out.mul(bp.tensor(c.cotangent, { dtype }).reshape(out.shape)).sum().backward();
  return { t, out, indices };
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number, where: string): void {
  expect(actual.length, where).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const tol = atol + rtol * Math.abs(expected[i]);
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) expect.fail(`${where}: element ${i} is ${actual[i]}, PyTorch gives ${expected[i]}`);
  }
}

const cases = fixture.ops as unknown as OpCase[];

describe("pooling, batchNorm, pad, interpolate match PyTorch 1.13 (float64)", () => {
  test.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const { t, out, indices } = run(c, "float64");
    expect(out.shape).toEqual(c.out.shape);
    expectClose(out.data(), c.out.data, 1e-12, 1e-12, "output");
    if (c.indices) {
      expect(indices, "indices").not.toBeNull();
      expect(indices!.dtype).toBe("int32");
      expect(indices!.shape).toEqual(c.indices.shape);
      expect(Array.from(indices!.data())).toEqual(c.indices.data);
    }
    for (const [k, g] of Object.entries(c.grads)) expectClose(t[k].grad!.data(), g, 1e-11, 1e-12, `grad of ${k}`);
    if (c.runningAfter) {
      expectClose(t.runningMean.data(), c.runningAfter.runningMean, 1e-12, 1e-12, "runningMean after");
      expectClose(t.runningVar.data(), c.runningAfter.runningVar, 1e-12, 1e-12, "runningVar after");
    }
  });
});

describe("the same cases in float32", () => {
  test.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const { t, out, indices } = run(c, "float32");
    expect(out.dtype).toBe("float32");
    expectClose(out.data(), c.out.data, 1e-5, 1e-5, "output");
    // Ties in float32 are the same ties (the inputs are small integers or distinct normals).
    if (c.indices) expect(Array.from(indices!.data())).toEqual(c.indices.data);
    for (const [k, g] of Object.entries(c.grads)) {
      expect(t[k].grad!.dtype).toBe("float32");
      expectClose(t[k].grad!.data(), g, 1e-4, 1e-4, `grad of ${k}`);
    }
  });
});

interface SecondCase {
  name: string;
  fn: string;
  options: Record<string, any>;
  inputs: Record<string, Encoded>;
  cotangent: number[];
  v: Record<string, number[]>;
  grads: Record<string, number[]>;
}

describe("second derivatives match PyTorch's double backward (float64)", () => {
  test.each((fixture.second as unknown as SecondCase[]).map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const t: Inputs = {};
    for (const [k, e] of Object.entries(c.inputs)) t[k] = leaf(e, "float64", true);
    const names = Object.keys(t);
    const out = runners[c.fn](t, c.options) as bp.Tensor;
    const cot = bp.tensor(c.cotangent, { dtype: "float64", requiresGrad: true });
    const firsts = bp.grad(out.mul(cot.reshape(out.shape)).sum(), names.map((k) => t[k]), { createGraph: true });
    let s = bp.tensor(0, { dtype: "float64" });
    firsts.forEach((g, i) => { s = s.add(g!.mul(bp.tensor(c.v[names[i]], { dtype: "float64" }).reshape(g!.shape)).sum()); });
    const seconds = bp.grad(s, [...names.map((k) => t[k]), cot], { allowUnused: true });
    [...names, "cotangent"].forEach((k, i) => {
      const expected = c.grads[k];
      const actual = seconds[i] ? seconds[i]!.data() : new Float64Array(expected.length);
      expectClose(actual, expected, 1e-10, 1e-11, `second derivative with respect to ${k}`);
    });
  });
});
