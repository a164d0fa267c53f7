/**
 * `backprop train --task chars`: a character-level language model on a text
 * of one item per line (names, words), trained to predict each next
 * character with cross-entropy. The run directory is a table run's:
 * config.json (with the vocabulary and the architecture), model.safetensors,
 * checkpoint.safetensors after every epoch and on Ctrl-C, curves.svg, the
 * run lock, status "running" / "interrupted" / "diverged" / "complete", and
 * --resume continues bit for bit (same checkpoint format and shuffling).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { AnomalyError } from "../errors.js";
import { tidy } from "../autograd/tidy.js";
import { detectAnomaly, noGrad } from "../graph/mode.js";
import { save } from "../io/index.js";
import { crossEntropy } from "../nn/losses.js";
import type { Optimizer } from "../optim/index.js";
import type { CharVocabulary } from "../data/chars.js";
import type { Tensor } from "../tensor/tensor.js";
import { Generator, defaultGenerator, manualSeed } from "../tensor/random.js";
import { CHECKPOINT_FILE, loadCheckpoint, saveCheckpoint, type TrainingPosition } from "./checkpoint.js";
import { curvesSvg } from "./chart-svg.js";
import { terminalChart, type Series } from "./chart-terminal.js";
import {
  BUNDLED_WORDS, IGNORE_TARGET, buildVocabulary, charRows, describeVocabulary, formatUnknown, gatherCharRows, readItems, unknownCharacters, windowLength,
  type CharRows, type TextItems,
} from "./chars-data.js";
import { buildCharModel, defaultCharArchitecture, describeCharArchitecture, type CharArchitecture, type CharModel, type CharModelName } from "./chars-model.js";
import { CHARS_TASK, charVocabulary, readCharsConfig, type CharsRunConfig } from "./chars-run.js";
import { sampleItems } from "./chars-sampling.js";
import { resolveRunData, dataPathRecord } from "./data-source.js";
import { CliDataError, Interrupted, UsageError } from "./errors.js";
import { acquireRunLock, atomicWrite, checkOutputDir } from "./files.js";
import { buildOptimizer } from "./optimizer.js";
import type { FloatDType, OptimizerName } from "./options.js";
import { Progress, formatDuration, type EpochMetrics, type Output } from "./progress.js";
import { formatTable } from "./report.js";
import { CONFIG_FILE, MODEL_FILE, libraryVersion, type RunChange } from "./run-config.js";
import { nonFiniteGradient } from "./non-finite.js";
import { continueRun } from "./resume-changes.js";
import { splitIndices, permutation } from "./table.js";
import type { ResumeChanges } from "./train.js";
import {
  CURVES_FILE, YIELD_MS, claimNewRunDir, divergedError, openNewRunDir, shuffleSeed, withStopAndLock, yieldToEventLoop, type LockHolder, type StopSignal,
} from "./run-lifecycle.js";

/** What `train --task chars` was given (undefined: the default). */
export interface CharsTrainOptions {
  data?: string;
  model?: CharModelName;
  context?: number;
  embed?: number;
  layers?: number;
  heads?: number;
  hidden?: number;
  optimizer?: OptimizerName;
  lr?: number;
  epochs?: number;
  batchSize?: number;
  valSplit?: number;
  seed?: number;
  dtype?: FloatDType;
  out?: string;
  force?: boolean;
  resume?: string;
  detectAnomaly?: boolean;
}

export const CHARS_DEFAULTS = { data: BUNDLED_WORDS, model: "transformer" as CharModelName, epochs: 10, batchSize: 64, valSplit: 0.1, optimizer: "adamw" as OptimizerName };

/** Adaptive methods take a small step; plain SGD a larger one (the defaults for tables would blow a transformer up). */
export function charsLearningRate(name: OptimizerName): number {
  switch (name) {
    case "sgd": return 0.5;
    case "momentum": return 0.05;
    case "adam": return 0.003;
    case "adamw": return 0.003;
  }
}

/** Items shown at the end of training, as a first look at what the model learned. */
const SAMPLES_IN_REPORT = 8;
/** Rows per forward pass when measuring the loss (no graph is kept). */
const EVAL_ROWS = 256;

