/**
 * `backprop train`: loads the data, builds the network, runs mini-batch
 * gradient descent with a progress display, checkpoints after every epoch
 * (and on Ctrl-C), and ends with a report, curves and a run directory.
 *
 * Reproducibility: the seed fixes the initial weights (global generator),
 * the validation split, and a separate shuffling generator. A checkpoint
 * stores the shuffling generator as it was when the current epoch's order
 * was drawn plus the index of the next batch, so a resumed run redraws the
 * same order, skips the batches already done, and continues bit for bit.
 */
import * as path from "node:path";
import { tidy } from "../autograd/tidy.js";
import { detectAnomaly, noGrad } from "../graph/mode.js";
import { AnomalyError } from "../errors.js";
import { save } from "../io/index.js";
import type { Sequential } from "../nn/index.js";
import type { Optimizer } from "../optim/index.js";
import type { Tensor } from "../tensor/tensor.js";
import { Generator, defaultGenerator, manualSeed } from "../tensor/random.js";
import { argmaxRows, makeBatch, type Batch } from "./batches.js";
import { CHECKPOINT_FILE, saveCheckpoint, loadCheckpoint, hasCheckpoint, type TrainingPosition } from "./checkpoint.js";
import { hasPyTorchOptimizerState, importHandoffRun } from "./handoff-files.js";
import { terminalChart, type Series } from "./chart-terminal.js";
import { curvesSvg } from "./chart-svg.js";
import { dataPathRecord, loadRunTable, loadTable } from "./data-source.js";
import { CliDataError, Interrupted, UsageError } from "./errors.js";
import { planLayers } from "./layer-spec.js";
import { firstNonFinite, nonFiniteGradient, nonFiniteOrigin } from "./non-finite.js";
import { acquireRunLock, atomicWrite, checkOutputDir } from "./files.js";
import { architectureFor, batchLoss, buildNetwork, describeArchitecture, type Architecture } from "./model.js";
import { buildOptimizer, defaultLearningRate } from "./optimizer.js";
import { continueRun } from "./resume-changes.js";
import type { OptimizerName, TrainOptions } from "./options.js";
import { Progress, formatDuration, type EpochMetrics, type Output } from "./progress.js";
import { confusionCounts, formatConfusion, formatTable } from "./report.js";
import { CONFIG_FILE, MODEL_FILE, libraryVersion, readConfig, writeConfig, type RunConfig } from "./run-config.js";
import { fitChannelScaling, fitScaling, permutation, splitIndices, type Table } from "./table.js";
import {
  CURVES_FILE, YIELD_MS, claimNewRunDir, divergedError, openNewRunDir, shuffleSeed, withStopAndLock, yieldToEventLoop, type LockHolder, type StopSignal,
} from "./run-lifecycle.js";

/** A confusion matrix wider than this does not fit a terminal (and K² cells of a mistaken target could exhaust memory). */
const MAX_CONFUSION_CLASSES = 30;

interface Run {
  config: RunConfig;
  table: Table;
  dir: string;
  net: Sequential;
  optimizer: Optimizer<any>;
  position: TrainingPosition;
  trainRows: Int32Array;
  valRows: Int32Array;
}

