/**
 * `backprop explain`, `backprop gradcheck` and `backprop predict` run as a
 * user would, checked against gradients and predictions computed here with
 * the library itself.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import * as bp from "../../src/index.node.js";
import { cli, ensureBuilt, tempDir, writeFile } from "./helpers.js";

let dir: string;

beforeAll(async () => {
  await ensureBuilt();
  dir = tempDir("inspect");
});

/** The network and batch `backprop explain --seed 1 --batch 3` looks at, rebuilt here: float64, standardised digits. */
function lectureGradients(seed: number, rows: number): Map<string, Float64Array> {
  bp.manualSeed(seed);
  const o = { dtype: "float64" as const };
  const net = new bp.nn.Sequential(
    new bp.nn.Linear(64, 32, o), new bp.nn.Sigmoid(), new bp.nn.Linear(32, 32, o), new bp.nn.Sigmoid(), new bp.nn.Linear(32, 10, o), new bp.nn.Sigmoid(),
  );
  const digits = bp.data.loadDigits();
  const all = digits.features.to("float64").data();
  const [n, d] = digits.features.shape;
  const x = new Float64Array(rows * d);
  for (let c = 0; c < d; c++) {
    let mean = 0;
    for (let r = 0; r < n; r++) mean += all[r * d + c];
    mean /= n;
    let v = 0;
    for (let r = 0; r < n; r++) v += (all[r * d + c] - mean) ** 2;
    const std = Math.sqrt(v / n) > 1e-12 ? Math.sqrt(v / n) : 1;
    for (let r = 0; r < rows; r++) x[r * d + c] = (all[r * d + c] - mean) / std;
  }
  const labels = digits.target.data();
  const oneHot = bp.zeros([rows, 10], o);
  for (let r = 0; r < rows; r++) oneHot.storage[r * 10 + labels[r]] = 1;
  const loss = bp.F.mseLoss(net.forward(bp.fromStorage(x, [rows, d])), oneHot);
  loss.backward();
  const symbols = ["W1", "b1", "W2", "b2", "W3", "b3"];
  return new Map(net.parameters().map((p, i) => [symbols[i], Float64Array.from(p.grad!.data())]));
}

