#!/usr/bin/env node
/**
 * `npm run test:pytorch`: the PyTorch hand-off end to end, with real PyTorch
 * (/usr/bin/python3, else python3, with torch and numpy; PYTHON overrides the interpreter).
 *
 * 1. For each optimizer, loss, task, data kind and dtype the CLI offers:
 *    train a short run with the built CLI, export it, and run
 *    `train.py --check-next-step`: the loss after one more step on the fixed
 *    batch must equal backprop's to float32 rounding (float64: 1e-12).
 * 2. The main run: train.py on 2 processes with gloo, launched by setting
 *    MASTER_ADDR/MASTER_PORT/RANK/WORLD_SIZE per process (Debian's
 *    torch.distributed.run fails on its Python 3.11), then back here:
 *    `backprop train --resume` on the folder train.py wrote, `backprop
 *    predict` on the result, and an export of it that checks again.
 *
 * Prints what it measured; exits non-zero on the first failure.
 */
import { spawn, spawnSync } from "node:child_process";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const MAIN = path.join(ROOT, "dist/cli/main.js");
// Debian's python3-torch lives under /usr/bin/python3; a python3 earlier on PATH (pyenv, a venv) may lack torch.
const PYTHON = process.env.PYTHON ?? (fs.existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
const FASHION = "/usr/share/datasets/fashion-mnist";
const base = fs.mkdtempSync(path.join(os.tmpdir(), "backprop-pytorch-"));

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 28, ...options });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}

const backprop = (...args) => run(process.execPath, [MAIN, ...args]);

const probe = spawnSync(PYTHON, ["-c", "import torch, numpy; print(torch.__version__)"], { encoding: "utf8" });
if (probe.status !== 0) {
  console.error(`test:pytorch: needs ${PYTHON} with torch and numpy (Debian: apt-get install python3-torch; or set PYTHON=/path/to/python)\n${probe.stderr ?? probe.error}`);
  process.exit(1);
}
const torchVersion = probe.stdout.trim();
console.log(`PyTorch ${torchVersion} (${PYTHON}), work folder ${base}`);

/** A CSV with a text column and named classes, so that the export's data.csv carries the one-hot encoding. */
function shapesCsv() {
  const lines = ["width,height,colour,kind"];
  const colours = ["red", "green", "blue"];
  for (let i = 0; i < 200; i++) {
    const w = ((i * 37) % 23) / 4;
    const h = ((i * 11) % 17) / 3;
    const c = colours[i % 3];
    lines.push(`${w},${h},${c},${w + h + (c === "red" ? 1 : 0) > 5.5 ? "big" : "small"}`);
  }
  const file = path.join(base, "shapes.csv");
  fs.writeFileSync(file, lines.join("\n") + "\n");
  return file;
}

const csv = shapesCsv();
const CASES = [
  { name: "digits, cross-entropy, adam", args: ["--data", "digits", "--loss", "cross-entropy", "--optimizer", "adam", "--activation", "relu", "--epochs", "2"] },
  { name: "wine, squared error on one-hot, sgd", args: ["--data", "wine", "--optimizer", "sgd", "--epochs", "3"] },
  { name: "diabetes, regression, momentum", args: ["--data", "diabetes", "--optimizer", "momentum", "--activation", "tanh", "--epochs", "3"] },
  { name: "CSV with a text column, adamw, float64", args: ["--data", csv, "--target", "kind", "--optimizer", "adamw", "--activation", "gelu", "--dtype", "float64", "--epochs", "3"] },
];
if (fs.existsSync(FASHION)) {
  CASES.push({ name: "Fashion-MNIST IDX, cross-entropy, adam", args: ["--data", FASHION, "--layers", "32", "--loss", "cross-entropy", "--optimizer", "adam", "--activation", "relu", "--epochs", "1", "--batch-size", "128"] });
} else {
  console.log(`(no ${FASHION}: the IDX case is skipped; install dataset-fashion-mnist)`);
}

function checkNextStep(folder) {
  const result = JSON.parse(run(PYTHON, [path.join(folder, "train.py"), "--check-next-step"]).trim().split("\n").pop());
  assert.equal(result.agrees, true, JSON.stringify(result));
  return result;
}