/** A fresh run from the command-line options. */
function startRun(opts: TrainOptions, lock: LockHolder, warn: Output): Run {
  const dir = openNewRunDir(opts.out, opts.force, lock, warn);
  const table = loadTable(opts.data, {
    target: opts.target, task: opts.task, impute: opts.impute, maxClasses: opts.maxClasses, delimiter: opts.delimiter, imageShape: opts.imageShape,
  });
  const task = table.task;
  const loss = opts.loss ?? "mse";
  if (task === "regress" && loss === "cross-entropy") {
    throw new UsageError(`--loss cross-entropy: needs classes, but the target "${table.targetName}" of ${table.source} is treated as a regression target; use --loss mse or --task classify`);
  }
  const outputs = task === "classify" ? table.numClasses : 1;
  const image = table.imageShape ? { shape: table.imageShape, what: `--data ${table.source} (images ${table.imageShape.join("×")})` } : null;
  const architecture = architectureFor(table.columns, opts.layers, outputs, opts.activation, task, loss, image, `--data ${table.source}`);
  const { train, val } = splitIndices(table.rows, opts.valSplit, opts.seed);
  refuseSingleRowBatches(architecture, train.length, opts.batchSize);
  // Images for convolutions are scaled per channel, not per pixel: a pattern must look the same wherever it is.
  const images = architecture.inputShape?.length === 3;
  const featureScaling = !opts.standardize ? null : images ? fitChannelScaling(table, train, architecture.inputShape![0]) : fitScaling(table, train);
  let targetScaling: RunConfig["data"]["targetScaling"] = null;
  if (task === "regress") {
    let mean = 0;
    for (const r of train) mean += table.target[r];
    mean /= train.length;
    let sq = 0;
    for (const r of train) sq += (table.target[r] - mean) ** 2;
    targetScaling = { mean, std: Math.sqrt(sq / train.length) || 1 };
  }
  claimNewRunDir(dir, opts.force, lock, warn);

  manualSeed(opts.seed);
  const net = buildNetwork(architecture, opts.dtype);
  const lr = opts.lr ?? defaultLearningRate(opts.optimizer, task);
  const optimizer = buildOptimizer(opts.optimizer, net.parameters(), lr);
  const config: RunConfig = {
    library: { name: "backpropagation", version: libraryVersion() },
    status: "running",
    architecture,
    options: {
      data: opts.data, target: opts.target ?? null, task, loss, optimizer: opts.optimizer, lr, epochs: opts.epochs,
      batchSize: opts.batchSize, valSplit: opts.valSplit, seed: opts.seed, dtype: opts.dtype, standardize: opts.standardize,
      impute: opts.impute ?? null, delimiter: opts.delimiter ?? null,
    },
    data: {
      source: table.source, rows: table.rows, featureNames: table.featureNames, targetName: table.targetName,
      numClasses: task === "classify" ? table.numClasses : 0, classNames: table.classNames, featureScaling, targetScaling,
      path: dataPathRecord(opts.data, dir), delimiter: table.delimiter, columns: table.inputColumns, labelEncoding: table.labelEncoding,
    },
    metrics: {},
    history: [],
    changes: [],
    warnings: [],
  };
  const shuffle = new Generator(shuffleSeed(opts.seed));
  const position: TrainingPosition = {
    epoch: 1, nextBatch: 0, shuffleStateAtEpochStart: shuffle.getState(), defaultGeneratorState: defaultGenerator.getState(),
    running: { lossSum: 0, scoreSum: 0, samples: 0, seconds: 0 }, history: [],
  };
  return { config, table, dir, net, optimizer, position, trainRows: train, valRows: val };
}

/**
 * Batch norm in training mode needs two values per channel: a last batch of
 * one row on rows (or on 1×1 images) would stop training at the end of the
 * first epoch. Refused before any work is done.
 */
function refuseSingleRowBatches(arch: Architecture, trainRows: number, batchSize: number): void {
  if (!arch.layers) return;
  const { layers } = planLayers("--layers", arch.layers, arch.inputShape ?? [arch.inputs], "the data");
  // Values per channel in one sample: 1 for rows, H·W for images.
  if (!layers.some((l) => l.spec.kind === "bn" && l.input.slice(1).reduce((a, b) => a * b, 1) === 1)) return;
  const last = trainRows % batchSize;
  if (batchSize !== 1 && last !== 1) return;
  const suggestion = batchSize === 1 ? "2" : String(batchSize + 1);
  throw new UsageError(
    `--batch-size ${batchSize}: ${batchSize === 1 ? "every batch is" : `the last batch of each epoch is`} a single row of the ${trainRows} training rows, ` +
      `and batch norm (bn in --layers) cannot normalise one value per channel while training; use e.g. --batch-size ${suggestion}`,
  );
}