/** The architecture from the options and the vocabulary, checked before any data is read. */
export function charArchitecture(opts: CharsTrainOptions, vocabSize: number): CharArchitecture {
  const model = opts.model ?? CHARS_DEFAULTS.model;
  const base = defaultCharArchitecture(model, opts.embed);
  const a: CharArchitecture = {
    ...base, vocabSize,
    context: opts.context ?? base.context, layers: opts.layers ?? base.layers, hidden: opts.hidden ?? base.hidden,
    heads: model === "transformer" ? opts.heads ?? base.heads : 0,
  };
  if (model !== "transformer" && opts.heads !== undefined) throw new UsageError(`--heads ${opts.heads}: attention heads belong to --model transformer, not ${model}; leave --heads out`);
  if (model === "transformer" && a.embed % a.heads !== 0) {
    const fits = [1, 2, 4, 8, 16].filter((h) => a.embed % h === 0 && h <= a.embed).join(", ");
    throw new UsageError(`--heads ${a.heads}: must divide --embed ${a.embed} (each head takes embed/heads features); e.g. --heads ${fits}`);
  }
  return a;
}

interface CharsRun {
  config: CharsRunConfig;
  dir: string;
  vocab: CharVocabulary;
  model: CharModel;
  optimizer: Optimizer<any>;
  position: TrainingPosition;
  train: CharRows;
  val: CharRows;
  text: TextItems;
}

function startRun(opts: CharsTrainOptions, lock: LockHolder, warn: Output): CharsRun {
  const dir = openNewRunDir(opts.out, opts.force, lock, warn);
  charArchitecture(opts, 1); // option mistakes before the data is read
  const data = opts.data ?? CHARS_DEFAULTS.data;
  const text = readItems(data);
  const vocab = buildVocabulary(text.items);
  const architecture = charArchitecture(opts, vocab.size);
  const valSplit = opts.valSplit ?? CHARS_DEFAULTS.valSplit;
  const seed = opts.seed ?? 0;
  const { train, val } = splitItems(text, valSplit, seed);
  claimNewRunDir(dir, opts.force, lock, warn);

  manualSeed(seed);
  const dtype = opts.dtype ?? "float32";
  const model = buildCharModel(architecture, dtype);
  const optimizerName = opts.optimizer ?? CHARS_DEFAULTS.optimizer;
  const lr = opts.lr ?? charsLearningRate(optimizerName);
  const optimizer = buildOptimizer(optimizerName, model.parameters(), lr);
  const config: CharsRunConfig = {
    library: { name: "backpropagation", version: libraryVersion() },
    task: CHARS_TASK,
    status: "running",
    architecture,
    vocabulary: vocab.toJSON(),
    options: {
      data, optimizer: optimizerName, lr, epochs: opts.epochs ?? CHARS_DEFAULTS.epochs, batchSize: opts.batchSize ?? CHARS_DEFAULTS.batchSize,
      valSplit, seed, dtype,
    },
    data: { source: text.source, items: text.items.length, validationItems: val.length, longest: longestItem(text.items), path: dataPath(data, dir) },
    metrics: {},
    history: [],
    changes: [],
  };
  const position: TrainingPosition = {
    epoch: 1, nextBatch: 0, shuffleStateAtEpochStart: new Generator(shuffleSeed(seed)).getState(), defaultGeneratorState: defaultGenerator.getState(),
    running: { lossSum: 0, scoreSum: 0, samples: 0, seconds: 0 }, history: [],
  };
  const length = windowLength(text.items, architecture.context);
  return {
    config, dir, vocab, model, optimizer, position, text,
    train: charRows(pick(text.items, train), vocab, length), val: charRows(pick(text.items, val), vocab, length),
  };
}

function splitItems(text: TextItems, valSplit: number, seed: number): { train: Int32Array; val: Int32Array } {
  try {
    return splitIndices(text.items.length, valSplit, seed);
  } catch {
    throw new CliDataError(`--val-split ${valSplit}: leaves no items to train on (${text.source} has ${text.items.length}); use a smaller --val-split, or 0`);
  }
}

const pick = (items: readonly string[], rows: Int32Array) => Array.from(rows, (r) => items[r]);
const longestItem = (items: readonly string[]) => items.reduce((m, s) => Math.max(m, [...s].length), 0);
const dataPath = (spec: string, dir: string) => (spec === BUNDLED_WORDS && !fs.existsSync(spec) ? null : dataPathRecord(spec, dir));

