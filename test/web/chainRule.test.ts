/** The chain-rule panel's arithmetic: by hand, against PyTorch, and against this library's backward(). */
import * as bp from "backpropagation";
import { describe, expect, test } from "vitest";
import { chainEquation, computeChainRule, multiplyChain } from "../../web/src/viewmodel/chainRule.js";
import { everyParam, TORCH_CASES, torchGradient, torchInput as inputFor } from "./chainCases.js";

describe("computeChainRule", () => {
  test("a one-unit network, worked by hand", () => {
    // x = 1, h1 = σ(0.5·x + 0), ŷ = 2·h1 + 0 (regression), y = 1, L = (ŷ − y)².
    const r = computeChainRule({
      sizes: [1, 1, 1], weights: [[0.5], [2]], biases: [[0], [0]], activation: "sigmoid", outputActivation: "none",
      loss: "mse", x: [1], label: 1, param: { layer: 0, kind: "weight", row: 0, col: 0 },
    });
    expect(r.factors.map((f) => f.symbol)).toEqual(["∂L/∂ŷ", "∂ŷ/∂h1", "∂h1/∂W1[0,0]"]);
    expect(r.factors[0].values[0]).toBeCloseTo(0.4898373248074184, 14); // 2(ŷ − y)
    expect(r.factors[1].values[0]).toBe(2); // W2
    expect(r.factors[2].values[0]).toBeCloseTo(0.2350037122015945, 14); // σ'(0.5)·x
    expect(r.product).toBeCloseTo(0.230227179409283, 14);
    expect(r.loss).toBeCloseTo(0.05998515119362207, 14);
    expect(r.output[0]).toBeCloseTo(1.2449186624037092, 14);
  });

  test("every weight and bias of four networks matches PyTorch's gradient", () => {
    expect(TORCH_CASES.length).toBe(4);
    for (const c of TORCH_CASES) {
      for (const p of everyParam(c.sizes)) {
        const r = computeChainRule(inputFor(c, p));
        const expected = torchGradient(c, p);
        expect(Math.abs(r.product - expected)).toBeLessThanOrEqual(1e-12 + 1e-9 * Math.abs(expected));
        expect(r.loss).toBeCloseTo(c.loss_value, 12);
      }
    }
  });

  test("the product equals this library's backward() for a sigmoid network on float64 tensors", () => {
    const c = TORCH_CASES[0];
    const params = c.sizes.slice(1).flatMap((out, k) => [
      bp.tensor(c.weights[k], { dtype: "float64" }).reshape([out, c.sizes[k]]),
      bp.tensor(c.biases[k], { dtype: "float64" }),
    ]);
    for (const p of params) p.requiresGrad = true;
    const [w1, b1, w2, b2, w3, b3] = params;
    const x = bp.tensor([c.x], { dtype: "float64" });
    const yHat = x.matmul(w1.T).add(b1).sigmoid().matmul(w2.T).add(b2).sigmoid().matmul(w3.T).add(b3).sigmoid();
    bp.F.mseLoss(yHat, bp.tensor([[0, 1]], { dtype: "float64" })).backward();
    const w2grad = w2.grad!.data();
    const r = computeChainRule(inputFor(c, { layer: 1, kind: "weight", row: 2, col: 0 }));
    expect(r.product).toBeCloseTo(w2grad[2 * 3 + 0], 12);
  });

  test("the factors have the lecture's names and chain shapes [1×C]·[C×H2]·[H2×H1]·[H1×1]", () => {
    const c = TORCH_CASES[0];
    const r = computeChainRule(inputFor(c, { layer: 0, kind: "weight", row: 1, col: 0 }));
    expect(r.factors.map((f) => [f.symbol, f.rows, f.cols])).toEqual([
      ["∂L/∂ŷ", 1, 2], ["∂ŷ/∂h2", 2, 3], ["∂h2/∂h1", 3, 3], ["∂h1/∂W1[1,0]", 3, 1],
    ]);
    // Only the chosen unit of h1 depends on W1[1,0].
    expect(Array.from(r.factors[3].values).map((v) => v !== 0)).toEqual([false, true, false]);
    expect(multiplyChain(r.factors)).toBe(r.product);
  });

  test("bad parameter references are refused with what would fit", () => {
    const c = TORCH_CASES[0];
    expect(() => computeChainRule(inputFor(c, { layer: 3, kind: "weight", row: 0, col: 0 }))).toThrow("chain rule: layer 3 does not exist; the network has layers 0..2");
    expect(() => computeChainRule(inputFor(c, { layer: 0, kind: "weight", row: 3, col: 0 }))).toThrow("chain rule: W1[3,0]: row 3 is outside 0..2");
    expect(() => computeChainRule(inputFor(c, { layer: 0, kind: "weight", row: 0, col: 2 }))).toThrow("chain rule: W1[0,2]: column 2 is outside 0..1");
  });
});

describe("chainEquation", () => {
  test("writes the lecture's equation for each layer of the lecture's network", () => {
    expect(chainEquation({ layer: 0, kind: "weight", row: 0, col: 1 }, 3)).toBe("∂L/∂W1[0,1] = ∂L/∂ŷ · ∂ŷ/∂h2 · ∂h2/∂h1 · ∂h1/∂W1[0,1]");
    expect(chainEquation({ layer: 1, kind: "bias", row: 4, col: 0 }, 3)).toBe("∂L/∂b2[4] = ∂L/∂ŷ · ∂ŷ/∂h2 · ∂h2/∂b2[4]");
    expect(chainEquation({ layer: 2, kind: "weight", row: 1, col: 7 }, 3)).toBe("∂L/∂W3[1,7] = ∂L/∂ŷ · ∂ŷ/∂W3[1,7]");
  });
});
