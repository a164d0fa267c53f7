/**
 * The ways PyTorch users call things (issue #14): backward(options), sizes
 * as separate numbers, reductions with an options object. Each used to fail
 * or, worse, silently do something else (zeros(2, 3) gave shape [2];
 * sum(1, { keepdim: false }) kept the dim). Wrong forms get an error naming
 * the op and what would fit.
 */
import { describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";
import type { Tensor } from "../../src/index.js";

const gen = () => new bp.Generator(7);

describe("backward options", () => {
  it("accepts backward({ retainGraph }) and a second backward then works", () => {
    const x = bp.tensor([1, 2, 3], { requiresGrad: true });
    const y = x.square().sum();
    y.backward({ retainGraph: true });
    y.backward();
    expect(x.grad!.toArray()).toEqual([4, 8, 12]);
  });

  it("without retainGraph the second backward still throws", () => {
    const x = bp.tensor([1, 2, 3], { requiresGrad: true });
    const y = x.square().sum();
    y.backward({});
    expect(() => y.backward()).toThrowError(/second time/);
  });

  it("accepts backward({ createGraph }) for gradients of gradients", () => {
    const x = bp.tensor(3, { dtype: "float64", requiresGrad: true });
    x.pow(3).backward({ createGraph: true });
    const g = x.grad!;
    expect(g.item()).toBe(27);
    x.grad = null;
    g.backward();
    expect(x.grad!.item()).toBe(18); // d(3x²)/dx = 6x
  });

  it("still accepts backward(gradient, options), and bp.backward(t, options)", () => {
    const x = bp.tensor([1, 2], { requiresGrad: true });
    const y = x.mul(3);
    y.backward(bp.tensor([1, 10]), { retainGraph: true });
    bp.backward(y.sum(), { retainGraph: false });
    expect(x.grad!.toArray()).toEqual([6, 33]);
  });

  it("rejects unknown options, options twice, and non-tensor gradients with a clear message", () => {
    const x = bp.tensor([1, 2], { requiresGrad: true });
    const y = x.sum();
    expect(() => y.backward({ retain_graph: true } as never)).toThrowError('backward: unknown option "retain_graph"; the options are "retainGraph" and "createGraph"');
    expect(() => y.backward({ retainGraph: true } as never, {})).toThrowError(/options twice/);
    expect(() => x.mul(2).backward([1, 1] as never)).toThrowError("backward: the gradient must be a Tensor of shape [2], got an array (wrap it with bp.tensor)");
  });
});

describe("sizes as separate numbers", () => {
  it("zeros, ones, rand and randn take (2, 3), ([2, 3]) and (2, 3, options)", () => {
    for (const f of [bp.zeros, bp.ones, bp.rand, bp.randn] as const) {
      expect(f(2, 3).shape).toEqual([2, 3]);
      expect(f([2, 3]).shape).toEqual([2, 3]);
      expect(f(4).shape).toEqual([4]);
      const t = f(2, 1, 3, { dtype: "float64" });
      expect([t.shape, t.dtype]).toEqual([[2, 1, 3], "float64"]);
    }
    expect(bp.zeros(2, 3).toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
    expect(bp.ones(2, 2, { dtype: "int32" }).toArray()).toEqual([[1, 1], [1, 1]]);
    expect(bp.ones(2, { requiresGrad: true }).requiresGrad).toBe(true);
    expect(bp.zeros([]).shape).toEqual([]);
  });

  it("rand(2, 3, { generator }) draws the same numbers as rand([2, 3], { generator })", () => {
    expect(bp.rand(2, 3, { generator: gen() }).toArray()).toEqual(bp.rand([2, 3], { generator: gen() }).toArray());
    expect(bp.randn(3, 2, { generator: gen() }).toArray()).toEqual(bp.randn([3, 2], { generator: gen() }).toArray());
  });

  it("rejects a mix of an array and numbers, and other junk, naming the function", () => {
    expect(() => bp.zeros([2] as never, 3 as never)).toThrowError(
      "zeros: expected the shape as one array or as separate numbers, then optionally the options (zeros([2, 3]), zeros(2, 3) or zeros(2, 3, { dtype: \"float64\" })), got ([2], 3)",
    );
    expect(() => bp.ones("2" as never)).toThrowError(/^ones: expected the shape/);
    expect(() => bp.zeros(2, -1)).toThrowError(bp.ShapeError);
  });

  it("reshape, view, permute, expand and flip take separate numbers too", () => {
    const x = bp.arange(6);
    expect(x.reshape(2, 3).shape).toEqual([2, 3]);
    expect(x.view(3, -1).shape).toEqual([3, 2]);
    expect(x.reshape(2, 3).view(-1).toArray()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(x.reshape(6).shape).toEqual([6]);
    const m = x.reshape(2, 3);
    expect(m.permute(1, 0).toArray()).toEqual(m.T.toArray());
    expect(m.permute([1, 0]).toArray()).toEqual(m.T.toArray());
    expect(m.unsqueeze(0).expand(4, 2, 3).shape).toEqual([4, 2, 3]);
    expect(m.unsqueeze(0).expand(4, -1, -1).shape).toEqual([4, 2, 3]);
    expect(m.flip(0, 1).toArray()).toEqual([[5, 4, 3], [2, 1, 0]]);
    expect(() => x.reshape("2" as never, 3)).toThrowError(
      'reshape: expected the sizes as one array or as separate numbers (reshape([2, 3]) or reshape(2, 3)), got ("2", 3)',
    );
  });

  it("the varargs forms are differentiable like the array forms", () => {
    const x = bp.randn([2, 3], { dtype: "float64", requiresGrad: true, generator: gen() });
    expect(bp.gradcheck((t) => t.reshape(3, 2).permute(1, 0).unsqueeze(0).expand(2, -1, -1), [x])).toBe(true);
  });
});

describe("reductions with an options object", () => {
  const x = bp.tensor([[1, 5, 3], [4, 2, 6]]);
  const same = (a: Tensor, b: Tensor) => expect([a.shape, a.toArray()]).toEqual([b.shape, b.toArray()]);

  it("sum, mean, max, min, logsumexp take ({ dim, keepdim }) and (dim, { keepdim })", () => {
    type Reduce = (dim: unknown, keepdim?: unknown) => Tensor;
    for (const op of ["sum", "mean", "max", "min", "logsumexp"] as const) {
      const f = (x[op] as Reduce).bind(x);
      same(f({ dim: 1 }), f(1));
      same(f({ dim: 1, keepdim: true }), f(1, true));
      same(f({ dim: [0, 1] }), f([0, 1]));
      same(f(0, { keepdim: true }), f(0, true));
      same(f(0, { keepdim: false }), f(0));
    }
    // The typed forms compile:
    same(x.sum({ dim: 1, keepdim: true }), x.mean(1, { keepdim: true }).mul(3));
    same(x.max(0, { keepdim: false }), x.max({ dim: 0 }));
    same(x.logsumexp({ dim: 1 }), x.logsumexp(1));
    same(x.sum({}), x.sum());
    same(x.sum({ keepdim: true }), x.sum(null, true));
  });

  it("argmax and argmin take ({ dim, keepdim })", () => {
    same(x.argmax({ dim: 1 }), x.argmax(1));
    same(x.argmin({ dim: 0, keepdim: true }), x.argmin(0, true));
    same(x.argmax({}), x.argmax());
    expect(() => x.argmax({ dim: [0, 1] } as never)).toThrowError(
      "argmax: dim must be a number or null (or pass the options { dim, keepdim }), got the array [0,1]",
    );
  });

  it("variance and std take ({ dim, unbiased, keepdim }) and (dim, { unbiased, keepdim })", () => {
    same(x.variance({ dim: 1, unbiased: false }), x.variance(1, { unbiased: false }));
    same(x.std({ dim: 0, keepdim: true }), x.std(0, { keepdim: true }));
    // Population std of [1, 5, 3] is sqrt(8/3); the sample std of [1, 4] is sqrt(4.5).
    expect((x.std({ dim: 1, unbiased: false }).toArray() as number[])[0]).toBeCloseTo(Math.sqrt(8 / 3), 6);
    expect((x.std(0).toArray() as number[])[0]).toBeCloseTo(Math.sqrt(4.5), 6);
    expect(bp.std(x).item()).toBeCloseTo(Math.sqrt(17.5 / 5), 6);
  });

  it("keepdim given as something other than a boolean is an error, not a silent keepdim", () => {
    expect(() => x.sum(1, "yes" as never)).toThrowError('sum: keepdim must be true or false, got the string "yes"');
    expect(() => x.sum({ dim: 1 } as never, true as never)).toThrowError("sum: got an options object and a second argument boolean; put keepdim inside the options");
    expect(() => x.variance(1, { keepdim: 1 } as never)).toThrowError("variance: keepdim must be true or false, got number");
  });

  it("a dim that is not a number, an array or null names the op and what would fit", () => {
    expect(() => x.sum("1" as never)).toThrowError(
      'sum: dim must be a number, an array of numbers or null (or pass the options { dim, keepdim }), got the string "1"',
    );
    expect(() => x.mean(bp.tensor(1) as never)).toThrowError(/^mean: dim must be .* got a Tensor \(pass its value as a number\)$/);
    expect(() => x.max({ dims: 1 } as never)).toThrowError('max: unknown option "dims"; the options are "dim", "keepdim"');
    expect(() => x.std({ dim: 1, correction: 0 } as never)).toThrowError('std: unknown option "correction"; the options are "dim", "unbiased", "keepdim"');
    expect(() => x.logsumexp({ dim: ["a"] } as never)).toThrowError(/^logsumexp: dim must be/);
  });

  it("ops that take one dim name what would fit when given something else", () => {
    expect(() => x.softmax({ dim: 1 } as never)).toThrowError("softmax: dim must be an integer in [-2, 1], got object");
    expect(() => x.argsort("0" as never)).toThrowError('argsort: dim must be a number, got the string "0"');
    expect(() => x.unsqueeze([0] as never)).toThrowError("unsqueeze: dim must be an integer in [-3, 2], got the array [0]");
    expect(() => x.flip({ dims: 0 } as never)).toThrowError(/^flip: expected the sizes as one array or as separate numbers/);
  });

  it("the options forms are differentiable", () => {
    const w = bp.randn([2, 3, 4], { dtype: "float64", requiresGrad: true, generator: gen() });
    expect(bp.gradcheck((t) => t.sum({ dim: [0, 2], keepdim: true }).mul(t.mean({ dim: 1 }).max({ dim: -1 }).sum()), [w])).toBe(true);
  });
});
