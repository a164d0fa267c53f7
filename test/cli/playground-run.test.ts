/**
 * A run exported by the playground is a run for the CLI too: a regression
 * on the plane with the linear activation (the two things only the
 * playground offers) goes through `predict` with the playground's own
 * outputs, and through `export --format onnx` with no node for the
 * activation.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import * as bp from "../../src/index.node.js";
import { DEFAULT_CONFIG, type PlaygroundConfig } from "../../web/src/config.js";
import { trainTestSplit } from "../../web/src/data/dataset.js";
import { SeededRandom } from "../../web/src/data/random.js";
import { makeSynthetic } from "../../web/src/data/synthetic.js";
import type { ExportResult, FromWorker } from "../../web/src/protocol.js";
import { Session } from "../../web/src/worker/session.js";
import { decodeModel } from "../../src/onnx/schema.js";
import { cli, ensureBuilt, tempDir, writeFile } from "./helpers.js";

const CONFIG: PlaygroundConfig = { ...DEFAULT_CONFIG, dataset: "reg-plane", activation: "linear", hidden: [4, 3], learningRate: 0.03 };
const POINTS = [[0.5, -0.3], [-4, 2.5], [3.1, 3.9], [0, 0]];

let runDir: string;
let exported: ExportResult;

beforeAll(async () => {
  await ensureBuilt();
  const inbox: FromWorker[] = [];
  let clock = 0;
  const session = new Session((m) => inbox.push(m), () => clock++);
  const data = makeSynthetic("reg-plane", { n: CONFIG.samples, noise: CONFIG.noise, seed: CONFIG.seed });
  const split = trainTestSplit(data, CONFIG.trainFraction, new SeededRandom(CONFIG.seed + 7).permutation(data.length));
  session.handle({ type: "reset", config: CONFIG, split, generation: 1 });
  for (let i = 0; i < 30; i++) session.handle({ type: "step" });
  session.handle({ type: "export" });
  exported = inbox.pop() as ExportResult;
  runDir = tempDir("playground-run");
  fs.writeFileSync(path.join(runDir, "model.safetensors"), exported.safetensors);
  fs.writeFileSync(path.join(runDir, "config.json"), JSON.stringify(exported.config, null, 2));
});

/** The exported network evaluated by the library directly: Linear, Identity, Linear, Identity, Linear. */
function playgroundOutputs(): number[] {
  const net = new bp.nn.Sequential(new bp.nn.Linear(2, 4), new bp.nn.Identity(), new bp.nn.Linear(4, 3), new bp.nn.Identity(), new bp.nn.Linear(3, 1));
  net.loadStateDict(bp.deserialize(exported.safetensors));
  return Array.from(bp.noGrad(() => net.forward(bp.tensor(POINTS))).data());
}

describe("a playground export of a linear-activation regression", () => {
  it("records the activation and a target scaling that leaves targets as they are", () => {
    const config = exported.config as { architecture: { activation: string }; data: { targetScaling: unknown } };
    expect(config.architecture.activation).toBe("linear");
    expect(config.data.targetScaling).toEqual({ mean: 0, std: 1 });
  });

  it("predicts with backprop predict what the playground's network computes", () => {
    const csv = writeFile(tempDir("playground-points"), "points.csv", "x1,x2\n" + POINTS.map((p) => p.join(",")).join("\n") + "\n");
    const r = cli(["predict", "--model", runDir, csv]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    const column = lines[0].split(",").length - 1;
    const predicted = lines.slice(1).map((line) => Number(line.split(",")[column]));
    const expected = playgroundOutputs();
    expect(predicted).toHaveLength(POINTS.length);
    predicted.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
  });

  it("exports to ONNX, the linear activation leaving no node behind", () => {
    const file = path.join(tempDir("playground-export"), "model.onnx");
    const r = cli(["export", "--format", "onnx", "--model", runDir, "--out", file]);
    expect(r.status, r.stderr).toBe(0);
    const ops = decodeModel(fs.readFileSync(file)).graph.node.map((n: { opType: string }) => n.opType);
    // Three layers, and the target scaling (here × 1 + 0) that predict applies too.
    expect(ops).toEqual(["Gemm", "Gemm", "Gemm", "Mul", "Add"]);
  });
});
