/**
 * The chain rule, deeper: the sum over paths, central differences and the
 * layer-by-layer backward pass, each against an independent source (a hand
 * calculation, PyTorch's gradients, this library's float64 autograd).
 */
import * as bp from "backpropagation";
import { describe, expect, test } from "vitest";
import type { Activation, LossName } from "../../web/src/config.js";
import { SeededRandom } from "../../web/src/data/random.js";
import { backwardSteps, gradientFromDelta } from "../../web/src/viewmodel/backwardPass.js";
import { computeChainRule, type ChainRuleInput, type ParamRef } from "../../web/src/viewmodel/chainRule.js";
import { enumeratePaths, MAX_PATHS, pathCount, summarizePaths } from "../../web/src/viewmodel/chainPaths.js";
import { explainDeeper } from "../../web/src/viewmodel/chainDeeper.js";
import { centralDifference, gradientCost } from "../../web/src/viewmodel/finiteDifference.js";
import { everyParam, TORCH_CASES, torchGradient, torchInput } from "./chainCases.js";

/**
 * A tiny ReLU network worked by hand, where W1[0,0] reaches the loss along two paths:
 * x = 1 → h1 = relu(2x) = 2 → h2 = relu((0.5, −1)·h1 + (0, 3)) = (1, 1) → ŷ = 3·h2[0] + 4·h2[1] = 7, y = 5.
 */
const twoPaths: ChainRuleInput = {
  sizes: [1, 1, 2, 1], weights: [[2], [0.5, -1], [3, 4]], biases: [[0], [0, 3], [0]],
  activation: "relu", outputActivation: "none", loss: "mse", x: [1], label: 5,
  param: { layer: 0, kind: "weight", row: 0, col: 0 },
};

/** A random small network with its example, and its gradients from this library's float64 autograd. */
function randomCase(seed: number) {
  const rng = new SeededRandom(seed);
  const depth = 1 + Math.floor(rng.next() * 3); // hidden layers
  const inputs = 1 + Math.floor(rng.next() * 3);
  const hidden = Array.from({ length: depth }, () => 1 + Math.floor(rng.next() * 4));
  const activation = (["sigmoid", "tanh", "relu"] as const)[seed % 3] as Activation;
  const regression = seed % 4 === 0;
  const loss: LossName = !regression && seed % 2 === 1 ? "cross-entropy" : "mse";
  const outputs = regression ? 1 : 2 + Math.floor(rng.next() * 2);
  const outputActivation = !regression && loss === "mse" ? "sigmoid" : "none";
  const sizes = [inputs, ...hidden, outputs];
  const weights = sizes.slice(1).map((out, k) => Array.from({ length: out * sizes[k] }, () => rng.uniform(-1.5, 1.5)));
  const biases = sizes.slice(1).map((out) => Array.from({ length: out }, () => rng.uniform(-0.5, 0.5)));
  const x = Array.from({ length: inputs }, () => rng.uniform(-2, 2));
  const label = regression ? rng.uniform(-1, 1) : Math.floor(rng.next() * outputs);

  const ws = weights.map((w, k) => bp.tensor(w, { dtype: "float64" }).reshape([sizes[k + 1], sizes[k]]));
  const bs = biases.map((b) => bp.tensor(b, { dtype: "float64" }));
  for (const p of [...ws, ...bs]) p.requiresGrad = true;
  let h = bp.tensor([x], { dtype: "float64" });
  for (let k = 0; k < ws.length; k++) {
    const z = h.matmul(ws[k].T).add(bs[k]);
    h = k < ws.length - 1 ? (activation === "sigmoid" ? z.sigmoid() : activation === "tanh" ? z.tanh() : z.relu()) : outputActivation === "sigmoid" ? z.sigmoid() : z;
  }
  const lossTensor = loss === "cross-entropy"
    ? bp.F.crossEntropy(h, bp.tensor([label], { dtype: "int32" }))
    : bp.F.mseLoss(h, bp.tensor([regression ? [label] : Array.from({ length: outputs }, (_, c) => (c === label ? 1 : 0))], { dtype: "float64" }));
  lossTensor.backward();
  const gradOf = (p: ParamRef) =>
    p.kind === "weight" ? ws[p.layer].grad!.data()[p.row * sizes[p.layer] + p.col] : bs[p.layer].grad!.data()[p.row];
  const base = { sizes, weights, biases, activation, outputActivation, loss, x, label } as const;
  return { base, gradOf };
}

