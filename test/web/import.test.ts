/**
 * Import of a run (config.json + model.safetensors) into the playground:
 * export → import gives the same settings, parameters, test loss and
 * predictions; each kind of bad pair is refused with a message naming the
 * file and what would fit.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import * as bp from "backpropagation";
import { describe, expect, test } from "vitest";
import { DEFAULT_CONFIG, type PlaygroundConfig } from "../../web/src/config.js";
import { trainTestSplit, type Split } from "../../web/src/data/dataset.js";
import { SeededRandom } from "../../web/src/data/random.js";
import { parseDigitsCsv } from "../../web/src/data/digits.js";
import { makeSynthetic } from "../../web/src/data/synthetic.js";
import { Trainer } from "../../web/src/model/trainer.js";
import { readImport, type ImportFile } from "../../web/src/model/import.js";
import type { ExportResult, Frame, FromWorker, ImportResult } from "../../web/src/protocol.js";
import { Session } from "../../web/src/worker/session.js";

/** The page's makeData, for the 2-D and 1-D datasets. */
function splitFor(c: PlaygroundConfig): Split {
  const data = makeSynthetic(c.dataset as Parameters<typeof makeSynthetic>[0], { n: c.samples, noise: c.noise, seed: c.seed });
  return trainTestSplit(data, c.trainFraction, new SeededRandom(c.seed + 7).permutation(data.length));
}

function session(): { s: Session; inbox: FromWorker[] } {
  const inbox: FromWorker[] = [];
  let t = 0;
  return { s: new Session((m) => inbox.push(m), () => t++), inbox };
}

const json = (value: unknown): ImportFile => ({ name: "config.json", bytes: new TextEncoder().encode(JSON.stringify(value)) });

/** Trains `steps` steps and exports: the pair, and the last frame before the export. */
function trainAndExport(config: PlaygroundConfig, steps: number): { files: ImportFile[]; frame: Frame; config: Record<string, unknown> } {
  const { s, inbox } = session();
  s.handle({ type: "reset", config, split: splitFor(config), generation: 1 });
  for (let i = 0; i < steps; i++) s.handle({ type: "step" });
  const frame = inbox.pop() as Frame;
  s.handle({ type: "export" });
  const out = inbox.pop() as ExportResult;
  const files = [
    { name: "model.safetensors", bytes: out.safetensors },
    { name: "config.json", bytes: new TextEncoder().encode(JSON.stringify(out.config, null, 2)) },
  ];
  return { files, frame, config: out.config };
}

/** As the page does it: the worker checks the files, then a fresh network with the imported settings gets the imported weights. */
function importIntoFreshSession(files: ImportFile[]): { frame: Frame; parameters: number; config: PlaygroundConfig } {
  const { s, inbox } = session();
  s.handle({ type: "import", files });
  const reply = inbox.pop() as ImportResult;
  if (!("model" in reply)) throw new Error(`import refused: ${reply.error}`);
  const model = reply.model;
  s.handle({ type: "reset", config: model.config, split: splitFor(model.config), generation: 1 });
  s.handle({ type: "load-weights", weights: model.weights, biases: model.biases });
  return { frame: inbox.pop() as Frame, parameters: model.parameters, config: model.config };
}

