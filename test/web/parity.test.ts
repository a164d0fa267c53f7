/**
 * The playground's TensorFlow Playground features, below the page: input
 * features, L1/L2 regularisation in the trainer, weight editing, drawn
 * points, per-neuron maps, the linear activation, the 2-D regression
 * datasets, and the view-model pieces (colours, parameter names).
 */
import { describe, expect, test } from "vitest";
import { DEFAULT_CONFIG, validateConfig, type PlaygroundConfig } from "../../web/src/config.js";
import { trainTestSplit, type Split } from "../../web/src/data/dataset.js";
import { drawnTarget, withDrawnPoints } from "../../web/src/data/drawnPoints.js";
import { FEATURE_NAMES, featureValue, mapFeatures } from "../../web/src/data/features.js";
import { SeededRandom } from "../../web/src/data/random.js";
import { gaussTarget, makeRegression2d, planeTarget } from "../../web/src/data/regression2d.js";
import { makeSynthetic } from "../../web/src/data/synthetic.js";
import { DATA_EXTENT, VIEW_EXTENT } from "../../web/src/data/toy.js";
import { penaltyValue } from "../../web/src/model/regularization.js";
import { Trainer, gridPoints } from "../../web/src/model/trainer.js";
import { weightNorm } from "../../web/src/parityStats.js";
import type { ExplainResult, ExportResult, Frame, FromWorker } from "../../web/src/protocol.js";
import { DISCRETE_NEGATIVE, DISCRETE_POSITIVE, boundaryRgb, pointRgb } from "../../web/src/viewmodel/boundaryColors.js";
import { NEGATIVE, NEUTRAL, POSITIVE } from "../../web/src/viewmodel/colors.js";
import { networkEquations } from "../../web/src/viewmodel/equations.js";
import { mapPixels, mapScale } from "../../web/src/viewmodel/neuronMapColors.js";
import { paramInNetwork, parseParamName } from "../../web/src/viewmodel/paramName.js";
import { Session } from "../../web/src/worker/session.js";

function splitFor(config: PlaygroundConfig): Split {
  const data = makeSynthetic(config.dataset as Parameters<typeof makeSynthetic>[0], { n: config.samples, noise: config.noise, seed: config.seed });
  return trainTestSplit(data, config.trainFraction, new SeededRandom(config.seed + 7).permutation(data.length));
}

const trainerFor = (changes: Partial<PlaygroundConfig>) => {
  const config = { ...DEFAULT_CONFIG, ...changes };
  return new Trainer(config, splitFor(config));
};

describe("input features", () => {
  test("each feature's value, by hand", () => {
    const [x, y] = [1.5, -2];
    expect(FEATURE_NAMES.map((f) => featureValue(f, x, y))).toEqual([1.5, -2, 2.25 / 3, 4 / 3, -3 / 3, Math.sin(1.5), Math.sin(-2)]);
    expect(Array.from(mapFeatures(Float32Array.of(1, 2, -3, 0.5), ["xy", "x"]))).toEqual([Math.fround(2 / 3), 1, -0.5, -3]);
    expect(() => mapFeatures(Float32Array.of(1, 2), [])).toThrow("mapFeatures: choose at least one feature");
  });

  test("the chosen features set the input layer's width; 1-D data ignores them", () => {
    expect(trainerFor({ features: ["x", "y", "x2", "xy", "sinx"] }).model.sizes).toEqual([5, 8, 8, 2]);
    expect(trainerFor({ features: ["y2"] }).model.sizes).toEqual([1, 8, 8, 2]);
    expect(trainerFor({ dataset: "sine", features: ["y2"] }).model.sizes).toEqual([1, 8, 8, 1]);
    expect(validateConfig({ ...DEFAULT_CONFIG, features: [] })).toEqual(["choose at least one input feature"]);
  });

  test("x² and y² make the circle separable by a network with no hidden layer", () => {
    const t = trainerFor({ features: ["x2", "y2"], hidden: [], loss: "cross-entropy", optimizer: "adam", learningRate: 0.05 });
    for (let i = 0; i < 600; i++) t.step();
    expect(t.evaluate().testAccuracy!).toBeGreaterThan(0.97);
    const plain = trainerFor({ hidden: [], loss: "cross-entropy", optimizer: "adam", learningRate: 0.05 });
    for (let i = 0; i < 600; i++) plain.step();
    expect(plain.evaluate().testAccuracy!).toBeLessThan(0.8); // a line cannot separate a disc from a ring
  });
});

