/**
 * The default `backprop train` (what `npm start` runs): the lecture's
 * network on the bundled digits must reach 95% validation accuracy, print
 * one line per epoch when piped, and leave a complete run directory.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import * as bp from "../../src/index.node.js";
import { ROOT, cli, ensureBuilt, tempDir, type Result } from "./helpers.js";

let dir: string;
let run: Result;

beforeAll(async () => {
  await ensureBuilt();
  dir = path.join(tempDir("train"), "run");
  run = cli(["train", "--out", dir]);
});

describe("backprop train with the defaults", () => {
  it("is what npm start runs", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    expect(pkg.scripts.start).toBe("node dist/cli/main.js train");
    expect(pkg.bin.backprop).toBe("./dist/cli/main.js");
  });

  it("reaches at least 95% validation accuracy on digits", () => {
    expect(run.status, run.stderr).toBe(0);
    const config = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
    expect(config.metrics.valScore).toBeGreaterThanOrEqual(0.95);
    const row = run.stdout.match(/^validation\s+359\s+[\d.]+\s+([\d.]+)%$/m);
    expect(row, run.stdout).not.toBeNull();
    expect(Number(row![1])).toBeGreaterThanOrEqual(95);
  });

  it("trains the lecture's network: two sigmoid hidden layers, squared error, plain SGD", () => {
    const config = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
    expect(config.architecture).toEqual({ inputs: 64, hidden: [32, 32], outputs: 10, activation: "sigmoid", outputActivation: "sigmoid" });
    expect(config.options).toMatchObject({ data: "digits", task: "classify", loss: "mse", optimizer: "sgd", epochs: 60, standardize: true });
    expect(config.status).toBe("complete");
    expect(config.library.name).toBe("backpropagation");
    expect(config.library.version).toBe(JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version);
  });

  it("prints one line per epoch when the output is not a terminal, then the report", () => {
    const epochLines = run.stdout.split("\n").filter((l) => /^epoch\s+\d+\/60 /.test(l));
    expect(epochLines).toHaveLength(60);
    expect(epochLines[59]).toMatch(/^epoch 60\/60  loss [\d.]+  acc [\d.]+%  val_loss [\d.]+  val_acc [\d.]+%  [\d.]+k? samples\/s/);
    expect(run.stdout).not.toContain("\r");
    expect(run.stdout).toContain("confusion matrix (validation rows");
    expect(run.stdout).toMatch(/^true\\pred\s+0\s+1\s+2\s+3\s+4\s+5\s+6\s+7\s+8\s+9$/m);
    expect(run.stdout).toContain("● train loss   ○ validation loss");
  });

  it("confusion matrix rows add up to the validation rows per class", () => {
    const rows = run.stdout.split("\n").filter((l) => /^\d\s+(\d+\s+){9}\d+$/.test(l));
    expect(rows).toHaveLength(10);
    const total = rows.reduce((a, l) => a + l.trim().split(/\s+/).slice(1).reduce((b, c) => b + Number(c), 0), 0);
    expect(total).toBe(359);
  });

  it("writes model.safetensors with PyTorch's parameter names, the curves and a checkpoint", () => {
    const sd = bp.load(path.join(dir, "model.safetensors"));
    expect(Object.keys(sd).sort()).toEqual(["0.bias", "0.weight", "2.bias", "2.weight", "4.bias", "4.weight"]);
    expect(sd["0.weight"].shape).toEqual([32, 64]);
    expect(sd["4.weight"].shape).toEqual([10, 32]);
    const svg = fs.readFileSync(path.join(dir, "curves.svg"), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(4);
    const checkpoint = bp.load(path.join(dir, "checkpoint.safetensors"));
    expect(checkpoint["model.0.weight"].data()).toEqual(sd["0.weight"].data());
    expect(fs.readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});
