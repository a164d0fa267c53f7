/**
 * Nothing lost, nothing hangs: unusable output paths fail at once, a run
 * directory is locked against a second training, a failing write leaves the
 * previous checkpoint intact, a signal stops training promptly, and a run
 * killed (SIGKILL) at random moments resumes to the same final weights as an
 * uninterrupted run, bit for bit.
 *
 * FAULT_KILLS sets the number of random kills (5 here; `npm run fault` runs more).
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadCheckpoint } from "../../src/cli/checkpoint.js";
import { MAIN, ROOT, cli, ensureBuilt, startCli, tempDir } from "./helpers.js";

const KILLS = Number(process.env.FAULT_KILLS ?? 5);
// Small and quick, with many steps and a checkpoint after each of the 6 epochs, so that kills land in steps and in writes.
const ARGS = ["--data", "iris", "--epochs", "6", "--batch-size", "4", "--optimizer", "adam", "--seed", "3"];

let base: string;
beforeAll(async () => {
  await ensureBuilt();
  base = tempDir("faults");
});

/** A PID that belonged to a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

describe("output paths", () => {
  it("--out under /proc fails at once with one line, instead of spinning", () => {
    const r = spawnSync(process.execPath, [MAIN, "train", "--out", "/proc/x/run"], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    expect(r.signal, "the process had to be killed: it hung").toBeNull();
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("backprop train: --out /proc/x/run: the output directory cannot be written (/proc is a kernel pseudo-filesystem, not a place for files); choose another with --out DIR\n");
  });

  it("--out below a file fails naming the file", () => {
    const file = path.join(base, "plain-file");
    fs.writeFileSync(file, "x");
    const r = cli(["train", "--out", path.join(file, "run")]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`backprop train: --out ${path.join(file, "run")}: the output directory cannot be written (${file} is a file, not a directory); choose another with --out DIR\n`);
  });
});

describe("the run directory lock", () => {
  it("a second training into a directory in use is refused, naming the lock file and the PID", () => {
    const dir = path.join(base, "locked");
    fs.mkdirSync(dir);
    // This test process is alive: its PID in the lock stands for a running training.
    fs.writeFileSync(path.join(dir, "train.lock"), `${process.pid}\n`);
    const r = cli(["train", ...ARGS, "--out", dir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`backprop train: ${dir}: another training (PID ${process.pid}) is using this run directory (lock file ${path.join(dir, "train.lock")}); wait for it to finish or stop it, or choose another --out\n`);
    expect(fs.readdirSync(dir)).toEqual(["train.lock"]);
  });

  it("a stale lock from a killed run is taken over with a notice, and released at the end", () => {
    const dir = path.join(base, "stale");
    fs.mkdirSync(dir);
    const pid = deadPid();
    fs.writeFileSync(path.join(dir, "train.lock"), `${pid}\n`);
    const r = cli(["train", ...ARGS, "--epochs", "1", "--out", dir]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`note: taking over the stale lock ${path.join(dir, "train.lock")} (PID ${pid} is no longer running)\n`);
    expect(fs.existsSync(path.join(dir, "train.lock"))).toBe(false);
  });
});

describe("a failing write", () => {
  it("a full disk while saving epoch 1 keeps the initial checkpoint, model and config whole, and says what failed", () => {
    const dir = path.join(base, "enospc");
    // Writes at the start: config, checkpoint, model, config; the 5th is epoch 1's checkpoint.
    const r = spawnSync(process.execPath, [MAIN, "train", ...ARGS, "--out", dir], { cwd: ROOT, encoding: "utf8", env: { ...process.env, BACKPROP_TEST_FAIL_WRITE: "5" } });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`backprop train: save: ${path.join(dir, "checkpoint.safetensors")}: could not write the file (ENOSPC: no space left on device, write); the disk is full: free some space (the file's previous version, if any, is kept)\n`);
    const checkpoint = loadCheckpoint(dir);
    expect(checkpoint.position.epoch).toBe(1);
    expect(checkpoint.position.nextBatch).toBe(0);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    // The run goes on from there.
    const resumed = cli(["train", "--resume", dir]);
    expect(resumed.status, resumed.stderr).toBe(0);
  });
});

describe("divergence", () => {
  it("--detect-anomaly: a diverged run says what went bad (the loss, a gradient, or the op whose backward made NaN/Inf) and records it", () => {
    const lines = ["size,rooms,price"];
    for (let i = 0; i < 40; i++) lines.push(`${50 + ((i * 37) % 150)},${1 + (i % 5)},${i * 3000}`);
    const file = path.join(base, "prices.csv");
    fs.writeFileSync(file, lines.join("\n") + "\n");
    const dir = path.join(base, "anomaly");
    const r = cli(["train", "--data", file, "--lr", "1e6", "--epochs", "4", "--detect-anomaly", "--out", dir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^backprop train: training diverged: (the loss became (NaN|Infinity)|the gradient of \S+ holds|the backward of "\w+" produced NaN or Inf) /);
    // Already under anomaly detection: the message does not suggest it again.
    expect(r.stderr).not.toContain("--detect-anomaly");
    const config = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
    expect(config.status).toBe("diverged");
    expect(r.stderr).toContain(config.divergence.cause);
  });

  it("--detect-anomaly names the forward op that first made the non-finite loss, and the step", () => {
    // Regression on prices with --lr 1e6: the weights grow ~10^6-fold per step until
    // squaring the error overflows float32 (the MSE's "square", of finite inputs) at step 4.
    const lines = ["size,rooms,price"];
    for (let i = 0; i < 40; i++) lines.push(`${50 + ((i * 37) % 150)},${1 + (i % 5)},${i * 3000}`);
    const file = path.join(base, "prices-square.csv");
    fs.writeFileSync(file, lines.join("\n") + "\n");
    const dir = path.join(base, "anomaly-square");
    const r = cli(["train", "--data", file, "--lr", "1e6", "--epochs", "4", "--detect-anomaly", "--out", dir]);
    expect(r.status).toBe(1);
    const cause = 'the loss became Infinity (the forward of "square" produced the first non-finite value, Infinity, from finite inputs)';
    expect(r.stderr).toBe(`backprop train: training diverged: ${cause} at epoch 2, batch 2 (step 4) with --lr 1000000; ${dir} keeps the last good checkpoint (the end of epoch 1) and is marked "diverged"; lower the learning rate and continue with: backprop train --resume ${dir} --lr 100000\n`);
    const config = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
    expect(config.divergence).toMatchObject({ epoch: 2, batch: 2, step: 4, cause });

    // Without --detect-anomaly the same run stops at the same step without naming the op, and says how to.
    const plain = cli(["train", "--data", file, "--lr", "1e6", "--epochs", "4", "--out", path.join(base, "plain-square")]);
    expect(plain.stderr).toMatch(/^backprop train: training diverged: the loss became Infinity at epoch 2, batch 2 \(step 4\) .*; to find the op that first produced NaN or Inf, add --detect-anomaly\n$/);
  });

  it("--detect-anomaly on classes: a logit overflows in the last layer's \"linear\" (cross-entropy, ReLU, --lr 1e8)", () => {
    const dir = path.join(base, "anomaly-linear");
    const r = cli(["train", "--data", "iris", "--loss", "cross-entropy", "--activation", "relu", "--lr", "1e8", "--epochs", "5", "--detect-anomaly", "--out", dir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^backprop train: training diverged: the loss became NaN \(the forward of "linear" produced the first non-finite value, -?Infinity, from finite inputs\) at epoch 1, batch 3 \(step 3\) with --lr 100000000; /);
  });
});

describe("signals", () => {
  it("SIGTERM stops training, saves, marks the run interrupted and exits 143", async () => {
    const dir = path.join(base, "sigterm");
    const run = startCli(["train", "--data", "digits", "--epochs", "200", "--out", dir]);
    await run.waitFor(/^epoch\s+2\/200/m);
    const sent = performance.now();
    run.child.kill("SIGTERM");
    expect(await run.exit).toBe(143);
    console.log(`SIGTERM to exit: ${(performance.now() - sent).toFixed(0)} ms`);
    expect(JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8")).status).toBe("interrupted");
    expect(fs.existsSync(path.join(dir, "train.lock"))).toBe(false);
  });
});

/** A small deterministic generator for kill times (xorshift). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 2 ** 32;
  };
}

function trainUntilKilled(dir: string, args: string[], afterMs: number): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, "train", ...args], { cwd: ROOT, stdio: "ignore" });
    const timer = setTimeout(() => child.kill("SIGKILL"), afterMs);
    child.on("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

describe("killed at random moments", () => {
  it(`${KILLS} SIGKILLs during steps and checkpoint writes: the last checkpoint always loads, and resuming reaches the uninterrupted weights bit for bit`, async () => {
    const straight = path.join(base, "straight");
    const started = performance.now();
    const r = cli(["train", ...ARGS, "--out", straight]);
    const runMs = performance.now() - started;
    expect(r.status, r.stderr).toBe(0);
    const expected = fs.readFileSync(path.join(straight, "model.safetensors"));
    const random = rng(Number(process.env.FAULT_SEED ?? 17));
    let survived = 0;
    for (let k = 0; k < KILLS; k++) {
      const dir = path.join(base, `killed-${k}`);
      await trainUntilKilled(dir, [...ARGS, "--out", dir], random() * runMs);
      // Killed again while resuming, now and then: a checkpoint written by a resumed run must be as good.
      if (k % 2 === 1 && fs.existsSync(path.join(dir, "checkpoint.safetensors"))) await trainUntilKilled(dir, ["--resume", dir], random() * runMs);
      let finish;
      if (fs.existsSync(path.join(dir, "checkpoint.safetensors"))) {
        expect(() => loadCheckpoint(dir)).not.toThrow();
        finish = cli(["train", "--resume", dir]);
      } else {
        // Killed before the first checkpoint: nothing to resume, start again.
        finish = cli(["train", ...ARGS, "--out", dir, "--force"]);
      }
      expect(finish.status, finish.stderr).toBe(0);
      expect(fs.readFileSync(path.join(dir, "model.safetensors")).equals(expected), `kill ${k + 1}: final weights differ`).toBe(true);
      survived++;
    }
    console.log(`killed at random: ${survived} of ${KILLS} runs resumed to the uninterrupted weights bit for bit`);
  }, 60_000 + KILLS * 20_000);
});
