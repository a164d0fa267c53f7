/**
 * Real data as users bring it, through the built executable: integer
 * quantities that are not classes, text labels and text columns, other
 * delimiters, missing values, runs that go wrong, run directories used from
 * elsewhere, and predict inputs that do not fit.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { cli, ensureBuilt, tempDir, writeFile } from "./helpers.js";

let dir: string;

beforeAll(async () => {
  await ensureBuilt();
  dir = tempDir("real");
});

function config(out: string) {
  return JSON.parse(fs.readFileSync(path.join(out, "config.json"), "utf8"));
}

/** 40 houses: size, rooms and a whole-number price (40 distinct values). */
function prices(): string {
  const lines = ["size,rooms,price"];
  for (let i = 0; i < 40; i++) {
    const size = 50 + ((i * 37) % 150);
    const rooms = 1 + (i % 5);
    lines.push(`${size},${rooms},${size * 3000 + rooms * 10000 + i * 7}`);
  }
  return lines.join("\n") + "\n";
}

/** Two tumour types told apart by radius; a text column (city) that carries nothing. */
function tumours(delimiter: string): string {
  const lines = [["radius", "texture", "city", "diagnosis"].join(delimiter)];
  for (let i = 0; i < 60; i++) {
    const malignant = i % 2 === 1;
    const radius = (malignant ? 16 : 11) + Math.sin(i) * 1.5;
    lines.push([radius.toFixed(2), (15 + Math.cos(i * 3)).toFixed(2), ["Oslo", "Paris", "Rome"][i % 3], malignant ? "malignant" : "benign"].join(delimiter));
  }
  return lines.join("\n") + "\n";
}