/** What --resume may change; everything else stays as config.json says. */
export interface ResumeChanges {
  epochs?: number;
  lr?: number;
  optimizer?: OptimizerName;
  /** Where the data is now (the run's own record is used otherwise). */
  data?: string;
}

/** A run continued from its directory, with the changes --resume allows (recorded in config.changes). */
function resumeRun(dir: string, changes: ResumeChanges, out: Output, lock: LockHolder, warn: Output): Run {
  checkOutputDir(dir, "--resume");
  // A run directory written by the PyTorch hand-off's train.py has no checkpoint, but PyTorch's optimizer state.
  const checkpoint = !hasCheckpoint(dir) && hasPyTorchOptimizerState(dir) ? importHandoffRun(dir, readConfig(dir, "--resume")) : loadCheckpoint(dir);
  lock.held = acquireRunLock(dir, warn, { createDir: false });
  const config = readConfig(dir, "--resume");
  const o = config.options;
  const table = loadRunTable(config, dir, changes.data);
  if (table.columns !== config.architecture.inputs) {
    throw new CliDataError(`--resume ${dir}: the data ${table.source} now has ${table.columns} feature columns, but the model was trained on ${config.architecture.inputs}`);
  }
  if (changes.data !== undefined) config.data.path = dataPathRecord(changes.data, dir);
  const { train, val } = splitIndices(table.rows, o.valSplit, o.seed);
  const net = buildNetwork(config.architecture, o.dtype);
  net.loadStateDict(checkpoint.model);

  const { optimizer, position } = continueRun(config, changes, checkpoint, net.parameters(), (name) => defaultLearningRate(name, o.task), out);
  return { config, table, dir, net, optimizer, position, trainRows: train, valRows: val };
}

interface Evaluation {
  loss: number;
  score: number;
  predicted: Int32Array | null;
  actual: Float64Array;
}

/** Loss and accuracy (or R²) of the network on the given rows, without recording a graph. */
function evaluate(run: Run, rows: Int32Array): Evaluation | null {
  if (rows.length === 0) return null;
  const { table, config, net } = run;
  const batch = makeBatch(table, rows, config.data.featureScaling, config.data.targetScaling, config.options.dtype, table.task === "classify", config.architecture.inputShape);
  return noGrad(() => {
    const out = net.forward(batch.x);
    const loss = batchLoss(config.options.loss, table.task, out, batch.labels, batch.oneHot).item();
    return { loss, ...score(table, batch, out.data(), out.shape[1]) };
  });
}

function score(table: Table, batch: Batch, out: ArrayLike<number>, width: number): { score: number; predicted: Int32Array | null; actual: Float64Array } {
  if (table.task === "classify") {
    const predicted = argmaxRows(out, batch.size, width);
    let correct = 0;
    for (let i = 0; i < batch.size; i++) if (predicted[i] === batch.targets[i]) correct++;
    return { score: correct / batch.size, predicted, actual: batch.targets };
  }
  let mean = 0;
  for (let i = 0; i < batch.size; i++) mean += batch.targets[i];
  mean /= batch.size;
  let res = 0;
  let tot = 0;
  for (let i = 0; i < batch.size; i++) {
    res += (batch.targets[i] - out[i]) ** 2;
    tot += (batch.targets[i] - mean) ** 2;
  }
  return { score: tot > 0 ? 1 - res / tot : 0, predicted: null, actual: batch.targets };
}

function writeModelFiles(run: Run): void {
  save(run.net.stateDict(), path.join(run.dir, MODEL_FILE));
  writeConfig(run.dir, run.config);
}

function checkpoint(run: Run): void {
  saveCheckpoint(run.dir, { position: run.position, model: run.net.stateDict(), optimizer: run.optimizer.stateDict() });
  writeModelFiles(run);
}

/**
 * `resume` holds what --resume was given besides the directory (only set
 * options count); `warn` receives warnings (stderr).
 */
