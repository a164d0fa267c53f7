/**
 * In-place ops (add_, sub_, mul_, div_, zero_, fill_, copy_): where they are
 * allowed (PyTorch's rules, stricter for tensors with a gradFn), that they
 * write through views, and that a backward through values changed after
 * the graph saved them throws instead of giving a wrong gradient.
 * PyTorch's own values for writes through views are in ops14.test.ts.
 */
import { describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";
import { setRecycling } from "../../src/tensor/recycler.js";

describe("what in-place ops do", () => {
  it("update the values, return the tensor itself, and accept numbers and broadcasting tensors", () => {
    const x = bp.tensor([[1, 2], [3, 4]]);
    expect(x.add_(1)).toBe(x);
    x.mul_(bp.tensor([10, 100])).sub_(bp.tensor([[1], [2]])).div_(2);
    expect(x.toArray()).toEqual([[9.5, 149.5], [19, 249]]);
    expect(x.fill_(bp.tensor(3)).toArray()).toEqual([[3, 3], [3, 3]]);
    expect(x.zero_().toArray()).toEqual([[0, 0], [0, 0]]);
    expect(x.copy_(bp.tensor([7, 8])).toArray()).toEqual([[7, 8], [7, 8]]);
  });

  it("write through views into the tensor they view: transposed, narrowed, detached", () => {
    const x = bp.arange(12, undefined, undefined, { dtype: "float32" }).reshape(3, 4);
    x.T.narrow(0, 1, 2).mul_(-1); // columns 1 and 2
    x.narrow(0, 2, 1).fill_(0);
    x.detach().narrow(1, 3, 1).add_(100);
    expect(x.toArray()).toEqual([[0, -1, -2, 103], [4, -5, -6, 107], [0, 0, 0, 100]]);
  });

  it("copy_ reads its source before writing, also when both share storage", () => {
    const x = bp.tensor([[1, 2], [3, 4]]);
    x.copy_(x.T);
    expect(x.toArray()).toEqual([[1, 3], [2, 4]]);
    const y = bp.tensor([1, 2, 3, 4, 5]);
    y.narrow(0, 1, 4).copy_(y.narrow(0, 0, 4));
    expect(y.toArray()).toEqual([1, 1, 2, 3, 4]);
    const z = bp.tensor([1, 2, 3]);
    z.add_(z.flip(0));
    expect(z.toArray()).toEqual([4, 4, 4]);
    // Two typed arrays over one ArrayBuffer overlap too.
    const buffer = new Float32Array([1, 2, 3, 4, 5, 6]);
    const a = bp.fromStorage(buffer.subarray(2, 6), [2, 2]);
    const b = bp.fromStorage(buffer.subarray(0, 4), [2, 2]);
    a.T.copy_(b);
    expect(Array.from(buffer)).toEqual([1, 2, 1, 3, 2, 4]);
    const c = bp.fromStorage(buffer.subarray(0, 4), [2, 2]);
    bp.fromStorage(buffer.subarray(2, 6), [2, 2]).T.add_(c, { alpha: 10 });
    expect(Array.from(buffer)).toEqual([1, 2, 1 + 10 * 1, 3 + 10 * 1, 2 + 10 * 2, 4 + 10 * 3]); // d.T += 10·c, c = [[1, 2], [1, 3]] read first
  });

  it("cast to the tensor's dtype as PyTorch does: copy_ and fill_ convert anything, arithmetic keeps the kind", () => {
    const i = bp.tensor([1, 2, 3], { dtype: "int32" });
    i.add_(2).mul_(bp.tensor([1, 2, 3], { dtype: "int32" }));
    expect([i.dtype, i.toArray()]).toEqual(["int32", [3, 8, 15]]);
    i.copy_(bp.tensor([1.9, -1.9, 0.5]));
    expect(i.toArray()).toEqual([1, -1, 0]);
    i.fill_(2.7);
    expect(i.toArray()).toEqual([2, 2, 2]);
    expect(() => i.div_(2)).toThrowError(bp.DTypeError);
    expect(() => i.add_(0.5)).toThrowError(
      'add_: the result is float32 and cannot be written into this int32 tensor (integer and bool tensors take only results of their own kind); use the out-of-place add(…) or convert with .to("float32") first',
    );
    const b = bp.tensor([true, false]);
    b.copy_(bp.tensor([0, 0.5]));
    expect(b.toArray()).toEqual([false, true]);
    b.fill_(3);
    expect(b.toArray()).toEqual([true, true]);
    const f = bp.zeros(2);
    f.add_(bp.tensor([0.1, 0.2], { dtype: "float64" }));
    expect([f.dtype, f.toArray()]).toEqual(["float32", [Math.fround(0.1), Math.fround(0.2)]]);
  });

  it("reject a result that would change the tensor's shape, and writes into expanded views", () => {
    expect(() => bp.zeros(3).add_(bp.zeros(2, 3))).toThrowError(
      "add_: the operand's shape [2,3] broadcasts this tensor's shape [3] to [2,3]; an in-place result must keep the tensor's shape",
    );
    expect(() => bp.zeros(1, 3).expand(2, 3).fill_(1)).toThrowError(
      "fill_: more than one element of the written-to tensor refers to a single memory location (dimension 0 of shape [2,3] has stride 0, as after expand); write into a .clone() instead",
    );
    expect(() => bp.zeros(2).copy_(bp.zeros(3))).toThrowError("copy_: src of shape [3] does not broadcast to the destination's shape [2]");
    expect(() => bp.zeros(2).mul_("2" as never)).toThrowError("mul_: expected a Tensor or a number, got string");
  });
});

describe("alpha", () => {
  it("add_(other, { alpha }) and sub_(other, { alpha }) scale the operand, rounding once", () => {
    const x = bp.tensor([1, 2, 3], { dtype: "float64" });
    x.add_(bp.tensor([1, 1, 1], { dtype: "float64" }), { alpha: 0.5 }).sub_(bp.tensor([2, 4, 6], { dtype: "float64" }), { alpha: 0.25 });
    expect(x.toArray()).toEqual([1, 1.5, 2]);
    // One rounding: fround(1 + fround(0.1) * fround(0.3)), not fround(1 + fround(fround(0.1) * fround(0.3))).
    const y = bp.tensor([1]);
    y.add_(bp.tensor([0.3]), { alpha: 0.1 });
    expect(y.item()).toBe(Math.fround(1 + Math.fround(0.1) * Math.fround(0.3)));
    const i = bp.tensor([1, 2], { dtype: "int32" });
    i.add_(3, { alpha: 2 }).T.sub_(bp.tensor([1, 1], { dtype: "int32" }), { alpha: -1 });
    expect(i.toArray()).toEqual([8, 9]);
    expect(() => i.add_(1, { alpha: 0.5 })).toThrowError("add_: alpha must be an integer for a int32 tensor, got 0.5");
    expect(() => x.add_(1, { beta: 2 } as never)).toThrowError('add_: unknown option "beta"; the only option is "alpha"');
    const v = bp.zeros(2, 3);
    v.T.add_(bp.tensor([1, 2]), { alpha: 2 });
    expect(v.toArray()).toEqual([[2, 2, 2], [4, 4, 4]]);
  });
});

describe("where in-place ops are allowed", () => {
  it("a leaf that requires grad: only under noGrad, with PyTorch's message otherwise", () => {
    const w = bp.ones(3, { requiresGrad: true });
    expect(() => w.add_(1)).toThrowError(bp.AutogradError);
    expect(() => w.zero_()).toThrowError("zero_: a leaf Variable that requires grad is being used in an in-place operation");
    bp.noGrad(() => w.mul_(2).sub_(0.5));
    expect(w.toArray()).toEqual([1.5, 1.5, 1.5]);
    expect([w.isLeaf, w.requiresGrad]).toEqual([true, true]);
  });

  it("a tensor with a gradFn: never (the graph may have saved its values)", () => {
    const w = bp.ones(3, { requiresGrad: true });
    const y = w.mul(2);
    expect(() => y.add_(1)).toThrowError(
      'add_: in-place operations are not supported on a tensor with a gradFn ("mul"), whose values the graph may have saved for backward; use the out-of-place add(…)',
    );
    expect(() => w.narrow(0, 0, 2).fill_(0)).toThrowError(/with a gradFn \("narrow"\)/);
  });

  it("an operand that requires grad: only under noGrad (no graph is recorded)", () => {
    const w = bp.ones(3, { requiresGrad: true });
    const x = bp.zeros(3);
    expect(() => x.add_(w)).toThrowError(/^add_: the operand requires grad, but in-place operations record no graph/);
    expect(() => x.copy_(w)).toThrowError(/^copy_: the operand requires grad/);
    bp.noGrad(() => x.add_(w));
    expect([x.toArray(), x.requiresGrad]).toEqual([[1, 1, 1], false]);
  });

  it("a gradient read through .grad, e.g. to zero it by hand", () => {
    const w = bp.ones(2, { requiresGrad: true });
    w.mul(3).sum().backward();
    w.grad!.zero_();
    w.mul(3).sum().backward();
    expect(w.grad!.toArray()).toEqual([3, 3]);
  });
});

describe("values saved for backward and changed in place", () => {
  it("a backward through them throws (PyTorch's version check) instead of a wrong gradient", () => {
    const w = bp.ones(3, { requiresGrad: true });
    const c = bp.tensor([1, 2, 3]);
    const y = w.mul(c); // mul saved c for w's gradient
    c.mul_(10);
    expect(() => y.sum().backward()).toThrowError(
      'backward: one of the variables needed for gradient computation has been modified by an inplace operation: value 1 (shape [3]) that "mul" saved was written in place after it was saved (its storage is now at version 1)',
    );
  });

  it("also through a detached alias, and for a parameter updated under noGrad between forward and backward", () => {
    const w = bp.tensor([1, 2], { requiresGrad: true });
    const y = w.exp(); // exp saved its output
    bp.noGrad(() => y.detach().zero_());
    expect(() => y.sum().backward()).toThrowError(/"exp" saved was written in place after it was saved \(its storage is now at version 1\)/);
    const v = bp.tensor([1, 2], { requiresGrad: true });
    const z = v.square();
    bp.noGrad(() => v.sub_(1));
    expect(() => z.sum().backward()).toThrowError(/"square" saved was written in place/);
  });

  it("a retained graph notices a write between two backward passes", () => {
    const w = bp.tensor([1, 2], { requiresGrad: true });
    const y = w.square().sum();
    y.backward({ retainGraph: true });
    bp.noGrad(() => w.add_(1));
    expect(() => y.backward()).toThrowError(/modified by an inplace operation/);
  });

  it("writes before the forward pass, or to tensors the graph did not save, change nothing", () => {
    const w = bp.tensor([1, 2], { requiresGrad: true });
    const c = bp.tensor([3, 4]);
    c.mul_(2); // before recording: the graph saves version 1
    const other = bp.tensor([5, 6]);
    const y = w.mul(c).add(other); // add saves nothing
    other.zero_();
    y.sum().backward();
    expect(w.grad!.toArray()).toEqual([6, 8]);
  });
});

describe("in-place updates in a training loop", () => {
  /** Two identical small models trained on one batch: one by bp.optim.SGD, one by hand with add_ and zero_. */
  function train(byHand: boolean): number[] {
    bp.manualSeed(3);
    const model = new bp.nn.Sequential(new bp.nn.Linear(4, 8), new bp.nn.SiLU(), new bp.nn.Linear(8, 3), new bp.nn.ReLU(), new bp.nn.Linear(3, 2));
    const x = bp.randn(16, 4);
    const target = bp.randn(16, 2);
    const opt = new bp.optim.SGD(model.parameters(), { lr: 0.05 });
    for (let step = 0; step < 30; step++) {
      if (byHand) {
        for (const p of model.parameters()) p.grad?.zero_();
      } else {
        opt.zeroGrad();
      }
      const loss = bp.F.mseLoss(model.forward(x), target);
      loss.backward();
      if (byHand) bp.noGrad(() => { for (const p of model.parameters()) p.add_(p.grad!, { alpha: -0.05 }); });
      else opt.step();
    }
    return model.parameters().flatMap((p) => Array.from(p.data()));
  }

  it("p.add_(p.grad, { alpha: -lr }) under noGrad trains exactly as optim.SGD does, with buffer recycling on or off", () => {
    const reference = train(false);
    expect(train(true)).toEqual(reference);
    const was = setRecycling(false);
    try {
      expect(train(true)).toEqual(reference);
    } finally {
      setRecycling(was);
    }
  });
});
