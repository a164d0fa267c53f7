/**
 * crossEntropy of [N, C] scores against int32 indices runs as one fused op
 * (src/ops/cross-entropy-indices.ts). It must give the composed version's
 * values bit for bit: the loss and its gradient, with ignored targets, for
 * both reductions and dtypes, on every backend. Passing class weights of 1
 * takes the composed path (weights are not fused) with the same math.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";
import { BACKENDS } from "../backends.js";

const F = bp.F;

/** The loss and ∂L/∂x, through the fused path or (weights of 1) the composed one. */
function lossAndGrad(x0: bp.Tensor, target: bp.Tensor, composed: boolean, options: NonNullable<Parameters<typeof F.crossEntropy>[2]> = {}) {
  const x = x0.detach();
  x.requiresGrad = true;
  const weight = composed ? bp.ones([x.shape[1]], { dtype: x.dtype }) : null;
  const loss = F.crossEntropy(x, target, { ...options, weight });
  loss.backward();
  return { loss: loss.item(), grad: Array.from(x.grad!.data()), op: loss.gradFn!.name };
}

function targets(n: number, classes: number, seed: number, ignored: number[] = [], ignoreIndex = -100): bp.Tensor {
  const t = bp.randint(0, classes, [n], { generator: new bp.Generator(seed) });
  for (const i of ignored) if (i < n) t.storage[i] = ignoreIndex;
  return t;
}

describe.each(BACKENDS)("backend %s", (backendName) => {
  beforeAll(async () => { await bp.setBackend(backendName); });
  afterAll(async () => { await bp.setBackend("js"); });

  const shapes: [number, number][] = [[1, 1], [1, 5], [7, 3], [128, 10], [33, 100]];
  for (const dtype of ["float32", "float64"] as const) {
    for (const [n, c] of shapes) {
      for (const reduction of ["mean", "sum"] as const) {
        it(`${dtype} [${n}, ${c}], ${reduction}, with ignored targets: the composed values bit for bit`, () => {
          const x = bp.randn([n, c], { dtype, generator: new bp.Generator(n * 1000 + c) }).mul(3);
          const t = targets(n, c, n + c, [2, 5]);
          const fused = lossAndGrad(x, t, false, { reduction });
          const composed = lossAndGrad(x, t, true, { reduction });
          expect(fused.op).toBe("crossEntropy");
          expect(composed.op).not.toBe("crossEntropy");
          expect(Object.is(fused.loss, composed.loss) ? "same" : `${fused.loss} vs ${composed.loss}`).toBe("same");
          expect(fused.grad.map((v, i) => Object.is(v, composed.grad[i]))).not.toContain(false);
        });
      }
    }
  }
});

describe("fused crossEntropy", () => {
  it("honours a custom ignoreIndex and gives NaN (mean) or 0 (sum) when every target is ignored", () => {
    const x = bp.randn([4, 3], { generator: new bp.Generator(1) });
    const t = targets(4, 3, 2, [0, 3], 7);
    const fused = lossAndGrad(x, t, false, { ignoreIndex: 7 });
    const composed = lossAndGrad(x, t, true, { ignoreIndex: 7 });
    expect(fused.loss).toBe(composed.loss);
    expect(fused.grad).toEqual(composed.grad);
    expect(fused.grad.slice(0, 3)).toEqual([0, 0, 0]); // an ignored row gets no gradient
    const all = bp.tensor([-100, -100], { dtype: "int32" });
    expect(F.crossEntropy(bp.zeros([2, 3]), all).item()).toBeNaN();
    expect(F.crossEntropy(bp.zeros([2, 3]), all, { reduction: "sum" }).item()).toBe(0);
  });

  it("matches PyTorch on a hand-checked case: L = log(e⁰ + e¹ + e²) − 2 for target 2", () => {
    const x = bp.tensor([[0, 1, 2]], { dtype: "float64", requiresGrad: true });
    const loss = F.crossEntropy(x, bp.tensor([2], { dtype: "int32" }));
    expect(loss.item()).toBeCloseTo(Math.log(1 + Math.E + Math.E ** 2) - 2, 14);
    loss.backward();
    const z = 1 + Math.E + Math.E ** 2;
    const want = [1 / z, Math.E / z, Math.E ** 2 / z - 1];
    Array.from(x.grad!.data()).forEach((v, i) => expect(v).toBeCloseTo(want[i], 14));
  });

  it("has correct second derivatives (createGraph composes the gradient from tensor ops)", () => {
    const x = bp.randn([5, 4], { dtype: "float64", generator: new bp.Generator(3) });
    x.requiresGrad = true;
    const t = targets(5, 4, 4, [1]);
    expect(bp.gradgradcheck((a) => F.crossEntropy(a, t), [x])).toBe(true);
    expect(bp.gradgradcheck((a) => F.crossEntropy(a, t, { reduction: "sum" }), [x])).toBe(true);
  });

  it("reads the targets at the forward pass: changing them before backward changes nothing", () => {
    const x = bp.randn([3, 4], { generator: new bp.Generator(5) });
    const t = bp.tensor([0, 1, 2], { dtype: "int32" });
    const before = lossAndGrad(x, t, false);
    const x2 = x.detach();
    x2.requiresGrad = true;
    const loss = F.crossEntropy(x2, t);
    t.storage[0] = 3;
    loss.backward();
    expect(Array.from(x2.grad!.data())).toEqual(before.grad);
  });

  it("names the op, the target and its position when a class index is out of range", () => {
    const x = bp.zeros([3, 4]);
    expect(() => F.crossEntropy(x, bp.tensor([0, 4, 1], { dtype: "int32" }))).toThrow(
      "crossEntropy: target 4 at flat index 1 is out of range for 4 classes (expected 0 … 3)",
    );
    expect(() => F.crossEntropy(x, bp.tensor([0, -1, 1], { dtype: "int32" }), { ignoreIndex: 9 })).toThrow("or ignoreIndex 9");
  });
});
