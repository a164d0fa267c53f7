/**
 * A leaf's existing .grad is written in place, as in PyTorch 1.13: backward
 * adds into it (AccumulateGrad without a graph) and zeroGrad() zeroes it
 * (zero_grad(), whose default in 1.13 is set_to_none=False). Checked against
 * what torch 1.13 does:
 *   w = torch.ones(3, requires_grad=True); (w*2).sum().backward(); g = w.grad
 *   (w*3).sum().backward()        # g is w.grad, g == [5, 5, 5]
 *   opt.zero_grad()               # g is w.grad, g == [0, 0, 0]
 *   opt.zero_grad(set_to_none=True)   # w.grad is None, g keeps its values
 */
import { describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";

describe("writing .grad in place", () => {
  it("a second backward adds into the .grad a caller holds", () => {
    const w = bp.ones([3], { requiresGrad: true });
    w.mul(2).sum().backward();
    const g = w.grad!;
    w.mul(3).sum().backward();
    expect(w.grad).toBe(g);
    expect(g.toArray()).toEqual([5, 5, 5]);
  });

  it("zeroGrad(false) zeroes the held .grad, and the next backward fills that same tensor", () => {
    const w = bp.ones([3], { requiresGrad: true });
    const opt = new bp.optim.SGD([w], { lr: 0.1 });
    w.mul(2).sum().backward();
    const g = w.grad!;
    opt.zeroGrad(false);
    expect(w.grad).toBe(g);
    expect(g.toArray()).toEqual([0, 0, 0]);
    w.mul(5).sum().backward();
    expect(w.grad).toBe(g);
    expect(g.toArray()).toEqual([5, 5, 5]);
  });

  it("zeroGrad() zeroes in place by default, on optimizers and modules alike", () => {
    const w = bp.ones([3], { requiresGrad: true });
    w.mul(2).sum().backward();
    const g = w.grad!;
    new bp.optim.SGD([w], { lr: 0.1 }).zeroGrad();
    expect(w.grad).toBe(g);
    expect(g.toArray()).toEqual([0, 0, 0]);
    const layer = new bp.nn.Linear(2, 1);
    layer.forward(bp.ones([1, 2])).sum().backward();
    const weightGrad = layer.weight.grad!;
    layer.zeroGrad();
    expect(layer.weight.grad).toBe(weightGrad);
    expect(weightGrad.toArray()).toEqual([[0, 0]]);
  });

  it("zeroGrad(true) (setToNone) leaves the held .grad as it was", () => {
    const w = bp.ones([3], { requiresGrad: true });
    w.mul(2).sum().backward();
    const g = w.grad!;
    new bp.optim.SGD([w], { lr: 0.1 }).zeroGrad(true);
    expect(w.grad).toBe(null);
    w.mul(5).sum().backward();
    expect(w.grad).not.toBe(g);
    expect(g.toArray()).toEqual([2, 2, 2]);
    expect(w.grad!.toArray()).toEqual([5, 5, 5]);
  });

  it("a non-leaf's retained .grad is replaced by the sum, as torch 1.13's retain_grad does (y.grad is not g)", () => {
    const x = bp.ones([2], { requiresGrad: true });
    const y = x.mul(2);
    y.retainGrad();
    y.sum().backward(null, { retainGraph: true });
    const g = y.grad!;
    y.sum().backward();
    expect(y.grad).not.toBe(g);
    expect(g.toArray()).toEqual([1, 1]);
    expect(y.grad!.toArray()).toEqual([2, 2]);
  });

  it("a .grad with a graph (from createGraph) is replaced by the sum, not written", () => {
    const x = bp.tensor([1, 2], { dtype: "float64", requiresGrad: true });
    x.mul(x).sum().backward(null, { createGraph: true });
    const withGraph = x.grad!;
    expect(withGraph.requiresGrad).toBe(true);
    x.mul(4).sum().backward();
    expect(x.grad).not.toBe(withGraph);
    expect(withGraph.toArray()).toEqual([2, 4]);
    expect(x.grad!.toArray()).toEqual([6, 8]);
    new bp.optim.SGD([x], { lr: 0.1 }).zeroGrad(false);
    expect(x.grad!.toArray()).toEqual([0, 0]);
  });

  it("a .grad assigned as a stride-0 expansion is replaced by a contiguous sum, the expanded storage untouched", () => {
    const w = bp.ones([3], { requiresGrad: true });
    const base = bp.tensor([1]);
    w.grad = base.expand([3]);
    w.mul(2).sum().backward();
    expect(w.grad!.toArray()).toEqual([3, 3, 3]);
    expect(w.grad!.isContiguous).toBe(true);
    expect(base.toArray()).toEqual([1]);
    w.grad = base.expand([3]);
    new bp.optim.SGD([w], { lr: 0.1 }).zeroGrad(false);
    expect(w.grad!.toArray()).toEqual([0, 0, 0]);
    expect(base.toArray()).toEqual([1]);
  });

  it("a .grad assigned as a view of a larger tensor is replaced, the larger tensor untouched", () => {
    const w = bp.ones([2], { requiresGrad: true });
    const big = bp.tensor([10, 20, 30, 40]);
    w.grad = big.narrow(0, 1, 2);
    w.mul(2).sum().backward();
    expect(w.grad!.toArray()).toEqual([22, 32]);
    expect(big.toArray()).toEqual([10, 20, 30, 40]);
  });
});
