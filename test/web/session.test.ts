/** The training worker's logic, driven in Node: the trainer, the message protocol, explain, graph and export. */
import * as bp from "backpropagation";
import { describe, expect, test } from "vitest";
import { DEFAULT_CONFIG, type PlaygroundConfig } from "../../web/src/config.js";
import { trainTestSplit, type Split } from "../../web/src/data/dataset.js";
import { SeededRandom } from "../../web/src/data/random.js";
import { makeToy, type ToyName } from "../../web/src/data/toy.js";
import { Trainer } from "../../web/src/model/trainer.js";
import type { ExplainResult, ExportResult, Frame, FromWorker, GraphResult } from "../../web/src/protocol.js";
import { Session } from "../../web/src/worker/session.js";

function splitFor(config: PlaygroundConfig, name: ToyName = "circle"): Split {
  const data = makeToy(name, { n: config.samples, noise: config.noise, seed: config.seed });
  return trainTestSplit(data, config.trainFraction, new SeededRandom(config.seed + 7).permutation(data.length));
}

function session(): { s: Session; inbox: FromWorker[]; clock: { t: number } } {
  const inbox: FromWorker[] = [];
  const clock = { t: 0 };
  // A clock that advances 1 ms per reading, so a time slice is a fixed number of steps.
  const s = new Session((m) => inbox.push(m), () => clock.t++);
  return { s, inbox, clock };
}

describe("Trainer", () => {
  test("the default (lecture's) network learns the circle to over 90% test accuracy", () => {
    const t = new Trainer(DEFAULT_CONFIG, splitFor(DEFAULT_CONFIG));
    const before = t.evaluate();
    expect(before.testAccuracy!).toBeLessThan(0.7);
    for (let i = 0; i < 2500; i++) t.step();
    const after = t.evaluate();
    expect(after.testAccuracy!).toBeGreaterThan(0.9);
    expect(after.trainLoss).toBeLessThan(before.trainLoss / 10);
    expect(t.steps).toBe(2500);
    expect(t.epochs).toBe(Math.floor((2500 * 10) / 200) - 1); // 20 batches per epoch; the first pass is epoch 0
  });

  test("the sine curve is fitted by a tanh network with Adam", () => {
    const config: PlaygroundConfig = { ...DEFAULT_CONFIG, dataset: "sine", activation: "tanh", optimizer: "adam", learningRate: 0.01 };
    const t = new Trainer(config, splitFor(config, "sine"));
    const before = t.evaluate();
    for (let i = 0; i < 1500; i++) t.step();
    const after = t.evaluate();
    expect(after.testAccuracy).toBeNull();
    expect(after.testLoss).toBeLessThan(0.01);
    expect(after.testLoss).toBeLessThan(before.testLoss / 20);
    const curve = t.curve(5); // at x = -3.9, -1.95, 0, 1.95, 3.9; the data spans ±3
    expect(curve[2]).toBeCloseTo(0, 1);
    expect(curve[3]).toBeCloseTo(0.8 * Math.sin((Math.PI * 1.95) / 3), 1);
  });
});

