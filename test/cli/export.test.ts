/**
 * `backprop export --format pytorch` without Python: the folder's files and
 * their layout, the data as the network sees it, the optimizer state equal
 * to the checkpoint's, a run directory laid out as train.py writes it
 * continued by `train --resume` and used by `predict`, and the errors.
 * (The PyTorch side runs in `npm run test:pytorch`.)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import * as bp from "backpropagation";
import { cli, ensureBuilt, tempDir, writeFile } from "./helpers.js";

let base: string;
let csv: string;
let run: string;
let exported: string;

/** 60 rows: two numeric columns, a text column with 3 categories, a named class. */
function dataset(): string {
  const lines = ["width,height,colour,kind"];
  const colours = ["red", "green", "blue"];
  for (let i = 0; i < 60; i++) {
    const w = ((i * 37) % 23) / 4;
    const h = ((i * 11) % 17) / 3;
    lines.push(`${w},${h},${colours[i % 3]},${w + h > 5 ? "big" : "small"}`);
  }
  return lines.join("\n") + "\n";
}

beforeAll(async () => {
  await ensureBuilt();
  base = tempDir("export");
  csv = writeFile(base, "shapes.csv", dataset());
  run = path.join(base, "run");
  const r = cli(["train", "--data", csv, "--layers", "6", "--activation", "tanh", "--optimizer", "momentum", "--epochs", "3", "--batch-size", "8", "--out", run]);
  expect(r.status, r.stderr).toBe(0);
  exported = path.join(base, "exported");
  const e = cli(["export", "--format", "pytorch", "--model", run, "--out", exported, "--check-rows", "20"]);
  expect(e.status, e.stderr).toBe(0);
  expect(e.stdout).toMatch(/next-step check on 20 fixed training rows: loss [\d.e-]+ now, [\d.e-]+ after one momentum step here/);
});

const json = (file: string) => JSON.parse(fs.readFileSync(file, "utf8"));

