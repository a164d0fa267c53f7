/**
 * src/explain in-process: the chain-rule factors of a network small enough
 * to differentiate by hand, the product against autograd on a batch, and
 * the recorded graph.
 */
import { describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";
import type { ChainLayer } from "../../src/explain/index.js";

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** x ∈ R², h1 = σ(W1·x + b1) ∈ R¹, ŷ = W2·h1 + b2, L = (ŷ − y)². */
function tinyNetwork() {
  const x = bp.tensor([[1, 2]], { dtype: "float64" });
  const W1 = bp.tensor([[0.5, -0.25]], { dtype: "float64", requiresGrad: true });
  const b1 = bp.tensor([0.1], { dtype: "float64", requiresGrad: true });
  const W2 = bp.tensor([[2]], { dtype: "float64", requiresGrad: true });
  const b2 = bp.tensor([0], { dtype: "float64", requiresGrad: true });
  const y = bp.tensor([[1]], { dtype: "float64" });
  const forward = () => {
    const h1 = x.matmul(W1.T).add(b1).sigmoid();
    const yHat = h1.matmul(W2.T).add(b2);
    return { h1, yHat, loss: yHat.sub(y).square().mean() };
  };
  return { x, W1, b1, W2, b2, forward };
}

describe("explainChain", () => {
  it("gives the lecture's factors, computed here by hand, for a 2-1-1 network", () => {
    const net = tinyNetwork();
    const { h1, yHat, loss } = net.forward();
    const layers: ChainLayer[] = [
      { symbol: "h1", output: h1, params: [{ name: "0.weight", symbol: "W1", tensor: net.W1 }, { name: "0.bias", symbol: "b1", tensor: net.b1 }] },
      { symbol: "ŷ", output: yHat, params: [{ name: "2.weight", symbol: "W2", tensor: net.W2 }, { name: "2.bias", symbol: "b2", tensor: net.b2 }] },
    ];
    const results = bp.explain.explainChain({ loss, layers, lossAt: () => net.forward().loss.item(), entriesPerParam: 2 });
    // By hand: z1 = 0.5·1 − 0.25·2 + 0.1 = 0.1, h1 = σ(0.1), ŷ = 2·h1, ∂L/∂ŷ = 2(ŷ − 1), ∂ŷ/∂h1 = W2 = 2, ∂h1/∂W1 = σ'(0.1)·x.
    const h = sigmoid(0.1);
    const dLdy = 2 * (2 * h - 1);
    const dsig = h * (1 - h);
    const w1 = results.find((r) => r.symbol === "W1")!;
    expect(w1.formula).toBe("∂L/∂W1 = ∂L/∂ŷ · ∂ŷ/∂h1 · ∂h1/∂W1");
    expect(w1.factors.map((f) => f.shape)).toEqual([[1, 1], [1, 1, 1], [1, 1, 1, 2]]);
    expect(w1.factors[0].norm).toBeCloseTo(Math.abs(dLdy), 14);
    expect(w1.factors[1].norm).toBeCloseTo(2, 14);
    expect(w1.factors[2].norm).toBeCloseTo(dsig * Math.sqrt(5), 14);
    expect(w1.chainGradient[0]).toBeCloseTo(dLdy * 2 * dsig * 1, 14);
    expect(w1.chainGradient[1]).toBeCloseTo(dLdy * 2 * dsig * 2, 14);
    expect(w1.maxAbsDiffAutograd).toBeLessThan(1e-15);
    expect(w1.agreesWithNumeric).toBe(true);
    for (const c of w1.finiteDifferences) expect(Math.abs(c.numeric - c.chain)).toBeLessThan(1e-9);

    const b2 = results.find((r) => r.symbol === "b2")!;
    expect(b2.formula).toBe("∂L/∂b2 = ∂L/∂ŷ · ∂ŷ/∂b2");
    expect(b2.chainGradient[0]).toBeCloseTo(dLdy, 14);
    const w2 = results.find((r) => r.symbol === "W2")!;
    expect(w2.chainGradient[0]).toBeCloseTo(dLdy * h, 14);
  });

  it("multiplies out to autograd's gradient on a batch of a deeper network", () => {
    bp.manualSeed(3);
    const net = new bp.nn.Sequential(
      new bp.nn.Linear(5, 4, { dtype: "float64" }), new bp.nn.Tanh(),
      new bp.nn.Linear(4, 3, { dtype: "float64" }), new bp.nn.Sigmoid(),
      new bp.nn.Linear(3, 2, { dtype: "float64" }),
    );
    const x = bp.randn([6, 5], { dtype: "float64" });
    const labels = bp.tensor([0, 1, 1, 0, 1, 0], { dtype: "int32" });
    const children = net.children();
    const linear = (i: number) => children[i] as bp.nn.Linear;
    const h1 = children[1].forward(children[0].forward(x));
    const h2 = children[3].forward(children[2].forward(h1));
    const yHat = children[4].forward(h2);
    const loss = bp.F.crossEntropy(yHat, labels);
    const lin = (k: number, i: number) => [
      { name: `${i}.weight`, symbol: `W${k}`, tensor: linear(i).weight as bp.Tensor },
      { name: `${i}.bias`, symbol: `b${k}`, tensor: linear(i).bias as bp.Tensor },
    ];
    const layers: ChainLayer[] = [
      { symbol: "h1", output: h1, params: lin(1, 0) }, { symbol: "h2", output: h2, params: lin(2, 2) }, { symbol: "ŷ", output: yHat, params: lin(3, 4) },
    ];
    const results = bp.explain.explainChain({ loss, layers, lossAt: () => bp.F.crossEntropy(net.forward(x), labels).item(), entriesPerParam: 4 });
    expect(results.map((r) => r.formula)).toContain("∂L/∂W1 = ∂L/∂ŷ · ∂ŷ/∂h2 · ∂h2/∂h1 · ∂h1/∂W1");
    const expected = bp.grad(bp.F.crossEntropy(net.forward(x), labels), net.parameters());
    results.forEach((r, i) => {
      const g = expected[i]!.data();
      for (let j = 0; j < g.length; j++) expect(Math.abs(r.chainGradient[j] - g[j])).toBeLessThan(1e-14);
      expect(r.agreesWithNumeric).toBe(true);
    });
    const w1 = results[0];
    expect(w1.factors.map((f) => f.shape)).toEqual([[6, 2], [6, 2, 3], [6, 3, 4], [6, 4, 4, 5]]);
  });

  it("rejects a loss that is not a scalar", () => {
    const x = bp.tensor([[1, 2]], { dtype: "float64", requiresGrad: true });
    const y = x.mul(2);
    expect(() => bp.explain.explainChain({ loss: y, layers: [{ symbol: "ŷ", output: y, params: [] }], lossAt: () => 0 }))
      .toThrow("explainChain: the loss must be a scalar, got shape [1,2]");
  });
});

describe("recordGraph", () => {
  it("lists every op and leaf with shapes, names, values and gradients", () => {
    const net = tinyNetwork();
    const { h1, yHat, loss } = net.forward();
    const recorder = bp.explain.recordGraph(loss, [["L", loss], ["h1", h1], ["ŷ", yHat], ["W1", net.W1], ["b1", net.b1], ["W2", net.W2], ["b2", net.b2]]);
    loss.backward();
    const graph = recorder.finish();
    const byLabel = new Map(graph.nodes.filter((n) => n.label).map((n) => [n.label, n]));
    expect([...byLabel.keys()].sort()).toEqual(["L", "W1", "W2", "b1", "b2", "h1", "ŷ"].sort());
    expect(byLabel.get("h1")!.op).toBe("sigmoid");
    expect(byLabel.get("W1")!.kind).toBe("leaf");
    expect(byLabel.get("W1")!.grad!.norm).toBeCloseTo(Math.hypot(...net.W1.grad!.data()), 14);
    expect(byLabel.get("h1")!.value!.mean).toBeCloseTo(sigmoid(0.1), 14);
    // The gradient flowing into h1 is ∂L/∂h1 = 2(ŷ − 1)·W2.
    expect(byLabel.get("h1")!.grad!.mean).toBeCloseTo(2 * (2 * sigmoid(0.1) - 1) * 2, 14);
    const dot = bp.explain.toDot(graph);
    expect(dot).toMatch(/^digraph backprop \{/);
    expect(dot).toContain('label="h1 = sigmoid\\n[1×1]');
    expect(dot.match(/->/g)!.length).toBe(graph.nodes.reduce((a, n) => a + n.inputs.length, 0));
    const svg = bp.explain.toSvg(graph);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.match(/<rect x=/g)!.length).toBe(graph.nodes.length);
    // Hooks are removed when recording ends.
    for (const n of [loss.gradFn, h1.gradFn]) expect((n as unknown as { hooks: unknown[] | null }).hooks ?? []).toHaveLength(0);
  });
});
