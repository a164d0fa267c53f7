/**
 * Character models from the command line (issue #15): `train --task chars`
 * on a text of one item per line, `sample`, --resume and Ctrl-C, and the
 * errors for characters a saved model has no token for.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { cli, ensureBuilt, startCli, tempDir, writeFile } from "./helpers.js";

/** "abc" repeated 1, 2 or 3 times per line: a pattern a small model learns in a few epochs. */
const ABC = Array.from({ length: 120 }, (_, i) => "abc".repeat(1 + (i % 3))).join("\n") + "\n";
/** A tiny transformer: seconds to train. */
const SMALL = ["--embed", "16", "--heads", "2", "--hidden", "32", "--batch-size", "16", "--lr", "0.01"];

let base: string;
let abcFile: string;
let run: string;
let trainOutput: string;

beforeAll(async () => {
  await ensureBuilt();
  base = tempDir("chars");
  abcFile = writeFile(base, "abc.txt", ABC);
  run = path.join(base, "abc-run");
  const r = cli(["train", "--task", "chars", "--data", abcFile, ...SMALL, "--epochs", "8", "--out", run]);
  expect(r.status, r.stderr).toBe(0);
  trainOutput = r.stdout;
});

const readConfig = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
const lines = (text: string) => text.split("\n").filter((l) => l.length > 0);