describe("regularisation", () => {
  test("the penalty's value by hand: λ·Σ|w| and λ·½Σw²", () => {
    const w = [Float32Array.of(1, -2), Float32Array.of(3)];
    expect(penaltyValue(w, "l1", 0.1)).toBeCloseTo(0.6, 12);
    expect(penaltyValue(w, "l2", 0.1)).toBeCloseTo(0.7, 12);
    expect(penaltyValue(w, "none", 0.1)).toBe(0);
    const t = trainerFor({ regularization: "l2", regularizationRate: 0.01 });
    expect(t.evaluate().penalty).toBeCloseTo(penaltyValue(t.snapshot().weights, "l2", 0.01), 6);
    expect(trainerFor({}).evaluate().penalty).toBe(0);
  });

  test("one SGD step: L2 moves each weight by an extra −lr·λ·w, L1 by −lr·λ·sign(w); biases as without", () => {
    const lr = 0.5;
    const lambda = 0.03;
    const plain = trainerFor({ learningRate: lr });
    const before = plain.snapshot();
    plain.step();
    const base = plain.snapshot();
    for (const kind of ["l2", "l1"] as const) {
      const t = trainerFor({ learningRate: lr, regularization: kind, regularizationRate: lambda });
      t.step();
      const after = t.snapshot();
      before.weights.forEach((w0, layer) => {
        for (let i = 0; i < w0.length; i++) {
          const extra = kind === "l2" ? w0[i] : Math.sign(w0[i]);
          expect(after.weights[layer][i]).toBeCloseTo(base.weights[layer][i] - lr * lambda * extra, 6);
        }
        expect(Array.from(after.biases[layer])).toEqual(Array.from(base.biases[layer]));
      });
    }
  });

  test("L2 keeps the weights' norm smaller than the same run without it", () => {
    const plain = trainerFor({});
    const l2 = trainerFor({ regularization: "l2", regularizationRate: 0.01 });
    for (let i = 0; i < 400; i++) {
      plain.step();
      l2.step();
    }
    expect(weightNorm(l2.snapshot().weights)).toBeLessThan(0.9 * weightNorm(plain.snapshot().weights));
  });
});

describe("editing a parameter, drawing points", () => {
  test("setParameter writes one weight or bias in place; training goes on from it", () => {
    const t = trainerFor({});
    t.setParameter({ layer: 0, kind: "weight", row: 3, col: 1 }, 2.5);
    t.setParameter({ layer: 2, kind: "bias", row: 1, col: 0 }, -0.75);
    const s = t.snapshot();
    expect(s.weights[0][3 * 2 + 1]).toBe(2.5);
    expect(s.biases[2][1]).toBe(-0.75);
    t.step();
    expect(t.snapshot().weights[0][3 * 2 + 1]).not.toBe(2.5); // the optimizer still updates the edited tensor
    expect(() => t.setParameter({ layer: 0, kind: "weight", row: 8, col: 0 }, 1)).toThrow(
      "setParameter: weight [layer 0, row 8, col 0] is not in a network of sizes [2, 8, 8, 2]",
    );
    expect(() => t.setParameter({ layer: 0, kind: "bias", row: 0, col: 0 }, Number.NaN)).toThrow("the value must be a finite number, got NaN");
  });

  test("drawn points join the training rows with their class or ±1 target", () => {
    const split = splitFor(DEFAULT_CONFIG);
    const grown = withDrawnPoints(split, [{ x: 1, y: 2, positive: true }, { x: -1, y: 0, positive: false }]);
    expect(grown.train.length).toBe(split.train.length + 2);
    expect(grown.test).toBe(split.test);
    expect(Array.from(grown.train.x.slice(-4))).toEqual([1, 2, -1, 0]);
    expect(Array.from(grown.train.y.slice(-2))).toEqual([1, 0]);
    expect(drawnTarget({ x: 0, y: 0, positive: false }, "regression")).toBe(-1);
    expect(withDrawnPoints(split, [])).toBe(split);
    const sine = splitFor({ ...DEFAULT_CONFIG, dataset: "sine" });
    expect(() => withDrawnPoints(sine, [{ x: 0, y: 0, positive: true }])).toThrow('points can only be drawn on 2-D data; "sine" has 1 inputs');

    const t = new Trainer(DEFAULT_CONFIG, split);
    t.step();
    t.setData(grown);
    expect(t.split.train.length).toBe(split.train.length + 2);
    for (let i = 0; i < 30; i++) expect(Number.isFinite(t.step())).toBe(true);
    expect(() => t.setData(sine)).toThrow("does not fit the network's (binary, 2 inputs); reset instead");
  });
});

