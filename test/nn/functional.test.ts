/** bp.F: errors that name the loss and the shapes, second derivatives, hand-computed values. */
import { describe, expect, test } from "vitest";
import * as bp from "../../src/index.js";

const F = bp.F;
const idx = (v: number[]) => bp.tensor(v, { dtype: "int32" });

describe("bad input gets a clear error", () => {
  test.each([
    ["mseLoss: input shape [4,1] and target shape [4] differ; they must be equal", () => F.mseLoss(bp.zeros([4, 1]), bp.zeros([4]))],
    ["l1Loss: input shape [2] and target shape [3] differ", () => F.l1Loss(bp.zeros([2]), bp.zeros([3]))],
    ["smoothL1Loss: beta must be non-negative, got -1", () => F.smoothL1Loss(bp.zeros([2]), bp.zeros([2]), { beta: -1 })],
    ["binaryCrossEntropy: every input element must be a probability in [0, 1], got 1.5 at flat index 1", () => F.binaryCrossEntropy(bp.tensor([0.5, 1.5]), bp.zeros([2]))],
    ["binaryCrossEntropyWithLogits: input shape [3] and target shape [3,1] differ", () => F.binaryCrossEntropyWithLogits(bp.zeros([3]), bp.zeros([3, 1]))],
    ["mseLoss: the target must be float32 or float64, got int32", () => F.mseLoss(bp.zeros([2]), idx([0, 1]))],
    ["crossEntropy: input shape [4,3] needs a class-index target of shape [4] (the input's shape without the class dimension 1), got [4,1]", () => F.crossEntropy(bp.zeros([4, 3]), bp.zeros([4, 1], { dtype: "int32" }))],
    ["crossEntropy: class-index targets must be int32, got float32", () => F.crossEntropy(bp.zeros([4, 3]), bp.zeros([4]))],
    ["crossEntropy: target 3 at flat index 1 is out of range for 3 classes (expected 0 … 2)", () => F.crossEntropy(bp.zeros([2, 3]), idx([0, 3]))],
    ["crossEntropy: labelSmoothing must be in [0, 1], got 2", () => F.crossEntropy(bp.zeros([2, 3]), idx([0, 1]), { labelSmoothing: 2 })],
    ["crossEntropy: weight must have shape [3] (one per class), got [2]", () => F.crossEntropy(bp.zeros([2, 3]), idx([0, 1]), { weight: bp.ones([2]) })],
    ["nllLoss: target -1 at flat index 0 is out of range for 3 classes", () => F.nllLoss(bp.zeros([2, 3]), idx([-1, 1]))],
    ['mseLoss: reduction must be "mean", "sum" or "none", got "avg"', () => F.mseLoss(bp.zeros([2]), bp.zeros([2]), { reduction: "avg" as "mean" })],
    ["crossEntropy: the input must have a class dimension, got a 0-d tensor", () => F.crossEntropy(bp.tensor(1), idx([0]))],
  ])("%s", (message, fn) => {
    expect(fn).toThrow(message);
  });

  test("the errors are the library's classes", () => {
    expect(() => F.mseLoss(bp.zeros([4, 1]), bp.zeros([4]))).toThrow(bp.ShapeError);
    expect(() => F.crossEntropy(bp.zeros([2, 3]), idx([0, 3]))).toThrow(bp.ValueError);
    expect(() => F.crossEntropy(bp.zeros([4, 3]), bp.zeros([4]))).toThrow(bp.DTypeError);
  });
});

