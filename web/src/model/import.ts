/**
 * Import of a run's two files, config.json and model.safetensors (what the
 * playground's export, `backprop train` and the PyTorch hand-off's train.py
 * write), as the playground's settings plus the weights to load into its
 * network. Plain code without the page, so the tests drive it in Node.
 * Every refusal is an ImportError naming the file and what would fit.
 */
import * as bp from "backpropagation";
import { DEFAULT_CONFIG, MAX_HIDDEN_LAYERS, MAX_WIDTH, isRegression, validateConfig, type Activation, type DatasetName, type LossName, type OptimizerName, type PlaygroundConfig } from "../config.js";
import { isFeatureName, type FeatureName } from "../data/features.js";
import { DIGIT_PIXELS } from "../data/digits.js";
import { DATASETS } from "../urlState.js";
import { outputActivation } from "./head.js";

export interface ImportFile {
  name: string;
  bytes: Uint8Array;
}

export interface ImportedModel {
  config: PlaygroundConfig;
  /** Per layer, the weight [out, in] row-major and the bias [out], in the playground's input scale. */
  weights: Float32Array[];
  biases: Float32Array[];
  parameters: number;
  /** The safetensors file's name (for the status line). */
  source: string;
  /** Other files chosen with the pair (the rest of a run directory), not read. */
  ignored: string[];
}

export class ImportError extends Error {
  override name = "ImportError";
}

const ACTIVATIONS: readonly Activation[] = ["sigmoid", "tanh", "relu", "linear"];
const LOSSES: readonly LossName[] = ["mse", "cross-entropy"];
const OPTIMIZERS: readonly OptimizerName[] = ["sgd", "momentum", "adam", "adamw"];
/** The page's sliders: imported values are put on their steps, so the form shows exactly what trains. */
const TRAIN_FRACTION = { min: 0.1, max: 0.9, step: 0.1 };
const NOISE_STEP = 0.05;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 1;

/**
 * Reads the pair (in any order); throws an ImportError that says what is
 * wrong and what would fit. Chosen with the rest of a run directory (the
 * optimizer's state, the checkpoint, curves.svg), the two files are the ones
 * named config.json and model.safetensors, and the others are passed over.
 */
export function readImport(files: readonly ImportFile[]): ImportedModel {
  const configFile = pick(files, ".json", "config.json");
  const modelFile = pick(files, ".safetensors", "model.safetensors");
  if (!configFile || !modelFile) {
    const missing = !configFile ? "config.json" : "model.safetensors";
    const got = files.length === 0 ? "no file" : files.map((f) => f.name).join(", ");
    throw new ImportError(`import: ${missing} is missing (got ${got}); choose both files of a run, config.json and model.safetensors, together`);
  }
  const run = parseRunConfig(configFile);
  const { config, inputScale } = playgroundSettings(run, configFile.name);
  const sizes = [run.architecture.inputs, ...run.architecture.hidden, run.architecture.outputs];
  const { weights, biases } = readWeights(modelFile, sizes);
  if (inputScale) foldInputScale(weights[0], biases[0], sizes[0], inputScale);
  const parameters = weights.reduce((n, w, k) => n + w.length + biases[k].length, 0);
  const ignored = files.filter((f) => f !== configFile && f !== modelFile).map((f) => f.name);
  return { config, weights, biases, parameters, source: modelFile.name, ignored };
}

/** The one file with this ending, or among several the one with the usual name. */
function pick(files: readonly ImportFile[], ext: string, usual: string): ImportFile | undefined {
  const found = files.filter((f) => f.name.toLowerCase().endsWith(ext));
  if (found.length <= 1) return found[0];
  const named = found.filter((f) => f.name === usual);
  if (named.length === 1) return named[0];
  throw new ImportError(`import: ${found.map((f) => f.name).join(", ")} are all ${ext} files and not one of them is named ${usual}; choose one run's config.json and model.safetensors`);
}