describe("neuron maps", () => {
  test("inputs show the features over the grid; the output map is the boundary's score", () => {
    const res = 6;
    const t = trainerFor({ features: ["x", "xy", "sinx"] });
    for (let i = 0; i < 50; i++) t.step();
    const maps = t.neuronMaps(res);
    expect(maps.map((m) => m.length)).toEqual([3, 8, 8, 2].map((units) => units * res * res));
    const grid = gridPoints(res, VIEW_EXTENT);
    for (let i = 0; i < res * res; i++) {
      expect(maps[0][res * res + i]).toBeCloseTo(featureValue("xy", grid[2 * i], grid[2 * i + 1]), 5);
    }
    const hidden = maps[1];
    expect(hidden.every((v) => v > 0 && v < 1)).toBe(true); // sigmoid outputs
    const score = t.boundary(res);
    for (let i = 0; i < res * res; i++) expect(maps[3][res * res + i]).toBeCloseTo(score[i], 6);
    expect(() => trainerFor({ dataset: "sine" }).neuronMaps(res)).toThrow("only 2-D data");
  });

  test("colours: σ maps around 0.5, unbounded maps scaled to their own range", () => {
    expect(mapScale("sigmoid")).toEqual({ centre: 0.5, halfRange: 0.5 });
    expect(mapScale("relu")).toEqual({ centre: 0, halfRange: null });
    const px = new Uint8ClampedArray(12);
    mapPixels([-4, 0, 2], mapScale("input"), px);
    expect(Array.from(px.slice(0, 3))).toEqual(NEGATIVE);
    expect(Array.from(px.slice(4, 7))).toEqual(NEUTRAL);
    expect(px[11]).toBe(255);
  });
});

describe("linear activation and the 2-D regressions", () => {
  test("reg-plane and reg-gauss: targets in [-1, 1], read off their surfaces without noise", () => {
    const plane = makeRegression2d("reg-plane", { n: 200, noise: 0, seed: 3 });
    const gauss = makeRegression2d("reg-gauss", { n: 200, noise: 0, seed: 3 });
    for (let i = 0; i < 200; i++) {
      expect(plane.y[i]).toBeCloseTo(planeTarget(plane.x[2 * i], plane.x[2 * i + 1]), 6);
      expect(gauss.y[i]).toBeCloseTo(gaussTarget(gauss.x[2 * i], gauss.x[2 * i + 1]), 6);
      expect(Math.abs(plane.y[i])).toBeLessThanOrEqual(1);
      expect(Math.abs(gauss.y[i])).toBeLessThanOrEqual(1);
    }
    expect([plane.task, plane.inputDim]).toEqual(["regression", 2]);
    expect(planeTarget(DATA_EXTENT, DATA_EXTENT)).toBe(1);
    expect(gaussTarget(0, 0)).toBe(1); // the centre bump is positive
    expect(gaussTarget(0.6 * DATA_EXTENT, 0.6 * DATA_EXTENT)).toBeCloseTo(-1, 10);
    const noisy = makeRegression2d("reg-plane", { n: 200, noise: 0.5, seed: 3 });
    expect(Array.from(noisy.y)).not.toEqual(Array.from(plane.y));
    expect(() => makeRegression2d("reg-gauss", { n: 1, noise: 0, seed: 1 })).toThrow("reg-gauss: n must be an integer of at least 2, got 1");
  });

  test("a linear network fits the plane; the equations show no activation", () => {
    const t = trainerFor({ dataset: "reg-plane", activation: "linear", hidden: [3], optimizer: "adam", learningRate: 0.02 });
    for (let i = 0; i < 600; i++) t.step();
    expect(t.evaluate().testLoss).toBeLessThan(1e-4);
    expect(t.evaluate().testAccuracy).toBeNull();
    expect(networkEquations(2, "linear", "none", "mse")).toEqual(["h1 = W1·x + b1", "ŷ = W2·h1 + b2", "L = mean((ŷ − y)²)"]);
    expect(validateConfig({ ...DEFAULT_CONFIG, dataset: "reg-gauss", loss: "cross-entropy" })).toEqual([
      "reg-gauss is a regression: use the squared-error loss, not cross-entropy",
    ]);
  });

  test("the boundary colours: thresholded when discretised; regression on the diverging scale", () => {
    // Discretised: 60% of the way from grey (232,234,235) to the class colour, rounded.
    expect(DISCRETE_POSITIVE).toEqual([98, 165, 207]);
    expect(DISCRETE_NEGATIVE).toEqual([240, 182, 114]);
    expect(boundaryRgb(0.7, "binary", true)).toEqual(DISCRETE_POSITIVE);
    expect(boundaryRgb(0.3, "binary", true)).toEqual(DISCRETE_NEGATIVE);
    expect(boundaryRgb(0.5, "binary", false)).toEqual(NEUTRAL);
    expect(boundaryRgb(-0.2, "regression", true)).toEqual(DISCRETE_NEGATIVE);
    expect(boundaryRgb(0.01, "regression", true)).toEqual(DISCRETE_POSITIVE);
    expect(boundaryRgb(1, "regression", false)).toEqual(POSITIVE);
    expect(boundaryRgb(Number.NaN, "regression", false)).toEqual(NEUTRAL);
    expect(pointRgb(-1, "regression")).toEqual(NEGATIVE);
    expect(pointRgb(0, "binary")).toEqual(NEGATIVE);
  });
});

