/**
 * Bad input, as a user would give it: each case must exit with its status
 * (2 for usage, 1 for data and files), print one line naming the problem,
 * show no stack trace (unless --debug), and leave nothing half-written.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cli, ensureBuilt, tempDir, writeFile } from "./helpers.js";

let dir: string;
let model: string;

beforeAll(async () => {
  await ensureBuilt();
  dir = tempDir("errors");
  model = path.join(dir, "model");
  const r = cli(["train", "--data", "iris", "--epochs", "2", "--out", model]);
  expect(r.status, r.stderr).toBe(0);
});

/** Runs the command and checks status and that stderr is exactly one line containing every fragment. */
function expectFailure(args: string[], status: number, ...fragments: string[]): string {
  const r = cli(args);
  expect(r.status, `${args.join(" ")}\n${r.stdout}${r.stderr}`).toBe(status);
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines, r.stderr).toHaveLength(1);
  for (const f of fragments) expect(lines[0]).toContain(f);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  return lines[0];
}

describe("usage errors exit 2 with one line", () => {
  it("suggests the nearest flag for an unknown one", () => {
    expectFailure(["train", "--lrr", "0.1"], 2, "backprop train: unknown option '--lrr'", "(did you mean --lr?)");
    expectFailure(["train", "--epoch", "3"], 2, "unknown option '--epoch'", "(did you mean --epochs?)");
  });

  it("suggests the nearest command", () => {
    expectFailure(["trian"], 2, "unknown command 'trian'", "(did you mean train?)");
  });

  it("names the allowed values of a choice", () => {
    expectFailure(["train", "--activation", "sigmoidd"], 2, '--activation: "sigmoidd" is not one of sigmoid, tanh, relu, gelu, linear (did you mean "sigmoid"?)');
    expectFailure(["train", "--optimizer", "rmsprop"], 2, '--optimizer: "rmsprop" is not one of sgd, momentum, adam, adamw');
    expectFailure(["train", "--loss", "hinge"], 2, "is not one of mse, cross-entropy");
    expectFailure(["train", "--dtype", "float16"], 2, "is not one of float32, float64");
  });

  it("rejects bad numbers and layer lists", () => {
    expectFailure(["train", "--lr", "-1"], 2, "--lr: -1 must be greater than 0");
    expectFailure(["train", "--lr", "fast"], 2, '--lr: "fast" is not a number');
    expectFailure(["train", "--epochs", "0"], 2, "--epochs: 0 must be a whole number of at least 1");
    expectFailure(["train", "--batch-size", "2.5"], 2, "--batch-size: 2.5 must be a whole number");
    expectFailure(["train", "--val-split", "1"], 2, "--val-split: 1 must be at least 0 and less than 1");
    expectFailure(["train", "--layers", "32,x"], 2, '--layers: "x" in "32,x" is not a layer; each comma-separated layer is one of: a width (32), conv');
  });

  it("rejects a delimiter that is not one character or a name", () => {
    expectFailure(["train", "--delimiter", "ab"], 2, '--delimiter: "ab" is not a delimiter; give one character (e.g. ";") or one of comma, semicolon, tab, whitespace');
    expectFailure(["train", "--impute", "mode"], 2, '--impute: "mode" is not one of mean, median');
  });

  it("--data on explain and gradcheck needs --model", () => {
    expectFailure(["explain", "--data", "iris"], 2, "backprop explain: --data: needs --model (without it, explain uses the bundled digits)");
    expectFailure(["gradcheck", "--data", "iris"], 2, "backprop gradcheck: --data: needs --model");
  });

  it("needs classes for cross-entropy", () => {
    expectFailure(["train", "--data", "diabetes", "--loss", "cross-entropy", "--out", path.join(dir, "ce")], 2, "--loss cross-entropy: needs classes");
    expect(fs.existsSync(path.join(dir, "ce"))).toBe(false);
  });

  it("prints the stack only with --debug", () => {
    const r = cli(["train", "--data", path.join(dir, "missing.csv"), "--debug"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^\s+at /m);
  });
});

describe("data errors exit 1 with one line naming the file", () => {
  it("missing file", () => {
    expectFailure(["train", "--data", path.join(dir, "missing.csv")], 1, "missing.csv: no such file or directory", "digits, iris, wine, diabetes");
  });

  it("a binary file given as CSV data", () => {
    const f = path.join(dir, "train-images-idx3-ubyte");
    fs.writeFileSync(f, Buffer.from([0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 7]));
    expectFailure(["train", "--data", f], 1, `--data ${f}: binary data, not a text table (a zero byte at offset 0); give a CSV file (for IDX files, give the directory that holds them)`);
  });

  it("empty file", () => {
    const f = writeFile(dir, "empty.csv", "");
    expectFailure(["train", "--data", f], 1, "empty.csv: the file is empty");
  });

  it("directory without IDX files", () => {
    const d = path.join(dir, "not-mnist");
    fs.mkdirSync(d, { recursive: true });
    writeFile(d, "readme.txt", "hello");
    expectFailure(["train", "--data", d], 1, "does not hold the IDX files expected", "train-images-idx3-ubyte");
  });

  it("ragged rows, with line and column", () => {
    const f = writeFile(dir, "ragged.csv", "a,b,y\n1,2,0\n3,4\n5,6,1\n");
    expectFailure(["train", "--data", f], 1, "ragged.csv:3:", "expected 3 values (as on line 2), found 2");
  });

  it("non-numeric cells, with line and column", () => {
    const f = writeFile(dir, "text.csv", "a,b,y\n1,2,0\n3,abc,1\n");
    expectFailure(["train", "--data", f], 1, "text.csv:3:", 'column 2 ("b") holds "abc", which is not a number');
  });

  it("NaN (a missing value) and infinite values", () => {
    const nan = writeFile(dir, "nan.csv", "a,b,y\n1,2,0\nNaN,4,1\n");
    expectFailure(["train", "--data", nan], 1, 'nan.csv:3: column 1 ("a") is missing (NaN)', "--impute mean|median");
    const inf = writeFile(dir, "inf.csv", "a,b,y\n1,2,0\n3,Infinity,1\n");
    expectFailure(["train", "--data", inf], 1, 'inf.csv:3: column 2 ("b") is Infinity; values must be finite');
  });

  it("a target column that does not exist", () => {
    const f = writeFile(dir, "named.csv", "a,b,y\n1,2,0\n3,4,1\n");
    expectFailure(["train", "--data", f, "--target", "price"], 1, 'no target column named "price"', 'the columns are: "a", "b", "y"');
  });

  it("more classes than --max-classes, naming the flag and --task regress", () => {
    const lines = ["a,y"];
    for (let i = 0; i < 40; i++) lines.push(`${i},${i * 14000}`);
    const prices = writeFile(dir, "prices.csv", lines.join("\n") + "\n");
    const out = path.join(dir, "many-classes");
    expectFailure(["train", "--data", prices, "--task", "classify", "--out", out], 2,
      'the target "y" would make 546001 classes (labels 0..546000), more than --max-classes 1000', "use --task regress", "raise --max-classes");
    expect(fs.existsSync(out)).toBe(false);
  });

  it("predict on data whose width differs from the model's input", () => {
    const f = writeFile(dir, "narrow.csv", "1,2,3\n4,5,6\n");
    expectFailure(["predict", "--model", model, f], 1, "backprop predict: ", "narrow.csv has 3 columns per row, but the model takes 4 features");
  });

  it("a truncated or corrupted model.safetensors", () => {
    const broken = path.join(dir, "broken-model");
    fs.cpSync(model, broken, { recursive: true });
    const file = path.join(broken, "model.safetensors");
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 10));
    const input = writeFile(dir, "four.csv", "1,2,3,4\n");
    expectFailure(["predict", "--model", broken, input], 1, "model.safetensors: not a valid safetensors file");
    fs.writeFileSync(file, bytes.subarray(0, 5));
    expectFailure(["predict", "--model", broken, input], 1, "truncated");
    fs.writeFileSync(file, Buffer.concat([bytes.subarray(0, 8), Buffer.from("{garbage"), bytes.subarray(16)]));
    expectFailure(["predict", "--model", broken, input], 1, "not valid UTF-8 JSON");
  });

  it("a corrupted config.json", () => {
    const broken = path.join(dir, "broken-config");
    fs.cpSync(model, broken, { recursive: true });
    const input = writeFile(dir, "four2.csv", "1,2,3,4\n");
    fs.writeFileSync(path.join(broken, "config.json"), '{"architecture": {"inputs": 4,');
    expectFailure(["predict", "--model", broken, input], 1, "config.json: not valid JSON", "damaged");
    fs.writeFileSync(path.join(broken, "config.json"), '{"hello": 1}');
    expectFailure(["predict", "--model", broken, input], 1, "config.json: not a backprop run configuration");
    expectFailure(["explain", "--model", broken], 1, "config.json: not a backprop run configuration");
  });

  it("--resume from a directory that holds no checkpoint", () => {
    const empty = path.join(dir, "no-checkpoint");
    fs.mkdirSync(empty, { recursive: true });
    expectFailure(["train", "--resume", empty], 1, `--resume ${empty}: the directory holds no checkpoint (checkpoint.safetensors is missing)`);
    expectFailure(["train", "--resume", path.join(dir, "nowhere")], 1, "nowhere: no such directory");
  });

  it("an output directory that cannot be written, leaving nothing behind", () => {
    const blocker = writeFile(dir, "a-file", "x");
    expectFailure(["train", "--data", "iris", "--out", path.join(blocker, "run")], 1, "the output directory cannot be written", "--out");
    expect(fs.readFileSync(blocker, "utf8")).toBe("x");
  });

  it("bad data leaves no run directory", () => {
    const out = path.join(dir, "never");
    const f = writeFile(dir, "bad.csv", "a,y\n1,0\nx,1\n");
    expectFailure(["train", "--data", f, "--out", out], 1, 'bad.csv:3: column 1 ("a") holds "x", which is not a number');
    expect(fs.existsSync(out)).toBe(false);
  });
});