interface RunConfig {
  architecture: { inputs: number; hidden: number[]; outputs: number; activation: string; outputActivation: string; layers?: unknown };
  options: Json;
  data: Json;
}

/** The JSON, checked to be a run configuration in the layout of `backprop train` (src/cli/run-config.ts). */
function parseRunConfig(file: ImportFile): RunConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(file.bytes));
  } catch (err) {
    throw new ImportError(`${file.name}: not JSON (${err instanceof Error ? err.message : String(err)}); choose the config.json that export or \`backprop train\` wrote`);
  }
  const problem = !isObject(raw) ? "not a JSON object"
    : !isObject(raw.architecture) ? "architecture missing"
      : !isObject(raw.options) ? "options missing"
        : !isObject(raw.data) ? "data missing"
          : typeof raw.options.data !== "string" ? "options.data must name the data"
            : null;
  if (problem) throw new ImportError(`${file.name}: not a backprop run configuration (${problem}); choose the config.json that export or \`backprop train\` wrote`);
  return raw as unknown as RunConfig;
}

/** The playground's settings for the run, and the pixel scaling to fold into the first layer (CLI digits). */
function playgroundSettings(run: RunConfig, file: string): { config: PlaygroundConfig; inputScale: InputScale | null } {
  const { architecture: arch, options: o, data: d } = run;
  const source = o.data as string;
  const dataset = datasetOf(source);
  if (!dataset) {
    throw new ImportError(`${file}: trained on ${source}; the playground can show only its own datasets (${DATASETS.filter((d) => d !== "digits").join(", ")}) and the bundled digits`);
  }
  if (arch.layers !== undefined && arch.layers !== null) {
    throw new ImportError(`${file}: the network has layers other than Linear ones (architecture.layers); the playground draws plain MLPs (Linear layers and one activation)`);
  }
  if (!isCount(arch.inputs) || !isCount(arch.outputs) || !Array.isArray(arch.hidden) || !arch.hidden.every(isCount)) {
    throw new ImportError(`${file}: architecture.inputs, .outputs and .hidden must be whole numbers of at least 1`);
  }
  if (arch.hidden.length > MAX_HIDDEN_LAYERS || arch.hidden.some((w) => w > MAX_WIDTH)) {
    throw new ImportError(
      `${file}: hidden layers [${arch.hidden.join(", ")}] are more than the playground can draw (at most ${MAX_HIDDEN_LAYERS} hidden layers of at most ${MAX_WIDTH} neurons)`,
    );
  }
  const activation = arch.activation as Activation;
  if (!ACTIVATIONS.includes(activation)) {
    throw new ImportError(`${file}: activation ${JSON.stringify(arch.activation)} is not one the playground has (${ACTIVATIONS.join(", ")})`);
  }
  const loss = o.loss as LossName;
  if (!LOSSES.includes(loss)) throw new ImportError(`${file}: options.loss ${JSON.stringify(o.loss)} is not one of ${LOSSES.join(", ")}`);
  const optimizer = o.optimizer as OptimizerName;
  if (!OPTIMIZERS.includes(optimizer)) throw new ImportError(`${file}: options.optimizer ${JSON.stringify(o.optimizer)} is not one of ${OPTIMIZERS.join(", ")}`);

  const task = dataset === "digits" ? "multiclass" : isRegression(dataset) ? "regression" : "binary";
  const outputs = task === "multiclass" ? 10 : task === "regression" ? 1 : 2;
  if (arch.outputs !== outputs) throw new ImportError(`${file}: ${arch.outputs} outputs, but ${dataset} needs ${outputs}`);
  const head = outputActivation({ task }, loss);
  if (arch.outputActivation !== head) {
    throw new ImportError(`${file}: outputActivation ${JSON.stringify(arch.outputActivation)} does not fit ${dataset} with loss ${loss} (the playground uses "${head}")`);
  }
  // The playground's own export writes the identity scaling (mean 0, std 1), which predict needs for a regression.
  const scaling = d.targetScaling as { mean?: unknown; std?: unknown } | null | undefined;
  const unscaled = scaling === null || scaling === undefined || (scaling.mean === 0 && scaling.std === 1);
  if (!unscaled) {
    throw new ImportError(`${file}: the targets were trained standardised (data.targetScaling); the playground trains on its own targets unscaled`);
  }

  const features = dataset === "digits" || dataset === "sine" ? DEFAULT_CONFIG.features : planeFeatures(d.featureNames, file);
  const inputs = dataset === "digits" ? DIGIT_PIXELS : dataset === "sine" ? 1 : features.length;
  if (arch.inputs !== inputs) {
    throw new ImportError(`${file}: ${arch.inputs} inputs, but ${dataset} with features [${features.join(", ")}] gives ${inputs}`);
  }
  const inputScale = scalingOf(d.featureScaling, dataset, source, inputs, file);

  const valSplit = typeof o.valSplit === "number" ? o.valSplit : 1 - DEFAULT_CONFIG.trainFraction;
  const trainFraction = clampToStep(1 - valSplit, TRAIN_FRACTION.min, TRAIN_FRACTION.max, TRAIN_FRACTION.step);
  const config: PlaygroundConfig = {
    ...DEFAULT_CONFIG,
    dataset,
    hidden: [...arch.hidden],
    activation,
    loss,
    optimizer,
    learningRate: o.lr as number,
    batchSize: o.batchSize as number,
    seed: o.seed as number,
    trainFraction,
    noise: noiseOf(d.source),
    features,
  };
  const problems = validateConfig(config);
  if (problems.length > 0) throw new ImportError(`${file}: the settings do not fit the playground (${problems.join("; ")})`);
  return { config, inputScale };
}

