/**
 * Convolutional networks through the built executable: a --layers spec with
 * conv and pool layers trains on the bundled digits as 1×8×8 images, and
 * predict (CSV and IDX images), explain, gradcheck and --resume rebuild it
 * from config.json; batch norm and dropout in a spec; CSV rows as images
 * with --image-shape; and specs that cannot fit, refused with the layer and
 * the shape named.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import * as bp from "../../src/index.node.js";
import { cli, ensureBuilt, tempDir, writeFile } from "./helpers.js";

let dir: string;
let run: string;
let digitsCsv: string;
const SPEC = "conv8k3p1,pool2,conv16k3p1,pool2,flatten";
const FAST = ["--activation", "relu", "--loss", "cross-entropy", "--optimizer", "adam", "--batch-size", "32", "--seed", "0"];

function config(out: string) {
  return JSON.parse(fs.readFileSync(path.join(out, "config.json"), "utf8"));
}

/** The bundled digits as a CSV file: pixel_r_c columns as in training, then the label. */
function writeDigitsCsv(file: string, header = true): { labels: number[] } {
  const d = bp.data.loadDigits();
  const x = d.features.data();
  const y = Array.from(d.target.data(), Number);
  const names = Array.from({ length: 64 }, (_, i) => `pixel_${Math.floor(i / 8)}_${i % 8}`);
  const lines = header ? [[...names, "target"].join(",")] : [];
  for (let r = 0; r < y.length; r++) lines.push([...Array.from(x.subarray(r * 64, (r + 1) * 64)), y[r]].join(","));
  fs.writeFileSync(file, lines.join("\n") + "\n");
  return { labels: y };
}

/** An IDX file of unsigned-byte images [n, 8, 8] (MNIST's format) holding the first n digits. */
function writeDigitsIdx(file: string, n: number): void {
  const d = bp.data.loadDigits();
  const x = d.features.data();
  const bytes = new Uint8Array(16 + n * 64);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0x00000803); // 0, 0, type ubyte, 3 dimensions
  view.setUint32(4, n);
  view.setUint32(8, 8);
  view.setUint32(12, 8);
  for (let i = 0; i < n * 64; i++) bytes[16 + i] = x[i];
  fs.writeFileSync(file, bytes);
}

beforeAll(async () => {
  await ensureBuilt();
  dir = tempDir("convnet");
  run = path.join(dir, "cnn");
  digitsCsv = path.join(dir, "digits.csv");
  writeDigitsCsv(digitsCsv);
  const r = cli(["train", "--data", "digits", "--layers", SPEC, ...FAST, "--epochs", "5", "--out", run]);
  if (r.status !== 0) throw new Error(`training the convnet failed:\n${r.stdout}${r.stderr}`);
});

