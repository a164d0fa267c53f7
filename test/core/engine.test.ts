/** The backward engine: accumulation, graph lifetime, higher order, hooks, bp.grad, anomaly mode, masks, depth. */
import { describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";
import type { Tensor } from "../../src/index.js";
import { jsBackend } from "../../src/backend/js/index.js";

const f64 = (data: bp.TensorData, requiresGrad = true) => bp.tensor(data, { dtype: "float64", requiresGrad });
const arr = (t: Tensor | null) => Array.from(t!.data());

describe("accumulation", () => {
  it("sums the gradients of a tensor used along several paths (fan-out)", () => {
    const x = f64([1, 2, 3]);
    // y = x·x + 3x + sin(x) reaches x through four edges.
    const y = x.mul(x).add(x.mul(3)).add(x.sin()).sum();
    y.backward();
    expect(arr(x.grad)).toEqual([1, 2, 3].map((v) => 2 * v + 3 + Math.cos(v)));
  });

  it("sums gradients of shared subgraphs before running a node once (diamond)", () => {
    const x = f64([0.5, -1]);
    const h = x.exp();
    const y = h.mul(h).add(h.mul(2)).sum(); // dy/dx = (2h + 2)·h
    y.backward();
    expect(arr(x.grad)).toEqual([0.5, -1].map((v) => (2 * Math.exp(v) + 2) * Math.exp(v)));
  });

  it("accumulates into .grad across backward calls until it is reset", () => {
    const x = f64([1, 2]);
    x.mul(3).sum().backward();
    x.mul(x).sum().backward();
    expect(arr(x.grad)).toEqual([3 + 2, 3 + 4]);
    x.grad = null;
    x.mul(5).sum().backward();
    expect(arr(x.grad)).toEqual([5, 5]);
  });

  it("gives each leaf its own contiguous gradient storage", () => {
    const a = f64([1, 2]);
    const b = f64([3, 4]);
    const c = f64(5);
    const root = bp.ones([2], { dtype: "float64" });
    a.add(b).add(c).backward(root); // add passes the same gradient through to a, b and (summed) c
    expect(a.grad!.storage).not.toBe(b.grad!.storage);
    expect(a.grad!.storage).not.toBe(root.storage);
    const x = f64([[1, 2, 3]]);
    x.expand([4, 3]).sum().backward(); // sum's VJP is a stride-0 expansion
    expect(x.grad!.isContiguous).toBe(true);
    expect(x.grad!.storage.length).toBe(3);
    expect(arr(x.grad)).toEqual([4, 4, 4]);
  });

  it("keeps a gradient the pass computed as the leaf's .grad without copying it", () => {
    const w = f64(Array.from({ length: 100 }, (_, i) => Array.from({ length: 100 }, (_, j) => (i - j) / 100)));
    const x = f64([Array.from({ length: 100 }, (_, i) => i / 10)], false);
    const loss = x.matmul(w).sum();
    const before = bp.memory().allocatedBytes;
    loss.backward();
    // dW = xᵀ·1 is 100×100 float64 = 80,000 bytes; a copy for .grad would double that.
    expect(bp.memory().allocatedBytes - before).toBeLessThan(2 * 80_000);
    expect(w.grad!.data()[3 * 100 + 7]).toBe(0.3);
  });

  it("copies a computed gradient that two leaves receive, or that a hook has seen", () => {
    const a = f64([1, 2]);
    const b = f64([3, 4]);
    a.add(b).mul(2).sum().backward(); // mul computes one gradient, add hands it to both a and b
    expect(a.grad!.storage).not.toBe(b.grad!.storage);
    a.grad!.storage[0] = 100;
    expect(arr(b.grad)).toEqual([2, 2]);

    const c = f64([1, 2]);
    let seen: Tensor | null = null;
    c.registerHook((g) => { seen = g; });
    c.mul(3).sum().backward();
    expect(c.grad!.storage).not.toBe(seen!.storage);
    c.grad!.storage[0] = -1;
    expect(arr(seen)).toEqual([3, 3]);
  });

  it("gives leaves gradients of their own dtype", () => {
    const x32 = bp.tensor([1, 2], { requiresGrad: true });
    const w64 = f64([0.5, 0.25]);
    const y = x32.mul(w64).sum();
    expect(y.dtype).toBe("float64");
    y.backward();
    expect(x32.grad!.dtype).toBe("float32");
    expect(w64.grad!.dtype).toBe("float64");
    expect(arr(x32.grad)).toEqual([0.5, 0.25]);
  });
});

describe("graph lifetime", () => {
  it("retainGraph keeps the saved values so a second backward works", () => {
    const x = f64([1, 2]);
    const y = x.exp().sum();
    y.backward(null, { retainGraph: true });
    y.backward();
    expect(arr(x.grad)).toEqual([2 * Math.exp(1), 2 * Math.exp(2)]);
  });

  it("a second backward through a freed graph throws", () => {
    const x = f64([1, 2]);
    const y = x.exp().sum();
    y.backward();
    expect(() => y.backward()).toThrowError(bp.AutogradError);
    expect(() => y.backward()).toThrowError(
      'backward: trying to backward through the graph a second time: the values "exp" saved for its gradient were freed after the first backward; pass { retainGraph: true } to the first backward() if you need to call it again',
    );
  });
});

describe("higher order", () => {
  it("createGraph gives second derivatives: d²/dx² x³ = 6x", () => {
    const x = f64([2, -1.5]);
    const y = x.pow(3).sum();
    const [dx] = bp.grad(y, x, { createGraph: true });
    expect(arr(dx)).toEqual([12, 6.75]);
    expect(dx!.requiresGrad).toBe(true);
    const [d2x] = bp.grad(dx!.sum(), x);
    expect(arr(d2x)).toEqual([12, -9]);
  });

  it("backward(createGraph) leaves a differentiable .grad", () => {
    const x = f64(0.7);
    x.mul(x).mul(x).sin().backward(undefined, { createGraph: true }); // g = cos(x³)·3x²
    const g = x.grad!;
    expect(g.gradFn).not.toBeNull();
    x.grad = null;
    g.backward();
    const v = 0.7;
    const expected = -Math.sin(v ** 3) * 9 * v ** 4 + Math.cos(v ** 3) * 6 * v;
    expect(x.grad!.item()).toBeCloseTo(expected, 12);
  });

  it("third order through exp", () => {
    const x = f64(0.3);
    const [g1] = bp.grad(x.exp(), x, { createGraph: true });
    const [g2] = bp.grad(g1!, x, { createGraph: true });
    const [g3] = bp.grad(g2!, x);
    expect(g3!.item()).toBeCloseTo(Math.exp(0.3), 14);
  });
});

describe("recording switches", () => {
  it("noGrad records nothing and returns the callback's value", () => {
    const x = f64([1, 2]);
    const y = bp.noGrad(() => x.mul(2));
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    expect(bp.isGradEnabled()).toBe(true);
    const z = bp.noGrad(() => bp.enableGrad(() => x.mul(2)));
    expect(z.gradFn!.name).toBe("mul");
  });

  it("noGrad restores recording when the callback throws", () => {
    expect(() => bp.noGrad(() => { throw new Error("boom"); })).toThrowError("boom");
    expect(bp.isGradEnabled()).toBe(true);
  });

  it("detach shares storage but leaves the graph", () => {
    const x = f64([1, 2]);
    const y = x.mul(2);
    const d = y.detach();
    expect(d.storage).toBe(y.storage);
    expect(d.requiresGrad).toBe(false);
    expect(d.isLeaf).toBe(true);
    const z = d.mul(x).sum();
    z.backward();
    expect(arr(x.grad)).toEqual([2, 4]); // only through x, not through d
  });
});

describe("hooks", () => {
  it("a hook on a leaf sees the total gradient and may replace it", () => {
    const x = f64([1, 2]);
    const seen: number[][] = [];
    x.registerHook((g) => { seen.push(arr(g)); return g.mul(10); });
    x.mul(x).add(x).sum().backward();
    expect(seen).toEqual([[3, 5]]);
    expect(arr(x.grad)).toEqual([30, 50]);
  });

  it("a hook on a non-leaf replaces the gradient flowing upstream", () => {
    const x = f64([1, 2]);
    const h = x.mul(3);
    h.registerHook((g) => g.mul(-1));
    h.mul(h).sum().backward(); // d/dh = 2h = [6, 12], negated, times 3
    expect(arr(x.grad)).toEqual([-18, -36]);
  });

  it("remove() unregisters a hook", () => {
    const x = f64([1, 2]);
    const handle = x.registerHook((g) => g.mul(0));
    handle.remove();
    x.sum().backward();
    expect(arr(x.grad)).toEqual([1, 1]);
  });

  it("hooks run in registration order, each on the previous one's result", () => {
    const x = f64(1);
    x.registerHook((g) => g.add(1));
    x.registerHook((g) => g.mul(3));
    x.mul(2).backward();
    expect(x.grad!.item()).toBe(9);
  });

  it("retainGrad keeps a non-leaf's gradient", () => {
    const x = f64([1, 2]);
    const h = x.mul(x);
    h.retainGrad();
    h.mul(3).sum().backward();
    expect(arr(h.grad)).toEqual([3, 3]);
    const k = x.exp();
    k.retainGrad();
    k.sum().backward(); // k's gradient is sum's stride-0 expansion; .grad must be a real copy
    expect(k.grad!.isContiguous).toBe(true);
    expect(arr(k.grad)).toEqual([1, 1]);
  });

  it("cannot hook a tensor that does not require grad", () => {
    expect(() => f64([1], false).registerHook((g) => g)).toThrowError(
      "registerHook: cannot register a hook on a tensor that does not require grad",
    );
  });
});

describe("bp.grad", () => {
  it("returns gradients without touching .grad, for leaves and non-leaves", () => {
    const x = f64([1, 2]);
    const h = x.mul(x);
    const y = h.mul(3).sum();
    const [gx, gh] = bp.grad(y, [x, h]);
    expect(arr(gx)).toEqual([6, 12]);
    expect(arr(gh)).toEqual([3, 3]);
    expect(x.grad).toBeNull();
  });

  it("an unused input throws, or gives null with allowUnused", () => {
    const x = f64([1, 2]);
    const unused = f64([3]);
    const y = x.sum();
    expect(() => bp.grad(y, [x, unused], { retainGraph: true })).toThrowError(
      "grad: input 1 was not used to compute the outputs (its gradient would be null); pass { allowUnused: true } to get null for it",
    );
    const [gx, gu] = bp.grad(y, [x, unused], { allowUnused: true });
    expect(arr(gx)).toEqual([1, 1]);
    expect(gu).toBeNull();
  });

  it("takes several outputs and their gradOutputs", () => {
    const x = f64([1, 2]);
    const [g] = bp.grad([x.mul(2), x.mul(x)], x, { gradOutputs: [f64([1, 1], false), f64([1, -1], false)] });
    expect(arr(g)).toEqual([2 + 2, 2 - 4]);
  });

  it("does not run the hooks of leaves it was not asked about", () => {
    const x = f64([1]);
    const w = f64([2]);
    let calls = 0;
    w.registerHook(() => { calls++; });
    bp.grad(x.mul(w).sum(), [x]);
    expect(calls).toBe(0);
  });
});

describe("needs-grad masks", () => {
  /** Counts matmul kernel calls (the forward plus one per gradient computed). */
  function countMatmuls(fn: () => void): number {
    const original = jsBackend.matmul;
    let calls = 0;
    jsBackend.matmul = (...args: Parameters<typeof original>) => { calls++; original(...args); };
    try { fn(); } finally { jsBackend.matmul = original; }
    return calls;
  }

  it("computes no gradient for an input that does not require grad", () => {
    const a = f64([[1, 2], [3, 4]]);
    const b = f64([[5], [6]], false);
    expect(countMatmuls(() => a.matmul(b).sum().backward())).toBe(2);
    expect(b.grad).toBeNull();
    const c = f64([[5], [6]]);
    expect(countMatmuls(() => a.matmul(c).sum().backward())).toBe(3);
  });

  it("bp.grad computes only the gradients it was asked for", () => {
    const a = f64([[1, 2], [3, 4]]);
    const b = f64([[5], [6]]);
    let g: (Tensor | null)[] = [];
    expect(countMatmuls(() => { g = bp.grad(a.matmul(b).sum(), [a]); })).toBe(2);
    expect(arr(g[0])).toEqual([5, 6, 5, 6]);
  });
});

describe("anomaly detection", () => {
  it("names the op whose backward produced NaN/Inf and where it was created", () => {
    const x = f64([0, 1]);
    let caught: unknown;
    bp.detectAnomaly(() => {
      const y = x.sqrt(); // sqrt'(0) = 1 / (2·0) = Inf
      try { y.sum().backward(); } catch (e) { caught = e; }
    });
    expect(caught).toBeInstanceOf(bp.AnomalyError);
    const message = (caught as Error).message;
    expect(message).toContain('detectAnomaly: the backward of "sqrt" returned NaN or Inf in its 1st output (the gradient for input 0).');
    expect(message).toContain('The "sqrt" op was created at:');
    expect(message).toContain("engine.test.ts");
  });

  it("reaches the user's line even through composite ops", () => {
    const x = f64([[0, 0], [0, 0]]);
    let caught: unknown;
    bp.detectAnomaly(() => {
      try { x.variance(1).sqrt().sum().backward(); } catch (e) { caught = e; }
    });
    expect((caught as Error).message).toContain('the backward of "sqrt"');
    expect((caught as Error).message).toContain("engine.test.ts");
  });

  it("is off outside detectAnomaly: the NaN reaches .grad silently, as in PyTorch", () => {
    const x = f64([0]);
    x.sqrt().sum().backward();
    expect(x.grad!.item()).toBe(Infinity);
  });
});

describe("depth", () => {
  it("backprops through a chain of 100,000 ops without overflowing the stack", () => {
    const x = f64(1);
    let y: Tensor = x;
    for (let i = 0; i < 100_000; i++) y = y.mul(1.000001);
    y.backward();
    expect(x.grad!.item()).toBeCloseTo(Math.pow(1.000001, 100_000), 9);
  });
});
