/** View-model code of the playground: colours, the network and graph layouts, predictions, settings. */
import { describe, expect, test } from "vitest";
import { DEFAULT_CONFIG, validateConfig } from "../../web/src/config.js";
import { parseHidden } from "../../web/src/controls.js";
import { accuracy, outputActivation, outputWidth, readPredictions } from "../../web/src/model/head.js";
import { networkEquations } from "../../web/src/viewmodel/equations.js";
import { NEGATIVE, NEUTRAL, POSITIVE, css, divergingRgb, scoreRgb } from "../../web/src/viewmodel/colors.js";
import { layoutGraph } from "../../web/src/viewmodel/graphLayout.js";
import { edgeLook, layoutNetwork, maxAbs, onChainPath } from "../../web/src/viewmodel/networkView.js";
import { formatPercent, formatValue } from "../../web/src/views/format.js";

describe("colours", () => {
  test("values: grey at zero, full orange/blue at ±scale and beyond, red for NaN", () => {
    expect(divergingRgb(0, 1)).toEqual(NEUTRAL);
    expect(divergingRgb(-1, 1)).toEqual(NEGATIVE);
    expect(divergingRgb(5, 1)).toEqual(POSITIVE);
    expect(divergingRgb(0.5, 1)).toEqual([120, 177, 212]); // halfway from (232,234,235) to (8,119,189), rounded
    expect(divergingRgb(Number.NaN, 1)).toEqual([220, 0, 0]);
    expect(css([1, 2, 3])).toBe("rgb(1,2,3)");
  });

  test("class scores: orange at 0, grey at 0.5, blue at 1, clamped outside", () => {
    expect(scoreRgb(0)).toEqual(NEGATIVE);
    expect(scoreRgb(0.5)).toEqual(NEUTRAL);
    expect(scoreRgb(1)).toEqual(POSITIVE);
    expect(scoreRgb(-3)).toEqual(NEGATIVE);
    expect(scoreRgb(7)).toEqual(POSITIVE);
  });
});

describe("network layout", () => {
  test("columns spread across the width, each column centred vertically", () => {
    const g = layoutNetwork([2, 3, 1], 248, 200);
    expect(g.neurons.map((c) => c.length)).toEqual([2, 3, 1]);
    expect(g.neurons.map((c) => c[0].x)).toEqual([24, 124, 224]);
    expect(g.neurons[2][0].y).toBe(100);
    const ys = g.neurons[1].map((n) => n.y);
    expect(ys[1]).toBeCloseTo(100, 10);
    expect(ys[2] - ys[1]).toBeCloseTo(ys[1] - ys[0], 10);
  });

  test("edge width grows with |value| from 0.5 to 6 px; the scale is the largest |value|", () => {
    expect(maxAbs([[0.5, -2], [1]])).toBe(2);
    expect(edgeLook(0, 2).width).toBe(0.5);
    expect(edgeLook(-2, 2)).toEqual({ color: css(NEGATIVE), width: 6 });
    expect(edgeLook(1, 2).width).toBe(3.25);
    expect(edgeLook(1, 0).width).toBe(0.5);
  });
});

describe("chain path", () => {
  test("W1[2,1] reaches the loss through unit 2 of h1 and every later weight", () => {
    const p = { layer: 0, kind: "weight", row: 2, col: 1 } as const;
    expect(onChainPath(p, 0, 2, 1)).toBe(true);
    expect(onChainPath(p, 0, 2, 0)).toBe(false);
    expect(onChainPath(p, 1, 5, 2)).toBe(true); // leaves h1[2]
    expect(onChainPath(p, 1, 5, 3)).toBe(false);
    expect(onChainPath(p, 2, 0, 7)).toBe(true);
  });

  test("a bias has no weight of its own on the path", () => {
    const p = { layer: 1, kind: "bias", row: 4, col: 0 } as const;
    expect(onChainPath(p, 0, 0, 0)).toBe(false);
    expect(onChainPath(p, 1, 4, 0)).toBe(false);
    expect(onChainPath(p, 2, 1, 4)).toBe(true);
    expect(onChainPath(p, 2, 1, 3)).toBe(false);
  });
});

describe("graph layout", () => {
  test("an op sits one column right of its deepest input, a leaf just left of its first consumer", () => {
    // w, x leaves; m = matmul(x, w); b leaf; a = add(m, b); s = sigmoid(a)
    const nodes = [
      { id: 0, inputs: [1] }, // s
      { id: 1, inputs: [2, 5] }, // a
      { id: 2, inputs: [3, 4] }, // m
      { id: 3, inputs: [] }, // x
      { id: 4, inputs: [] }, // w
      { id: 5, inputs: [] }, // b
    ];
    const { placed, columns, maxSlots } = layoutGraph(nodes);
    expect(placed.map((p) => p.column)).toEqual([3, 2, 1, 0, 0, 1]);
    expect(placed.map((p) => p.slot)).toEqual([0, 0, 0, 0, 1, 1]);
    expect([columns, maxSlots]).toEqual([4, 2]);
  });

  test("within a column, ops follow the mean position of their inputs", () => {
    // Leaves 0..3 in column 0; op 4 reads leaves 2 and 3, op 5 reads leaf 0: op 5 goes on top.
    const { placed } = layoutGraph([
      { id: 0, inputs: [] }, { id: 1, inputs: [] }, { id: 2, inputs: [] }, { id: 3, inputs: [] },
      { id: 4, inputs: [2, 3] }, { id: 5, inputs: [0, 1] }, { id: 6, inputs: [4, 5] },
    ]);
    expect(placed.map((p) => [p.column, p.slot])).toEqual([[0, 0], [0, 1], [0, 2], [0, 3], [1, 1], [1, 0], [2, 0]]);
  });

  test("a node that names a missing input is refused", () => {
    expect(() => layoutGraph([{ id: 0, inputs: [9] }])).toThrow("layoutGraph: node 9 is referenced but not listed");
  });
});