describe("backprop export --format pytorch", () => {
  it("writes model.py with the run's layers under the same indices", () => {
    const text = fs.readFileSync(path.join(exported, "model.py"), "utf8");
    // 2 numbers + 3 colour categories = 5 inputs, 6 hidden, 2 classes; squared error on classes ends in a sigmoid.
    expect(text).toContain("nn.Linear(5, 6, bias=True),  # 0\n        nn.Tanh(),  # 1\n        nn.Linear(6, 2, bias=True),  # 2\n        nn.Sigmoid(),  # 3");
    expect(text).toContain("def build_model(dtype=torch.float32):");
    expect(fs.readFileSync(path.join(exported, "train.py"), "utf8")).toContain("DistributedDataParallel");
  });

  it("writes the weights and the optimizer state the checkpoint holds, in PyTorch's layout", () => {
    const model = bp.load(path.join(exported, "model.safetensors"));
    const saved = bp.load(path.join(run, "model.safetensors"));
    expect(Object.keys(model).sort()).toEqual(["0.bias", "0.weight", "2.bias", "2.weight"]);
    for (const k of Object.keys(saved)) expect(Array.from(model[k].data())).toEqual(Array.from(saved[k].data()));

    const opt = json(path.join(exported, "optimizer.json"));
    expect(opt.param_groups).toEqual([{ lr: 0.2, momentum: 0.9, dampening: 0, nesterov: false, weight_decay: 0, maximize: false, foreach: null, differentiable: false, params: [0, 1, 2, 3] }]);
    expect(opt.state["2"]).toEqual({ momentum_buffer: { $tensor: "state.2.momentum_buffer" } });
    const buffers = bp.load(path.join(exported, "optimizer.safetensors"));
    const checkpoint = bp.load(path.join(run, "checkpoint.safetensors"));
    // The checkpoint keeps our layout (camelCase under "optimizer.state.<i>").
    for (let i = 0; i < 4; i++) {
      expect(Array.from(buffers[`state.${i}.momentum_buffer`].data())).toEqual(Array.from(checkpoint[`optimizer.state.${i}.momentumBuffer`].data()));
    }
  });

  it("writes the data as the network's inputs before scaling, the split, the scaling and the check batch", () => {
    const h = json(path.join(exported, "handoff.json"));
    const config = json(path.join(run, "config.json"));
    expect(h.format).toBe("backprop-pytorch-handoff/1");
    expect(h).toMatchObject({ dtype: "float32", task: "classify", loss: "mse", optimizer: "momentum", lr: 0.2, batchSize: 8, seed: 0, epochsDone: 3 });
    expect(h.data).toEqual({ kind: "csv", file: "data.csv", source: csv });
    expect(h.preprocessing.featureScaling).toEqual(config.data.featureScaling);
    expect(h.split.train.length + h.split.val.length).toBe(60);
    expect(h.split.val.length).toBe(12);
    expect(h.check.rows).toEqual(h.split.train.slice(0, 20));
    expect(Number.isFinite(h.check.lossBefore) && Number.isFinite(h.check.lossAfter)).toBe(true);

    const lines = fs.readFileSync(path.join(exported, "data.csv"), "utf8").trim().split("\n");
    expect(lines[0]).toBe(`${config.data.featureNames.join(",")},kind`);
    expect(lines).toHaveLength(61);
    // Row 4 of shapes.csv (i = 3): width 111 % 23 / 4, height 33 % 17 / 3, red (3 % 3 = 0) → one-hot, the class by its name's index.
    const [w, hgt, ...rest] = lines[4].split(",").map(Number);
    expect(w).toBe(19 / 4);
    expect(hgt).toBe(16 / 3);
    const colour = Object.fromEntries(config.data.featureNames.slice(2).map((n: string, i: number) => [n, rest[i]]));
    expect(colour).toEqual({ "colour=blue": 0, "colour=green": 0, "colour=red": 1 });
    expect(rest[rest.length - 1]).toBe(config.data.classNames.indexOf(19 / 4 + 16 / 3 > 5 ? "big" : "small"));
  });

  it("a run directory laid out as train.py writes it continues with train --resume and predicts", () => {
    // train.py writes config.json (history extended), model.safetensors and the PyTorch optimizer files.
    const back = path.join(base, "back");
    fs.mkdirSync(back);
    for (const f of ["model.safetensors", "optimizer.json", "optimizer.safetensors", "config.json"]) fs.copyFileSync(path.join(exported, f), path.join(back, f));
    const r = cli(["train", "--resume", back, "--epochs", "5"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("from epoch 4 batch 1");
    const config = json(path.join(back, "config.json"));
    expect(config.status).toBe("complete");
    expect(config.history.map((m: { epoch: number }) => m.epoch)).toEqual([1, 2, 3, 4, 5]);
    const p = cli(["predict", "--model", back, csv]);
    expect(p.status, p.stderr).toBe(0);
    expect(p.stdout.trim().split("\n")).toHaveLength(61);

    // And an export of that run starts from its PyTorch optimizer files once the checkpoint is gone.
    fs.rmSync(path.join(back, "checkpoint.safetensors"));
    const again = cli(["export", "--format", "pytorch", "--model", back, "--out", path.join(base, "again")]);
    expect(again.status, again.stderr).toBe(0);
    expect(json(path.join(base, "again", "optimizer.json")).state["0"]).toEqual({ momentum_buffer: { $tensor: "state.0.momentum_buffer" } });
  });

  it("model.safetensors + config.json serve with the browser-safe entry points, as docs/beyond-one-machine.md shows", () => {
    // The page's code: fetch → bytes, bp.deserialize, the Sequential from config.architecture, scaling from config.data.
    const config = json(path.join(run, "config.json"));
    const weights = bp.deserialize(new Uint8Array(fs.readFileSync(path.join(run, "model.safetensors"))));
    const { inputs, hidden, outputs, outputActivation, activation } = config.architecture;
    expect(activation).toBe("tanh");
    const layers: bp.nn.Module[] = [];
    let width = inputs;
    for (const h of hidden) {
      layers.push(new bp.nn.Linear(width, h), new bp.nn.Tanh());
      width = h;
    }
    layers.push(new bp.nn.Linear(width, outputs));
    if (outputActivation === "sigmoid") layers.push(new bp.nn.Sigmoid());
    const net = new bp.nn.Sequential(...layers);
    net.loadStateDict(weights);
    const { mean, std } = config.data.featureScaling;
    const rows = fs.readFileSync(path.join(exported, "data.csv"), "utf8").trim().split("\n").slice(1).map((l) => l.split(",").map(Number).slice(0, inputs));
    const x = bp.tensor(rows.map((row) => row.map((v, i) => (v - mean[i]) / std[i])));
    const labels = Array.from((bp.noGrad(() => net.forward(x)) as bp.Tensor).argmax(1).data(), (k) => config.data.classNames[k]);
    // The same labels as `backprop predict` on the original file.
    const p = cli(["predict", "--model", run, csv]);
    expect(p.status, p.stderr).toBe(0);
    expect(p.stdout.trim().split("\n").slice(1).map((l) => l.split(",")[1])).toEqual(labels);
  });

  it("a PyTorch optimizer state that does not fit is refused with every offending name", () => {
    const bad = path.join(base, "bad-optimizer");
    fs.mkdirSync(bad);
    for (const f of ["model.safetensors", "optimizer.json", "optimizer.safetensors", "config.json"]) fs.copyFileSync(path.join(exported, f), path.join(bad, f));
    const opt = json(path.join(bad, "optimizer.json"));
    delete opt.state["1"].momentum_buffer;
    delete opt.state["3"].momentum_buffer;
    fs.writeFileSync(path.join(bad, "optimizer.json"), JSON.stringify(opt));
    const r = cli(["train", "--resume", bad, "--epochs", "5"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/2 problem\(s\): state 1: missing "momentum_buffer"; state 3: missing "momentum_buffer"/);
  });

  it("a model whose config.json does not match its weights is refused, naming every parameter", () => {
    const wrong = path.join(base, "wrong");
    fs.cpSync(run, wrong, { recursive: true });
    const config = json(path.join(wrong, "config.json"));
    config.architecture.hidden = [7];
    fs.writeFileSync(path.join(wrong, "config.json"), JSON.stringify(config));
    const r = cli(["export", "--format", "pytorch", "--model", wrong, "--out", path.join(base, "wrong-out")]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("does not fit the architecture in config.json");
    for (const name of ['"0.weight": shape [6,5] in the state dict, [7,5] in the model', '"0.bias"', '"2.weight"']) expect(r.stderr).toContain(name);
  });

  it("refuses to overwrite an export without --force, for pytorch and onnx alike", () => {
    const again = cli(["export", "--format", "pytorch", "--model", run, "--out", exported]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already holds an export \(model\.py, train\.py, .*\); choose another --out or add --force/);
    expect(cli(["export", "--format", "pytorch", "--model", run, "--out", exported, "--force"]).status).toBe(0);
    const onnxFile = path.join(base, "model.onnx");
    const onnx = cli(["export", "--format", "onnx", "--model", run, "--out", onnxFile]);
    expect(onnx.status).toBe(0);
    expect(onnx.stdout).toMatch(/^wrote .*model\.onnx \(\d+ bytes, ONNX opset 17\): input "features" \[batch, \d+\]/);
    const bytes = fs.readFileSync(onnxFile);
    expect(bytes.length).toBeGreaterThan(100);
    const again2 = cli(["export", "--format", "onnx", "--model", run, "--out", onnxFile]);
    expect(again2.status).toBe(1);
    expect(again2.stderr).toContain("the file exists; choose another --out or add --force");
  });
});