describe("export → import", () => {
  const cases: [string, PlaygroundConfig][] = [
    ["xor with the engineered feature xy, tanh, cross-entropy, momentum", {
      ...DEFAULT_CONFIG, dataset: "xor", noise: 0.1, trainFraction: 0.6, batchSize: 5, learningRate: 0.3, activation: "tanh",
      loss: "cross-entropy", optimizer: "momentum", features: ["x", "y", "xy", "sinx"], hidden: [4, 3], seed: 42,
    }],
    ["the sine curve (one input, regression)", { ...DEFAULT_CONFIG, dataset: "sine", activation: "relu", optimizer: "adam", learningRate: 0.01, hidden: [6], seed: 3 }],
    ["the lecture's default network", DEFAULT_CONFIG],
  ];
  test.each(cases)("%s: same settings, parameters, test loss and predictions", (_, config) => {
    const exported = trainAndExport(config, 40);
    const imported = importIntoFreshSession(exported.files);
    expect(imported.config).toEqual(config);
    expect(imported.frame.sizes).toEqual(exported.frame.sizes);
    expect(imported.frame.weights).toEqual(exported.frame.weights);
    expect(imported.frame.biases).toEqual(exported.frame.biases);
    expect(imported.frame.steps).toBe(0); // shown, not trained
    expect(imported.frame.testLoss).toBe(exported.frame.testLoss);
    expect(imported.frame.trainLoss).toBe(exported.frame.trainLoss);
    expect(imported.frame.testAccuracy).toBe(exported.frame.testAccuracy);
    expect(imported.frame.boundary).toEqual(exported.frame.boundary);
    expect(imported.frame.curve).toEqual(exported.frame.curve);
    const sizes = exported.frame.sizes;
    const count = sizes.slice(1).reduce((n, out, k) => n + out * sizes[k] + out, 0);
    expect(imported.parameters).toBe(count);
    // Against a fresh network of the same settings the loss differs: the weights did come from the file.
    const { s, inbox } = session();
    s.handle({ type: "reset", config, split: splitFor(config), generation: 1 });
    expect((inbox.pop() as Frame).testLoss).not.toBe(exported.frame.testLoss);
  });

  test("the worker answers a refused import with the message alone, before any network exists, and keeps its network after one", () => {
    const { files } = trainAndExport(DEFAULT_CONFIG, 0);
    const { s, inbox } = session();
    s.handle({ type: "import", files: [files[1]] });
    expect(inbox.pop()).toEqual({ type: "import", error: "import: model.safetensors is missing (got config.json); choose both files of a run, config.json and model.safetensors, together" });
    s.handle({ type: "reset", config: DEFAULT_CONFIG, split: splitFor(DEFAULT_CONFIG), generation: 1 });
    const before = inbox.pop() as Frame;
    s.handle({ type: "import", files: [files[1], { name: "model.safetensors", bytes: new Uint8Array(8) }] });
    expect((inbox.pop() as { error: string }).error).toContain("model.safetensors");
    s.handle({ type: "step" });
    expect((inbox.pop() as Frame).steps).toBe(1);
    expect(before.steps).toBe(0);
    expect(() => s.handle({ type: "load-weights", weights: [new Float32Array(3)], biases: [new Float32Array(8)] })).not.toThrow();
    expect((inbox.pop() as { message: string }).message).toBe("RangeError: loadParameters: the values (3+8) do not fit a network of sizes [2, 8, 8, 2]");
  });

  test("the file order does not matter, and the file names only by their ending", () => {
    const { files } = trainAndExport(DEFAULT_CONFIG, 1);
    const renamed = [{ ...files[1], name: "run7-config.JSON" }, { ...files[0], name: "weights.safetensors" }];
    expect(readImport(renamed)).toMatchObject({ source: "weights.safetensors", ignored: [] });
  });

  test("chosen with the whole run directory, the pair is found by name and the rest is passed over", () => {
    const { files } = trainAndExport(DEFAULT_CONFIG, 1);
    const junk = (name: string) => ({ name, bytes: new Uint8Array([0xff, 0x00]) }); // unreadable: it must not be read
    const model = readImport([junk("optimizer.json"), files[0], junk("checkpoint.safetensors"), junk("curves.svg"), files[1], junk("optimizer.safetensors")]);
    expect(model.ignored).toEqual(["optimizer.json", "checkpoint.safetensors", "curves.svg", "optimizer.safetensors"]);
    expect(model.weights).toEqual(readImport(files).weights);
  });
});