describe("predictions", () => {
  test("output width and head follow `backprop train`: one output per class, sigmoid for squared error", () => {
    expect(outputWidth({ task: "binary", numClasses: 2 })).toBe(2);
    expect(outputWidth({ task: "multiclass", numClasses: 10 })).toBe(10);
    expect(outputWidth({ task: "regression", numClasses: 1 })).toBe(1);
    expect(outputActivation({ task: "binary" }, "mse")).toBe("sigmoid");
    expect(outputActivation({ task: "binary" }, "cross-entropy")).toBe("none");
    expect(outputActivation({ task: "regression" }, "mse")).toBe("none");
  });

  test("class = largest output; the class-1 score is the sigmoid output or the softmax of the logits", () => {
    const out = Float32Array.from([0.2, 0.9, 0.7, 0.1]);
    const mse = readPredictions(out, 2, 2, "binary", "mse");
    expect(Array.from(mse.predicted)).toEqual([1, 0]);
    expect(mse.score[0]).toBeCloseTo(0.9, 6);
    const ce = readPredictions(Float32Array.from([0, Math.log(3)]), 1, 2, "binary", "cross-entropy");
    expect(ce.score[0]).toBeCloseTo(0.75, 6); // softmax([0, ln 3])[1] = 3/4
    const reg = readPredictions(Float32Array.from([1.5, -2]), 2, 1, "regression", "mse");
    expect(Array.from(reg.predicted)).toEqual([1.5, -2]);
    expect(accuracy(Float32Array.from([1, 0, 2]), Float32Array.from([1, 1, 2]))).toBeCloseTo(2 / 3, 10);
  });
});

describe("network equations", () => {
  test("the lecture's network, and a tanh regression net, written out", () => {
    expect(networkEquations(3, "sigmoid", "sigmoid", "mse")).toEqual([
      "h1 = σ(W1·x + b1)", "h2 = σ(W2·h1 + b2)", "ŷ = σ(W3·h2 + b3)", "L = mean((ŷ − y)²)",
    ]);
    expect(networkEquations(2, "tanh", "none", "cross-entropy")).toEqual([
      "h1 = tanh(W1·x + b1)", "ŷ = W2·h1 + b2", "L = −mean(log softmax(ŷ)[y])",
    ]);
    expect(networkEquations(1, "relu", "none", "mse")).toEqual(["ŷ = W1·x + b1", "L = mean((ŷ − y)²)"]);
  });
});

describe("settings", () => {
  test("the default is the lecture's network: two sigmoid hidden layers, squared error, plain gradient descent", () => {
    expect(DEFAULT_CONFIG).toMatchObject({ dataset: "circle", activation: "sigmoid", loss: "mse", optimizer: "sgd" });
    expect(DEFAULT_CONFIG.hidden.length).toBe(2);
    expect(validateConfig(DEFAULT_CONFIG)).toEqual([]);
  });

  test("problems are listed in words", () => {
    expect(validateConfig({ ...DEFAULT_CONFIG, hidden: [8, 0], learningRate: -1, batchSize: 2.5 })).toEqual([
      "hidden layer 2: width must be an integer 1..32, got 0",
      "learning rate must be a positive number, got -1",
      "batch size must be a positive integer, got 2.5",
    ]);
    expect(validateConfig({ ...DEFAULT_CONFIG, dataset: "sine", loss: "cross-entropy" })).toEqual([
      "the sine curve is a regression: use the squared-error loss, not cross-entropy",
    ]);
    expect(parseHidden(" 4, 3 ")).toEqual([4, 3]);
    expect(parseHidden("")).toEqual([]);
    expect(parseHidden("4,x")).toEqual([4, Number.NaN]);
    expect(validateConfig({ ...DEFAULT_CONFIG, hidden: parseHidden("4,x") })).toEqual(["hidden layer 2: width must be an integer 1..32, got NaN"]);
  });

  test("numbers are shown short", () => {
    expect(formatValue(0)).toBe("0");
    expect(formatValue(0.123456)).toBe("0.1235");
    expect(formatValue(-0.00012346)).toBe("-1.235e-4");
    expect(formatPercent(0.9234)).toBe("92.3%");
    expect(formatPercent(null)).toBe("–");
  });
});