/** "playground:circle" (the playground's export) or "digits" (`backprop train --data digits`). */
function datasetOf(source: string): DatasetName | null {
  if (source === "digits") return "digits";
  const name = source.startsWith("playground:") ? source.slice("playground:".length) : null;
  return name !== null && (DATASETS as readonly string[]).includes(name) ? (name as DatasetName) : null;
}

/** Input names of a 2-D dataset: x1, x2 (the plain point) or the engineered features' own names. */
function planeFeatures(names: unknown, file: string): FeatureName[] {
  if (!Array.isArray(names) || !names.every((n) => typeof n === "string")) {
    throw new ImportError(`${file}: data.featureNames must be a list of names`);
  }
  if (names.join(",") === "x1,x2") return ["x", "y"];
  const bad = names.filter((n) => !isFeatureName(n));
  if (bad.length > 0 || names.length === 0 || new Set(names).size !== names.length) {
    throw new ImportError(`${file}: data.featureNames [${names.join(", ")}] are not the playground's features (x1, x2, or distinct names among x, y, x2, y2, xy, sinx, siny)`);
  }
  return names as FeatureName[];
}

/** x' = (x − mean) / std per input, applied by `backprop train` before the network. */
interface InputScale {
  mean: number[];
  std: number[];
  /** The raw value is this many times the playground's input (digits: pixel counts 0..16 against 0..1). */
  raw: number;
}

function scalingOf(scaling: unknown, dataset: DatasetName, source: string, inputs: number, file: string): InputScale | null {
  const cliDigits = source === "digits";
  if (scaling === null || scaling === undefined) return cliDigits ? { mean: new Array(inputs).fill(0), std: new Array(inputs).fill(1), raw: 16 } : null;
  const ok = isObject(scaling) && [scaling.mean, scaling.std].every((a) => Array.isArray(a) && a.length === inputs && a.every((v) => typeof v === "number" && Number.isFinite(v)))
    && (scaling.std as number[]).every((s) => s !== 0);
  if (!ok) throw new ImportError(`${file}: data.featureScaling must hold mean and std lists of ${inputs} numbers (std not 0)`);
  if (!cliDigits) throw new ImportError(`${file}: the inputs of ${dataset} were trained standardised (data.featureScaling); the playground feeds its points unscaled`);
  return { mean: scaling.mean as number[], std: scaling.std as number[], raw: 16 };
}