describe("`backprop train --data digits` runs", () => {
  test("the standardised pixel counts are folded into the first layer: the same outputs on the playground's pixels / 16", () => {
    const rng = new SeededRandom(5);
    const W1 = Float32Array.from({ length: 3 * 64 }, () => rng.next() - 0.5);
    const b1 = Float32Array.from({ length: 3 }, () => rng.next() - 0.5);
    const W2 = Float32Array.from({ length: 10 * 3 }, () => rng.next() - 0.5);
    const b2 = Float32Array.from({ length: 10 }, () => rng.next() - 0.5);
    const mean = Array.from({ length: 64 }, (_, j) => (j % 16) / 2);
    const std = Array.from({ length: 64 }, (_, j) => 1 + (j % 5));
    const config = {
      library: { name: "backpropagation", version: "0" }, status: "complete",
      architecture: { inputs: 64, hidden: [3], outputs: 10, activation: "relu", outputActivation: "none" },
      options: { data: "digits", target: null, task: "classify", loss: "cross-entropy", optimizer: "adam", lr: 0.01, epochs: 3, batchSize: 32, valSplit: 0.2, seed: 7, dtype: "float32", standardize: true },
      data: { source: "digits", rows: 1797, featureNames: Array.from({ length: 64 }, (_, i) => `pixel_${i >> 3}_${i & 7}`), targetName: "target", numClasses: 10, classNames: null, featureScaling: { mean, std }, targetScaling: null },
      metrics: {}, history: [],
    };
    const safetensors = bp.serialize({
      "0.weight": bp.fromStorage(W1, [3, 64]), "0.bias": bp.fromStorage(b1, [3]),
      "2.weight": bp.fromStorage(W2, [10, 3]), "2.bias": bp.fromStorage(b2, [10]),
    });
    const model = readImport([json(config), { name: "model.safetensors", bytes: safetensors }]);
    expect(model.config).toMatchObject({ dataset: "digits", hidden: [3], activation: "relu", loss: "cross-entropy", optimizer: "adam", trainFraction: 0.8, batchSize: 32, seed: 7 });

    // By hand: the CLI's network on standardised counts, and the imported one on the playground's counts / 16.
    const forward = (w1: Float32Array, bias1: Float32Array, x: number[]) => {
      const h = Array.from({ length: 3 }, (_, r) => Math.max(0, bias1[r] + x.reduce((acc, v, j) => acc + w1[r * 64 + j] * v, 0)));
      return Array.from({ length: 10 }, (_, o) => b2[o] + h.reduce((acc, v, r) => acc + W2[o * 3 + r] * v, 0));
    };
    const counts = Array.from({ length: 64 }, () => Math.floor(rng.next() * 17));
    const cli = forward(W1, b1, counts.map((c, j) => (c - mean[j]) / std[j]));
    const page = forward(model.weights[0], model.biases[0], counts.map((c) => c / 16));
    for (let o = 0; o < 10; o++) expect(page[o]).toBeCloseTo(cli[o], 4);
    expect(model.weights[1]).toEqual(W2);
    // Trained with --no-standardize: the raw counts are 16 times the page's pixels, so only the scale folds in.
    const raw = readImport([json({ ...config, data: { ...config.data, featureScaling: null } }), { name: "model.safetensors", bytes: safetensors }]);
    expect(raw.weights[0]).toEqual(W1.map((w) => w * 16));
    expect(raw.biases[0]).toEqual(b1);
  });

  // fixtures/cli-digits-run: `backprop train --data digits --layers 16,12 --activation relu --loss cross-entropy --optimizer adam --lr 0.01 --epochs 5`;
  // fixtures/pytorch-digits-run: that run through `backprop export --format pytorch` and `python3 train.py --epochs 2` (PyTorch 1.13) and back.
  test.each(["cli-digits-run", "pytorch-digits-run"])("a real run (fixtures/%s) predicts on the page as its own network does on standardised counts", (fixture) => {
    const dir = new URL(`./fixtures/${fixture}/`, import.meta.url);
    const files = ["config.json", "model.safetensors"].map((name) => ({ name, bytes: new Uint8Array(readFileSync(new URL(name, dir))) }));
    const run = JSON.parse(new TextDecoder().decode(files[0].bytes));
    const model = readImport(files);
    expect(model.config).toMatchObject({ dataset: "digits", hidden: [16, 12], activation: "relu", loss: "cross-entropy", optimizer: "adam", learningRate: 0.01, batchSize: 16, trainFraction: 0.8, seed: 0 });
    expect(model.parameters).toBe(64 * 16 + 16 + 16 * 12 + 12 + 12 * 10 + 10);

    const digits = parseDigitsCsv(gunzipSync(readFileSync(new URL("../../data/digits.csv.gz", import.meta.url))).toString("utf8"));
    const split = trainTestSplit(digits, model.config.trainFraction, new SeededRandom(model.config.seed + 7).permutation(digits.length));
    const trainer = new Trainer(model.config, split);
    trainer.loadParameters(model.weights, model.biases);
    // The CLI's network as it ran: nn.Sequential with the file's own weights, on standardised pixel counts (counts = page pixels · 16).
    const state = bp.deserialize(files[1].bytes);
    const linear = (k: number) => {
      const l = new bp.nn.Linear(state[`${k}.weight`].shape[1], state[`${k}.weight`].shape[0]);
      l.loadStateDict({ weight: state[`${k}.weight`], bias: state[`${k}.bias`] });
      return l;
    };
    const cliNet = new bp.nn.Sequential(linear(0), new bp.nn.ReLU(), linear(2), new bp.nn.ReLU(), linear(4));
    const { mean, std } = run.data.featureScaling as { mean: number[]; std: number[] };
    const test = split.test;
    const standardised = Float32Array.from(test.x, (p, i) => (p * 16 - mean[i % 64]) / std[i % 64]);
    const cli = bp.noGrad(() => cliNet.forward(bp.fromStorage(standardised, [test.length, 64])));
    const page = bp.noGrad(() => trainer.model.forward(bp.fromStorage(test.x, [test.length, 64])));
    const [a, b] = [cli.data() as Float32Array, page.data() as Float32Array];
    for (let i = 0; i < a.length; i++) expect(Math.abs(b[i] - a[i])).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(a[i])));
    expect(Array.from(page.argmax(1).data())).toEqual(Array.from(cli.argmax(1).data()));
    // The runs reached 95% and 96% validation accuracy; on the page's test rows (mostly rows they trained on) at least 90%.
    expect(trainer.evaluate().testAccuracy!).toBeGreaterThan(0.9);
  });
});

