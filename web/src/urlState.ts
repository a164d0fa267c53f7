/**
 * The playground's whole state in the address (the part after "#"), so that
 * a link reproduces the network, the data and the seed: encodeState writes
 * it, decodeState reads it back. Reading never fails: each setting that is
 * missing takes its default, and each one that is unreadable, out of range
 * or inconsistent with the others takes its default too and adds a notice
 * (which the page shows), so a hostile or truncated link still opens a
 * working page.
 */
import { DEFAULT_CONFIG, LIMITS, MAX_HIDDEN_LAYERS, MAX_WIDTH, isRegression, validateConfig, type Activation, type DatasetName, type LossName, type OptimizerName, type PlaygroundConfig, type RegularizationKind } from "./config.js";
import { isFeatureName, type FeatureName } from "./data/features.js";
import type { DrawnPoint } from "./data/drawnPoints.js";
import { decodeDrawnPoints, drawable, encodeDrawnPoints } from "./data/drawnPointsLink.js";
import { DEFAULT_RNN_CONFIG, MAX_HIDDEN, MAX_RNN_LEARNING_RATE, type RnnConfig } from "./recurrent/rnnConfig.js";
import { MAX_STEPS, MIN_STEPS, SEQUENCE_TASKS } from "./recurrent/sequenceTask.js";

/** How the data view draws, beside what the network trains on. */
export interface ViewSettings {
  /** Colour the boundary by the predicted class only (thresholded), not by the score. */
  discretize: boolean;
  showTestData: boolean;
}

export interface PlaygroundState {
  config: PlaygroundConfig;
  view: ViewSettings;
  /** Which network the page shows (the mode selector); links without one open the MLP. */
  mode: PlaygroundMode;
  /** Points drawn on the data view (2-D data only); decodeState always fills it, [] by default. */
  drawn?: readonly DrawnPoint[];
  /** The recurrent mode's settings; decodeState always fills them, DEFAULT_RNN_CONFIG by default. */
  recurrent?: RnnConfig;
}

// ---- Network modes (issue #18): the MLP on 2-D points, the convnet on digits (web/src/convnet/), the recurrent net (web/src/recurrent/)
export const MODES = ["mlp", "convnet", "recurrent"] as const;
export type PlaygroundMode = (typeof MODES)[number];
export const DEFAULT_MODE: PlaygroundMode = "mlp";

export type ProblemType = "classification" | "regression";

export const DEFAULT_VIEW: ViewSettings = { discretize: false, showTestData: true };

export const DEFAULT_STATE: PlaygroundState = { config: DEFAULT_CONFIG, view: DEFAULT_VIEW, mode: DEFAULT_MODE, drawn: [], recurrent: DEFAULT_RNN_CONFIG };

export const DATASETS: readonly DatasetName[] = ["circle", "xor", "gaussians", "spiral", "sine", "reg-plane", "reg-gauss", "digits"];
const ACTIVATIONS: readonly Activation[] = ["sigmoid", "tanh", "relu", "linear"];
const LOSSES: readonly LossName[] = ["mse", "cross-entropy"];
const OPTIMIZERS: readonly OptimizerName[] = ["sgd", "momentum", "adam", "adamw"];
const REGULARIZATIONS: readonly RegularizationKind[] = ["none", "l1", "l2"];

/** Longer addresses are cut here before reading (no real state comes near it). */
export const MAX_STATE_CHARS = 4096;

export function problemOf(dataset: DatasetName): ProblemType {
  return isRegression(dataset) ? "regression" : "classification";
}

/** The dataset a problem type starts from when the link's dataset does not fit it. */
export const PROBLEM_DEFAULT: Record<ProblemType, DatasetName> = { classification: "circle", regression: "reg-plane" };

/** The state as "key=value&..." (without the "#"). Numbers are written so that they read back exactly. */
export function encodeState({ config: c, view, mode, drawn = [], recurrent = DEFAULT_RNN_CONFIG }: PlaygroundState): string {
  const pairs: [string, string][] = [
    ["dataset", c.dataset],
    ["problem", problemOf(c.dataset)],
    ["noise", String(c.noise)],
    ["train", String(c.trainFraction)],
    ["batch", String(c.batchSize)],
    ["lr", String(c.learningRate)],
    ["activation", c.activation],
    ["loss", c.loss],
    ["optimizer", c.optimizer],
    ["reg", c.regularization],
    ["regRate", String(c.regularizationRate)],
    ["features", c.features.join(",")],
    ["hidden", c.hidden.join(",")],
    ["seed", String(c.seed)],
    ["discretize", view.discretize ? "1" : "0"],
    ["showTest", view.showTestData ? "1" : "0"],
  ];
  // Drawn points only when there are some, and the recurrent settings only in the recurrent mode.
  if (drawn.length > 0 && drawable(c.dataset)) pairs.push(["drawn", encodeDrawnPoints(drawn)]);
  pairs.push(["mode", mode]);
  if (mode === "recurrent") {
    const r = recurrent;
    pairs.push(["rnnTask", r.task], ["rnnT", String(r.steps)], ["rnnHidden", String(r.hidden)], ["rnnLr", String(r.learningRate)], ["rnnSeed", String(r.seed)]);
  }
  // Commas stay readable; everything else that needs escaping is escaped.
  return pairs.map(([k, v]) => `${k}=${encodeURIComponent(v).replace(/%2C/g, ",")}`).join("&");
}