describe("backprop explain", () => {
  it("writes each gradient as the lecture's chain-rule product, equal to autograd and finite differences", () => {
    const r = cli(["explain", "--seed", "1", "--batch", "3", "--entries", "4", "--graph", path.join(dir, "graph.dot")]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("explain: a freshly initialised lecture network (64-32-32-10, sigmoid, sigmoid outputs), mse loss, 3 rows of digits, float64");
    for (const f of [
      "∂L/∂W1 = ∂L/∂ŷ · ∂ŷ/∂h2 · ∂h2/∂h1 · ∂h1/∂W1", "∂L/∂b1 = ∂L/∂ŷ · ∂ŷ/∂h2 · ∂h2/∂h1 · ∂h1/∂b1",
      "∂L/∂W2 = ∂L/∂ŷ · ∂ŷ/∂h2 · ∂h2/∂W2", "∂L/∂W3 = ∂L/∂ŷ · ∂ŷ/∂W3",
    ]) expect(r.stdout).toContain(f);
    // Factor shapes: ∂L/∂ŷ per sample, then one Jacobian block per sample.
    expect(r.stdout).toMatch(/∂h2\/∂h1\s+3 × \[32×32\]/);
    expect(r.stdout).toMatch(/∂h1\/∂W1\s+3 × \[32×\(32×64\)\]/);
    expect(r.stdout).toContain("verdict: PASS: for all 6 parameters");

    // Every sampled entry: the printed chain-rule, autograd and numeric values agree with the gradient computed here.
    const grads = lectureGradients(1, 3);
    const rows = [...r.stdout.matchAll(/^ {2}([Wb]\d)\[([\d,]+)\]\s+(\S+)\s+(\S+)\s+(\S+)$/gm)];
    expect(rows).toHaveLength(6 * 4);
    for (const [, symbol, index, chain, auto, numeric] of rows) {
      const idx = index.split(",").map(Number);
      const flat = idx.length === 2 ? idx[0] * (symbol === "W1" ? 64 : 32) + idx[1] : idx[0];
      const expected = grads.get(symbol)![flat];
      for (const printed of [chain, auto, numeric]) {
        expect(Math.abs(Number(printed) - expected)).toBeLessThanOrEqual(Math.abs(expected) * 1e-3 + 1e-12);
      }
    }
    const dot = fs.readFileSync(path.join(dir, "graph.dot"), "utf8");
    expect(dot).toContain("digraph backprop");
    expect(dot).toMatch(/label="h2 = sigmoid\\n\[3×32\]\\nvalue: mean [-\d.e]+, ‖·‖ [\d.e-]+\\ngrad: mean/);
    expect(dot).toMatch(/label="W1\\n\[32×64\]/);
  });

  it("draws the graph as SVG, and refuses other file types", () => {
    const svgFile = path.join(dir, "graph.svg");
    const r = cli(["explain", "--batch", "2", "--entries", "1", "--graph", svgFile]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/computation graph \(\d+ nodes\) written to .*graph\.svg/);
    const svg = fs.readFileSync(svgFile, "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("ŷ = sigmoid");
    const bad = cli(["explain", "--graph", path.join(dir, "graph.png")]);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe(`backprop explain: --graph ${path.join(dir, "graph.png")}: the file name must end in .svg or .dot`);
  });
});

describe("backprop gradcheck", () => {
  it("passes for the lecture network, entry by entry", () => {
    const r = cli(["gradcheck", "--batch", "4"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^0\.weight\s+\[32×64\]\s+2048\s+\S+\s+pass$/m);
    expect(r.stdout).toContain("verdict: PASS: all 3466 gradient entries match finite differences");
  });

  it("samples large parameters evenly with --max-entries", () => {
    const r = cli(["gradcheck", "--batch", "2", "--max-entries", "50"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^0\.weight\s+\[32×64\]\s+50 of 2048\s+\S+\s+pass$/m);
    expect(r.stdout).toMatch(/^0\.bias\s+\[32\]\s+32\s+\S+\s+pass$/m);
    expect(r.stdout).toContain("verdict: PASS: all 224 checked gradient entries (of 3466) match finite differences");
  });
});

describe("backprop predict and trained models", () => {
  it("predicts iris classes, matching columns by header name, as the model computes them", () => {
    const model = path.join(dir, "iris");
    const t = cli(["train", "--data", "iris", "--optimizer", "adam", "--lr", "0.01", "--epochs", "60", "--out", model]);
    expect(t.status, t.stderr).toBe(0);
    const iris = bp.data.loadIris();
    const x = iris.features.data();
    const names = iris.featureNames;
    // Columns in another order, plus the species column, which predict ignores.
    const order = [3, 0, 2, 1];
    const lines = [[...order.map((c) => names[c]), "species"].join(",")];
    for (let r = 0; r < 150; r++) lines.push([...order.map((c) => x[r * 4 + c]), iris.target.data()[r]].join(","));
    const csv = writeFile(dir, "iris-rows.csv", lines.join("\n") + "\n");
    const p = cli(["predict", "--model", model, csv]);
    expect(p.status, p.stderr).toBe(0);
    const out = p.stdout.trim().split("\n");
    expect(out[0]).toBe("prediction,label,score_0,score_1,score_2");
    expect(out).toHaveLength(151);

    // The same predictions, computed here from the saved weights and scaling.
    const config = JSON.parse(fs.readFileSync(path.join(model, "config.json"), "utf8"));
    const sd = bp.load(path.join(model, "model.safetensors"));
    const net = new bp.nn.Sequential(new bp.nn.Linear(4, 32), new bp.nn.Sigmoid(), new bp.nn.Linear(32, 32), new bp.nn.Sigmoid(), new bp.nn.Linear(32, 3), new bp.nn.Sigmoid());
    net.loadStateDict(sd);
    const { mean, std } = config.data.featureScaling;
    const scaled = Float32Array.from(x, (v, i) => (v - mean[i % 4]) / std[i % 4]);
    const expected = bp.noGrad(() => net.forward(bp.fromStorage(scaled, [150, 4])).argmax(1)).data();
    let correct = 0;
    out.slice(1).forEach((line, r) => {
      const [prediction, label] = line.split(",");
      expect(Number(prediction)).toBe(expected[r]);
      expect(label).toBe(["setosa", "versicolor", "virginica"][expected[r]]);
      if (Number(prediction) === iris.target.data()[r]) correct++;
    });
    expect(correct / 150).toBeGreaterThanOrEqual(0.9);

    // The trained model can be explained and gradient-checked too.
    const e = cli(["explain", "--model", model, "--batch", "2", "--entries", "2"]);
    expect(e.status, e.stderr).toBe(0);
    expect(e.stdout).toContain(`explain: the model in ${model} (4-32-32-3, sigmoid, sigmoid outputs), mse loss, 2 rows of iris, float64`);
    expect(e.stdout).toContain("verdict: PASS");
    const g = cli(["gradcheck", "--model", model, "--batch", "3"]);
    expect(g.status, g.stderr).toBe(0);
    expect(g.stdout).toContain("verdict: PASS: all 1315 gradient entries match finite differences");
  });

  it("predicts a regression target in its own units", () => {
    const model = path.join(dir, "diabetes");
    const t = cli(["train", "--data", "diabetes", "--optimizer", "adam", "--epochs", "40", "--out", model]);
    expect(t.status, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/^split\s+rows\s+loss\s+R²$/m);
    const d = bp.data.loadDiabetes();
    const x = d.features.data();
    const rows = Array.from({ length: 20 }, (_, r) => Array.from(x.subarray(r * 10, r * 10 + 10)).join(","));
    const csv = writeFile(dir, "patients.csv", rows.join("\n") + "\n");
    const p = cli(["predict", "--model", model, csv]);
    expect(p.status, p.stderr).toBe(0);
    const out = p.stdout.trim().split("\n");
    expect(out[0]).toBe("target");
    const predictions = out.slice(1).map(Number);
    expect(predictions).toHaveLength(20);
    // The same numbers from the saved weights: standardised inputs in, the output mapped back to the target's units.
    const config = JSON.parse(fs.readFileSync(path.join(model, "config.json"), "utf8"));
    expect(config.metrics.valScore).toBeGreaterThan(0.3);
    const net = new bp.nn.Sequential(new bp.nn.Linear(10, 32), new bp.nn.Sigmoid(), new bp.nn.Linear(32, 32), new bp.nn.Sigmoid(), new bp.nn.Linear(32, 1));
    net.loadStateDict(bp.load(path.join(model, "model.safetensors")));
    const { mean, std } = config.data.featureScaling;
    const scaled = Float32Array.from(x.subarray(0, 200), (v, i) => (v - mean[i % 10]) / std[i % 10]);
    const raw = bp.noGrad(() => net.forward(bp.fromStorage(scaled, [20, 10]))).data();
    const ts = config.data.targetScaling;
    predictions.forEach((v, i) => expect(v).toBeCloseTo(raw[i] * ts.std + ts.mean, 3));
    // Disease progression is measured on a scale of about 25–346: the predictions are on it, not standardised.
    expect(Math.min(...predictions)).toBeGreaterThan(20);
    expect(Math.max(...predictions)).toBeGreaterThan(100);
  });
});