/**
 * The playground feeds p = raw / 16 and no standardisation; the run's first
 * layer saw (raw − mean) / std. W·((16p − mean)/std) + b = W'·p + b' with
 * W'[:, j] = W[:, j]·16/std_j and b' = b − Σ_j W[:, j]·mean_j/std_j.
 */
function foldInputScale(weight: Float32Array, bias: Float32Array, inputs: number, s: InputScale): void {
  for (let r = 0; r < bias.length; r++) {
    let shift = 0;
    for (let j = 0; j < inputs; j++) {
      const w = weight[r * inputs + j];
      shift += (w * s.mean[j]) / s.std[j];
      weight[r * inputs + j] = (w * s.raw) / s.std[j];
    }
    bias[r] -= shift;
  }
}

function clampToStep(v: number, min: number, max: number, step: number): number {
  const snapped = Math.round(Math.min(max, Math.max(min, v)) / step) * step;
  return Number(snapped.toFixed(6));
}

/** The noise level the playground's export records in data.source ("playground circle, 400 points, noise 0.1"). */
function noiseOf(source: unknown): number {
  const m = typeof source === "string" ? /noise (\d+(?:\.\d+)?)/.exec(source) : null;
  return m ? clampToStep(Number(m[1]), 0, 1, NOISE_STEP) : DEFAULT_CONFIG.noise;
}

/**
 * The state dict's tensors for an MLP of `sizes` under nn.Sequential's names
 * ("0.weight", "0.bias", "2.weight", ...), as float32. Every missing,
 * misshapen or extra tensor is listed with the shape expected and found.
 */
function readWeights(file: ImportFile, sizes: readonly number[]): { weights: Float32Array[]; biases: Float32Array[] } {
  let stateDict: Record<string, bp.Tensor>;
  try {
    stateDict = bp.deserialize(file.bytes, file.name);
  } catch (err) {
    throw new ImportError(err instanceof Error ? err.message : String(err));
  }
  const expected = new Map<string, number[]>();
  for (let k = 1; k < sizes.length; k++) {
    const name = String(2 * (k - 1));
    expected.set(`${name}.weight`, [sizes[k], sizes[k - 1]]);
    expected.set(`${name}.bias`, [sizes[k]]);
  }
  const show = (shape: readonly number[] | undefined) => (shape ? `[${shape.join(", ")}]` : "none");
  const wrong: string[] = [];
  for (const [name, shape] of expected) {
    const found = stateDict[name]?.shape;
    if (!found || found.join(",") !== shape.join(",")) wrong.push(`${name} expected ${show(shape)}, found ${show(found)}`);
  }
  for (const name of Object.keys(stateDict)) if (!expected.has(name)) wrong.push(`${name} expected none, found ${show(stateDict[name].shape)}`);
  if (wrong.length > 0) {
    throw new ImportError(`${file.name}: the tensors do not fit the network of config.json (sizes [${sizes.join(", ")}]): ${wrong.join("; ")}`);
  }
  const floats = (name: string) => Float32Array.from(stateDict[name].data() as ArrayLike<number>);
  const weights: Float32Array[] = [];
  const biases: Float32Array[] = [];
  for (let k = 0; k < sizes.length - 1; k++) {
    weights.push(floats(`${2 * k}.weight`));
    biases.push(floats(`${2 * k}.bias`));
  }
  const broken = [...weights, ...biases].findIndex((t) => t.some((v) => !Number.isFinite(v)));
  if (broken >= 0) {
    const k = broken % weights.length;
    throw new ImportError(`${file.name}: ${2 * k}.${broken < weights.length ? "weight" : "bias"} holds NaN or infinite values; import a model saved before training diverged`);
  }
  return { weights, biases };
}