const KNOWN_KEYS = new Set(["dataset", "problem", "noise", "train", "batch", "lr", "activation", "loss", "optimizer", "reg", "regRate", "features", "hidden", "seed", "discretize", "showTest", "drawn", "mode", "rnnTask", "rnnT", "rnnHidden", "rnnLr", "rnnSeed"]);

/** A raw value as a notice quotes it: short, and on one line. */
function quote(raw: string): string {
  const flat = raw.replace(/[\u0000-\u001f\u007f]/g, "?");
  return JSON.stringify(flat.length > 24 ? `${flat.slice(0, 24)}…` : flat);
}

function oneOf<T extends string>(options: readonly T[]): (raw: string) => T | undefined {
  return (raw) => (options as readonly string[]).includes(raw) ? (raw as T) : undefined;
}

/** A decimal number (no hex, no blanks, no "Infinity") within [low, high]; `open` excludes both ends, `above` only the low one. */
function number(low: number, high: number, { open = false, above = false, integer = false } = {}): (raw: string) => number | undefined {
  return (raw) => {
    // Written so that no input makes it backtrack (one way to match each character).
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(raw.trim())) return undefined;
    const v = Number(raw);
    if (!Number.isFinite(v) || (integer && !Number.isInteger(v))) return undefined;
    const inside = (open || above ? v > low : v >= low) && (open ? v < high : v <= high);
    return inside ? v : undefined;
  };
}

function flag(raw: string): boolean | undefined {
  if (raw === "1" || raw === "true") return true;
  if (raw === "0" || raw === "false") return false;
  return undefined;
}

function hiddenLayers(raw: string): number[] | undefined {
  const trimmed = raw.trim();
  if (trimmed === "") return [];
  const parts = trimmed.split(/[\s,]+/);
  if (parts.length > MAX_HIDDEN_LAYERS) return undefined;
  const widths = parts.map(number(1, MAX_WIDTH, { integer: true }));
  return widths.every((w) => w !== undefined) ? (widths as number[]) : undefined;
}

function featureList(raw: string): FeatureName[] | undefined {
  const names = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (names.length === 0 || !names.every(isFeatureName)) return undefined;
  return [...new Set(names)] as FeatureName[];
}

export interface DecodedState {
  state: PlaygroundState;
  /** One line per setting that was ignored and why; empty when the link was read in full. */
  notices: string[];
}

/**
 * Reads a state from an address's hash or query ("#a=1&b=2", "?a=1", or
 * "a=1"). Never throws: see the file comment.
 */
