/**
 * config.json of a character-model run (`train --task chars`): the same run
 * directory as a table run (status, history, changes, checkpoint, lock),
 * with `"task": "chars"`, the architecture of the character model and its
 * vocabulary in place of the table's columns and classes.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CharVocabulary, type CharVocabularyJSON } from "../data/chars.js";
import { loadWithMetadata } from "../io/index.js";
import { CliDataError } from "./errors.js";
import { CHAR_MODELS, buildCharModel, charParameterCount, type CharArchitecture, type CharModel } from "./chars-model.js";
import { END_TOKEN } from "./chars-data.js";
import { CONFIG_FILE, MODEL_FILE, type RunChange, type RunConfig, type RunStatus } from "./run-config.js";
import { readJsonFile } from "./files.js";
import type { EpochMetrics } from "./progress.js";

export const CHARS_TASK = "chars";

export interface CharsRunConfig {
  library: { name: string; version: string };
  task: typeof CHARS_TASK;
  status: RunStatus;
  divergence?: RunConfig["divergence"];
  changes?: RunChange[];
  architecture: CharArchitecture;
  /** The tokens in id order: id 0 is the end-of-item token (a newline), then the characters by code point. */
  vocabulary: CharVocabularyJSON;
  /** What training ran with: the table runs' fields that apply to text. */
  options: Pick<RunConfig["options"], "data" | "optimizer" | "lr" | "epochs" | "batchSize" | "valSplit" | "seed" | "dtype">;
  data: {
    source: string;
    /** Items (non-blank lines) in the text, and how many of them are held out for validation. */
    items: number;
    validationItems: number;
    /** The longest item, in characters: `sample` stops at twice this by default. */
    longest: number;
    path?: { absolute: string; fromRunDir: string } | null;
  };
  metrics: Record<string, number | null>;
  history: EpochMetrics[];
}

/** True when the directory holds a run of `train --task chars` (a quick look; readCharsConfig checks it). */
export function isCharsRun(dir: string): boolean {
  try {
    const raw = JSON.parse(fs.readFileSync(path.join(dir, CONFIG_FILE), "utf8"));
    return raw !== null && typeof raw === "object" && raw.task === CHARS_TASK;
  } catch {
    return false;
  }
}

const isCount = (v: unknown, min: number) => Number.isSafeInteger(v) && (v as number) >= min;

/** Reads and checks a character run's config.json, naming the first thing that is damaged. */
export function readCharsConfig(dir: string, flag: string): CharsRunConfig {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new CliDataError(`${flag} ${dir}: no such directory`);
  const file = path.join(dir, CONFIG_FILE);
  if (!fs.existsSync(file)) throw new CliDataError(`${flag} ${dir}: no ${CONFIG_FILE} there; give a run directory written by \`backprop train --task chars\``);
  const raw = readJsonFile(file, "config") as CharsRunConfig;
  if (raw?.task !== CHARS_TASK) {
    throw new CliDataError(`${flag} ${dir}: not a character model (its ${CONFIG_FILE} has no "task": "chars"); sample generates from runs of \`backprop train --task chars\`; use predict for this one`);
  }
  const problem = charsConfigProblem(raw);
  if (problem) throw new CliDataError(`${file}: not a character-model configuration (${problem}); the file is damaged`);
  return raw;
}

function charsConfigProblem(c: CharsRunConfig): string | null {
  const a = c.architecture as Partial<CharArchitecture> | undefined;
  if (!a || typeof a !== "object") return "architecture missing";
  if (!(CHAR_MODELS as readonly string[]).includes(a.model as string)) return `architecture.model must be one of ${CHAR_MODELS.join(", ")}`;
  for (const k of ["vocabSize", "context", "embed", "layers", "hidden"] as const) if (!isCount(a[k], 1)) return `architecture.${k} must be a whole number of at least 1`;
  if (a.model === "transformer" && !(isCount(a.heads, 1) && a.embed! % a.heads! === 0)) return "architecture.heads must divide architecture.embed";
  try {
    const vocab = CharVocabulary.fromJSON(c.vocabulary);
    if (vocab.boundary !== END_TOKEN) return "vocabulary.boundary must be a newline";
    if (vocab.size !== a.vocabSize) return `vocabulary has ${vocab.size} tokens, architecture.vocabSize says ${a.vocabSize}`;
  } catch (err) {
    return `vocabulary: ${(err as Error).message}`;
  }
  const o = c.options;
  if (!o || typeof o !== "object") return "options missing";
  if (!["sgd", "momentum", "adam", "adamw"].includes(o.optimizer)) return "options.optimizer must be sgd, momentum, adam or adamw";
  if (o.dtype !== "float32" && o.dtype !== "float64") return `options.dtype must be "float32" or "float64"`;
  if (typeof o.lr !== "number" || !(o.lr > 0) || !Number.isFinite(o.lr)) return "options.lr must be a positive number";
  if (!isCount(o.epochs, 1) || !isCount(o.batchSize, 1)) return "options.epochs and options.batchSize must be whole numbers of at least 1";
  if (typeof o.valSplit !== "number" || !(o.valSplit >= 0 && o.valSplit < 1)) return "options.valSplit must be at least 0 and below 1";
  if (!isCount(o.seed, 0)) return "options.seed must be a whole number";
  if (typeof o.data !== "string") return "options.data must be a string";
  if (!c.data || typeof c.data !== "object" || !isCount(c.data.longest, 0)) return "data.longest must be a whole number";
  if (!Array.isArray(c.history)) return "history must be a list";
  return null;
}

export function charVocabulary(config: CharsRunConfig): CharVocabulary {
  return CharVocabulary.fromJSON(config.vocabulary);
}

/** The trained model of a character run: config.json's architecture with model.safetensors' weights. */
export function loadCharModel(dir: string, flag: string): { config: CharsRunConfig; model: CharModel } {
  const config = readCharsConfig(dir, flag);
  const file = path.join(dir, MODEL_FILE);
  if (!fs.existsSync(file)) throw new CliDataError(`${flag} ${dir}: no ${MODEL_FILE} there; the run saved no model yet`);
  const { tensors } = loadWithMetadata(file);
  const stored = Object.values(tensors).reduce((n, t) => n + t.shape.reduce((x, y) => x * y, 1), 0);
  const needed = charParameterCount(config.architecture);
  if (needed > 4 * stored + 1_000_000) throw new CliDataError(`${file}: holds ${stored} parameter values, but the architecture in config.json needs ${needed}; the two files do not belong together`);
  const model = buildCharModel(config.architecture, config.options.dtype);
  try {
    model.loadStateDict(tensors);
  } catch (err) {
    throw new CliDataError(`${file}: does not fit the architecture in config.json (${(err as Error).message.replace(/\s*\n\s*/g, "; ")})`);
  }
  return { config, model };
}