describe("parameter names", () => {
  test("W<layer>[row,col] and b<layer>[row] read back as the diagram's parameters", () => {
    expect(parseParamName("W1[2,1]")).toEqual({ layer: 0, kind: "weight", row: 2, col: 1 });
    expect(parseParamName(" b3[ 0 ] ")).toEqual({ layer: 2, kind: "bias", row: 0, col: 0 });
    for (const bad of ["W0[1,1]", "W1[2]", "b1[0,0]", "x1[0]", "W1[-1,0]", "", "W1[1,1"]) expect(parseParamName(bad), bad).toBeNull();
    expect(paramInNetwork({ layer: 0, kind: "weight", row: 7, col: 1 }, [2, 8, 2])).toBe(true);
    expect(paramInNetwork({ layer: 0, kind: "weight", row: 8, col: 1 }, [2, 8, 2])).toBe(false);
    expect(paramInNetwork({ layer: 2, kind: "bias", row: 0, col: 0 }, [2, 8, 2])).toBe(false);
  });
});

describe("the worker's parity messages", () => {
  function session() {
    const inbox: FromWorker[] = [];
    let t = 0;
    return { s: new Session((m) => inbox.push(m), () => t++), inbox };
  }

  test("set-param and set-data answer with a frame showing the change; frames carry maps, penalty and train size", () => {
    const { s, inbox } = session();
    const config = { ...DEFAULT_CONFIG, regularization: "l1" as const, regularizationRate: 0.001 };
    const split = splitFor(config);
    s.handle({ type: "reset", config, split, generation: 1 });
    const first = inbox.pop() as Frame;
    expect(first.neuronMaps!.length).toBe(4);
    expect(first.penalty).toBeGreaterThan(0);
    expect(first.trainSize).toBe(200);
    s.handle({ type: "set-param", param: { layer: 1, kind: "weight", row: 0, col: 7 }, value: 3 });
    expect((inbox.pop() as Frame).weights[1][7]).toBe(3);
    s.handle({ type: "set-data", split: withDrawnPoints(split, [{ x: 0, y: 0, positive: true }]) });
    expect((inbox.pop() as Frame).trainSize).toBe(201);
    s.handle({ type: "set-param", param: { layer: 5, kind: "bias", row: 0, col: 0 }, value: 1 });
    expect((inbox.pop() as { type: string; message: string }).message).toMatch(/^RangeError: setParameter: bias \[layer 5/);
  });

  test("export with engineered features names them as the model's inputs", () => {
    const { s, inbox } = session();
    const config: PlaygroundConfig = { ...DEFAULT_CONFIG, features: ["x", "x2", "sinx"] };
    s.handle({ type: "reset", config, split: splitFor(config), generation: 1 });
    s.handle({ type: "export" });
    const out = inbox.pop() as ExportResult;
    expect((out.config.architecture as { inputs: number }).inputs).toBe(3);
    expect((out.config.data as { featureNames: string[] }).featureNames).toEqual(["x", "x2", "sinx"]);
  });

  test("explain with engineered features and a linear network: the chain rule still equals backward()", () => {
    const { s, inbox } = session();
    const config: PlaygroundConfig = { ...DEFAULT_CONFIG, features: ["x", "y2", "sinx"], activation: "linear", hidden: [4] };
    s.handle({ type: "reset", config, split: splitFor(config), generation: 1 });
    for (let i = 0; i < 5; i++) s.handle({ type: "step" });
    s.handle({ type: "explain", param: { layer: 0, kind: "weight", row: 1, col: 2 }, example: 3 });
    const r = inbox.pop() as ExplainResult;
    expect(r.x).toHaveLength(3);
    expect(r.backward).not.toBe(0);
    expect(Math.abs(r.chain.product - r.backward)).toBeLessThanOrEqual(1e-5 * Math.abs(r.backward));
  });
});