export async function trainCommand(opts: TrainOptions, resume: ResumeChanges, out: Output, warn: Output = out): Promise<void> {
  await withStopAndLock((stop, lock) => train(opts, resume, out, warn, stop, lock));
}

async function train(opts: TrainOptions, resume: ResumeChanges, out: Output, warn: Output, stop: StopSignal, lock: LockHolder): Promise<void> {
  const run = opts.resume ? resumeRun(opts.resume, resume, out, lock, warn) : startRun(opts, lock, warn);
  const { table, config, position } = run;
  const o = config.options;
  const scoreName = table.task === "classify" ? "acc" : "R²";
  const batchesPerEpoch = Math.ceil(run.trainRows.length / o.batchSize);
  out.write(table.notes.join("\n") + (table.notes.length ? "\n" : ""));
  out.write(
    `${opts.resume ? "resuming" : "training"} ${describeNetwork(config)} on ${table.source} (${run.trainRows.length} train / ${run.valRows.length} validation rows), ` +
      `${o.loss} loss, ${o.optimizer} lr ${o.lr}, batch ${o.batchSize}, ${o.epochs} epochs, seed ${o.seed}${opts.resume ? `, from epoch ${position.epoch} batch ${position.nextBatch + 1}` : ""}\n` +
      `run directory: ${run.dir}\n`,
  );
  if (!opts.resume) {
    // config.json first: a run killed before its first checkpoint is then still recognisable as a run (--force restarts it).
    writeConfig(run.dir, run.config);
    checkpoint(run);
  }

  const loop: Loop = {
    progress: new Progress(out, o.epochs, batchesPerEpoch, scoreName),
    stop,
    batchesPerEpoch,
    withOneHot: table.task === "classify" && o.loss === "mse",
    trainVariance: table.task === "regress" ? varianceOfTargets(run) : 1,
    detectAnomaly: opts.detectAnomaly === true,
    lastYield: performance.now(),
  };
  try {
    while (position.epoch <= o.epochs) {
      const shuffle = new Generator(0);
      shuffle.setState(position.shuffleStateAtEpochStart);
      const order = permutation(run.trainRows.length, shuffle);
      await runBatches(run, loop, order);
      finishEpoch(run, loop, shuffle);
      checkpoint(run);
      await yieldToEventLoop();
      if (stop.signal && position.epoch <= o.epochs) throw interrupt(run, stop.signal);
    }
  } catch (err) {
    loop.progress.clear();
    throw err;
  }
  config.status = "complete";
  const report = finalReport(run);
  config.warnings = chanceWarnings(run);
  writeModelFiles(run);
  out.write(report);
  for (const w of config.warnings) warn.write(`warning: ${w}\n`);
}

/** What the training loop carries from epoch to epoch. */
interface Loop {
  progress: Progress;
  stop: StopSignal;
  batchesPerEpoch: number;
  withOneHot: boolean;
  /** Variance of the standardised training targets (regression), for the running R². */
  trainVariance: number;
  /** --detect-anomaly: forward and backward run under detectAnomaly. */
  detectAnomaly: boolean;
  /** When the loop last let the event loop run (signals are delivered then). */
  lastYield: number;
}