function resumeRun(dir: string, changes: ResumeChanges, out: Output, lock: LockHolder, warn: Output): CharsRun {
  checkOutputDir(dir, "--resume");
  const checkpoint = loadCheckpoint(dir);
  lock.held = acquireRunLock(dir, warn, { createDir: false });
  const config = readCharsConfig(dir, "--resume");
  const o = config.options;
  const vocab = charVocabulary(config);
  const spec = resolveRunData(config, dir, changes.data);
  const text = readItems(spec);
  const model = buildCharModel(config.architecture, o.dtype);
  refuseUnknownCharacters(text, vocab, model, dir, config);
  model.loadStateDict(checkpoint.model);
  if (changes.data !== undefined) {
    config.data.path = dataPath(changes.data, dir);
    config.data.source = text.source;
    config.data.items = text.items.length;
    config.data.longest = Math.max(config.data.longest, longestItem(text.items));
  }
  const { train, val } = splitItems(text, o.valSplit, o.seed);
  config.data.validationItems = val.length;

  // A new text is recorded with the other changes: the run learned from both.
  const changed: RunChange["changed"] = changes.data !== undefined && changes.data !== o.data ? { data: { from: o.data, to: changes.data } } : {};
  if (changed.data) o.data = changes.data!;
  const { optimizer, position } = continueRun(config, changes, checkpoint, model.parameters(), charsLearningRate, out, changed);
  const length = windowLength(text.items, config.architecture.context);
  return {
    config, dir, vocab, model, optimizer, position, text,
    train: charRows(pick(text.items, train), vocab, length), val: charRows(pick(text.items, val), vocab, length),
  };
}

/**
 * A saved model has one embedding row and one output per token: text with
 * other characters cannot continue its training. Names the module, the
 * sizes, each unknown character with its lines, and what would fit.
 */
function refuseUnknownCharacters(text: TextItems, vocab: CharVocabulary, model: CharModel, dir: string, config: CharsRunConfig): void {
  const unknown = unknownCharacters(text, vocab);
  if (unknown.size === 0) return;
  const a = config.architecture;
  const outputs = model.head.outFeatures;
  throw new CliDataError(
    `--data ${text.source}: ${unknown.size} character${unknown.size === 1 ? " is" : "s are"} not in the vocabulary of the model in ${dir}: ${formatUnknown(unknown)}. ` +
      `The model's token embedding Embedding(${a.vocabSize}, ${a.embed}) has one row per token of its vocabulary (${describeVocabulary(vocab)}), ` +
      `and its output layer predicts one of those ${outputs}; a saved model cannot grow new tokens. ` +
      `Remove those characters from the text, or train a new run on it: backprop train --task chars --data ${text.source} --out NEW_DIR`,
  );
}

/** Loss per character and next-character accuracy over `rows`, without recording a graph. */
function evaluate(run: CharsRun, rows: CharRows): { loss: number; score: number } | null {
  if (rows.rows === 0) return null;
  let lossSum = 0;
  let correct = 0;
  let count = 0;
  noGrad(() => {
    for (let start = 0; start < rows.rows; start += EVAL_ROWS) {
      const picked = Array.from({ length: Math.min(EVAL_ROWS, rows.rows - start) }, (_, i) => start + i);
      const batch = gatherCharRows(rows, picked);
      const logits = run.model.forward(batch.inputs).reshape([-1, run.vocab.size]);
      lossSum += crossEntropy(logits, batch.targets, { reduction: "sum" }).item();
      correct += correctPredictions(logits, batch.targets);
      count += batch.targetCount;
    }
  });
  return { loss: lossSum / count, score: correct / count };
}

/** Positions whose most likely token is the target (padding positions never count). */
function correctPredictions(logits: Tensor, targets: Tensor): number {
  const v = logits.shape[1];
  const scores = logits.data();
  const wanted = targets.data();
  let correct = 0;
  for (let r = 0; r < wanted.length; r++) {
    if (wanted[r] === IGNORE_TARGET) continue;
    let best = 0;
    for (let k = 1; k < v; k++) if (scores[r * v + k] > scores[r * v + best]) best = k;
    if (best === wanted[r]) correct++;
  }
  return correct;
}

function checkpoint(run: CharsRun): void {
  saveCheckpoint(run.dir, { position: run.position, model: run.model.stateDict(), optimizer: run.optimizer.stateDict() });
  writeModelFiles(run);
}

function writeModelFiles(run: CharsRun): void {
  save(run.model.stateDict(), path.join(run.dir, MODEL_FILE));
  writeConfig(run);
}

function writeConfig(run: CharsRun): void {
  atomicWrite(path.join(run.dir, CONFIG_FILE), JSON.stringify(run.config, null, 2) + "\n");
}

export async function charsTrainCommand(opts: CharsTrainOptions, resume: ResumeChanges, out: Output, warn: Output = out): Promise<void> {
  await withStopAndLock((stop, lock) => train(opts, resume, out, warn, stop, lock));
}