describe("what the CLI infers, and says", () => {
  it("a 40-row CSV of integer prices trains as regression, with the inference printed", () => {
    const f = writeFile(dir, "prices.csv", prices());
    const out = path.join(dir, "prices");
    const r = cli(["train", "--data", f, "--epochs", "2", "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`data: ${f}: 40 rows × 3 columns, comma-separated (detected; set with --delimiter), a header line`);
    expect(r.stdout).toContain('target "price": regression (inferred: whole numbers with 40 distinct values in 40 rows, too many for classes: at most half the rows); override with --task classify');
    expect(r.stdout).toContain("features: 2 columns: size, rooms");
    const c = config(out);
    expect(c.options.task).toBe("regress");
    expect(c.architecture.outputs).toBe(1);
    expect(c.status).toBe("complete");
  });

  it("linnerud's Weight (20 rows, 16 distinct whole numbers) is regression", () => {
    // scikit-learn's linnerud: exercise (Chins, Situps, Jumps) and physiology (Weight, Waist, Pulse).
    const rows = [
      [5, 162, 60, 191, 36, 50], [2, 110, 60, 189, 37, 52], [12, 101, 101, 193, 38, 58], [12, 105, 37, 162, 35, 62],
      [13, 155, 58, 189, 35, 46], [4, 101, 42, 182, 36, 56], [8, 101, 38, 211, 38, 56], [6, 125, 40, 167, 34, 60],
      [15, 200, 40, 176, 31, 74], [17, 251, 250, 154, 33, 56], [17, 120, 38, 169, 34, 50], [13, 210, 115, 166, 33, 52],
      [14, 215, 105, 154, 34, 64], [1, 50, 50, 247, 46, 50], [6, 70, 31, 193, 36, 46], [12, 210, 120, 202, 37, 62],
      [4, 60, 25, 176, 37, 54], [11, 230, 80, 157, 32, 52], [15, 225, 73, 156, 33, 54], [2, 110, 43, 138, 33, 68],
    ];
    const f = writeFile(dir, "linnerud.csv", ["Chins,Situps,Jumps,Weight,Waist,Pulse", ...rows.map((r) => r.join(","))].join("\n") + "\n");
    const out = path.join(dir, "linnerud");
    const r = cli(["train", "--data", f, "--target", "Weight", "--epochs", "2", "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('target "Weight": regression (inferred: whole numbers with 16 distinct values in 20 rows');
    expect(r.stdout).toContain("features: 5 columns: Chins, Situps, Jumps, Waist, Pulse");
    expect(config(out).architecture).toMatchObject({ inputs: 5, outputs: 1 });
  });

  it("text labels are classes, saved in config.json, and predict prints them back; a text column is one-hot encoded", () => {
    const f = writeFile(dir, "tumours.csv", tumours(","));
    const out = path.join(dir, "tumours");
    const r = cli(["train", "--data", f, "--epochs", "40", "--optimizer", "adam", "--lr", "0.02", "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('target "diagnosis": classification, 2 classes: benign, malignant (inferred: the values are text labels); override with --task regress');
    expect(r.stdout).toContain("features: 3 columns, 5 network inputs: radius, texture, city; one-hot encoded: city (3 categories)");
    const c = config(out);
    expect(c.data).toMatchObject({
      classNames: ["benign", "malignant"], labelEncoding: "names", numClasses: 2,
      featureNames: ["radius", "texture", "city=Oslo", "city=Paris", "city=Rome"],
      columns: [{ name: "radius", kind: "numeric" }, { name: "texture", kind: "numeric" }, { name: "city", kind: "categorical", categories: ["Oslo", "Paris", "Rome"] }],
    });
    expect(c.metrics.valScore).toBe(1);
    const p = cli(["predict", "--model", out, f]);
    expect(p.status, p.stderr).toBe(0);
    const lines = p.stdout.trim().split("\n");
    expect(lines[0]).toBe("prediction,label,score_0,score_1");
    expect(lines.slice(1).map((l) => l.split(",")[1])).toEqual(Array.from({ length: 60 }, (_, i) => (i % 2 ? "malignant" : "benign")));
    // An unseen category names its column and line.
    const lima = writeFile(dir, "lima.csv", "radius,texture,city\n12,15,Oslo\n12,15,Lima\n");
    const bad = cli(["predict", "--model", out, lima]);
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toBe(`backprop predict: ${lima}:3: column 3 ("city") holds the category "Lima", which the model did not see in training; it knows "Oslo", "Paris", "Rome"`);
  });

  it("semicolon- and tab-separated files train, the delimiter detected and recorded", () => {
    for (const [name, delimiter, word] of [["semicolon.csv", ";", "semicolon"], ["tab.tsv", "\t", "tab"]]) {
      const f = writeFile(dir, name, tumours(delimiter));
      const out = path.join(dir, `run-${word}`);
      const r = cli(["train", "--data", f, "--epochs", "3", "--out", out]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(`60 rows × 4 columns, ${word}-separated (detected; set with --delimiter), a header line`);
      expect(config(out).data.delimiter).toBe(delimiter);
      expect(config(out).data.numClasses).toBe(2);
    }
    // --delimiter overrides the guess (here wrongly: the whole line is one cell).
    const f = path.join(dir, "semicolon.csv");
    const r = cli(["train", "--data", f, "--delimiter", "tab", "--epochs", "1", "--out", path.join(dir, "forced-tab")]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("the table has only the target column");
  });
});

describe("missing values", () => {
  const text = "age,income,city,bought\n30,50,Oslo,0\n,60,Rome,1\n45,NA,Oslo,0\n50,80,?,1\n35,55,Rome,0\n60,90,Oslo,1\n";

  it("are reported with line and column", () => {
    const f = writeFile(dir, "missing.csv", text);
    const out = path.join(dir, "missing");
    const r = cli(["train", "--data", f, "--out", out]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`backprop train: ${f}:3: column 1 ("age") is missing (empty); 3 missing values in all (age: 1, income: 1, city: 1): fill them in, drop those rows, or use --impute mean|median`);
    expect(fs.existsSync(out)).toBe(false);
  });

  it("--impute fills them, records the fills, and predict fills the same way", () => {
    const f = writeFile(dir, "missing2.csv", text);
    const out = path.join(dir, "imputed");
    const r = cli(["train", "--data", f, "--impute", "median", "--epochs", "2", "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('imputed 3 missing values (--impute median; categories take the most frequent): age (1, median 45), income (1, median 60), city (1, most frequent "Oslo")');
    expect(config(out).data.columns).toEqual([
      { name: "age", kind: "numeric", fill: 45 },
      { name: "income", kind: "numeric", fill: 60 },
      { name: "city", kind: "categorical", categories: ["Oslo", "Rome"], fill: "Oslo" },
    ]);
    // A row with gaps predicts like the row with the fills written in.
    const gaps = writeFile(dir, "gaps.csv", "age,income,city\n,NA,?\n45,60,Oslo\n");
    const p = cli(["predict", "--model", out, gaps]);
    expect(p.status, p.stderr).toBe(0);
    const [, a, b] = p.stdout.trim().split("\n");
    expect(a).toBe(b);
  });
});

describe("training that goes wrong says so", () => {
  it("a model no better than chance gets a warning with likely causes", () => {
    // The features are constant, so every row gets the same answer: at best the majority class.
    const lines = ["a,b,y"];
    for (let i = 0; i < 50; i++) lines.push(`1,2,${i % 3 === 0 ? 1 : 0}`);
    const f = writeFile(dir, "flat.csv", lines.join("\n") + "\n");
    const out = path.join(dir, "flat");
    const r = cli(["train", "--data", f, "--epochs", "3", "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^warning: the model is no better than chance: validation accuracy [\d.]+% is not above the [\d.]+% of always answering the most frequent class; likely causes: a learning rate too high \(--lr 5/m);
    expect(r.stderr).toContain("too few epochs (--epochs 3)");
    expect(config(out).warnings).toHaveLength(1);
    // A regression target the features cannot explain: R² ≤ 0.
    const reg = ["a,y", ...Array.from({ length: 40 }, (_, i) => `7,${(i * 7919) % 101}.5`)].join("\n") + "\n";
    const g = cli(["train", "--data", writeFile(dir, "flat-reg.csv", reg), "--epochs", "2", "--out", path.join(dir, "flat-reg")]);
    expect(g.status, g.stderr).toBe(0);
    expect(g.stderr).toMatch(/^warning: the model is no better than chance: its validation R² is -?[\d.]+, so its squared error is not below that of always answering the mean/m);
  });

  it("a diverged run is marked, predict refuses it, and --resume with a lower --lr finishes it, recording the change", () => {
    const f = writeFile(dir, "prices-div.csv", prices());
    const out = path.join(dir, "diverged");
    const r = cli(["train", "--data", f, "--lr", "1e6", "--epochs", "4", "--out", out]);
    expect(r.status).toBe(1);
    const message = r.stderr.trim().split("\n");
    expect(message).toHaveLength(1);
    expect(message[0]).toMatch(new RegExp(`^backprop train: training diverged: (the loss became (NaN|Infinity)|the gradient of \\S+ holds (NaN|-?Infinity) \\(the loss was \\S+\\)) at epoch (\\d+), batch (\\d+) \\(step \\d+\\) with --lr 1000000; ${out} keeps the last good checkpoint \\(.*\\) and is marked "diverged"; lower the learning rate and continue with: backprop train --resume ${out} --lr 100000; to find the op that first produced NaN or Inf, add --detect-anomaly$`));
    const c = config(out);
    expect(c.status).toBe("diverged");
    expect(c.divergence).toMatchObject({ lr: 1e6 });
    expect(c.divergence.epoch).toBeGreaterThanOrEqual(1);
    expect(c.divergence.step).toBe((c.divergence.epoch - 1) * 2 + c.divergence.batch); // 32 training rows, batches of 16

    const p = cli(["predict", "--model", out, f]);
    expect(p.status).toBe(1);
    expect(p.stderr.trim()).toBe(`backprop predict: --model ${out}: the run in ${out} is "diverged" at epoch ${c.divergence.epoch}, batch ${c.divergence.batch}, not "complete": its training did not finish; finish it with: backprop train --resume ${out} --lr LOWER (or predict anyway with --allow-incomplete)`);
    const anyway = cli(["predict", "--model", out, f, "--allow-incomplete"]);
    expect(anyway.status, anyway.stderr).toBe(0);
    expect(anyway.stderr).toContain(`predict: warning: the run in ${out} is "diverged"`);
    expect(anyway.stdout.split("\n")[0]).toBe("price");

    const resumed = cli(["train", "--resume", out, "--lr", "0.01"]);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('resume changes: --lr 1000000 → 0.01 (recorded in config.json under "changes")');
    const after = config(out);
    expect(after.status).toBe("complete");
    expect(after.options.lr).toBe(0.01);
    expect(after.changes).toHaveLength(1);
    expect(after.changes[0]).toMatchObject({ epoch: c.divergence.epoch, batch: 1, changed: { lr: { from: 1e6, to: 0.01 } } });
    expect(after.divergence).toBeNull();
    expect(cli(["predict", "--model", out, f]).status).toBe(0);
  });

  it("--resume can switch the optimizer, dropping its state and saying so", () => {
    const out = path.join(dir, "switch");
    expect(cli(["train", "--data", "iris", "--epochs", "2", "--optimizer", "momentum", "--out", out]).status).toBe(0);
    const r = cli(["train", "--resume", out, "--optimizer", "adam", "--epochs", "3"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("resume changes: --epochs 2 → 3, --optimizer momentum → adam, --lr 0.2 → 0.003");
    expect(r.stdout).toContain("note: the optimizer changed from momentum to adam: its state (momentum, moment estimates) starts afresh; the weights are kept");
    const c = config(out);
    expect(c.options).toMatchObject({ optimizer: "adam", lr: 0.003, epochs: 3 });
    expect(c.changes[0]).toMatchObject({ epoch: 3, optimizerStateDropped: true });
    expect(c.history).toHaveLength(3);
  });
});

describe("run directories that travel", () => {
  it("explain, gradcheck and --resume work from another directory; --data says where moved data is", () => {
    const work = path.join(dir, "work");
    fs.mkdirSync(work);
    writeFile(work, "houses.csv", prices());
    // Relative paths, as a user types them.
    const t = cli(["train", "--data", "houses.csv", "--epochs", "2", "--out", "runs/houses"], { cwd: work });
    expect(t.status, t.stderr).toBe(0);
    const c = config(path.join(work, "runs/houses"));
    expect(c.options.data).toBe("houses.csv");
    expect(c.data.path).toEqual({ absolute: path.join(work, "houses.csv"), fromRunDir: path.join("..", "..", "houses.csv") });

    const elsewhere = path.join(dir, "elsewhere");
    fs.mkdirSync(elsewhere);
    const model = path.join("..", "work", "runs", "houses");
    const e = cli(["explain", "--model", model, "--batch", "2", "--entries", "1"], { cwd: elsewhere });
    expect(e.status, e.stderr).toBe(0);
    expect(e.stdout).toContain("verdict: PASS");
    const g = cli(["gradcheck", "--model", model, "--batch", "2"], { cwd: elsewhere });
    expect(g.status, g.stderr).toBe(0);
    expect(g.stdout).toContain("verdict: PASS");
    const r = cli(["train", "--resume", model, "--epochs", "3"], { cwd: elsewhere });
    expect(r.status, r.stderr).toBe(0);
    expect(config(path.join(work, "runs/houses")).history).toHaveLength(3);

    // Moved together (run directory and data), found relative to the run directory.
    const moved = path.join(dir, "moved");
    fs.cpSync(work, moved, { recursive: true });
    fs.rmSync(work, { recursive: true });
    const m = cli(["gradcheck", "--model", path.join(moved, "runs/houses"), "--batch", "2"], { cwd: elsewhere });
    expect(m.status, m.stderr).toBe(0);
    // Data gone: the error says so and names --data, which then works.
    const data = path.join(dir, "houses-kept.csv");
    fs.renameSync(path.join(moved, "houses.csv"), data);
    const lost = cli(["explain", "--model", path.join(moved, "runs/houses")], { cwd: elsewhere });
    expect(lost.status).toBe(1);
    expect(lost.stderr.trim()).toBe(`backprop explain: the run in ${path.join(moved, "runs/houses")} was trained on ${path.join(work, "houses.csv")}, which is not there (nor ../../houses.csv next to the run directory); give the data with --data FILE`);
    const found = cli(["explain", "--model", path.join(moved, "runs/houses"), "--data", data, "--batch", "2", "--entries", "1"], { cwd: elsewhere });
    expect(found.status, found.stderr).toBe(0);
  });

  it("--out onto an existing run refuses, naming the directory; --force replaces it", () => {
    const out = path.join(dir, "taken");
    expect(cli(["train", "--data", "iris", "--epochs", "1", "--out", out]).status).toBe(0);
    const r = cli(["train", "--data", "iris", "--epochs", "2", "--out", out]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`backprop train: --out ${out}: the directory already holds a run (config.json, model.safetensors, checkpoint.safetensors, curves.svg); continue it with --resume ${out}, replace it with --force, or choose another --out`);
    expect(config(out).options.epochs).toBe(1);
    const f = cli(["train", "--data", "iris", "--epochs", "2", "--out", out, "--force"]);
    expect(f.status, f.stderr).toBe(0);
    expect(config(out).options.epochs).toBe(2);
    expect(config(out).history).toHaveLength(2);
  });
});

describe("predict checks its input", () => {
  let model: string;
  let rows: string[];

  beforeAll(() => {
    model = path.join(dir, "predict-model");
    const lines = ["size,rooms,age,price"];
    for (let i = 0; i < 60; i++) lines.push(`${50 + i * 3},${1 + (i % 4)},${(i * 13) % 40},${(150000 + i * 9000 + (i % 4) * 5000.5).toFixed(1)}`);
    const f = writeFile(dir, "houses3.csv", lines.join("\n") + "\n");
    const r = cli(["train", "--data", f, "--epochs", "5", "--optimizer", "adam", "--out", model]);
    expect(r.status, r.stderr).toBe(0);
    rows = lines.slice(1, 6).map((l) => l.split(",").slice(0, 3).join(","));
  });

  it("reorders columns matched by name: the same predictions", () => {
    const inOrder = cli(["predict", "--model", model, writeFile(dir, "in-order.csv", ["size,rooms,age", ...rows].join("\n"))]);
    expect(inOrder.status, inOrder.stderr).toBe(0);
    const reordered = ["age,size,rooms", ...rows.map((l) => { const [s, r, a] = l.split(","); return `${a},${s},${r}`; })];
    const shuffled = cli(["predict", "--model", model, writeFile(dir, "reordered.csv", reordered.join("\n"))]);
    expect(shuffled.status, shuffled.stderr).toBe(0);
    expect(shuffled.stdout).toBe(inOrder.stdout);
    // Without a header, columns are taken in training order.
    const headerless = cli(["predict", "--model", model, writeFile(dir, "headerless.csv", rows.join("\n"))]);
    expect(headerless.stdout).toBe(inOrder.stdout);
    // Extra columns (an id) are ignored, with a note.
    const withId = cli(["predict", "--model", model, writeFile(dir, "with-id.csv", ["id,size,rooms,age", ...rows.map((l, i) => `${i},${l}`)].join("\n"))]);
    expect(withId.stdout).toBe(inOrder.stdout);
    expect(withId.stderr).toBe('predict: note: ignoring a column the model does not take: "id"\n');
  });

  it("renamed columns: an error naming the missing and unexpected ones", () => {
    const f = writeFile(dir, "renamed.csv", ["area,rooms,years", ...rows].join("\n"));
    const r = cli(["predict", "--model", model, f]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`backprop predict: ${f}: the header does not match the model's columns: missing "size", "age"; unexpected "area", "years"; the model takes "size", "rooms", "age" (rename the columns, or give a file without a header line with the columns in that order)`);
  });

  it("binary input: one short line, not kilobytes of garbage", () => {
    const junk = Buffer.alloc(4096);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 31) % 256;
    const f = path.join(dir, "junk.bin");
    fs.writeFileSync(f, junk);
    const r = cli(["predict", "--model", model, f]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`backprop predict: ${f}: binary data, not a text table (a zero byte at offset 0); give a CSV file or an IDX file (MNIST's format)\n`);
    const latin1 = path.join(dir, "latin1.csv");
    fs.writeFileSync(latin1, Buffer.from([0x73, 0x69, 0x7a, 0x65, 0x0a, 0xe9, 0x0a]));
    const l = cli(["predict", "--model", model, latin1]);
    expect(l.status).toBe(1);
    expect(l.stderr.trim().split("\n")).toHaveLength(1);
    expect(l.stderr).toContain("not UTF-8 text");
  });

  it("IDX image files are accepted, gzipped or not", () => {
    const d = path.join(dir, "idx");
    fs.mkdirSync(d);
    const idx = (shape: number[], data: Uint8Array) => {
      const header = Buffer.alloc(4 + 4 * shape.length);
      header[2] = 0x08;
      header[3] = shape.length;
      shape.forEach((n, i) => header.writeUInt32BE(n, 4 + 4 * i));
      return Buffer.concat([header, Buffer.from(data)]);
    };
    const n = 60;
    const images = new Uint8Array(n * 4);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 2;
      for (let p = 0; p < 4; p++) images[i * 4 + p] = (p < 2) === (i % 2 === 0) ? 200 + (i % 7) : (i * 3) % 20;
    }
    fs.writeFileSync(path.join(d, "train-images-idx3-ubyte"), idx([n, 2, 2], images));
    fs.writeFileSync(path.join(d, "train-labels-idx1-ubyte"), idx([n], labels));
    const out = path.join(dir, "idx-run");
    expect(cli(["train", "--data", d, "--epochs", "20", "--optimizer", "adam", "--lr", "0.05", "--out", out]).status).toBe(0);
    const test = path.join(dir, "t10k-images-idx3-ubyte.gz");
    fs.writeFileSync(test, gzipSync(idx([4, 2, 2], images.subarray(0, 16))));
    const r = cli(["predict", "--model", out, test]);
    expect(r.status, r.stderr).toBe(0);
    const predicted = r.stdout.trim().split("\n").slice(1).map((l) => Number(l.split(",")[0]));
    expect(predicted).toEqual([0, 1, 0, 1]);
    const wrong = path.join(dir, "t10k-wide");
    fs.writeFileSync(wrong, idx([2, 3, 3], new Uint8Array(18)));
    const w = cli(["predict", "--model", out, wrong]);
    expect(w.status).toBe(1);
    expect(w.stderr.trim()).toBe(`backprop predict: ${wrong} is an IDX file of shape [2,3,3]: 9 values per row, but the model takes 4 (was it trained on images of another size?)`);
  });
});