/** The batches of the current epoch from `position.nextBatch` on: forward, loss, backward, step. */
async function runBatches(run: Run, loop: Loop, order: Int32Array): Promise<void> {
  const { table, config, net, optimizer, position } = run;
  const o = config.options;
  loop.progress.startEpoch();
  const epochStart = performance.now();
  const secondsBefore = position.running.seconds;
  for (let b = position.nextBatch; b < loop.batchesPerEpoch; b++) {
    const rows = new Int32Array(Math.min(o.batchSize, order.length - b * o.batchSize));
    for (let i = 0; i < rows.length; i++) rows[i] = run.trainRows[order[b * o.batchSize + i]];
    const batch = makeBatch(table, rows, config.data.featureScaling, config.data.targetScaling, o.dtype, loop.withOneHot, config.architecture.inputShape);
    // One step in a tidy scope: its activations feed the next step's allocations.
    const { lossValue, scoreSum } = tidy(() => {
      optimizer.zeroGrad();
      const { output, lossValue } = forwardBackward(run, loop, batch, b + 1);
      optimizer.step();
      return { lossValue, scoreSum: batchScoreSum(table, batch, output.data(), output.shape[1]) };
    });

    const r = position.running;
    r.lossSum += lossValue * batch.size;
    r.samples += batch.size;
    r.scoreSum += scoreSum;
    r.seconds = secondsBefore + (performance.now() - epochStart) / 1000;
    position.nextBatch = b + 1;
    loop.progress.batch(position.epoch, b + 1, r.samples, r.lossSum / r.samples, runningScore(table, r, loop.trainVariance));
    if (performance.now() - loop.lastYield >= YIELD_MS) {
      await yieldToEventLoop();
      loop.lastYield = performance.now();
    }
    if (loop.stop.signal && b + 1 < loop.batchesPerEpoch) throw interrupt(run, loop.stop.signal);
  }
}

/**
 * Forward, loss and backward of one batch, checked before the step (a NaN
 * step would only spread NaN through the weights): a NaN or infinite loss, or
 * gradient, ends the run as "diverged". Under --detect-anomaly the backward
 * also names the op whose gradient went bad.
 */
function forwardBackward(run: Run, loop: Loop, batch: Batch, batchNumber: number): { output: Tensor; lossValue: number } {
  const { config, net, table } = run;
  const o = config.options;
  const pass = () => {
    const output = net.forward(batch.x);
    const loss = batchLoss(o.loss, table.task, output, batch.labels, batch.oneHot);
    const lossValue = loss.item();
    if (!Number.isFinite(lossValue)) {
      throw diverged(run, batchNumber, `the loss became ${lossValue}${loop.detectAnomaly ? forwardOrigin(run, batch) : ""}`, lossValue, loop.detectAnomaly);
    }
    loss.backward();
    return { output, lossValue };
  };
  let result: { output: Tensor; lossValue: number };
  try {
    result = loop.detectAnomaly ? detectAnomaly(pass) : pass();
  } catch (err) {
    if (err instanceof AnomalyError) {
      const op = /backward of "([^"]+)"/.exec(err.message)?.[1] ?? "an op";
      throw diverged(run, batchNumber, `the backward of "${op}" produced NaN or Inf (${err.message.split("\n")[0]})`, NaN, true);
    }
    throw err;
  }
  const bad = nonFiniteGradient(net.namedParameters());
  if (bad !== null) {
    throw diverged(run, batchNumber, `the gradient of ${bad.name} holds ${bad.value} (the loss was ${result.lossValue})`, result.lossValue, loop.detectAnomaly);
  }
  return result;
}

/**
 * Under --detect-anomaly, where a NaN or infinite loss came from: a
 * parameter that the previous step made non-finite, or the first op of the
 * forward pass (rerun on the same batch) whose output was.
 */
function forwardOrigin(run: Run, batch: Batch): string {
  const o = run.config.options;
  for (const [name, p] of run.net.namedParameters()) {
    const value = firstNonFinite(p);
    if (value !== null) return ` (${name} holds ${value} after the previous step)`;
  }
  const origin = nonFiniteOrigin(() => batchLoss(o.loss, run.table.task, run.net.forward(batch.x), batch.labels, batch.oneHot));
  if (origin === null) return "";
  return ` (the forward of "${origin.op}" produced the first non-finite value, ${origin.value}, from ${origin.finiteInputs ? "finite inputs" : "an input that was not finite"})`;
}

