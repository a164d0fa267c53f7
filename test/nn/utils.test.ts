/** bp.nn.utils gradient clipping, against hand-computed norms. */
import { expect, test } from "vitest";
import * as bp from "../../src/index.js";

function withGrad(values: number[], grad: number[]): bp.Tensor {
  const t = bp.tensor(values, { dtype: "float64", requiresGrad: true });
  t.grad = bp.tensor(grad, { dtype: "float64" });
  return t;
}

test("clipGradNorm_ scales all gradients by maxNorm / (norm + 1e-6) and returns the norm before clipping", () => {
  const a = withGrad([0, 0], [3, 0]);
  const b = withGrad([0], [4]);
  const norm = bp.nn.utils.clipGradNorm_([a, b], 1);
  expect(norm.item()).toBe(5);
  const coef = 1 / (5 + 1e-6);
  expect(a.grad!.toArray()).toEqual([3 * coef, 0]);
  expect(b.grad!.toArray()).toEqual([4 * coef]);
});

test("clipGradNorm_ leaves small gradients alone, supports the max norm, and skips parameters without a gradient", () => {
  const a = withGrad([0, 0], [3, -4]);
  const none = bp.zeros([2], { requiresGrad: true });
  expect(bp.nn.utils.clipGradNorm_([a, none], 10).item()).toBe(5);
  expect(a.grad!.toArray()).toEqual([3, -4]);
  expect(bp.nn.utils.clipGradNorm_(a, 10, Infinity).item()).toBe(4);
  expect(bp.nn.utils.clipGradNorm_(a, 10, 1).item()).toBe(7);
  expect(() => bp.nn.utils.clipGradNorm_(a, -1)).toThrow("clipGradNorm_: maxNorm must be a non-negative number, got -1");
});

test("clipGradNorm_ of a broadcast gradient (shared storage) scales each element once", () => {
  const w = bp.zeros([3], { dtype: "float64", requiresGrad: true });
  w.sum().backward(); // the gradient of sum may be an expanded view of one element
  bp.nn.utils.clipGradNorm_([w], Math.sqrt(3) / 2);
  w.grad!.data().forEach((v) => expect(v).toBeCloseTo(0.5, 6));
});

test("clipGradValue_ clamps each element", () => {
  const a = withGrad([0, 0, 0], [-3, 0.5, 2]);
  bp.nn.utils.clipGradValue_([a], 1);
  expect(a.grad!.toArray()).toEqual([-1, 0.5, 1]);
});