describe("train --task chars", () => {
  it("writes a run directory whose config.json holds the vocabulary and the architecture", () => {
    for (const f of ["config.json", "model.safetensors", "checkpoint.safetensors", "curves.svg"]) expect(fs.existsSync(path.join(run, f)), f).toBe(true);
    expect(fs.existsSync(path.join(run, "train.lock"))).toBe(false);
    const config = readConfig(run);
    expect(config.task).toBe("chars");
    expect(config.status).toBe("complete");
    // The end-of-item token (a newline) is id 0, then the characters by code point.
    expect(config.vocabulary).toEqual({ boundary: "\n", chars: ["\n", "a", "b", "c"] });
    expect(config.architecture).toEqual({ model: "transformer", vocabSize: 4, context: 16, embed: 16, layers: 2, heads: 2, hidden: 32 });
    expect(config.options).toMatchObject({ optimizer: "adamw", lr: 0.01, epochs: 8, batchSize: 16, valSplit: 0.1, seed: 0 });
    // 120 items, 10% held out.
    expect(config.data).toMatchObject({ items: 120, validationItems: 12, longest: 9 });
    expect(config.history).toHaveLength(8);
    expect(trainOutput).toMatch(/^epoch 1\/8 {2}loss \d\.\d{5} {2}acc [\d.]+% {2}val_loss \d\.\d{5}/m);
    expect(trainOutput).toContain(`4 tokens: end-of-line and the 3 characters "abc"`);
  });

  it("learns the pattern: validation loss near its floor, and every item sampled is abc repeated", () => {
    const history = readConfig(run).history as { valLoss: number }[];
    // Uniform guessing over the 4 tokens scores ln 4 ≈ 1.386; the text's own uncertainty (end after abc or go on) is about 0.15 per character.
    expect(history[0].valLoss).toBeGreaterThan(history[7].valLoss);
    expect(history[7].valLoss).toBeLessThan(0.3);
    const r = cli(["sample", "--model", run, "--count", "20", "--temperature", "0.5"]);
    expect(r.status, r.stderr).toBe(0);
    const items = lines(r.stdout);
    expect(items).toHaveLength(20);
    for (const item of items) expect(item).toMatch(/^(abc)+$/);
  });

  it("reads gzip text and continues bit for bit after --resume", () => {
    const gz = path.join(base, "abc.txt.gz");
    fs.writeFileSync(gz, zlib.gzipSync(ABC));
    const args = ["--task", "chars", "--model", "gru", "--data", gz, "--embed", "8", "--hidden", "16", "--batch-size", "16", "--lr", "0.01"];
    const straight = path.join(base, "gru-4");
    const split = path.join(base, "gru-2-then-4");
    expect(cli(["train", ...args, "--epochs", "4", "--out", straight]).status).toBe(0);
    expect(cli(["train", ...args, "--epochs", "2", "--out", split]).status).toBe(0);
    const r = cli(["train", "--resume", split, "--epochs", "4"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^resuming gru \(1 layer of 16, embed 8, context 16, 4 tokens\).* from epoch 3 batch 1/m);
    expect(fs.readFileSync(path.join(split, "model.safetensors")).equals(fs.readFileSync(path.join(straight, "model.safetensors")))).toBe(true);
    const config = readConfig(split);
    expect(config.status).toBe("complete");
    expect(config.changes[0].changed).toEqual({ epochs: { from: 2, to: 4 } });
    expect(config.history.map((m: { valLoss: number }) => m.valLoss)).toEqual(readConfig(straight).history.map((m: { valLoss: number }) => m.valLoss));
  });

  it("marks a run whose loss blows up as diverged, and says how to go on", () => {
    const dir = path.join(base, "diverged");
    const r = cli(["train", "--task", "chars", "--data", abcFile, "--embed", "8", "--heads", "2", "--hidden", "8", "--optimizer", "sgd", "--lr", "1e30", "--out", dir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^backprop train: training diverged: the loss became NaN at epoch 1, batch \\d+ \\(step \\d+\\) with --lr 1e\\+30; ${dir} keeps the last good checkpoint`));
    expect(r.stderr).toContain(`continue with: backprop train --resume ${dir} --lr 1e+29`);
    expect(readConfig(dir).status).toBe("diverged");
    const s = cli(["sample", "--model", dir]);
    expect(s.status).toBe(1);
    expect(s.stderr).toContain(`the run in ${dir} is "diverged" at epoch 1`);
  });

  it("continues on another text of the same characters, recording it", () => {
    const dir = path.join(base, "two-texts");
    const args = ["--task", "chars", "--model", "lstm", "--embed", "8", "--hidden", "8", "--epochs", "1"];
    expect(cli(["train", ...args, "--data", abcFile, "--out", dir]).status).toBe(0);
    const more = writeFile(base, "more.txt", "cab\nbca\ncc\n");
    const r = cli(["train", "--resume", dir, "--data", more, "--epochs", "2"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`resume changes: --data ${abcFile} → ${more}, --epochs 1 → 2`);
    const config = readConfig(dir);
    expect(config.data).toMatchObject({ source: more, items: 3 });
    expect(config.changes[0].changed).toEqual({ data: { from: abcFile, to: more }, epochs: { from: 1, to: 2 } });
  });

  it("Ctrl-C saves an interrupted run, and --resume finishes it", async () => {
    const dir = path.join(base, "interrupted");
    const child = startCli(["train", "--task", "chars", "--data", abcFile, ...SMALL, "--epochs", "1000", "--out", dir]);
    await child.waitFor(/^epoch\s+1\/1000/m);
    child.child.kill("SIGINT");
    expect(await child.exit).toBe(130);
    expect(child.output()).toMatch(new RegExp(`interrupted \\(SIGINT\\) at epoch \\d+, after batch \\d+: checkpoint saved in ${dir}; continue with: backprop train --resume ${dir}`));
    const config = readConfig(dir);
    expect(config.status).toBe("interrupted");
    // Finish the epoch that was interrupted, and stop there.
    const done = config.history.length + 1;
    const r = cli(["train", "--resume", dir, "--epochs", String(done)]);
    expect(r.status, r.stderr).toBe(0);
    expect(readConfig(dir).status).toBe("complete");
    expect(readConfig(dir).history).toHaveLength(done);
  });
});

describe("sample", () => {
  it("gives the same items for the same seed, each of the vocabulary's characters only", () => {
    const a = cli(["sample", "--model", run, "--count", "12", "--seed", "5"]);
    const b = cli(["sample", "--model", run, "--count", "12", "--seed", "5"]);
    expect(a.status, a.stderr).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    const items = lines(a.stdout);
    expect(items).toHaveLength(12);
    for (const item of items) expect(item).toMatch(/^[abc]+$/);
  });

  it("starts every item with --prefix and cuts items at --max-length", () => {
    const r = cli(["sample", "--model", run, "--count", "10", "--prefix", "ab", "--max-length", "4", "--top-k", "1"]);
    expect(r.status, r.stderr).toBe(0);
    for (const item of lines(r.stdout)) {
      expect(item.startsWith("ab")).toBe(true);
      expect(item.length).toBeLessThanOrEqual(4);
    }
    // The likeliest character after "ab" is "c" (top-k 1 always takes it).
    expect(lines(r.stdout)[0].slice(0, 3)).toBe("abc");
  });

  it("refuses prefix characters outside the vocabulary, naming them and the vocabulary", () => {
    const r = cli(["sample", "--model", run, "--prefix", "abz!"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      `backprop sample: --prefix "abz!": the characters "z" (U+007A), "!" (U+0021) are not in the model's vocabulary ` +
        `(4 tokens: end-of-line and the 3 characters "abc"); use only those characters\n`,
    );
  });

  it("refuses a run that is not a character model", () => {
    const table = path.join(base, "iris");
    expect(cli(["train", "--data", "iris", "--epochs", "1", "--out", table]).status).toBe(0);
    const r = cli(["sample", "--model", table]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`not a character model`);
  });
});

describe("vocabulary and command mistakes", () => {
  it("refuses to continue on text with characters the saved model has no token for", () => {
    const other = writeFile(base, "other.txt", "abc\nzab\nab-c\nzz\n");
    const before = fs.readFileSync(path.join(run, "model.safetensors"));
    const r = cli(["train", "--task", "chars", "--resume", run, "--data", other]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `backprop train: --data ${other}: 2 characters are not in the vocabulary of the model in ${run}: "z" (U+007A) on lines 2, 4; "-" (U+002D) on line 3. ` +
        `The model's token embedding Embedding(4, 16) has one row per token of its vocabulary (4 tokens: end-of-line and the 3 characters "abc"), ` +
        `and its output layer predicts one of those 4; a saved model cannot grow new tokens. ` +
        `Remove those characters from the text, or train a new run on it: backprop train --task chars --data ${other} --out NEW_DIR\n`,
    );
    // The run is left as it was.
    expect(readConfig(run).status).toBe("complete");
    expect(fs.readFileSync(path.join(run, "model.safetensors")).equals(before)).toBe(true);
  });

  it("points predict, explain, gradcheck and export to sample", () => {
    const file = writeFile(base, "rows.csv", "a,b\n1,2\n");
    for (const args of [["predict", "--model", run, file], ["explain", "--model", run], ["gradcheck", "--model", run], ["export", "--model", run, "--format", "onnx", "--out", path.join(base, "x.onnx")]]) {
      const r = cli(args);
      expect(r.status, args[0]).toBe(1);
      expect(r.stderr).toContain(`backprop ${args[0]}: --model ${run}: this is a character model (trained with --task chars)`);
      expect(r.stderr).toContain(`generate from it with: backprop sample --model ${run}`);
    }
  });

  it("names the option and what fits for character-model option mistakes", () => {
    const out = path.join(base, "never");
    const cases: [string[], string][] = [
      [["--task", "chars", "--data", abcFile, "--heads", "3", "--out", out], "--heads 3: must divide --embed 64 (each head takes embed/heads features); e.g. --heads 1, 2, 4, 8, 16"],
      [["--task", "chars", "--data", abcFile, "--model", "lstm", "--heads", "2", "--out", out], "--heads 2: attention heads belong to --model transformer, not lstm"],
      [["--task", "chars", "--data", abcFile, "--layers", "2,3", "--out", out], "--layers: with --task chars it is the number of transformer blocks or LSTM/GRU layers"],
      [["--task", "chars", "--data", abcFile, "--target", "x", "--out", out], "--target: does not apply to a character model"],
      [["--data", "iris", "--context", "8", "--out", out], "--context: belongs to character models; add --task chars"],
      [["--resume", run, "--embed", "32"], "--embed cannot be combined with --resume"],
    ];
    for (const [args, message] of cases) {
      const r = cli(["train", ...args]);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr).toContain(message);
    }
    const blank = writeFile(base, "blank.txt", "\n  \n");
    const r = cli(["train", "--task", "chars", "--data", blank, "--out", out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`--data ${blank}: no items: every line is blank`);
    const latin1 = path.join(base, "latin1.txt");
    fs.writeFileSync(latin1, Buffer.from([0x61, 0x62, 0x0a, 0x7a, 0x6f, 0xeb, 0x0a]));
    const l = cli(["train", "--task", "chars", "--data", latin1, "--out", out]);
    expect(l.status).toBe(1);
    expect(l.stderr).toBe(`backprop train: --data ${latin1}: line 2 holds bytes that are not UTF-8 at character 3; give a UTF-8 text file with one item per line\n`);
    expect(fs.existsSync(out)).toBe(false);
  });

  it("documents sample in the help", () => {
    expect(cli(["--help"]).stdout).toMatch(/^ {2}sample \[options\]/m);
    const help = cli(["sample", "--help"]).stdout;
    for (const flag of ["--model <dir>", "--count <n>", "--temperature <t>", "--top-k <k>", "--seed <n>", "--prefix <text>", "--max-length <n>"]) expect(help).toContain(flag);
    expect(cli(["train", "--help"]).stdout).toContain("--task chars trains a character-level language model");
  });
});