describe("enumeratePaths: the chain rule as a sum over paths", () => {
  test("two paths in a tiny ReLU network, worked by hand", () => {
    const s = enumeratePaths(twoPaths);
    expect(s.count).toBe(2);
    // ∂L/∂ŷ = 2(7 − 5) = 4; ∂h1/∂W1 = relu'(2)·x = 1.
    // Through h2[0]: 4 · (1·3) · (1·0.5) · 1 = 6.  Through h2[1]: 4 · (1·4) · (1·(−1)) · 1 = −16.
    expect(s.paths.map((p) => [p.nodes, p.factors, p.product])).toEqual([
      [["W1[0,0]", "h1[0]", "h2[1]", "ŷ[0]", "L"], [4, 4, -1, 1], -16],
      [["W1[0,0]", "h1[0]", "h2[0]", "ŷ[0]", "L"], [4, 3, 0.5, 1], 6],
    ]);
    expect(s.paths[0].symbols).toEqual(["∂L/∂ŷ[0]", "∂ŷ[0]/∂h2[1]", "∂h2[1]/∂h1[0]", "∂h1[0]/∂W1[0,0]"]);
    // dL/dw = 2(ŷ − y)·(3·0.5 + 4·(−1))·x = 4 · (−2.5) = −10.
    expect(s.total).toBe(-10);
    expect(computeChainRule(twoPaths).product).toBe(-10);
  });

  test("a last-layer parameter has a single path; the count is the product of the later widths", () => {
    expect(pathCount([2, 8, 8, 2], 0)).toBe(16);
    expect(pathCount([2, 8, 8, 2], 1)).toBe(2);
    expect(pathCount([2, 8, 8, 2], 2)).toBe(1);
    const s = enumeratePaths({ ...twoPaths, param: { layer: 2, kind: "bias", row: 0, col: 0 } });
    expect(s.paths.map((p) => p.nodes)).toEqual([["b3[0]", "ŷ[0]", "L"]]);
    expect(s.total).toBe(4);
  });

  test("every parameter of PyTorch's four networks: the path products add up to PyTorch's gradient", () => {
    for (const c of TORCH_CASES) {
      for (const p of everyParam(c.sizes)) {
        const s = enumeratePaths(torchInput(c, p));
        const expected = torchGradient(c, p);
        expect(s.paths.length).toBe(s.count);
        expect(Math.abs(s.total - expected)).toBeLessThanOrEqual(1e-12 + 1e-9 * Math.abs(expected));
      }
    }
  });

  test("random small networks: the sum over paths equals this library's float64 backward(), parameter by parameter", () => {
    let checked = 0;
    for (let seed = 1; seed <= 24; seed++) {
      const { base, gradOf } = randomCase(seed);
      for (const p of everyParam(base.sizes)) {
        const s = enumeratePaths({ ...base, param: p });
        const expected = gradOf(p);
        expect(Math.abs(s.total - expected), `seed ${seed} ${s.paramName}`).toBeLessThanOrEqual(1e-12 + 1e-9 * Math.abs(expected));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(300);
  });

  test("summarizePaths keeps the largest paths and adds up the rest, so the listed lines still sum to the gradient", () => {
    const sizes = [1, 3, 6, 6, 1];
    const rng = new SeededRandom(5);
    const input: ChainRuleInput = {
      sizes, weights: sizes.slice(1).map((o, k) => Array.from({ length: o * sizes[k] }, () => rng.uniform(-1, 1))),
      biases: sizes.slice(1).map((o) => Array.from({ length: o }, () => rng.uniform(-0.5, 0.5))),
      activation: "tanh", outputActivation: "none", loss: "mse", x: [0.7], label: 0.2, param: { layer: 0, kind: "weight", row: 1, col: 0 },
    };
    const all = enumeratePaths(input);
    expect(all.count).toBe(36);
    const s = summarizePaths(all, 32);
    expect([s.paths.length, s.rest.count, s.count]).toEqual([31, 5, 36]);
    const smallestListed = Math.abs(s.paths[s.paths.length - 1].product);
    expect(all.paths.slice(31).every((p) => Math.abs(p.product) <= smallestListed)).toBe(true);
    const lines = s.paths.reduce((a, p) => a + p.product, 0) + s.rest.sum;
    expect(Math.abs(lines - computeChainRule(input).product)).toBeLessThanOrEqual(1e-15 + 1e-12 * Math.abs(s.total));
    const few = summarizePaths(all, 36);
    expect([few.paths.length, few.rest]).toEqual([36, { count: 0, sum: 0 }]);
  });

  test("too many paths to list: counted, not built", () => {
    const sizes = [1, 20, 20, 20, 20, 1];
    const s = enumeratePaths({
      sizes, weights: sizes.slice(1).map((o, k) => new Array(o * sizes[k]).fill(0.1)), biases: sizes.slice(1).map((o) => new Array(o).fill(0)),
      activation: "tanh", outputActivation: "none", loss: "mse", x: [1], label: 0, param: { layer: 0, kind: "weight", row: 0, col: 0 },
    });
    expect(s.count).toBe(8000);
    expect(s.count).toBeGreaterThan(MAX_PATHS);
    expect(s.paths).toEqual([]);
    expect(s.total).toBeNaN();
  });
});

describe("centralDifference", () => {
  test("exact on a loss that is quadratic in the weight (the ReLU net away from its kinks)", () => {
    const fd = centralDifference(twoPaths);
    expect(fd.value).toBeCloseTo(-10, 8);
    // Near w = 2, h2 = (0.5w, 3 − w) and ŷ = 1.5w + 4(3 − w) = 12 − 2.5w, so L(2 ± h) = (2 ∓ 2.5h)².
    expect(fd.lossPlus).toBeCloseTo((2 - 2.5e-5) ** 2, 12);
    expect(fd.lossMinus).toBeCloseTo((2 + 2.5e-5) ** 2, 12);
    expect(fd.step).toBe(1e-5);
  });

  test("the one-unit sigmoid network: σ'(0.5)·x·2·2(ŷ − y) by hand", () => {
    const fd = centralDifference({
      sizes: [1, 1, 1], weights: [[0.5], [2]], biases: [[0], [0]], activation: "sigmoid", outputActivation: "none",
      loss: "mse", x: [1], label: 1, param: { layer: 0, kind: "weight", row: 0, col: 0 },
    });
    expect(Math.abs(fd.value - 0.230227179409283)).toBeLessThan(1e-9);
  });

  test("matches PyTorch's gradient for every parameter of its four networks (no ReLU unit sits within h of its kink)", () => {
    for (const c of TORCH_CASES) {
      for (const p of everyParam(c.sizes)) {
        const fd = centralDifference(torchInput(c, p));
        const expected = torchGradient(c, p);
        expect(Math.abs(fd.value - expected)).toBeLessThanOrEqual(1e-8 + 1e-7 * Math.abs(expected));
      }
    }
  });

  test("a bad step is refused", () => {
    expect(() => centralDifference(twoPaths, 0)).toThrow("centralDifference: the step h must be a positive number, got 0");
  });

  test("gradientCost counts two forward passes per parameter", () => {
    // 2→8→8→2: 8·3 + 8·9 + 2·9 = 114 parameters.
    expect(gradientCost([2, 8, 8, 2])).toEqual({ parameters: 114, finiteDifferenceForwards: 228 });
    expect(gradientCost([1, 1, 2, 1])).toEqual({ parameters: 2 + 4 + 3, finiteDifferenceForwards: 18 });
  });
});

describe("backwardSteps: δ layer by layer", () => {
  test("the tiny ReLU net by hand: δ3 = 4, δ2 = (12, 16), δ1 = 12·0.5 + 16·(−1) = −10, ∂L/∂x = 2·(−10)", () => {
    const steps = backwardSteps(twoPaths);
    expect(steps.map((s) => [s.column, s.symbol, Array.from(s.values)])).toEqual([
      [3, "δ3", [4]], [2, "δ2", [12, 16]], [1, "δ1", [-10]], [0, "∂L/∂x", [-20]],
    ]);
    expect(steps[1].text).toContain("δ of layer 2 reused by all 2 weights of layer 2");
    expect(steps.map((s) => s.weights)).toEqual([2, 2, 1, 0]);
  });

  test("δ_k[j]·h_{k−1}[i] gives every weight's gradient and δ_k[j] every bias's, on random networks", () => {
    for (let seed = 30; seed < 42; seed++) {
      const { base, gradOf } = randomCase(seed);
      const steps = backwardSteps(base);
      expect(steps.map((s) => s.column)).toEqual(base.sizes.map((_, i) => base.sizes.length - 1 - i));
      // h_{k-1} from the test's own forward pass (hiddenOutput below).
      let h: number[] = base.x;
      for (let layer = 0; layer < base.sizes.length - 1; layer++) {
        const delta = steps.find((s) => s.column === layer + 1)!.values;
        for (let row = 0; row < base.sizes[layer + 1]; row++) {
          const bias = gradOf({ layer, kind: "bias", row, col: 0 });
          expect(Math.abs(delta[row] - bias)).toBeLessThanOrEqual(1e-12 + 1e-9 * Math.abs(bias));
          for (let col = 0; col < base.sizes[layer]; col++) {
            const w = gradOf({ layer, kind: "weight", row, col });
            expect(Math.abs(delta[row] * h[col] - w)).toBeLessThanOrEqual(1e-12 + 1e-9 * Math.abs(w));
          }
        }
        h = hiddenOutput(base, layer, h);
      }
    }
  });

  test("gradientFromDelta names the δ entry and the input the parameter multiplies", () => {
    expect(gradientFromDelta({ layer: 0, kind: "weight", row: 2, col: 1 })).toBe("∂L/∂W1[2,1] = δ1[2] · x[1]");
    expect(gradientFromDelta({ layer: 2, kind: "weight", row: 0, col: 7 })).toBe("∂L/∂W3[0,7] = δ3[0] · h2[7]");
    expect(gradientFromDelta({ layer: 1, kind: "bias", row: 4, col: 0 })).toBe("∂L/∂b2[4] = δ2[4]");
  });
});

test("explainDeeper bundles the four views for one parameter", () => {
  const d = explainDeeper(twoPaths);
  expect(d.sizes).toEqual([1, 1, 2, 1]);
  expect(d.paths.total).toBe(-10);
  expect(d.finiteDifference.value).toBeCloseTo(-10, 8);
  expect(d.backward.length).toBe(4);
  expect(d.fromDelta).toBe("∂L/∂W1[0,0] = δ1[0] · x[0]");
  expect(d.cost.finiteDifferenceForwards).toBe(18);
});

/** One layer's output, computed here directly (the test's own forward pass). */
function hiddenOutput(c: Omit<ChainRuleInput, "param">, layer: number, h: number[]): number[] {
  const nIn = c.sizes[layer];
  const last = layer === c.sizes.length - 2;
  return Array.from({ length: c.sizes[layer + 1] }, (_, j) => {
    let z = c.biases[layer][j];
    for (let i = 0; i < nIn; i++) z += c.weights[layer][j * nIn + i] * h[i];
    if (last) return c.outputActivation === "sigmoid" ? 1 / (1 + Math.exp(-z)) : z;
    return c.activation === "sigmoid" ? 1 / (1 + Math.exp(-z)) : c.activation === "tanh" ? Math.tanh(z) : Math.max(0, z);
  });
}