async function train(opts: CharsTrainOptions, resume: ResumeChanges, out: Output, warn: Output, stop: StopSignal, lock: LockHolder): Promise<void> {
  const run = opts.resume ? resumeRun(opts.resume, resume, out, lock, warn) : startRun(opts, lock, warn);
  const { config, position } = run;
  const o = config.options;
  const batchesPerEpoch = Math.ceil(run.train.rows / o.batchSize);
  const parameters = run.model.parameters().reduce((n, p) => n + p.size, 0);
  out.write(
    `${opts.resume ? "resuming" : "training"} ${describeCharArchitecture(config.architecture)}, ${parameters} parameters, on ${run.text.source} ` +
      `(${run.text.items.length - config.data.validationItems} train / ${config.data.validationItems} validation items; ${describeVocabulary(run.vocab)}), ` +
      `cross-entropy per character, ${o.optimizer} lr ${o.lr}, batch ${o.batchSize}, ${o.epochs} epochs, seed ${o.seed}` +
      `${opts.resume ? `, from epoch ${position.epoch} batch ${position.nextBatch + 1}` : ""}\nrun directory: ${run.dir}\n`,
  );
  if (!opts.resume) {
    writeConfig(run);
    checkpoint(run);
  }
  const progress = new Progress(out, o.epochs, batchesPerEpoch, "acc");
  let lastYield = performance.now();
  try {
    while (position.epoch <= o.epochs) {
      const shuffle = new Generator(0);
      shuffle.setState(position.shuffleStateAtEpochStart);
      const order = permutation(run.train.rows, shuffle);
      progress.startEpoch();
      const epochStart = performance.now();
      const secondsBefore = position.running.seconds;
      for (let b = position.nextBatch; b < batchesPerEpoch; b++) {
        const picked = order.subarray(b * o.batchSize, Math.min((b + 1) * o.batchSize, order.length));
        const batch = gatherCharRows(run.train, picked);
        // One step in a tidy scope: its activations feed the next step's allocations.
        const { lossValue, correct } = tidy(() => {
          run.optimizer.zeroGrad();
          const result = forwardBackward(run, batch, b + 1, opts.detectAnomaly === true);
          run.optimizer.step();
          return result;
        });
        const r = position.running;
        r.lossSum += lossValue * batch.targetCount;
        r.scoreSum += correct;
        r.samples += batch.targetCount;
        r.seconds = secondsBefore + (performance.now() - epochStart) / 1000;
        position.nextBatch = b + 1;
        progress.batch(position.epoch, b + 1, r.samples, r.lossSum / r.samples, r.scoreSum / r.samples);
        if (performance.now() - lastYield >= YIELD_MS) {
          await yieldToEventLoop();
          lastYield = performance.now();
        }
        if (stop.signal && b + 1 < batchesPerEpoch) throw interrupt(run, stop.signal);
      }
      finishEpoch(run, progress, shuffle);
      checkpoint(run);
      await yieldToEventLoop();
      if (stop.signal && position.epoch <= o.epochs) throw interrupt(run, stop.signal);
    }
  } catch (err) {
    progress.clear();
    throw err;
  }
  config.status = "complete";
  const report = finalReport(run);
  writeModelFiles(run);
  out.write(report);
}

/** Forward, loss, backward of one batch; a NaN or infinite loss or gradient ends the run as "diverged" before the step. */
function forwardBackward(run: CharsRun, batch: ReturnType<typeof gatherCharRows>, batchNumber: number, underAnomalyDetection: boolean): { lossValue: number; correct: number } {
  const pass = () => {
    const logits = run.model.forward(batch.inputs).reshape([-1, run.vocab.size]);
    const loss = crossEntropy(logits, batch.targets);
    const lossValue = loss.item();
    if (!Number.isFinite(lossValue)) throw diverged(run, batchNumber, `the loss became ${lossValue}`, lossValue, underAnomalyDetection);
    loss.backward();
    return { lossValue, correct: correctPredictions(logits, batch.targets) };
  };
  let result: { lossValue: number; correct: number };
  try {
    result = underAnomalyDetection ? detectAnomaly(pass) : pass();
  } catch (err) {
    if (err instanceof AnomalyError) {
      const op = /backward of "([^"]+)"/.exec(err.message)?.[1] ?? "an op";
      throw diverged(run, batchNumber, `the backward of "${op}" produced NaN or Inf (${err.message.split("\n")[0]})`, NaN, true);
    }
    throw err;
  }
  const bad = nonFiniteGradient(run.model.namedParameters());
  if (bad) throw diverged(run, batchNumber, `the gradient of ${bad.name} holds ${bad.value} (the loss was ${result.lossValue})`, result.lossValue, underAnomalyDetection);
  return result;
}

