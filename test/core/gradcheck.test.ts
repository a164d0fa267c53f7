/**
 * Oracle 1 of ARCHITECTURE.md: every differentiable op passes float64
 * finite-difference gradcheck on every sample of the OpInfo registry, and
 * second order (gradgradcheck) for elementwise ops, matmul, softmax,
 * logSoftmax, logsumexp and the reductions. The float32 path of every
 * sample must agree with float64 to float32 precision and give float32 grads.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";
import type { Tensor } from "../../src/index.js";
import { BACKEND_MODES, enterMode, leaveMode } from "../backends.js";
import { OPS, float32Inputs } from "../opinfo.js";

const allSamples = OPS.flatMap((op) => op.samples().map((s) => ({ op, s })));

describe.each(BACKEND_MODES.map((m) => [m.label, m] as const))("backend %s", (_label, mode) => {
  beforeAll(async () => { await enterMode(mode); });
  afterAll(async () => { await leaveMode(); });

  describe.each(OPS.map((op) => [op.name, op] as const))("%s", (_name, op) => {
    it.each(op.samples().map((s) => [s.desc, s] as const))("gradcheck: %s", (_desc, s) => {
      expect(bp.gradcheck(s.fn, s.inputs)).toBe(true);
    });
    if (op.gradgrad) {
      it.each(op.samples().map((s) => [s.desc, s] as const))("gradgradcheck: %s", (_desc, s) => {
        expect(bp.gradgradcheck(s.fn, s.inputs)).toBe(true);
      });
    }
  });

  it("float32 samples agree with float64 to float32 precision, and their grads are float32", () => {
    for (const { op, s } of allSamples) {
      const where = `${op.name}: ${s.desc}`;
      const y64 = s.fn(...s.inputs);
      const x32 = float32Inputs(s.inputs);
      const y32 = s.fn(...x32);
      expect(y32.dtype, where).toBe("float32");
      expect(y32.shape, where).toEqual(y64.shape);
      expectClose(y32.data(), y64.data(), 2e-6, where);
      const w = bp.randn(y64.shape, { dtype: "float64", generator: new bp.Generator(1) });
      for (const x of s.inputs) x.grad = null;
      y64.mul(w).sum().backward();
      y32.mul(w.to("float32")).sum().backward();
      s.inputs.forEach((x, i) => {
        if (!x.requiresGrad) return;
        const g32 = x32[i].grad!;
        expect(g32.dtype, where).toBe("float32");
        expectClose(g32.data(), x.grad!.data(), 2e-5, `${where}, grad of input ${i}`);
      });
    }
  });
});

describe("gradcheck itself", () => {
  it("rejects a wrong gradient with a GradcheckError naming the worst element", () => {
    // A deliberately wrong VJP: d/dx of x*x reported as x (should be 2x) via a hook.
    const x = bp.tensor([1, 2, 3], { dtype: "float64", requiresGrad: true });
    const wrong = (t: Tensor) => {
      const y = t.mul(t);
      if (y.requiresGrad) y.registerHook((g) => g.mul(0.5)); // gradcheck also evaluates under noGrad
      return y;
    };
    expect(() => bp.gradcheck(wrong, [x])).toThrowError(bp.GradcheckError);
    expect(() => bp.gradcheck(wrong, [x])).toThrowError(
      "gradcheck: the gradient of output 0 (element 2) with respect to input 0 at [2] is 3 from backward but 6",
    );
  });

  it("checks every output of a function with several, and returns false when asked not to throw", () => {
    const x = bp.tensor([0.5, -1], { dtype: "float64", requiresGrad: true });
    const w = bp.tensor([2, 3], { dtype: "float64" });
    expect(bp.gradcheck((t) => [t.exp(), t.mul(w).sum(), t.gt(0).to("float64")], [x])).toBe(true);
    const wrongSecond = (t: bp.Tensor) => {
      const y = t.sin();
      if (y.requiresGrad) y.registerHook((g) => g.neg());
      return [t.exp(), y];
    };
    expect(bp.gradcheck(wrongSecond, [x], { raiseException: false })).toBe(false);
    const report = bp.gradcheckReport(wrongSecond, [x]);
    expect(report.ok).toBe(false);
    expect(report.worst!.output).toBe(1);
    expect(report.maxAbsError).toBeCloseTo(2 * Math.cos(0.5), 6);
  });

  it("requires float64 inputs", () => {
    const x = bp.tensor([1, 2], { requiresGrad: true });
    expect(() => bp.gradcheck((t) => t.exp(), [x])).toThrowError(bp.DTypeError);
  });
});

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, where: string): void {
  expect(actual.length, where).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const tol = rtol * (1 + Math.abs(expected[i]));
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
      expect.fail(`${where}: element ${i} is ${actual[i]}, expected ${expected[i]} (tolerance ${tol})`);
    }
  }
}
