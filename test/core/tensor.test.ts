/** Tensors: creation, dtypes, read-out, promotion, and views sharing storage. */
import { describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";

describe("creation from data", () => {
  it("nested arrays give their shape, float32 by default", () => {
    const t = bp.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe("float32");
    expect(t.ndim).toBe(2);
    expect(t.size).toBe(6);
    expect(t.storage).toBeInstanceOf(Float32Array);
    expect(t.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
  });

  it("a number gives a 0-d tensor; JS integers are float32 (there is no int64)", () => {
    const t = bp.tensor(7);
    expect(t.shape).toEqual([]);
    expect(t.dtype).toBe("float32");
    expect(t.toArray()).toBe(7);
    expect(t.item()).toBe(7);
  });

  it("float32 rounds, float64 keeps every bit", () => {
    expect(bp.tensor([0.1]).toArray()).toEqual([Math.fround(0.1)]);
    expect(bp.tensor([0.1], { dtype: "float64" }).toArray()).toEqual([0.1]);
  });

  it("typed arrays give their own dtype and are copied", () => {
    const src = new Float64Array([1.5, 2.5]);
    const t = bp.tensor(src);
    expect(t.dtype).toBe("float64");
    src[0] = 99;
    expect(t.toArray()).toEqual([1.5, 2.5]);
    expect(bp.tensor(new Int32Array([3, -4])).dtype).toBe("int32");
    expect(bp.tensor(new Float32Array([1])).dtype).toBe("float32");
    expect(bp.tensor(new Float64Array([1.9, -1.9]), { dtype: "int32" }).toArray()).toEqual([1, -1]); // truncates, like PyTorch
  });

  it("fromStorage wraps without copying", () => {
    const data = new Float32Array([1, 2, 3, 4]);
    const t = bp.fromStorage(data, [2, 2]);
    data[3] = 40;
    expect(t.toArray()).toEqual([[1, 2], [3, 40]]);
  });

  it("booleans and comparisons give bool tensors", () => {
    expect(bp.tensor([true, false]).dtype).toBe("bool");
    const c = bp.tensor([1, 2, 3]).gt(1.5);
    expect(c.dtype).toBe("bool");
    expect(c.toArray()).toEqual([false, true, true]);
    for (const op of ["eq", "ne", "gt", "ge", "lt", "le"] as const) expect(bp.tensor([1])[op](1).dtype).toBe("bool");
    expect(bp.tensor([0, 0.5, -2]).to("bool").toArray()).toEqual([false, true, true]);
    expect(bp.tensor(bp.tensor([0, 0.5]), { dtype: "bool" }).toArray()).toEqual([false, true]);
  });

  it("bool item() gives 1/0 while toArray() gives booleans", () => {
    const t = bp.tensor(true);
    expect(t.item()).toBe(1);
    expect(t.toArray()).toBe(true);
  });

  it("int32 tensors for indices and labels", () => {
    const t = bp.tensor([[1, 2]], { dtype: "int32" });
    expect(t.storage).toBeInstanceOf(Int32Array);
    expect(t.toArray()).toEqual([[1, 2]]);
  });

  it("requiresGrad as an option", () => {
    const t = bp.tensor([1], { requiresGrad: true });
    expect(t.requiresGrad).toBe(true);
    expect(t.isLeaf).toBe(true);
    expect(t.gradFn).toBeNull();
    expect(t.grad).toBeNull();
  });
});

describe("filled and ranged creation", () => {
  it("zeros, ones, full, *Like", () => {
    expect(bp.zeros([2, 2]).toArray()).toEqual([[0, 0], [0, 0]]);
    expect(bp.ones(3, { dtype: "int32" }).toArray()).toEqual([1, 1, 1]);
    expect(bp.full([2], 2.5, { dtype: "float64" }).toArray()).toEqual([2.5, 2.5]);
    const like = bp.onesLike(bp.zeros([1, 2], { dtype: "float64" }));
    expect(like.dtype).toBe("float64");
    expect(like.toArray()).toEqual([[1, 1]]);
    expect(bp.zerosLike(bp.ones([2], { dtype: "int32" })).dtype).toBe("int32");
    expect(bp.zeros([0, 3]).size).toBe(0);
  });

  it("eye", () => {
    expect(bp.eye(3).toArray()).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
  });

  it("arange: int32 for integer arguments, float32 otherwise", () => {
    expect(bp.arange(4).toArray()).toEqual([0, 1, 2, 3]);
    expect(bp.arange(4).dtype).toBe("int32");
    expect(bp.arange(1, 7, 2).toArray()).toEqual([1, 3, 5]);
    expect(bp.arange(5, 1, -2).toArray()).toEqual([5, 3]);
    const f = bp.arange(0, 1, 0.25);
    expect(f.dtype).toBe("float32");
    expect(f.toArray()).toEqual([0, 0.25, 0.5, 0.75]);
    expect(() => bp.arange(0, 1, 0)).toThrowError("arange: step must be a nonzero finite number, got 0");
  });

  it("linspace hits both ends exactly (values from torch.linspace in float64)", () => {
    expect(bp.linspace(0, 1, 5).toArray()).toEqual([0, 0.25, 0.5, 0.75, 1]);
    // torch.linspace(-1, 0.3, 7, dtype=torch.float64)
    expect(bp.linspace(-1, 0.3, 7, { dtype: "float64" }).toArray()).toEqual([
      -1, -0.7833333333333333, -0.5666666666666667, -0.35000000000000003, -0.13333333333333336, 0.08333333333333331, 0.3,
    ]);
    expect(bp.linspace(2, 3, 1).toArray()).toEqual([2]);
  });
});

describe("random numbers", () => {
  it("manualSeed makes rand/randn reproducible", () => {
    bp.manualSeed(42);
    const a = bp.randn([5]).toArray();
    const b = bp.rand([3]).toArray();
    bp.manualSeed(42);
    expect(bp.randn([5]).toArray()).toEqual(a);
    expect(bp.rand([3]).toArray()).toEqual(b);
    bp.manualSeed(43);
    expect(bp.randn([5]).toArray()).not.toEqual(a);
  });

  it("a Generator is an independent stream whose state can be saved and restored", () => {
    const g = new bp.Generator(7);
    const state = g.getState();
    const a = bp.randn([4], { dtype: "float64", generator: g }).toArray();
    bp.randn([10]); // the default generator does not disturb g
    const b = bp.randn([3], { dtype: "float64", generator: g }).toArray();
    g.setState(state);
    expect(bp.randn([4], { dtype: "float64", generator: g }).toArray()).toEqual(a);
    expect(bp.randn([3], { dtype: "float64", generator: g }).toArray()).toEqual(b);
    const h = new bp.Generator(7);
    expect(bp.randn([4], { dtype: "float64", generator: h }).toArray()).toEqual(a);
  });

  it("rand is in [0, 1), randint in [low, high), randperm a permutation", () => {
    const g = new bp.Generator(3);
    const u = bp.rand([2000], { generator: g }).data();
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    const r = bp.randint(-2, 3, [1000], { generator: g });
    expect(r.dtype).toBe("int32");
    expect(new Set(r.data())).toEqual(new Set([-2, -1, 0, 1, 2]));
    expect([...bp.randperm(10, { generator: g }).data()].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("randn has mean 0 and variance 1 (20,000 samples, 5 standard errors)", () => {
    const x = bp.randn([20_000], { dtype: "float64", generator: new bp.Generator(11) });
    expect(Math.abs(x.mean().item())).toBeLessThan(5 / Math.sqrt(20_000));
    expect(Math.abs(x.variance().item() - 1)).toBeLessThan(5 * Math.sqrt(2 / 20_000));
  });
});

describe("read-out", () => {
  it("data() is a contiguous copy, also of a view", () => {
    const t = bp.tensor([[1, 2, 3], [4, 5, 6]]);
    const d = t.T.data();
    expect(Array.from(d)).toEqual([1, 4, 2, 5, 3, 6]);
    d[0] = 100;
    expect(t.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
  });

  it("item() of one-element tensors of any rank, and of a view", () => {
    expect(bp.tensor([[3]]).item()).toBe(3);
    expect(bp.tensor([1, 2, 3]).narrow(0, 2, 1).item()).toBe(3);
  });

  it("toString() shows the values, dtype and gradFn like PyTorch's repr", () => {
    expect(bp.tensor([[1, 2.5], [3, 4]]).toString()).toBe("tensor([[1., 2.5],\n        [3., 4.]])");
    expect(bp.tensor([1, 2], { dtype: "int32" }).toString()).toBe("tensor([1, 2], dtype=int32)");
    expect(bp.tensor([true, false]).toString()).toBe("tensor([true, false], dtype=bool)");
    const x = bp.tensor([1], { requiresGrad: true });
    expect(x.toString()).toBe("tensor([1.], requiresGrad=true)");
    expect(x.mul(2).toString()).toBe("tensor([2.], gradFn=mul)");
    expect(bp.tensor(0.5).toString()).toBe("tensor(0.5)");
  });
});

describe("dtype promotion", () => {
  it("float32 with float64 gives float64, in either order", () => {
    const a = bp.tensor([1, 2]);
    const b = bp.tensor([1, 2], { dtype: "float64" });
    expect(a.add(b).dtype).toBe("float64");
    expect(b.mul(a).dtype).toBe("float64");
    expect(a.matmul(b).dtype).toBe("float64");
    expect(bp.cat([a, b]).dtype).toBe("float64");
  });

  it("a JS number does not widen a tensor's dtype", () => {
    expect(bp.tensor([1]).mul(0.1).dtype).toBe("float32");
    expect(bp.tensor([1], { dtype: "int32" }).add(2).dtype).toBe("int32");
    expect(bp.tensor([1], { dtype: "int32" }).add(0.5).dtype).toBe("float32");
  });

  it("where of two numbers gives float32", () => {
    const w = bp.where(bp.tensor([true, false]), 1.5, -2);
    expect(w.dtype).toBe("float32");
    expect(w.toArray()).toEqual([1.5, -2]);
  });

  it("a JS number meets a float32 tensor in float32 arithmetic, as in PyTorch", () => {
    // torch: (x * 0.7) == x * float32(0.7), which differs from rounding x * 0.7 computed in float64.
    const values = [1.2345678, 3.3, 7.77777, 1e-3, -2.5e7];
    const x = bp.tensor(values);
    const xs = Array.from(x.data());
    for (const c of [0.1, 1 / 3, 0.7, 1e-8]) {
      const c32 = Math.fround(c);
      expect(Array.from(x.add(c).data()), `add ${c}`).toEqual(xs.map((v) => Math.fround(v + c32)));
      expect(Array.from(x.sub(c).data()), `sub ${c}`).toEqual(xs.map((v) => Math.fround(v - c32)));
      expect(Array.from(bp.sub(c, x).data()), `rsub ${c}`).toEqual(xs.map((v) => Math.fround(c32 - v)));
      expect(Array.from(x.mul(c).data()), `mul ${c}`).toEqual(xs.map((v) => Math.fround(v * c32)));
      expect(Array.from(x.div(c).data()), `div ${c}`).toEqual(xs.map((v) => Math.fround(v / c32)));
      expect(Array.from(x.mul(c).data())).toEqual(Array.from(x.mul(bp.tensor(c)).data()));
      expect(Array.from(x.neg().leakyRelu(c).data()), `leakyRelu ${c}`).toEqual(xs.map((v) => (v < 0 ? -v : Math.fround(-v * c32))));
    }
  });

  it("int32 with float gives float; division of ints is true division", () => {
    const i = bp.tensor([1, 2], { dtype: "int32" });
    expect(i.add(bp.tensor([0.5])).dtype).toBe("float32");
    expect(i.div(bp.tensor([2], { dtype: "int32" })).toArray()).toEqual([0.5, 1]);
    expect(i.exp().dtype).toBe("float32");
    expect(i.sum().dtype).toBe("int32");
  });
});

describe("views share storage", () => {
  it("reshape (of a contiguous tensor), transpose, permute, T, expand, narrow, squeeze, unsqueeze", () => {
    const x = bp.arange(0, 6).to("float32").reshape([2, 3]);
    const views = [
      x.reshape([3, 2]), x.transpose(0, 1), x.permute([1, 0]), x.T, x.unsqueeze(0).expand([4, 2, 3]),
      x.narrow(1, 1, 2), x.unsqueeze(1).squeeze(1), x.flatten(),
    ];
    for (const v of views) expect(v.storage).toBe(x.storage);
    expect(x.narrow(1, 1, 2).toArray()).toEqual([[1, 2], [4, 5]]);
    expect(x.narrow(1, 1, 2).isContiguous).toBe(false);
    expect(x.narrow(0, 1, 1).offset).toBe(3);
    expect(x.T.strides).toEqual([1, 3]);
    expect(x.unsqueeze(0).expand([4, 2, 3]).strides[0]).toBe(0);
  });

  it("reshape of a non-contiguous tensor copies", () => {
    const x = bp.tensor([[1, 2], [3, 4]]);
    const r = x.T.reshape([4]);
    expect(r.storage).not.toBe(x.storage);
    expect(r.toArray()).toEqual([1, 3, 2, 4]);
  });

  it("ops never modify their inputs", () => {
    const x = bp.tensor([[1, -2], [3, -4]]);
    const before = Array.from(x.storage);
    x.relu(); x.abs(); x.T.exp(); x.clamp(0, 1); x.sum(0); x.softmax(1); x.neg(); x.add(1); x.mul(x);
    expect(Array.from(x.storage)).toEqual(before);
  });
});
