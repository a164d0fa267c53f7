/**
 * What every `backprop train` run shares, whatever it trains (a table, or
 * characters with --task chars): the run directory's files and lock,
 * Ctrl-C handling, yielding to the event loop, the shuffling seed, and the
 * "diverged" ending.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CHECKPOINT_FILE, type TrainingPosition } from "./checkpoint.js";
import { CliDataError } from "./errors.js";
import { acquireRunLock, checkOutputDir, ensureWritableDir, type RunLock } from "./files.js";
import type { Output } from "./progress.js";
import { CONFIG_FILE, MODEL_FILE, type RunConfig } from "./run-config.js";

export const CURVES_FILE = "curves.svg";
const RUN_FILES = [CONFIG_FILE, MODEL_FILE, CHECKPOINT_FILE, CURVES_FILE];

/** Ctrl-C and SIGTERM only set a flag; the loop notices it between batches, saves, and stops. */
export class StopSignal {
  signal: string | null = null;
  private readonly handlers: [string, () => void][] = [];

  listen(): void {
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
      const handler = () => {
        if (this.signal !== null) {
          // A second Ctrl-C: stop now. Every file is written atomically, so nothing is left half-written.
          process.stderr.write(`\n${sig} again: stopping at once; the last saved checkpoint is kept\n`);
          process.exit(sig === "SIGTERM" ? 143 : 130);
        }
        this.signal = sig;
      };
      process.on(sig, handler);
      this.handlers.push([sig, handler]);
    }
  }

  dispose(): void {
    for (const [sig, handler] of this.handlers) process.off(sig, handler);
  }
}

/** The run directory's lock, once taken (released when the command ends, however it ends). */
export interface LockHolder {
  held: RunLock | null;
}

/**
 * Runs a training command with Ctrl-C handled by the loop and the run
 * directory's lock released at the end, however the command ends. It listens
 * first: a Ctrl-C while the data loads must not kill the process mid-way.
 */
export async function withStopAndLock(train: (stop: StopSignal, lock: LockHolder) => Promise<void>): Promise<void> {
  const stop = new StopSignal();
  stop.listen();
  const lock: LockHolder = { held: null };
  try {
    await train(stop, lock);
  } finally {
    lock.held?.release();
    stop.dispose();
  }
}

/** Gives pending signals a chance to be delivered: the training loop is otherwise synchronous. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Between batches the loop yields at most every YIELD_MS: often enough that
 * Ctrl-C is seen within a batch or two, rarely enough that a small batch
 * (tens of microseconds) does not pay for a turn of the event loop each time.
 */
export const YIELD_MS = 20;

/** The shuffling stream is separate from the global one, so that initialisation and shuffling do not interfere. */
export function shuffleSeed(seed: number): number {
  return (seed ^ 0x9e3779b9) >>> 0;
}

export function defaultRunDir(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return path.join("runs", `run-${stamp}`);
}

/**
 * The first step of a new run, before any data is read: an unusable --out
 * (or one another run is using, or one that holds a run already, without
 * --force) is reported within a second. Returns the run directory.
 */
export function openNewRunDir(out: string | undefined, force: boolean | undefined, lock: LockHolder, warn: Output): string {
  const dir = out ?? defaultRunDir();
  checkOutputDir(dir, "--out");
  lock.held = acquireRunLock(dir, warn, { createDir: false });
  refuseExistingRun(dir, force);
  return dir;
}

/** The last step before a new run writes: the directory exists, is locked, and (with --force) the old run's files are gone. */
export function claimNewRunDir(dir: string, force: boolean | undefined, lock: LockHolder, warn: Output): void {
  ensureWritableDir(dir);
  lock.held ??= acquireRunLock(dir, warn, { createDir: true });
  if (force) removeRunFiles(dir);
}

/** --out onto a run directory would mix two runs' files: refuse, unless --force (the old run's files are then removed). */
function refuseExistingRun(dir: string, force: boolean | undefined): void {
  if (force) return;
  const found = RUN_FILES.filter((f) => fs.existsSync(path.join(dir, f)));
  if (found.length > 0) {
    throw new CliDataError(`--out ${dir}: the directory already holds a run (${found.join(", ")}); continue it with --resume ${dir}, replace it with --force, or choose another --out`);
  }
}

function removeRunFiles(dir: string): void {
  for (const f of RUN_FILES) fs.rmSync(path.join(dir, f), { force: true });
}

/** The parts of a run that its "diverged" ending reads and marks. */
export interface DivergingRun {
  dir: string;
  config: Pick<RunConfig, "status" | "divergence"> & { options: { lr: number; batchSize: number } };
  position: TrainingPosition;
  /** Training rows (or items) per epoch. */
  trainRows: number;
  /** Writes config.json only: model.safetensors and the checkpoint keep the last good weights. */
  saveConfig(): void;
}

/**
 * A NaN or infinite loss or gradient: config.json says "diverged" with
 * where, the files of the last good checkpoint stay as they are, and the
 * error says how to go on from there.
 */
export function divergedError(run: DivergingRun, batch: number, what: string, lossValue: number, underAnomalyDetection: boolean): CliDataError {
  const { config, position, dir } = run;
  const o = config.options;
  const step = (position.epoch - 1) * Math.ceil(run.trainRows / o.batchSize) + batch;
  config.status = "diverged";
  config.divergence = { epoch: position.epoch, batch, step, loss: String(lossValue), lr: o.lr, cause: what };
  run.saveConfig();
  const lower = Number((o.lr / 10).toPrecision(3));
  const saved = position.history.length > 0 ? `the end of epoch ${position.history.length}` : "the initial weights";
  const anomaly = underAnomalyDetection ? "" : "; to find the op that first produced NaN or Inf, add --detect-anomaly";
  return new CliDataError(
    `training diverged: ${what} at epoch ${position.epoch}, batch ${batch} (step ${step}) with --lr ${o.lr}; ` +
      `${dir} keeps the last good checkpoint (${saved}) and is marked "diverged"; lower the learning rate and continue with: backprop train --resume ${dir} --lr ${lower}${anomaly}`,
  );
}
