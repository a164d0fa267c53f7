/** The trainer's NaN/Inf checks in-process: the one-sum gradient test and the forward op that made a non-finite loss. */
import { describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";
import { firstNonFinite, nonFiniteGradient, nonFiniteOrigin } from "../../src/cli/non-finite.js";

/** A parameter whose gradient is `grad` (set as backward would). */
function withGrad(grad: number[], dtype: "float32" | "float64" = "float32"): bp.Tensor {
  const p = bp.zeros([grad.length], { dtype, requiresGrad: true });
  p.grad = bp.tensor(grad, { dtype });
  return p;
}

describe("nonFiniteGradient", () => {
  it("finite gradients pass, also when their total overflows float32 (3e38 + 3e38)", () => {
    const named = [["a", withGrad([3e38, 1])], ["b", withGrad([3e38, -2])], ["c", bp.zeros([2], { requiresGrad: true })]] as const;
    expect(bp.tensor([3e38, 3e38]).sum().item()).toBe(Infinity); // the overflow the search must see through
    expect(nonFiniteGradient(named)).toBeNull();
  });

  it("names the first parameter holding NaN, Infinity or -Infinity, with the value", () => {
    expect(nonFiniteGradient([["w", withGrad([1, 2])], ["b", withGrad([0, NaN, 3])]])).toEqual({ name: "b", value: NaN });
    expect(nonFiniteGradient([["w", withGrad([1, -Infinity])], ["b", withGrad([Infinity])]])).toEqual({ name: "w", value: -Infinity });
    // +Inf and -Inf in different parameters sum to NaN: still found.
    expect(nonFiniteGradient([["w", withGrad([Infinity])], ["b", withGrad([-Infinity], "float64")]])).toEqual({ name: "w", value: Infinity });
  });

  it("firstNonFinite reads the elements in order", () => {
    expect(firstNonFinite(bp.tensor([1, 2, 3]))).toBeNull();
    expect(firstNonFinite(bp.tensor([1, -Infinity, NaN]))).toBe(-Infinity);
  });
});

describe("nonFiniteOrigin", () => {
  it("names the first op whose output is not finite: log of a negative number", () => {
    const x = bp.tensor([-1, 2], { requiresGrad: true });
    expect(nonFiniteOrigin(() => x.mul(2).log().sum())).toEqual({ op: "log", value: NaN, finiteInputs: true });
  });

  it("an overflowing product (1e20 · 1e20 in float32), and 0/0 in div", () => {
    const big = bp.tensor([1e20, 1]);
    expect(nonFiniteOrigin(() => big.mul(big).add(1))).toEqual({ op: "mul", value: Infinity, finiteInputs: true });
    expect(nonFiniteOrigin(() => bp.tensor([1, 0]).div(bp.tensor([1, 0])).exp())).toEqual({ op: "div", value: NaN, finiteInputs: true });
  });

  it("an input that was already non-finite is reported as such; a finite forward gives null", () => {
    const inf = bp.tensor([Infinity, 1]);
    expect(nonFiniteOrigin(() => inf.add(1))).toEqual({ op: "add", value: Infinity, finiteInputs: false });
    expect(nonFiniteOrigin(() => bp.tensor([1, 2]).exp().sum())).toBeNull();
  });
});