function finishEpoch(run: CharsRun, progress: Progress, shuffle: Generator): void {
  const { position, config } = run;
  const r = position.running;
  const val = evaluate(run, run.val);
  const metrics: EpochMetrics = {
    epoch: position.epoch,
    trainLoss: r.samples > 0 ? r.lossSum / r.samples : NaN,
    trainScore: r.samples > 0 ? r.scoreSum / r.samples : NaN,
    valLoss: val ? val.loss : null,
    valScore: val ? val.score : null,
    samplesPerSecond: r.samples / Math.max(r.seconds, 1e-9),
    seconds: r.seconds,
  };
  position.history.push(metrics);
  config.history = position.history;
  progress.endEpoch(metrics);
  position.epoch++;
  position.nextBatch = 0;
  position.shuffleStateAtEpochStart = shuffle.getState();
  position.defaultGeneratorState = defaultGenerator.getState();
  position.running = { lossSum: 0, scoreSum: 0, samples: 0, seconds: 0 };
  config.metrics = { epochs: metrics.epoch, trainLoss: metrics.trainLoss, trainScore: metrics.trainScore, valLoss: metrics.valLoss, valScore: metrics.valScore };
  if (position.epoch > config.options.epochs) config.status = "complete";
}

/** The run's "diverged" ending (run-lifecycle.ts). */
function diverged(run: CharsRun, batch: number, what: string, lossValue: number, underAnomalyDetection: boolean): CliDataError {
  const diverging = { dir: run.dir, config: run.config, position: run.position, trainRows: run.train.rows, saveConfig: () => writeConfig(run) };
  return divergedError(diverging, batch, what, lossValue, underAnomalyDetection);
}

function interrupt(run: CharsRun, signal: string): Interrupted {
  run.position.defaultGeneratorState = defaultGenerator.getState();
  run.config.status = "interrupted";
  checkpoint(run);
  return new Interrupted(signal, `interrupted (${signal}) at epoch ${run.position.epoch}, after batch ${run.position.nextBatch}: checkpoint saved in ${run.dir}; continue with: backprop train --resume ${run.dir}`);
}

function finalReport(run: CharsRun): string {
  const history = run.position.history;
  const last = history[history.length - 1];
  // The last epoch's figures: its running training mean, and the validation measured after it (no second pass over the text).
  const parts: string[] = ["", "results of the last epoch (loss: cross-entropy per character, the training one a running mean over the epoch; accuracy: the next character predicted exactly)"];
  const pct = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? "-" : `${(v * 100).toFixed(2)}%`);
  const num = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? "-" : v.toFixed(4));
  parts.push(formatTable(["split", "items", "loss", "accuracy"], [
    ["train", String(run.text.items.length - run.config.data.validationItems), num(last?.trainLoss), pct(last?.trainScore)],
    ["validation", String(run.config.data.validationItems), num(last?.valLoss), pct(last?.valScore)],
  ]));
  const seconds = history.reduce((a, m) => a + m.seconds, 0);
  parts.push(`${history.length} epochs in ${formatDuration(seconds)} of training`);
  const withData = (series: Series[]) => series.filter((x) => x.values.some((v) => Number.isFinite(v)));
  const lossSeries = withData([{ name: "train loss", values: history.map((m) => m.trainLoss) }, { name: "validation loss", values: history.map((m) => m.valLoss ?? NaN) }]);
  const scoreSeries = withData([{ name: "train accuracy", values: history.map((m) => m.trainScore) }, { name: "validation accuracy", values: history.map((m) => m.valScore ?? NaN) }]);
  if (history.length > 1) parts.push(terminalChart("loss", lossSeries));
  atomicWrite(path.join(run.dir, CURVES_FILE), curvesSvg(lossSeries, scoreSeries, "accuracy"));
  const samples = noGrad(() => sampleItems(run.model, run.config.architecture, run.vocab, {
    count: SAMPLES_IN_REPORT, temperature: 1, seed: run.config.options.seed, prefix: "", maxLength: Math.max(2 * run.config.data.longest, 1),
  }));
  parts.push(`samples (more with: backprop sample --model ${run.dir}):\n${samples.items.map((s) => `  ${s}`).join("\n")}`);
  parts.push(`saved ${path.join(run.dir, MODEL_FILE)}, ${path.join(run.dir, CONFIG_FILE)}, ${path.join(run.dir, CURVES_FILE)} and ${CHECKPOINT_FILE}\n`);
  return parts.join("\n");
}
