/**
 * unbind (src/ops/unbind.ts), the slicing that recurrent layers use to read
 * their precomputed input projection step by step: its gradients against
 * the same computation written with narrow, when only some slices are used,
 * on a second backward through a retained graph, with createGraph (second
 * order), and gradcheck / gradgradcheck.
 */
import { describe, expect, test } from "vitest";
import * as bp from "../../src/index.js";
import { unbind } from "../../src/ops/unbind.js";

function leaf(shape: number[], seed: number): bp.Tensor {
  const t = bp.randn(shape, { dtype: "float64", generator: new bp.Generator(seed) });
  t.requiresGrad = true;
  return t;
}

/** A function of the slices that weights each one differently, so a misplaced gradient shows. */
function weighted(slices: bp.Tensor[]): bp.Tensor {
  return slices.map((s, k) => s.mul(k + 1).tanh().sum()).reduce((a, b) => a.add(b));
}

function viaNarrow(x: bp.Tensor, dim: number): bp.Tensor[] {
  const out: bp.Tensor[] = [];
  for (let k = 0; k < x.shape[dim]; k++) out.push(x.narrow(dim, k, 1).squeeze(dim));
  return out;
}

describe("unbind", () => {
  test.each([0, 1, 2, -1])("views along dim %i with the same values and gradient as narrow", (dim) => {
    const x = leaf([3, 4, 2], 1);
    const slices = unbind(x, dim);
    const ref = viaNarrow(x, dim < 0 ? dim + 3 : dim);
    expect(slices).toHaveLength(ref.length);
    slices.forEach((s, k) => {
      expect(s.shape).toEqual(ref[k].shape);
      expect(Array.from(s.data())).toEqual(Array.from(ref[k].data()));
      expect(s.storage).toBe(x.storage); // a view
    });
    const [g] = bp.grad(weighted(slices), [x]);
    const [gRef] = bp.grad(weighted(ref), [x]);
    expect(Array.from(g!.data())).toEqual(Array.from(gRef!.data()));
  });

  test("slices that take no part get a zero gradient; a non-contiguous input works", () => {
    const base = leaf([4, 3], 2);
    const x = base.transpose(0, 1); // [3, 4], non-contiguous
    const [a, , c] = unbind(x, 0);
    a.mul(2).add(c.square()).sum().backward();
    const g = Array.from(base.grad!.data()); // [4, 3]: column j is slice j
    const cv = Array.from(c.data());
    for (let i = 0; i < 4; i++) {
      expect(g[i * 3 + 0]).toBe(2);
      expect(g[i * 3 + 1]).toBe(0);
      expect(g[i * 3 + 2]).toBeCloseTo(2 * cv[i], 14);
    }
  });

  test("a retained graph gives the same gradient on a second backward", () => {
    const x = leaf([5, 2], 3);
    const loss = weighted(unbind(x, 0));
    loss.backward({ retainGraph: true });
    const first = Array.from(x.grad!.data());
    x.grad = null;
    loss.backward();
    expect(Array.from(x.grad!.data())).toEqual(first);
  });

  test("no graph when the input does not require grad", () => {
    const x = bp.randn([3, 2]);
    for (const s of unbind(x, 1)) expect(s.requiresGrad).toBe(false);
    expect(() => unbind(bp.tensor(1), 0)).toThrow(/unbind: a 0-d tensor/);
  });

  test("gradcheck and gradgradcheck", () => {
    const x = leaf([3, 2, 2], 4);
    const fn = (t: bp.Tensor) => bp.stack(unbind(t, 1).map((s, k) => s.mul(k + 2).sin()), 0);
    expect(bp.gradcheck(fn, [x])).toBe(true);
    expect(bp.gradgradcheck(fn, [x])).toBe(true);
    // only part of the slices used, second order
    const partial = (t: bp.Tensor) => unbind(t, 0)[1].square();
    expect(bp.gradgradcheck(partial, [x])).toBe(true);
  });
});