describe("Session (the worker's message handling)", () => {
  test("reset sends the first frame; step takes one step; play trains in slices; pause stops", () => {
    const { s, inbox } = session();
    s.handle({ type: "reset", config: DEFAULT_CONFIG, split: splitFor(DEFAULT_CONFIG), generation: 1 });
    const first = inbox.pop() as Frame;
    expect(first.type).toBe("frame");
    expect([first.steps, first.sizes, first.running]).toEqual([0, [2, 8, 8, 2], false]);
    expect(first.boundary!.length).toBe(40 * 40);
    expect(first.curve).toBeNull();
    expect(first.weights.map((w) => w.length)).toEqual([16, 64, 16]);
    expect(first.history).toHaveLength(1);

    s.handle({ type: "step" });
    const stepped = inbox.pop() as Frame;
    expect(stepped.steps).toBe(1);
    expect(stepped.weightGrads[0].some((g) => g !== 0)).toBe(true);

    expect(s.tick()).toBe(false); // paused: nothing happens
    s.handle({ type: "play" });
    expect(s.tick()).toBe(true);
    const played = inbox.pop() as Frame;
    expect(played.running).toBe(true);
    expect(played.steps).toBeGreaterThan(1);
    s.handle({ type: "pause" });
    expect((inbox.pop() as Frame).running).toBe(false);
    expect(s.isRunning).toBe(false);
  });

  test("a reset while playing stops, starts a new network, and tags its frames with the new generation", () => {
    const { s, inbox } = session();
    s.handle({ type: "reset", config: DEFAULT_CONFIG, split: splitFor(DEFAULT_CONFIG), generation: 1 });
    s.handle({ type: "play" });
    s.tick();
    expect((inbox.pop() as Frame).generation).toBe(1);
    s.handle({ type: "reset", config: { ...DEFAULT_CONFIG, hidden: [3] }, split: splitFor(DEFAULT_CONFIG), generation: 2 });
    const frame = inbox.pop() as Frame;
    expect([frame.generation, frame.steps, frame.sizes, frame.running, s.isRunning]).toEqual([2, 0, [2, 3, 2], false, false]);
    expect(s.tick()).toBe(false);
  });

  test("explain: the chain-rule product equals loss.backward() on the same example", () => {
    const { s, inbox } = session();
    s.handle({ type: "reset", config: DEFAULT_CONFIG, split: splitFor(DEFAULT_CONFIG), generation: 1 });
    for (let i = 0; i < 30; i++) s.handle({ type: "step" });
    for (const param of [
      { layer: 0, kind: "weight", row: 3, col: 1 },
      { layer: 1, kind: "bias", row: 5, col: 0 },
      { layer: 2, kind: "weight", row: 1, col: 7 },
    ] as const) {
      s.handle({ type: "explain", param, example: 4 });
      const r = inbox.pop() as ExplainResult;
      expect(r.type).toBe("explain");
      expect(r.example).toBe(4);
      expect(Math.abs(r.chain.product - r.backward)).toBeLessThanOrEqual(1e-5 * Math.max(Math.abs(r.backward), 1e-6));
      expect(r.backward).not.toBe(0);
      // The chain rule, deeper: the sum over paths and the central difference give the same number.
      expect(r.deeper.paths.count).toBe([16, 2, 1][param.layer]);
      expect(Math.abs(r.deeper.paths.total - r.chain.product)).toBeLessThanOrEqual(1e-12 + 1e-9 * Math.abs(r.chain.product));
      expect(Math.abs(r.deeper.finiteDifference.value - r.chain.product)).toBeLessThanOrEqual(1e-9 + 1e-6 * Math.abs(r.chain.product));
      expect(r.deeper.backward.map((b) => b.column)).toEqual([3, 2, 1, 0]);
    }
  });

  test("graph: the recorded step has the lecture's ops and a gradient norm on every parameter", () => {
    const { s, inbox } = session();
    s.handle({ type: "reset", config: DEFAULT_CONFIG, split: splitFor(DEFAULT_CONFIG), generation: 1 });
    s.handle({ type: "graph" });
    const g = inbox.pop() as GraphResult;
    expect(g.type).toBe("graph");
    expect(g.nodes[0].gradNorm).toBe(1); // the loss: ∂L/∂L = 1
    expect(g.nodes[0].shape).toEqual([]);
    const count = (label: string) => g.nodes.filter((n) => n.label === label).length;
    expect(count("linear")).toBe(3); // nn.Linear's one op: x·Wᵀ + b
    expect(count("sigmoid")).toBe(3);
    const params = g.nodes.filter((n) => n.kind === "parameter");
    expect(params.map((n) => n.label).sort()).toEqual(["0.bias", "0.weight", "2.bias", "2.weight", "4.bias", "4.weight"]);
    for (const p of params) expect(p.gradNorm).toBeGreaterThan(0);
    expect(params.find((n) => n.label === "2.weight")!.shape).toEqual([8, 8]);
  });

  test("export: the safetensors bytes hold the network's weights; config.json describes it as `backprop train` would", () => {
    const { s, inbox } = session();
    s.handle({ type: "reset", config: DEFAULT_CONFIG, split: splitFor(DEFAULT_CONFIG), generation: 1 });
    const frame = inbox.pop() as Frame;
    s.handle({ type: "export" });
    const out = inbox.pop() as ExportResult;
    const sd = bp.deserialize(out.safetensors);
    expect(Array.from(sd["2.weight"].data())).toEqual(Array.from(frame.weights[1]));
    expect(sd["4.bias"].shape).toEqual([2]);
    expect(out.config).toMatchObject({
      status: "complete",
      architecture: { inputs: 2, hidden: [8, 8], outputs: 2, activation: "sigmoid", outputActivation: "sigmoid" },
      options: { task: "classify", loss: "mse", optimizer: "sgd", dtype: "float32", standardize: false },
      data: { featureNames: ["x1", "x2"], numClasses: 2, featureScaling: null },
    });
  });

  test("backend: switches the library's kernels and reports the one in use; an unknown name is an error", async () => {
    const { s, inbox } = session();
    try {
      await s.switchBackend("wasm");
      expect(inbox.pop()).toMatchObject({ type: "backend", name: "wasm" });
      expect(bp.getBackend()).toBe("wasm");
      await s.switchBackend("gpu");
      const reply = inbox.pop();
      const error = inbox.pop();
      expect(reply).toMatchObject({ type: "backend", name: "wasm" });
      expect(error).toMatchObject({ type: "error" });
      expect((error as { message: string }).message).toContain("gpu");
    } finally {
      await bp.setBackend("js");
    }
  });

  test("a diverging run stops with a message that names the step and the learning rate", () => {
    const { s, inbox } = session();
    const config: PlaygroundConfig = { ...DEFAULT_CONFIG, dataset: "sine", learningRate: 1e6 };
    s.handle({ type: "reset", config, split: splitFor(config, "sine"), generation: 1 });
    s.handle({ type: "play" });
    for (let i = 0; i < 20 && s.isRunning; i++) s.tick();
    expect(s.isRunning).toBe(false);
    const error = inbox.pop() as { type: string; message: string };
    expect(error.type).toBe("error");
    expect(error.message).toMatch(/^RangeError: training diverged at step \d+: the batch loss became (NaN|Infinity); reset with a smaller learning rate \(now 1000000\)$/);
  });

  test("questions before a reset, or about a missing example, come back as errors in words", () => {
    const { s, inbox } = session();
    s.handle({ type: "export" });
    expect(inbox.pop()).toEqual({ type: "error", message: "Error: worker: no network yet; send a reset message with a configuration and data first" });
    s.handle({ type: "reset", config: DEFAULT_CONFIG, split: splitFor(DEFAULT_CONFIG), generation: 1 });
    s.handle({ type: "explain", param: { layer: 0, kind: "weight", row: 0, col: 0 }, example: 200 });
    expect(inbox.pop()).toEqual({ type: "error", message: "RangeError: explain: example 200 is outside the training set (0..199)" });
  });
});