/** Validation, the epoch's line, and the position moved to the start of the next epoch. */
function finishEpoch(run: Run, loop: Loop, shuffle: Generator): void {
  const { position, config } = run;
  const r = position.running;
  const val = evaluate(run, run.valRows);
  const metrics: EpochMetrics = {
    epoch: position.epoch,
    trainLoss: r.lossSum / r.samples,
    trainScore: runningScore(run.table, r, loop.trainVariance),
    valLoss: val ? val.loss : null,
    valScore: val ? val.score : null,
    samplesPerSecond: r.samples / Math.max(r.seconds, 1e-9),
    seconds: r.seconds,
  };
  position.history.push(metrics);
  config.history = position.history;
  loop.progress.endEpoch(metrics);
  position.epoch++;
  position.nextBatch = 0;
  position.shuffleStateAtEpochStart = shuffle.getState();
  position.defaultGeneratorState = defaultGenerator.getState();
  position.running = { lossSum: 0, scoreSum: 0, samples: 0, seconds: 0 };
  config.metrics = finalMetrics(metrics);
  if (position.epoch > config.options.epochs) config.status = "complete";
}

/** The run's "diverged" ending (run-lifecycle.ts). */
function diverged(run: Run, batch: number, what: string, lossValue: number, underAnomalyDetection: boolean): CliDataError {
  const diverging = { dir: run.dir, config: run.config, position: run.position, trainRows: run.trainRows.length, saveConfig: () => writeConfig(run.dir, run.config) };
  return divergedError(diverging, batch, what, lossValue, underAnomalyDetection);
}

/**
 * Warnings when the trained model is no better than chance: accuracy not
 * above always answering the most frequent class, or (regression) a loss
 * not below always answering the mean, i.e. R² ≤ 0; measured on the
 * validation rows (the training rows without them).
 */
function chanceWarnings(run: Run): string[] {
  const rows = run.valRows.length > 0 ? run.valRows : run.trainRows;
  const split = run.valRows.length > 0 ? "validation" : "training";
  const evaluation = evaluate(run, rows);
  if (!evaluation) return [];
  const o = run.config.options;
  const causes = `likely causes: a learning rate too high (--lr ${o.lr}: the loss jumps or stalls) or too low (the loss barely moves), ` +
    `${o.standardize ? "" : "unscaled features (--no-standardize was given), "}too few epochs (--epochs ${o.epochs}), or features that do not predict the target`;
  if (run.table.task === "classify") {
    const counts = new Map<number, number>();
    for (const r of rows) counts.set(run.table.target[r], (counts.get(run.table.target[r]) ?? 0) + 1);
    const majority = Math.max(...counts.values()) / rows.length;
    // A perfect score is never chance, even where every row has the same class.
    if (evaluation.score <= majority + 1e-12 && evaluation.score < 1) {
      return [`the model is no better than chance: ${split} accuracy ${(evaluation.score * 100).toFixed(2)}% is not above the ${(majority * 100).toFixed(2)}% of always answering the most frequent class; ${causes}`];
    }
    return [];
  }
  // Targets that are all equal leave nothing to explain: R² says nothing then.
  const ys = Array.from(rows, (r) => run.table.target[r]);
  if (ys.every((y) => y === ys[0])) return [];
  if (evaluation.score <= 0) {
    return [`the model is no better than chance: its ${split} R² is ${evaluation.score.toFixed(4)}, so its squared error is not below that of always answering the mean; ${causes}`];
  }
  return [];
}

function interrupt(run: Run, signal: string): Interrupted {
  run.position.defaultGeneratorState = defaultGenerator.getState();
  run.config.status = "interrupted";
  checkpoint(run);
  const where = `epoch ${run.position.epoch}, after batch ${run.position.nextBatch}`;
  return new Interrupted(signal, `interrupted (${signal}) at ${where}: checkpoint saved in ${run.dir}; continue with: backprop train --resume ${run.dir}`);
}

function varianceOfTargets(run: Run): number {
  const { table, trainRows, config } = run;
  const s = config.data.targetScaling!;
  let mean = 0;
  for (const r of trainRows) mean += (table.target[r] - s.mean) / s.std;
  mean /= trainRows.length;
  let v = 0;
  for (const r of trainRows) v += ((table.target[r] - s.mean) / s.std - mean) ** 2;
  return v / trainRows.length || 1;
}