describe("a convnet on the bundled digits as images", () => {
  it("trains to ≥ 90% validation accuracy and records the spec and the image shape", () => {
    const c = config(run);
    expect(c.status).toBe("complete");
    expect(c.metrics.valScore).toBeGreaterThanOrEqual(0.9);
    expect(c.architecture.inputShape).toEqual([1, 8, 8]);
    expect(c.architecture.layers.map((l: { kind: string }) => l.kind)).toEqual(["conv", "maxpool", "conv", "maxpool", "flatten"]);
    expect(c.architecture.layers[0]).toEqual({ kind: "conv", channels: 8, kernel: 3, stride: 1, padding: 1 });
    // Images are scaled per channel: one mean for all 64 pixels.
    expect(new Set(c.data.featureScaling.mean).size).toBe(1);
  });

  it("saves PyTorch's parameter names and shapes: conv weights [out, in, k, k], the output Linear on 16·2·2 features", () => {
    const tensors = bp.load(path.join(run, "model.safetensors"));
    const shapes = Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, (t as bp.Tensor).shape]));
    expect(shapes).toEqual({ "0.weight": [8, 1, 3, 3], "0.bias": [8], "3.weight": [16, 8, 3, 3], "3.bias": [16], "7.weight": [10, 64], "7.bias": [10] });
  });

  it("predict on a CSV of the digits: ≥ 90% right, and the same answers from an IDX file of the same images", () => {
    const labels = Array.from(bp.data.loadDigits().target.data(), Number);
    const r = cli(["predict", "--model", run, digitsCsv]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toBe(["prediction", "label", ...Array.from({ length: 10 }, (_, j) => `score_${j}`)].join(","));
    const predicted = lines.slice(1).map((l) => Number(l.split(",")[0]));
    expect(predicted).toHaveLength(1797);
    const right = predicted.filter((p, i) => p === labels[i]).length;
    expect(right / 1797).toBeGreaterThanOrEqual(0.9);

    const idx = path.join(dir, "digits-images-idx3-ubyte");
    writeDigitsIdx(idx, 50);
    const fromIdx = cli(["predict", "--model", run, idx]);
    expect(fromIdx.status, fromIdx.stderr).toBe(0);
    expect(fromIdx.stdout.trim().split("\n")).toEqual(lines.slice(0, 51));
  });

  it("explain writes the chain rule through conv and pool layers with their image shapes, and it checks out", () => {
    const r = cli(["explain", "--model", run, "--batch", "2", "--entries", "2"]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("1×8×8 → conv8k3p1,pool2,conv16k3p1,pool2,flatten → 10 relu network");
    expect(r.stdout).toContain("∂L/∂W1 = ∂L/∂ŷ · ∂ŷ/∂h2 · ∂h2/∂h1 · ∂h1/∂W1      (0.weight)");
    // h1: 8 channels pooled to 4×4; h2: 16 channels pooled to 2×2 (kept as an image: the flatten is looked through).
    expect(r.stdout).toMatch(/∂ŷ\/∂h2 +2 × \[10×\(16×2×2\)\]/);
    expect(r.stdout).toMatch(/∂h2\/∂h1 +2 × \[\(16×2×2\)×\(8×4×4\)\]/);
    expect(r.stdout).toMatch(/∂h1\/∂W1 +2 × \[\(8×4×4\)×\(8×1×3×3\)\]/);
    expect(r.stdout).toContain("verdict: PASS: for all 6 parameters");
  });

  it("gradcheck passes on every conv and Linear entry", () => {
    const r = cli(["gradcheck", "--model", run, "--batch", "4"]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/0\.weight +\[8×1×3×3\] +72 /);
    expect(r.stdout).toMatch(/3\.weight +\[16×8×3×3\] +1152 /);
    expect(r.stdout).toContain("verdict: PASS: all 1898 gradient entries match");
  });

  it("--resume rebuilds the convnet from config.json and continues", () => {
    const copy = path.join(dir, "cnn-resumed");
    fs.cpSync(run, copy, { recursive: true });
    const r = cli(["train", "--resume", copy, "--epochs", "6"]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("resuming 1×8×8 → conv8k3p1,pool2,conv16k3p1,pool2,flatten → 10 relu network");
    const c = config(copy);
    expect(c.history).toHaveLength(6);
    expect(c.metrics.valScore).toBeGreaterThanOrEqual(0.9);
  });
});

describe("explain on a convnet too large to write out", () => {
  it("is refused up front, naming the widest layer and what to run instead", () => {
    // 40 digits as a CSV of 8×8 images; two wide convs: 64·8·8 and 128·8·8 outputs per sample.
    const small = path.join(dir, "digits-40.csv");
    fs.writeFileSync(small, fs.readFileSync(digitsCsv, "utf8").split("\n").slice(0, 41).join("\n") + "\n");
    const out = path.join(dir, "wide");
    const t = cli(["train", "--data", small, "--target", "target", "--image-shape", "1x8x8", "--layers", "conv64k3p1,conv128k3p1", ...FAST, "--epochs", "1", "--out", out]);
    expect(t.status, t.stdout + t.stderr).toBe(0);
    // Backward passes: 4096·(1 + 8·2) + 8192·(1 + 8·2) + 10·(1 + 8·2) = 209066.
    const r = cli(["explain", "--model", out, "--batch", "8"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("explain: this network is too large to write out factor by factor: layer h2 alone has 128×8×8 outputs per sample, and the Jacobians would take about 209066 backward passes (at most 200000)");
    expect(r.stderr).toContain("try a smaller --batch (e.g. 1), or check the gradients with: backprop gradcheck --model DIR --max-entries 200");
  });
});

describe("batch norm, dropout and Linear widths in a spec", () => {
  it("conv → bn → relu, dropout, a hidden Linear: trains, and gradcheck and explain (eval mode) pass", () => {
    const out = path.join(dir, "bn");
    const r = cli(["train", "--data", "digits", "--layers", "conv8k3p1,bn,pool2,drop0.25,24,drop0.1", ...FAST, "--epochs", "3", "--out", out]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const tensors = bp.load(path.join(out, "model.safetensors"));
    // 0 conv, 1 bn (before the activation at 2), 3 pool, 4 dropout, 5 flatten (added), 6 Linear, 7 relu, 8 dropout, 9 output.
    expect(Object.keys(tensors).sort()).toEqual([
      "0.bias", "0.weight", "1.bias", "1.num_batches_tracked", "1.running_mean", "1.running_var", "1.weight", "6.bias", "6.weight", "9.bias", "9.weight",
    ]);
    expect((tensors["6.weight"] as bp.Tensor).shape).toEqual([24, 128]);
    expect(config(out).metrics.valScore).toBeGreaterThanOrEqual(0.8);
    const g = cli(["gradcheck", "--model", out, "--batch", "3", "--max-entries", "200"]);
    expect(g.status, g.stdout + g.stderr).toBe(0);
    expect(g.stdout).toMatch(/1\.weight +\[8\] +8 /);
    const e = cli(["explain", "--model", out, "--batch", "1", "--entries", "2"]);
    expect(e.status, e.stdout + e.stderr).toBe(0);
    expect(e.stdout).toContain("∂L/∂γ2 = ");
    expect(e.stdout).toContain("verdict: PASS");
  });
});

describe("CSV rows as images: --image-shape", () => {
  it("a CSV of 64 pixel columns trains a convnet as 1×8×8 images", () => {
    const out = path.join(dir, "csv-images");
    const r = cli(["train", "--data", digitsCsv, "--target", "target", "--image-shape", "1x8x8", "--layers", "conv8k3p1,pool2", ...FAST, "--epochs", "2", "--out", out]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(config(out).architecture.inputShape).toEqual([1, 8, 8]);
    expect(config(out).metrics.valScore).toBeGreaterThanOrEqual(0.8);
    const p = cli(["predict", "--model", out, digitsCsv]);
    expect(p.status, p.stderr).toBe(0);
    expect(p.stdout.trim().split("\n")).toHaveLength(1798);
  });

  it("a shape whose size is not the column count is refused", () => {
    const r = cli(["train", "--data", digitsCsv, "--target", "target", "--image-shape", "1x8x9", "--layers", "conv8k3", "--out", path.join(dir, "bad-shape")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--image-shape 1x8x9: images of 72 values, but each row of");
    expect(r.stderr).toContain("has 64 feature columns");
  });

  it("a malformed shape names what would fit", () => {
    const r = cli(["train", "--image-shape", "8by8"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--image-shape: "8by8" is not an image shape; give channels×height×width or height×width');
  });
});

describe("specs that do not fit are refused before training", () => {
  const refused = (layers: string, data = "digits") => {
    const r = cli(["train", "--data", data, "--layers", layers, "--out", path.join(dir, "never")]);
    expect(r.status, r.stdout).toBe(2);
    expect(fs.existsSync(path.join(dir, "never", "config.json"))).toBe(false);
    return r.stderr.trim();
  };

  it("an unknown token: named, with the forms that would fit", () => {
    const msg = refused("conv32x5,pool2");
    expect(msg).toContain('--layers: "conv32x5" in "conv32x5,pool2" is not a layer');
    expect(msg).toContain("conv<channels>k<kernel>[s<stride>][p<padding>] (conv32k5p2)");
  });

  it("a conv without a kernel size, and an empty token", () => {
    expect(refused("conv8")).toContain('"conv8" in "conv8" has no kernel size: write e.g. conv8k3');
    expect(refused("conv8k3,,pool2")).toContain("is empty (two commas in a row, or a trailing comma)");
  });

  it("a conv on data that is not images names the data and how to give images", () => {
    const msg = refused("conv8k3,pool2", "iris");
    expect(msg).toContain("layer 1 (conv8k3) needs images [channels,height,width], but --data iris gives rows of 4 features, not images");
    expect(msg).toContain("--image-shape");
  });

  it("a pool that makes the image 0×0 names the layer and its input shape", () => {
    // 8×8 → conv k3 → 6×6 → pool2 → 3×3 → pool2 → 1×1 → pool2 → 0×0
    expect(refused("conv8k3,pool2,pool2,pool2")).toContain("layer 4 (pool2) would make the 1×1 image 0×0: its input is [8,1,1] and the window is 2×2");
  });

  it("a kernel larger than the image", () => {
    expect(refused("conv8k9")).toContain("layer 1 (conv8k9): a 9×9 kernel does not fit its input [1,8,8] (8×8); use a kernel of at most 8");
  });

  it("a conv after flatten", () => {
    expect(refused("flatten,conv8k3")).toContain("layer 2 (conv8k3) needs images [channels,height,width], but its input [64] was already flattened by layer 1 (flatten)");
  });

  it("batch norm on rows with a last batch of one row (1438 training rows, batches of 1437)", () => {
    const r = cli(["train", "--data", "digits", "--layers", "32,bn", "--batch-size", "1437", "--out", path.join(dir, "never")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--batch-size 1437: the last batch of each epoch is a single row of the 1438 training rows, and batch norm (bn in --layers) cannot normalise one value per channel while training; use e.g. --batch-size 1438");
  });

  it("a dropout probability of 1 or more", () => {
    expect(refused("conv8k3,drop1.5")).toContain('"drop1.5" in "conv8k3,drop1.5" has a dropout probability outside [0, 1)');
  });
});
