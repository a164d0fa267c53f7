/**
 * What --data accepts beyond the bundled sets: CSV files (task inferred from
 * the target, or given) and a directory of IDX files; and the help texts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { cli, ensureBuilt, tempDir, writeFile } from "./helpers.js";

let dir: string;

beforeAll(async () => {
  await ensureBuilt();
  dir = tempDir("data");
});

function config(out: string) {
  return JSON.parse(fs.readFileSync(path.join(out, "config.json"), "utf8"));
}

/** Two linearly separable blobs with a named target column in the middle. */
function blobs(target: (cls: number, i: number) => number): string {
  const lines = ["x1,label,x2"];
  for (let i = 0; i < 60; i++) {
    const cls = i % 2;
    lines.push(`${(cls ? 2 : -2) + Math.sin(i)},${target(cls, i)},${(cls ? -1 : 1) + Math.cos(i)}`);
  }
  return lines.join("\n") + "\n";
}

describe("CSV data", () => {
  it("takes --target by position when the file has no header", () => {
    const f = writeFile(dir, "no-header.csv", "1,0,5\n2,1,6\n3,0,7\n4,1,8\n5,0,9\n");
    const out = path.join(dir, "no-header");
    const r = cli(["train", "--data", f, "--target", "1", "--epochs", "1", "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    expect(config(out).data).toMatchObject({ featureNames: ["0", "2"], targetName: "1", numClasses: 2 });
    const bad = cli(["train", "--data", f, "--target", "7"]);
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toBe(`backprop train: ${f}: target column index 7 is out of range; the table has 3 columns (0..2, or -3..-1 from the end)`);
  });

  it("infers classification from whole-number targets and trains on the named column", () => {
    const f = writeFile(dir, "blobs.csv", blobs((cls) => cls));
    const out = path.join(dir, "blobs");
    const r = cli(["train", "--data", f, "--target", "label", "--epochs", "30", "--optimizer", "adam", "--lr", "0.05", "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    const c = config(out);
    expect(c.options.task).toBe("classify");
    expect(c.data.featureNames).toEqual(["x1", "x2"]);
    expect(c.data.numClasses).toBe(2);
    expect(c.metrics.valScore).toBe(1);
  });

  it("infers regression from fractional targets, and --task overrides", () => {
    const f = writeFile(dir, "reg.csv", blobs((cls, i) => cls * 3 + i / 100));
    const out = path.join(dir, "reg");
    const r = cli(["train", "--data", f, "--target", "label", "--epochs", "2", "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    expect(config(out).options.task).toBe("regress");
    expect(r.stdout).toMatch(/^epoch 2\/2 .* R² /m);
    const g = writeFile(dir, "int.csv", blobs((cls) => cls * 10));
    const out2 = path.join(dir, "int");
    expect(cli(["train", "--data", g, "--target", "label", "--task", "regress", "--epochs", "1", "--out", out2]).status).toBe(0);
    expect(config(out2).options.task).toBe("regress");
  });
});

/** An IDX file: zero bytes, the element type (0x08 = unsigned byte), the rank, the sizes (big-endian), the data. */
function idx(shape: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header[2] = 0x08;
  header[3] = shape.length;
  shape.forEach((n, i) => header.writeUInt32BE(n, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

describe("IDX directories (MNIST's format)", () => {
  it("trains on train-images/train-labels, gzipped or not", () => {
    const d = path.join(dir, "tiny-mnist");
    fs.mkdirSync(d);
    // 3×3 images: class 0 lights the left column, class 1 the right one, 2 the middle; a little noise.
    const n = 90;
    const images = new Uint8Array(n * 9);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const cls = i % 3;
      labels[i] = cls;
      for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) images[i * 9 + r * 3 + c] = ((i * 7 + r * 3 + c) % 5) * 10 + (c === [0, 2, 1][cls] ? 200 : 0);
    }
    fs.writeFileSync(path.join(d, "train-images-idx3-ubyte.gz"), gzipSync(idx([n, 3, 3], images)));
    fs.writeFileSync(path.join(d, "train-labels-idx1-ubyte"), idx([n], labels));
    const out = path.join(dir, "tiny-run");
    const r = cli(["train", "--data", d, "--epochs", "20", "--optimizer", "adam", "--lr", "0.05", "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    const c = config(out);
    expect(c.architecture.inputs).toBe(9);
    expect(c.data.numClasses).toBe(3);
    expect(c.metrics.valScore).toBe(1);
  });

  it("reports images and labels that do not pair up", () => {
    const d = path.join(dir, "mismatched");
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, "train-images-idx3-ubyte"), idx([4, 2, 2], new Uint8Array(16)));
    fs.writeFileSync(path.join(d, "train-labels-idx1-ubyte"), idx([3], new Uint8Array(3)));
    const r = cli(["train", "--data", d]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`backprop train: --data ${d}: train-images-idx3-ubyte holds 4 images but train-labels-idx1-ubyte holds labels of shape [3]; they must pair up`);
  });
});

describe("help", () => {
  it("every command has --help with examples", () => {
    for (const command of [[], ["train"], ["predict"], ["explain"], ["gradcheck"]]) {
      const r = cli([...command, "--help"]);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`Usage: backprop ${command.length ? command[0] + " " : ""}`);
      expect(r.stdout).toMatch(/Examples:\n {2}\$ backprop /);
    }
    const train = cli(["train", "--help"]).stdout;
    for (const flag of ["--data", "--target", "--task", "--layers", "--activation", "--loss", "--optimizer", "--lr", "--epochs", "--batch-size", "--val-split", "--seed", "--dtype", "--out", "--resume", "--impute", "--delimiter", "--max-classes", "--force"]) {
      expect(train).toContain(`${flag} `);
    }
    const predict = cli(["predict", "--help"]).stdout;
    for (const flag of ["--model", "--delimiter", "--allow-incomplete"]) expect(predict).toContain(`${flag}`);
    for (const command of ["explain", "gradcheck"]) expect(cli([command, "--help"]).stdout).toContain("--data <name|file|dir>");
  });

  it("--resume keeps the run's options but --epochs, --lr, --optimizer and --data", () => {
    const r = cli(["train", "--resume", dir, "--layers", "8"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--layers cannot be combined with --resume: a resumed run continues with the options in its config.json (only --epochs, --lr, --optimizer and --data may change)");
  });
});