/** Correct answers (classification) or the squared residual sum (regression) of one batch. */
function batchScoreSum(table: Table, batch: Batch, out: ArrayLike<number>, width: number): number {
  if (table.task === "classify") {
    const predicted = argmaxRows(out, batch.size, width);
    let correct = 0;
    for (let i = 0; i < batch.size; i++) if (predicted[i] === batch.targets[i]) correct++;
    return correct;
  }
  let res = 0;
  for (let i = 0; i < batch.size; i++) res += (batch.targets[i] - out[i]) ** 2;
  return res;
}

function runningScore(table: Table, r: TrainingPosition["running"], trainVariance: number): number {
  if (r.samples === 0) return 0;
  return table.task === "classify" ? r.scoreSum / r.samples : 1 - r.scoreSum / (r.samples * trainVariance);
}

function finalMetrics(m: EpochMetrics): Record<string, number | null> {
  return { epochs: m.epoch, trainLoss: m.trainLoss, trainScore: m.trainScore, valLoss: m.valLoss, valScore: m.valScore };
}

export function describeNetwork(config: RunConfig): string {
  return describeArchitecture(config.architecture);
}

function finalReport(run: Run): string {
  const { config, table } = run;
  const history = run.position.history;
  const classify = table.task === "classify";
  const scoreName = classify ? "accuracy" : "R²";
  const fmtScore = (v: number | null) => (v === null ? "-" : classify ? `${(v * 100).toFixed(2)}%` : v.toFixed(4));
  const last = history[history.length - 1];
  const parts: string[] = ["", "results"];
  if (last) {
    const train = evaluate(run, run.trainRows)!;
    const val = evaluate(run, run.valRows);
    parts.push(formatTable(["split", "rows", "loss", scoreName], [
      ["train", String(run.trainRows.length), train.loss.toFixed(5), fmtScore(train.score)],
      ["validation", String(run.valRows.length), val ? val.loss.toFixed(5) : "-", fmtScore(val ? val.score : null)],
    ]));
    const seconds = history.reduce((a, m) => a + m.seconds, 0);
    parts.push(`${history.length} epochs in ${formatDuration(seconds)} of training (${Math.round(history.reduce((a, m) => a + m.samplesPerSecond, 0) / history.length)} samples/s on average)\n`);
    if (classify && table.numClasses > MAX_CONFUSION_CLASSES) {
      parts.push(`(no confusion matrix: ${table.numClasses} classes are too many to print; at most ${MAX_CONFUSION_CLASSES})\n`);
    } else if (classify) {
      const evaluation = val ?? train;
      const labels = (config.data.classNames ?? []).length === table.numClasses ? config.data.classNames! : Array.from({ length: table.numClasses }, (_, i) => String(i));
      parts.push(`confusion matrix (${val ? "validation" : "train"} rows: true class down, predicted across)`);
      parts.push(formatConfusion(confusionCounts(evaluation.actual, evaluation.predicted!, table.numClasses), labels));
    }
    // Without validation rows (--val-split 0) there is no validation curve to draw.
    const withData = (series: Series[]) => series.filter((x) => x.values.some((v) => Number.isFinite(v)));
    const lossSeries = withData([{ name: "train loss", values: history.map((m) => m.trainLoss) }, { name: "validation loss", values: history.map((m) => m.valLoss ?? NaN) }]);
    const scoreSeries = withData([{ name: `train ${scoreName}`, values: history.map((m) => m.trainScore) }, { name: `validation ${scoreName}`, values: history.map((m) => m.valScore ?? NaN) }]);
    parts.push(terminalChart("loss", lossSeries));
    parts.push(terminalChart(scoreName, scoreSeries));
    atomicWrite(path.join(run.dir, CURVES_FILE), curvesSvg(lossSeries, scoreSeries, scoreName));
  }
  parts.push(`saved ${path.join(run.dir, MODEL_FILE)}, ${path.join(run.dir, CONFIG_FILE)}, ${path.join(run.dir, CURVES_FILE)} and checkpoint.safetensors\n`);
  return parts.join("\n");
}
