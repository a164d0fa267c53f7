/**
 * sigmoid, tanh and relu compute a plain backward with one fused kernel and a
 * createGraph backward with the composite form; both must give the same
 * gradient (to rounding), including relu's conventions at 0 and NaN.
 */
import { describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";

function gradients(op: (x: bp.Tensor) => bp.Tensor, values: number[], dtype: bp.DType) {
  const upstream = bp.tensor(values.map((_, i) => 0.5 + i * 0.25), { dtype });
  const x1 = bp.tensor(values, { dtype, requiresGrad: true });
  const [fused] = bp.grad(op(x1), [x1], { gradOutputs: [upstream] });
  const x2 = bp.tensor(values, { dtype, requiresGrad: true });
  const [composite] = bp.grad(op(x2), [x2], { gradOutputs: [upstream], createGraph: true });
  return { fused: fused!.toArray() as number[], composite: composite!.toArray() as number[] };
}

describe("fused first-order gradients", () => {
  const values = [-3, -0.5, 0, 0.25, 2];
  for (const dtype of ["float32", "float64"] as const) {
    for (const [name, op] of [["sigmoid", (x: bp.Tensor) => x.sigmoid()], ["tanh", (x: bp.Tensor) => x.tanh()], ["relu", (x: bp.Tensor) => x.relu()]] as const) {
      it(`${name} (${dtype}): the fused kernel equals the composite`, () => {
        const { fused, composite } = gradients(op, values, dtype);
        const tol = dtype === "float32" ? 1e-6 : 1e-15;
        fused.forEach((v, i) => expect(Math.abs(v - composite[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(composite[i]))));
      });
    }
  }

  it("sigmoid's fused gradient is g·σ(x)·(1 − σ(x)) by hand", () => {
    const x = bp.tensor([0.3], { dtype: "float64", requiresGrad: true });
    x.sigmoid().backward(bp.tensor([2], { dtype: "float64" }));
    const s = 1 / (1 + Math.exp(-0.3));
    expect(x.grad!.item()).toBeCloseTo(2 * s * (1 - s), 15);
  });

  it("relu's fused gradient is 0 at 0 and passes the gradient at NaN, as PyTorch does", () => {
    const x = bp.tensor([0, NaN, -1, 1], { dtype: "float64", requiresGrad: true });
    x.relu().backward(bp.tensor([5, 6, 7, 8], { dtype: "float64" }));
    expect(x.grad!.toArray()).toEqual([0, 6, 0, 8]);
  });
});
