/**
 * The ONNX export of a trained CLI run (src/cli/export-onnx.ts): onnxruntime
 * runs the exported file on raw feature rows and must give what
 * `backprop predict` prints for them, standardisation included (softmax
 * scores for a classifier, un-standardised values for a regression).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import * as bp from "backpropagation";
import { exportRunToOnnx } from "../../src/cli/export-onnx.js";
import { runOnnx } from "../onnx/runtime.js";
import { cli, ensureBuilt, tempDir, writeFile } from "./helpers.js";

let dir: string;

beforeAll(async () => {
  await ensureBuilt();
  dir = tempDir("export-onnx");
});

function predicted(csv: string, model: string): number[][] {
  const r = cli(["predict", "--model", model, csv]);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim().split("\n").slice(1).map((line) => line.split(",").map(Number));
}

function rows(text: string): bp.Tensor {
  const values = text.trim().split("\n").map((l) => l.split(",").map(Number));
  return bp.tensor(values);
}

describe("exportRunToOnnx", () => {
  it("a classifier: onnxruntime's outputs give predict's scores", async () => {
    const model = path.join(dir, "iris");
    const r = cli(["train", "--data", "iris", "--epochs", "3", "--out", model]);
    expect(r.status, r.stderr).toBe(0);
    const file = path.join(dir, "iris.onnx");
    const summary = exportRunToOnnx(model, file);
    expect(summary).toMatchObject({ file, inputs: 4, outputs: 3 });
    expect(fs.statSync(file).size).toBe(summary.bytes);
    const text = "5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n5.9,3.0,4.2,1.5\n";
    const out = await runOnnx(new Uint8Array(fs.readFileSync(file)), { features: rows(text) });
    // predict reports sigmoid outputs as they are, and logits as softmax probabilities.
    const config = JSON.parse(fs.readFileSync(path.join(model, "config.json"), "utf8")) as { architecture: { outputActivation: string } };
    const raw = bp.tensor(out.output.data).reshape(out.output.dims);
    const scores = (config.architecture.outputActivation === "none" ? raw.softmax(1) : raw).data();
    const expected = predicted(writeFile(dir, "iris-rows.csv", text), model);
    expected.forEach((row, i) => {
      const probs = row.slice(-3); // after the predicted index (and label name, if any)
      probs.forEach((p, j) => expect(Math.abs(scores[i * 3 + j] - p)).toBeLessThan(1e-5 + 1e-5 * Math.abs(p)));
    });
  });

  it("a regression: onnxruntime gives predict's values, target scaling included", async () => {
    const model = path.join(dir, "diabetes");
    const r = cli(["train", "--data", "diabetes", "--epochs", "2", "--out", model]);
    expect(r.status, r.stderr).toBe(0);
    const file = path.join(dir, "diabetes.onnx");
    const summary = exportRunToOnnx(model, file);
    expect(summary.inputs).toBe(10);
    const text = [
      "0.038,0.051,0.062,0.022,-0.044,-0.035,-0.043,-0.003,0.020,-0.018",
      "-0.002,-0.045,-0.051,-0.026,-0.008,-0.019,0.074,-0.039,-0.068,-0.092",
    ].join("\n") + "\n";
    const out = await runOnnx(new Uint8Array(fs.readFileSync(file)), { features: rows(text) });
    const expected = predicted(writeFile(dir, "diabetes-rows.csv", text), model).map((row) => row[0]);
    expect(out.output.dims).toEqual([2, 1]);
    expected.forEach((v, i) => expect(Math.abs(out.output.data[i] - v)).toBeLessThan(1e-4 * Math.max(1, Math.abs(v))));
  });

  it("names the run directory when it holds no model", () => {
    const empty = tempDir("export-onnx-empty");
    expect(() => exportRunToOnnx(empty, path.join(empty, "m.onnx"))).toThrow(empty);
  });
});