export function decodeState(text: string): DecodedState {
  const notices: string[] = [];
  let params: URLSearchParams;
  try {
    let body = String(text);
    if (body.length > MAX_STATE_CHARS) {
      notices.push(`the link's settings are ${body.length} characters long; only the first ${MAX_STATE_CHARS} were read`);
      body = body.slice(0, MAX_STATE_CHARS);
    }
    params = new URLSearchParams(body.replace(/^[#?]/, ""));
  } catch {
    return { state: DEFAULT_STATE, notices: ["the link's settings could not be read; using the defaults"] };
  }

  const unknown = [...new Set([...params.keys()].filter((k) => !KNOWN_KEYS.has(k)))];
  if (unknown.length > 0) {
    const shown = unknown.slice(0, 3).map(quote).join(", ");
    notices.push(`ignored unknown setting${unknown.length > 1 ? "s" : ""} ${shown}${unknown.length > 3 ? ` and ${unknown.length - 3} more` : ""}`);
  }

  /** The setting `key` read by `parse`, or `fallback` (with a notice naming what would fit) when it cannot be read. */
  function read<T>(key: string, parse: (raw: string) => T | undefined, fallback: T, fits: string): T {
    const raw = params.get(key);
    if (raw === null) return fallback;
    const v = parse(raw);
    if (v !== undefined) return v;
    notices.push(`${key}=${quote(raw)} is not ${fits}; using ${quote(show(fallback))}`);
    return fallback;
  }

  const d = DEFAULT_CONFIG;
  const config: PlaygroundConfig = {
    ...d,
    dataset: read("dataset", oneOf(DATASETS), d.dataset, `a dataset (${DATASETS.join(", ")})`),
    noise: read("noise", number(0, 1), d.noise, "a noise level in [0, 1]"),
    trainFraction: read("train", number(0, 1, { open: true }), d.trainFraction, "a training share strictly between 0 and 1"),
    batchSize: read("batch", number(1, LIMITS.maxBatch, { integer: true }), d.batchSize, `a batch size 1..${LIMITS.maxBatch}`),
    learningRate: read("lr", number(0, LIMITS.maxLearningRate, { above: true }), d.learningRate, `a learning rate in (0, ${LIMITS.maxLearningRate}]`),
    activation: read("activation", oneOf(ACTIVATIONS), d.activation, `an activation (${ACTIVATIONS.join(", ")})`),
    loss: read("loss", oneOf(LOSSES), d.loss, `a loss (${LOSSES.join(", ")})`),
    optimizer: read("optimizer", oneOf(OPTIMIZERS), d.optimizer, `an optimizer (${OPTIMIZERS.join(", ")})`),
    regularization: read("reg", oneOf(REGULARIZATIONS), d.regularization, `a regularisation (${REGULARIZATIONS.join(", ")})`),
    regularizationRate: read("regRate", number(0, LIMITS.maxRegularizationRate), d.regularizationRate, `a regularisation rate in [0, ${LIMITS.maxRegularizationRate}]`),
    features: read("features", featureList, d.features, "a comma-separated list of x, y, x2, y2, xy, sinx, siny"),
    hidden: read("hidden", hiddenLayers, d.hidden, `up to ${MAX_HIDDEN_LAYERS} comma-separated widths 1..${MAX_WIDTH}`),
    seed: read("seed", number(0, LIMITS.maxSeed, { integer: true }), d.seed, `a whole-number seed 0..${LIMITS.maxSeed}`),
  };
  const view: ViewSettings = {
    discretize: read("discretize", flag, DEFAULT_VIEW.discretize, "1 or 0"),
    showTestData: read("showTest", flag, DEFAULT_VIEW.showTestData, "1 or 0"),
  };

  const mode = read("mode", oneOf(MODES), DEFAULT_MODE, `a network mode (${MODES.join(", ")})`);
  const r = DEFAULT_RNN_CONFIG;
  const recurrent: RnnConfig = {
    task: read("rnnTask", oneOf(SEQUENCE_TASKS), r.task, `a sequence task (${SEQUENCE_TASKS.join(", ")})`),
    steps: read("rnnT", number(MIN_STEPS, MAX_STEPS, { integer: true }), r.steps, `a sequence length ${MIN_STEPS}..${MAX_STEPS}`),
    hidden: read("rnnHidden", number(1, MAX_HIDDEN, { integer: true }), r.hidden, `a number of hidden units 1..${MAX_HIDDEN}`),
    learningRate: read("rnnLr", number(0, MAX_RNN_LEARNING_RATE, { above: true }), r.learningRate, `a learning rate in (0, ${MAX_RNN_LEARNING_RATE}]`),
    seed: read("rnnSeed", number(0, LIMITS.maxSeed, { integer: true }), r.seed, `a whole-number seed 0..${LIMITS.maxSeed}`),
  };

  // Settings that must agree with each other.
  const problem = read("problem", oneOf<ProblemType>(["classification", "regression"]), problemOf(config.dataset), "classification or regression");
  if (problemOf(config.dataset) !== problem) {
    notices.push(`dataset ${quote(config.dataset)} is not a ${problem} problem; using ${quote(PROBLEM_DEFAULT[problem])}`);
    config.dataset = PROBLEM_DEFAULT[problem];
  }
  if (isRegression(config.dataset) && config.loss !== "mse") {
    notices.push(`${config.dataset} is a regression, which trains with squared error; using loss "mse"`);
    config.loss = "mse";
  }
  const problems = validateConfig(config);
  if (problems.length > 0) {
    // Every field was checked above, so this is a safety net for rules added to validateConfig later.
    notices.push(`the link's settings do not fit together (${problems.join("; ")}); using the defaults`);
    return { state: { ...DEFAULT_STATE, mode, recurrent }, notices };
  }
  return { state: { config, view, mode, drawn: readDrawn(params.get("drawn"), config.dataset, notices), recurrent }, notices };
}

function show(v: unknown): string {
  if (Array.isArray(v)) return v.join(",");
  if (typeof v === "boolean") return v ? "1" : "0";
  return String(v);
}

/** The drawn points of the link (none for data that is not 2-D); what cannot be used adds a notice. */
function readDrawn(raw: string | null, dataset: DatasetName, notices: string[]): DrawnPoint[] {
  if (raw === null || raw === "") return [];
  if (!drawable(dataset)) {
    notices.push(`drawn points apply to 2-D data only, not ${quote(dataset)}; ignored them`);
    return [];
  }
  const { points, problems } = decodeDrawnPoints(raw);
  notices.push(...problems);
  return points;
}
