/**
 * Messages between the page and the training worker. The page owns the data
 * (it draws it) and sends a copy; the worker owns the network and answers
 * with frames: losses, parameter values and gradients, and the decision
 * boundary, as plain typed arrays.
 */
import type { PlaygroundConfig } from "./config.js";
import type { Split } from "./data/dataset.js";
import type { GraphNode } from "./model/graph.js";
import type { ImportedModel, ImportFile } from "./model/import.js";
import type { ChainRule, ParamRef } from "./viewmodel/chainRule.js";
import type { DeeperChain } from "./viewmodel/chainDeeper.js";
import type { ControlMessage, FrameHeader, WorkerError } from "./worker/controlProtocol.js";

export type { WorkerError } from "./worker/controlProtocol.js";

/** What a reset message carries besides its generation. */
export interface MlpReset {
  config: PlaygroundConfig;
  split: Split;
}

export type ToWorker = ControlMessage<MlpReset> | MlpQuestion;

/** The MLP worker's own messages (the control messages are every mode's). */
export type MlpQuestion =
  | { type: "explain"; param: ParamRef; example: number }
  | { type: "graph" }
  | { type: "export" }
  /** Check a run's config.json and model.safetensors (answered by an ImportResult; the network is not touched). */
  | { type: "import"; files: ImportFile[] }
  | { type: "backend"; name: string }
  | ParityToWorker
  /** Overwrite every weight and bias with an imported model's (per layer: weight [out, in] row-major, bias [out]). */
  | { type: "load-weights"; weights: Float32Array[]; biases: Float32Array[] };

// ---- TensorFlow Playground parity (issue #18): editing a weight, training on drawn points
export type ParityToWorker =
  /** Overwrite one weight or bias (the weight editor). */
  | { type: "set-param"; param: ParamRef; value: number }
  /** Train on this data from now on, keeping the network (points drawn on the data view). */
  | { type: "set-data"; split: Split };

export interface HistoryPoint {
  step: number;
  trainLoss: number;
  testLoss: number;
}

export interface Frame extends FrameHeader {
  epochs: number;
  trainLoss: number;
  testLoss: number;
  trainAccuracy: number | null;
  testAccuracy: number | null;
  /** History points added since the previous frame. */
  history: HistoryPoint[];
  sizes: number[];
  weights: Float32Array[];
  biases: Float32Array[];
  weightGrads: Float32Array[];
  biasGrads: Float32Array[];
  /** Class-1 scores on the boundary grid (2-D tasks), or the fitted curve (1-D regression). */
  boundary: Float32Array | null;
  curve: Float32Array | null;
  /** Predicted classes of the first test examples (digits), for the image sheet. */
  testPredicted: Float32Array | null;
  // ---- TensorFlow Playground parity (issue #18)
  /** The weight penalty λ·R(w) included in the training objective (0 without regularisation). */
  penalty: number;
  /** Each neuron's output over a NEURON_MAP_RES² grid, per layer (inputs first), as [units, res²]; 2-D data only. */
  neuronMaps: Float32Array[] | null;
  /** Rows in the training set the worker trains on (grows with drawn points). */
  trainSize: number;
}

export interface ExplainResult {
  type: "explain";
  chain: ChainRule;
  /** ∂L/∂param on the same example from loss.backward() in the library. */
  backward: number;
  example: number;
  x: number[];
  label: number;
  param: ParamRef;
  equation: string;
  /** Optimizer steps taken when the weights were read. */
  steps: number;
  /** The chain rule, deeper: finite differences, the sum over paths, the backward pass layer by layer. */
  deeper: DeeperChain;
}

export interface GraphResult {
  type: "graph";
  nodes: GraphNode[];
}

export interface ExportResult {
  type: "export";
  safetensors: Uint8Array;
  config: Record<string, unknown>;
}

/** The checked run (its settings and weights), or why it was refused (a message naming the file and what would fit). */
export type ImportResult = { type: "import"; model: ImportedModel } | { type: "import"; error: string };

/** The kernel backend now in use, after a "backend" request (or at start). */
export interface BackendResult {
  type: "backend";
  name: string;
  available: string[];
}

export type FromWorker = Frame | ExplainResult | GraphResult | ExportResult | ImportResult | BackendResult | WorkerError;

/** Resolution of the decision-boundary grid sent with each frame. */
export const BOUNDARY_RES = 40;
/** Points of the regression curve sent with each frame. */
export const CURVE_POINTS = 120;
/** Resolution of the small output maps drawn inside each neuron. */
export const NEURON_MAP_RES = 16;