describe("refusals name the file and what would fit", () => {
  const good = trainAndExport(DEFAULT_CONFIG, 0);
  const [modelFile, configFile] = good.files;
  const edited = (change: (c: Record<string, any>) => void): ImportFile => {
    const c = structuredClone(good.config) as Record<string, any>;
    change(c);
    return json(c);
  };
  const refusal = (files: ImportFile[]) => {
    try {
      readImport(files);
    } catch (err) {
      expect((err as Error).name).toBe("ImportError");
      return (err as Error).message;
    }
    throw new Error("expected an ImportError");
  };

  test("a missing file", () => {
    expect(refusal([configFile])).toBe("import: model.safetensors is missing (got config.json); choose both files of a run, config.json and model.safetensors, together");
    expect(refusal([modelFile])).toContain("import: config.json is missing (got model.safetensors)");
    expect(refusal([])).toContain("(got no file)");
    const other = (name: string) => ({ name, bytes: new Uint8Array([1, 2, 3]) });
    expect(refusal([{ ...configFile, name: "a.json" }, other("optimizer.json"), modelFile])).toBe(
      "import: a.json, optimizer.json are all .json files and not one of them is named config.json; choose one run's config.json and model.safetensors",
    );
    expect(refusal([configFile, configFile, modelFile])).toContain("config.json, config.json are all .json files");
  });

  test("a config that is not JSON, or not a run configuration", () => {
    expect(refusal([{ name: "config.json", bytes: new TextEncoder().encode("{ oops") }, modelFile])).toMatch(/^config\.json: not JSON \(.+\); choose the config\.json that export or `backprop train` wrote$/);
    expect(refusal([json([1, 2]), modelFile])).toBe("config.json: not a backprop run configuration (not a JSON object); choose the config.json that export or `backprop train` wrote");
    expect(refusal([json({ architecture: {} }), modelFile])).toContain("(options missing)");
  });

  test("a run on other data", () => {
    expect(refusal([edited((c) => (c.options.data = "data/x.csv")), modelFile])).toBe(
      "config.json: trained on data/x.csv; the playground can show only its own datasets (circle, xor, gaussians, spiral, sine, reg-plane, reg-gauss) and the bundled digits",
    );
    expect(refusal([edited((c) => (c.options.data = "iris")), modelFile])).toContain("trained on iris;");
    expect(refusal([edited((c) => (c.options.data = "playground:moons")), modelFile])).toContain("trained on playground:moons;");
  });

  test("an architecture the playground cannot draw", () => {
    expect(refusal([edited((c) => (c.architecture.hidden = [8, 8, 8, 8, 8, 8, 8])), modelFile])).toBe(
      "config.json: hidden layers [8, 8, 8, 8, 8, 8, 8] are more than the playground can draw (at most 6 hidden layers of at most 32 neurons)",
    );
    expect(refusal([edited((c) => (c.architecture.hidden = [64])), modelFile])).toContain("hidden layers [64] are more than");
    expect(refusal([edited((c) => (c.architecture.activation = "gelu")), modelFile])).toBe('config.json: activation "gelu" is not one the playground has (sigmoid, tanh, relu, linear)');
    expect(refusal([edited((c) => (c.architecture.layers = [{ kind: "conv" }])), modelFile])).toContain("layers other than Linear ones");
    expect(refusal([edited((c) => (c.architecture.outputs = 3)), modelFile])).toBe("config.json: 3 outputs, but circle needs 2");
    expect(refusal([edited((c) => (c.architecture.outputActivation = "none")), modelFile])).toContain('outputActivation "none" does not fit circle with loss mse (the playground uses "sigmoid")');
    expect(refusal([edited((c) => (c.data.featureNames = ["x", "cosx"])), modelFile])).toContain("data.featureNames [x, cosx] are not the playground's features");
    expect(refusal([edited((c) => (c.data.featureNames = ["x", "y", "xy"])), modelFile])).toBe("config.json: 2 inputs, but circle with features [x, y, xy] gives 3");
    expect(refusal([edited((c) => (c.options.lr = 1000)), modelFile])).toContain("learning rate must be at most 100");
  });

  test("tensors whose names or shapes do not fit: every one is listed with the shapes expected and found", () => {
    const wrong = bp.serialize({
      "0.weight": bp.zeros([8, 3]), "0.bias": bp.zeros([8]),
      "2.weight": bp.zeros([8, 8]),
      "4.weight": bp.zeros([2, 8]), "4.bias": bp.zeros([2]),
      "6.weight": bp.zeros([1, 2]),
    });
    expect(refusal([configFile, { name: "model.safetensors", bytes: wrong }])).toBe(
      "model.safetensors: the tensors do not fit the network of config.json (sizes [2, 8, 8, 2]): " +
        "0.weight expected [8, 2], found [8, 3]; 2.bias expected [8], found none; 6.weight expected none, found [1, 2]",
    );
    const nan = bp.serialize({ ...bp.deserialize(modelFile.bytes), "2.bias": bp.full([8], Number.NaN) });
    expect(refusal([configFile, { name: "model.safetensors", bytes: nan }])).toBe("model.safetensors: 2.bias holds NaN or infinite values; import a model saved before training diverged");
  });

  test("a corrupt safetensors file: the library's own message", () => {
    const truncated = modelFile.bytes.slice(0, 40);
    let expected = "";
    try {
      bp.deserialize(truncated, "model.safetensors");
    } catch (err) {
      expected = (err as Error).message;
    }
    expect(expected).toContain("model.safetensors");
    expect(refusal([configFile, { name: "model.safetensors", bytes: truncated }])).toBe(expected);
    expect(refusal([configFile, { name: "model.safetensors", bytes: new TextEncoder().encode("not a model") }])).toContain("model.safetensors");
  });
});
