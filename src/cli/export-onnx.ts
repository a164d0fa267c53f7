/**
 * ONNX export of a trained run (for `backprop export --format onnx`): the
 * run's network with its feature standardisation in front and, for
 * regression, the target's un-standardisation behind, so the exported model
 * takes the encoded feature columns (config.data.featureNames, in order) as
 * they are and returns what `backprop predict` computes before formatting:
 * class scores (logits, or sigmoid outputs) or regression values.
 */
import { Module } from "../nn/module.js";
import type { Sequential } from "../nn/index.js";
import { saveModel } from "../onnx/index.js";
import { fromStorage, zeros } from "../tensor/creation.js";
import type { Tensor } from "../tensor/tensor.js";
import { loadSavedModel } from "./saved-model.js";
import type { FloatDType } from "./options.js";
import type { RunConfig } from "./run-config.js";

/** The run's network between its input and output scalings. */
class RunNetwork extends Module {
  constructor(
    readonly net: Sequential,
    private readonly shift: Tensor | null,
    private readonly scale: Tensor | null,
    private readonly target: { mean: number; std: number } | null,
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    const scaled = this.shift && this.scale ? x.sub(this.shift).div(this.scale) : x;
    const y = this.net.forward(scaled) as Tensor;
    return this.target ? y.mul(this.target.std).add(this.target.mean) : y;
  }
}

/** Per-column statistics in the shape of one sample (rows, or [C, H, W] images). */
function vector(values: readonly number[], dtype: FloatDType, shape: readonly number[]): Tensor {
  const data = dtype === "float64" ? Float64Array.from(values) : Float32Array.from(values);
  return fromStorage(data, [...shape], dtype);
}

/** The shape of one sample as the network takes it. */
function sampleShape(config: RunConfig): number[] {
  return [...(config.architecture.inputShape ?? [config.architecture.inputs])];
}

/** The run's network as one module taking raw encoded features (see the file comment). */
export function runNetwork(config: RunConfig, net: Sequential): Module {
  const dtype = config.options.dtype;
  const s = config.data.featureScaling;
  const target = config.options.task === "regress" ? config.data.targetScaling : null;
  const shape = sampleShape(config);
  return new RunNetwork(net, s ? vector(s.mean, dtype, shape) : null, s ? vector(s.std, dtype, shape) : null, target);
}

export interface OnnxExportSummary {
  file: string;
  bytes: number;
  /** The graph's input "features" has this many columns (batch size free). */
  inputs: number;
  /** The graph's output "output" has this many columns. */
  outputs: number;
  featureNames: string[];
}

/** Writes the run in `runDir` (its config.json and model.safetensors) to `outFile` as ONNX; `flag` names the option in errors. */
export function exportRunToOnnx(runDir: string, outFile: string, flag = "--model"): OnnxExportSummary {
  const { config, net } = loadSavedModel(runDir, flag);
  const inputs = config.architecture.inputs;
  const example = zeros([2, ...sampleShape(config)], { dtype: config.options.dtype });
  const bytes = saveModel(runNetwork(config, net), example, outFile, { inputNames: ["features"], outputNames: ["output"] });
  return { file: outFile, bytes, inputs, outputs: config.architecture.outputs, featureNames: [...config.data.featureNames] };
}