const measured = [];
CASES.forEach((c, i) => {
  const dir = path.join(base, `case${i}`);
  backprop("train", ...c.args, "--out", dir);
  backprop("export", "--format", "pytorch", "--model", dir, "--out", `${dir}-pytorch`);
  const r = checkNextStep(`${dir}-pytorch`);
  measured.push({ case: c.name, ...r });
  console.log(`ok  next step, ${c.name}: backprop ${r.backprop.lossBefore} → ${r.backprop.lossAfter}, PyTorch ${r.lossBefore} → ${r.lossAfter} (relative difference ${r.relativeDifference.toExponential(2)}, ${r.rows} rows)`);
});

// ---- the main run: 2 processes, back, resume, predict

const main = path.join(base, "main");
backprop("train", "--data", csv, "--target", "kind", "--loss", "cross-entropy", "--activation", "relu", "--optimizer", "adam", "--layers", "16,8", "--epochs", "4", "--out", main);
backprop("export", "--format", "pytorch", "--model", main, "--out", `${main}-pytorch`);
const before = JSON.parse(fs.readFileSync(path.join(main, "config.json"), "utf8"));
const back = path.join(base, "main-back");

function launch(rank, world, port) {
  return new Promise((resolve) => {
    const env = { ...process.env, MASTER_ADDR: "127.0.0.1", MASTER_PORT: String(port), RANK: String(rank), WORLD_SIZE: String(world), LOCAL_RANK: String(rank) };
    const child = spawn(PYTHON, [path.join(`${main}-pytorch`, "train.py"), "--epochs", "3", "--out", back], { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("close", (code) => resolve({ code, output }));
  });
}

const port = 29500 + (process.pid % 1000);
const ranks = await Promise.all([launch(0, 2, port), launch(1, 2, port)]);
for (const [rank, r] of ranks.entries()) assert.equal(r.code, 0, `rank ${rank} of train.py failed:\n${r.output}`);
console.log(ranks[0].output.trim().replace(/^/gm, "    train.py rank 0: "));
assert.match(ranks[0].output, /\(2 processes, /);

const after = JSON.parse(fs.readFileSync(path.join(back, "config.json"), "utf8"));
// The folder train.py wrote predicts as it is, before any --resume.
assert.equal(backprop("predict", "--model", back, csv).trim().split("\n").length, 201);
assert.deepEqual(after.history.map((m) => m.epoch), [1, 2, 3, 4, 5, 6, 7]);
assert.equal(after.status, "complete");
assert.match(after.changes.at(-1).changed.trainer.to, /2 process\(es\) on cpu/);

// Back here: the same folder continues with --resume, predicts, and exports again.
const resumed = backprop("train", "--resume", back, "--epochs", "9");
assert.match(resumed, /from epoch 8 batch 1/);
const final = JSON.parse(fs.readFileSync(path.join(back, "config.json"), "utf8"));
assert.equal(final.history.length, 9);
const predictions = backprop("predict", "--model", back, csv).trim().split("\n");
assert.equal(predictions.length, 201);
backprop("export", "--format", "pytorch", "--model", back, "--out", `${back}-pytorch`);
const again = checkNextStep(`${back}-pytorch`);

const fmt = (m) => `epoch ${m.epoch}: train loss ${m.trainLoss.toFixed(5)}, validation loss ${m.valLoss.toFixed(5)}, validation accuracy ${(m.valScore * 100).toFixed(1)}%`;
console.log("ok  2 processes (gloo), back, --resume, predict:");
for (const m of before.history) console.log(`    backprop  ${fmt(m)}`);
for (const m of after.history.slice(before.history.length)) console.log(`    PyTorch   ${fmt(m)}`);
for (const m of final.history.slice(after.history.length)) console.log(`    backprop  ${fmt(m)}`);
console.log(`    ${predictions.length - 1} predictions; next-step check after the round trip: backprop ${again.backprop.lossAfter}, PyTorch ${again.lossAfter}`);
fs.rmSync(base, { recursive: true, force: true });
console.log(`test:pytorch: ${CASES.length} next-step checks and the 2-process round trip passed`);