describe("values by hand", () => {
  test("crossEntropy of uniform scores is log C; labelSmoothing leaves it unchanged", () => {
    expect(F.crossEntropy(bp.zeros([2, 4], { dtype: "float64" }), idx([1, 3])).item()).toBeCloseTo(Math.log(4), 15);
    expect(F.crossEntropy(bp.zeros([2, 4], { dtype: "float64" }), idx([1, 3]), { labelSmoothing: 0.3 }).item()).toBeCloseTo(Math.log(4), 15);
  });

  test("binaryCrossEntropy clamps its logs at −100 like PyTorch, and its gradient stays finite at 0 and 1", () => {
    const x = bp.tensor([0, 1, 0, 1], { requiresGrad: true });
    const loss = F.binaryCrossEntropy(x, bp.tensor([1, 0, 0, 1]), { reduction: "none" });
    expect(loss.toArray()).toEqual([100, 100, -0, -0]); // −(0·…) is −0, in PyTorch too
    loss.sum().backward();
    // PyTorch divides by max(x·(1 − x), 1e-12) here; the clamped log has no slope: both are finite, neither NaN.
    expect((x.grad!.toArray() as number[]).map((v) => v + 0)).toEqual([0, 0, 1, -1]); // + 0 folds −0 into 0
  });

  test("binaryCrossEntropyWithLogits is exact far from zero and has gradient σ(x) − t at x = 0", () => {
    const x = bp.tensor([-800, 0, 800], { dtype: "float64", requiresGrad: true });
    const t = bp.tensor([1, 0.25, 0], { dtype: "float64" });
    const loss = F.binaryCrossEntropyWithLogits(x, t, { reduction: "none" });
    expect(loss.toArray()).toEqual([800, Math.log(2), 800]);
    loss.sum().backward();
    expect(x.grad!.toArray()).toEqual([-1, 0.25, 1]);
  });

  test("an all-ignored batch gives NaN for mean (as PyTorch) and 0 for sum", () => {
    const x = bp.zeros([2, 3]);
    expect(Number.isNaN(F.crossEntropy(x, idx([-100, -100])).item())).toBe(true);
    expect(F.crossEntropy(x, idx([-100, -100]), { reduction: "sum" }).item()).toBe(0);
  });
});

describe("second derivatives (gradgradcheck, float64)", () => {
  const g = new bp.Generator(9);
  const rnd = (shape: number[]) => {
    const t = bp.randn(shape, { dtype: "float64", generator: g });
    t.requiresGrad = true;
    return t;
  };
  test("crossEntropy with labelSmoothing and weight", () => {
    const w = bp.tensor([0.5, 1, 2], { dtype: "float64" });
    expect(bp.gradgradcheck((x) => F.crossEntropy(x, idx([0, 2, 1, 2]), { labelSmoothing: 0.1, weight: w }), [rnd([4, 3])])).toBe(true);
  });
  test("binaryCrossEntropyWithLogits in input and target", () => {
    expect(bp.gradgradcheck((x, t) => F.binaryCrossEntropyWithLogits(x, t), [rnd([5]), rnd([5])])).toBe(true);
  });
  test("mseLoss and smoothL1Loss", () => {
    expect(bp.gradgradcheck((x, t) => F.mseLoss(x, t, { reduction: "sum" }), [rnd([3, 2]), rnd([3, 2])])).toBe(true);
    expect(bp.gradcheck((x, t) => F.smoothL1Loss(x, t, { beta: 0.7 }), [rnd([6]), rnd([6])])).toBe(true);
  });
  test("layerNorm", () => {
    expect(bp.gradgradcheck((x, w, b) => F.layerNorm(x, [4], w, b), [rnd([2, 4]), rnd([4]), rnd([4])])).toBe(true);
  });
});

describe("training reaches an accuracy", () => {
  test("an MLP with crossEntropy and Adam separates three Gaussian blobs", () => {
    bp.manualSeed(11);
    const g = new bp.Generator(12);
    const n = 60;
    const centers = [[2, 0], [-1, 1.7], [-1, -1.7]];
    const xs: number[][] = [];
    const ys: number[] = [];
    for (let i = 0; i < 3 * n; i++) {
      const c = i % 3;
      xs.push([centers[c][0] + 0.6 * g.normal(), centers[c][1] + 0.6 * g.normal()]);
      ys.push(c);
    }
    const x = bp.tensor(xs);
    const y = idx(ys);
    const model = new bp.nn.Sequential(new bp.nn.Linear(2, 16), new bp.nn.GELU(), new bp.nn.LayerNorm(16), new bp.nn.Linear(16, 3));
    const opt = new bp.optim.Adam(model.parameters(), { lr: 0.05 });
    const sched = new bp.optim.lrScheduler.StepLR(opt, { stepSize: 50, gamma: 0.5 });
    for (let epoch = 0; epoch < 100; epoch++) {
      opt.zeroGrad();
      F.crossEntropy(model.forward(x), y, { labelSmoothing: 0.05 }).backward();
      opt.step();
      sched.step();
    }
    model.eval();
    const pred = model.forward(x).argmax(1).data();
    const correct = Array.from(pred).filter((p, i) => p === ys[i]).length;
    expect(correct / ys.length).toBeGreaterThan(0.95);
  });
});
