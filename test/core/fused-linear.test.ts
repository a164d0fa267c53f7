/** The fused linear op (one node for x·Wᵀ + b) against its composite, and its gradients. */
import { describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";

const gen = () => new bp.Generator(3);

describe("fused linear", () => {
  const shapes: [string, number[]][] = [["1-D input", [5]], ["2-D input", [4, 5]], ["3-D input", [2, 3, 5]]];
  it.each(shapes)("equals x.matmul(W.T).add(b) in value and gradient: %s", (_name, xShape) => {
    const g = gen();
    const x = bp.randn(xShape, { dtype: "float64", generator: g, requiresGrad: true });
    const w = bp.randn([3, 5], { dtype: "float64", generator: g, requiresGrad: true });
    const b = bp.randn([3], { dtype: "float64", generator: g, requiresGrad: true });
    const weights = bp.randn([...xShape.slice(0, -1), 3], { dtype: "float64", generator: g });
    const fused = bp.F.linear(x, w, b);
    expect(fused.gradFn?.name).toBe("linear");
    const [fx, fw, fb] = bp.grad(fused.mul(weights).sum(), [x, w, b]);
    const composite = x.matmul(w.T).add(b);
    const [cx, cw, cb] = bp.grad(composite.mul(weights).sum(), [x, w, b]);
    expect(fused.shape).toEqual(composite.shape);
    for (const [f, c] of [[fused, composite], [fx, cx], [fw, cw], [fb, cb]] as const) {
      expect(f!.sub(c!).abs().max().item()).toBeLessThan(1e-14);
    }
  });

  it("takes non-contiguous inputs and no bias", () => {
    const g = gen();
    const x = bp.randn([5, 4], { generator: g }).T; // [4, 5], transposed view
    const w = bp.randn([3, 5], { generator: g });
    expect(x.isContiguous).toBe(false);
    const y = bp.F.linear(x, w);
    expect(y.sub(x.matmul(w.T)).abs().max().item()).toBeLessThan(1e-6);
  });

  it("passes gradcheck and gradgradcheck", () => {
    const g = gen();
    const x = bp.randn([4, 5], { dtype: "float64", generator: g, requiresGrad: true });
    const w = bp.randn([3, 5], { dtype: "float64", generator: g, requiresGrad: true });
    const b = bp.randn([3], { dtype: "float64", generator: g, requiresGrad: true });
    const f = (xi: bp.Tensor, wi: bp.Tensor, bi: bp.Tensor) => bp.F.linear(xi, wi, bi).tanh();
    expect(bp.gradcheck(f, [x, w, b])).toBe(true);
    expect(bp.gradgradcheck(f, [x, w, b])).toBe(true);
  });

  it("rejects a bias that does not fit the weight", () => {
    expect(() => bp.F.linear(bp.zeros([2, 5]), bp.zeros([3, 5]), bp.zeros([4]))).toThrow(
      "linear: bias [4] does not fit weight [3,5]; the bias must be [out]",
    );
  });
});
