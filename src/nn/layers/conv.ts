/**
 * Conv1d, Conv2d and ConvTranspose2d, with PyTorch's parameter names,
 * shapes, defaults and initialisation (torch 1.13): weight
 * [out, in/groups, ...kernel] ([in, out/groups, ...kernel] when transposed)
 * from kaiming_uniform(a=√5), bias U(±1/√fanIn).
 */
import type { DType } from "../../backend/backend.js";
import { ShapeError, ValueError } from "../../errors.js";
import { conv1d, conv2d, convTranspose2d, spatial, type SpatialArg } from "../../ops/conv.js";
import { tensor, zeros } from "../../tensor/creation.js";
import type { Generator } from "../../tensor/random.js";
import { formatShape } from "../../tensor/shape.js";
import type { Tensor } from "../../tensor/tensor.js";
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from "../init.js";
import { Module } from "../module.js";
import { Parameter } from "../parameter.js";

/** How the input is padded: with zeros (in the convolution itself) or from its own values, as torch.nn.functional.pad does. */
export type PaddingMode = "zeros" | "reflect" | "replicate" | "circular";

export interface ConvLayerOptions {
  stride?: SpatialArg;
  padding?: SpatialArg | "same" | "valid";
  dilation?: SpatialArg;
  groups?: number;
  bias?: boolean;
  paddingMode?: PaddingMode;
  dtype?: DType;
  /** Source of the initial weights (default: the global generator seeded by bp.manualSeed). */
  generator?: Generator;
}

export interface ConvTransposeLayerOptions {
  stride?: SpatialArg;
  padding?: SpatialArg;
  outputPadding?: SpatialArg;
  groups?: number;
  bias?: boolean;
  dilation?: SpatialArg;
  /** Only "zeros", as in PyTorch. */
  paddingMode?: "zeros";
  dtype?: DType;
  generator?: Generator;
}

const PADDING_MODES: readonly string[] = ["zeros", "reflect", "replicate", "circular"];

function checkChannels(layer: string, inChannels: number, outChannels: number, groups: number): void {
  for (const [name, v] of [["inChannels", inChannels], ["outChannels", outChannels]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new ValueError(`${layer}: ${name} must be a positive integer, got ${v}`);
  }
  if (!Number.isInteger(groups) || groups < 1) throw new ValueError(`${layer}: groups must be a positive integer, got ${groups}`);
  for (const [name, v] of [["inChannels", inChannels], ["outChannels", outChannels]] as const) {
    if (v % groups !== 0) throw new ValueError(`${layer}: ${name} ${v} must be divisible by groups ${groups}`);
  }
}

/** PyTorch's reset_parameters for every conv layer. */
function initConv(weight: Parameter, bias: Parameter | null, generator: Generator | undefined): void {
  kaimingUniform_(weight, { a: Math.sqrt(5), generator });
  if (bias) {
    const [fanIn] = calculateFanInAndFanOut(weight);
    if (fanIn > 0) {
      const bound = 1 / Math.sqrt(fanIn);
      uniform_(bias, -bound, bound, { generator });
    }
  }
}

function show(v: readonly number[] | string): string {
  return typeof v === "string" ? JSON.stringify(v) : `[${v.join(",")}]`;
}

/**
 * Pads the last `before.length` dims of x by reflection, replication or
 * wrap-around, through index selection (so the gradient flows back to the
 * source elements). `before[i]`/`after[i]` are the amounts for spatial dim i.
 */
function padByIndex(layer: string, x: Tensor, before: readonly number[], after: readonly number[], mode: Exclude<PaddingMode, "zeros">): Tensor {
  let out = x;
  const first = x.ndim - before.length;
  for (let i = 0; i < before.length; i++) {
    const dim = first + i, size = x.shape[dim];
    if (before[i] === 0 && after[i] === 0) continue;
    const limit = mode === "reflect" ? size - 1 : mode === "circular" ? size : Infinity;
    if (before[i] > limit || after[i] > limit || size === 0) {
      const rule = mode === "reflect" ? "smaller than" : "at most";
      throw new ShapeError(
        `${layer}: paddingMode "${mode}" needs padding ${rule} the input size, but pads ${before[i]} and ${after[i]} do not fit dimension ${dim} of size ${size} (input ${formatShape(x.shape)})`,
      );
    }
    const index: number[] = [];
    for (let j = -before[i]; j < size + after[i]; j++) {
      if (mode === "reflect") index.push(j < 0 ? -j : j >= size ? 2 * (size - 1) - j : j);
      else if (mode === "replicate") index.push(Math.min(size - 1, Math.max(0, j)));
      else index.push(((j % size) + size) % size);
    }
    out = out.indexSelect(dim, tensor(index, { dtype: "int32" }));
  }
  return out;
}

/** The shared part of Conv1d and Conv2d. */
abstract class ConvNd extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[] | "same" | "valid";
  readonly dilation: number[];
  readonly groups: number;
  readonly paddingMode: PaddingMode;
  weight: Parameter;
  bias: Parameter | null;
  /** "Conv1d" or "Conv2d", for messages. */
  private readonly layerName: string;

  constructor(layer: string, dims: number, inChannels: number, outChannels: number, kernelSize: SpatialArg, options: ConvLayerOptions) {
    super();
    this.layerName = layer;
    const groups = options.groups ?? 1;
    checkChannels(layer, inChannels, outChannels, groups);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.groups = groups;
    this.kernelSize = spatial(layer, "kernelSize", kernelSize, dims, 1, 1);
    this.stride = spatial(layer, "stride", options.stride, dims, 1, 1);
    this.dilation = spatial(layer, "dilation", options.dilation, dims, 1, 1);
    const padding = options.padding ?? 0;
    if (padding === "same" || padding === "valid") {
      if (padding === "same" && this.stride.some((s) => s !== 1)) {
        throw new ValueError(`${layer}: padding "same" needs stride 1 (the output keeps the input's size), got stride ${show(this.stride)}`);
      }
      this.padding = padding;
    } else {
      this.padding = spatial(layer, "padding", padding, dims, 0, 0);
    }
    const mode = options.paddingMode ?? "zeros";
    if (!PADDING_MODES.includes(mode)) {
      throw new ValueError(`${layer}: paddingMode must be one of "zeros", "reflect", "replicate", "circular", got ${JSON.stringify(mode)}`);
    }
    this.paddingMode = mode;
    const dtype = options.dtype ?? "float32";
    this.weight = new Parameter(zeros([outChannels, inChannels / groups, ...this.kernelSize], { dtype }));
    this.bias = options.bias ?? true ? new Parameter(zeros([outChannels], { dtype })) : null;
    this.resetParameters(options.generator);
  }

  /** PyTorch's init: kaiming_uniform_(a=√5) for the weight, U(±1/√fanIn) for the bias. */
  resetParameters(generator?: Generator): void {
    initConv(this.weight, this.bias, generator);
  }

  protected abstract convolve(x: Tensor, padding: number[] | "same" | "valid"): Tensor;

  forward(x: Tensor): Tensor {
    if (this.paddingMode === "zeros") return this.convolve(x, this.padding);
    // Pad explicitly, then convolve without padding (what torch does for these modes).
    const before: number[] = [], after: number[] = [];
    for (let i = 0; i < this.kernelSize.length; i++) {
      if (this.padding === "same") {
        const total = this.dilation[i] * (this.kernelSize[i] - 1);
        before.push(Math.floor(total / 2));
        after.push(total - Math.floor(total / 2));
      } else {
        const p = this.padding === "valid" ? 0 : this.padding[i];
        before.push(p);
        after.push(p);
      }
    }
    if (x.ndim < before.length + 1) return this.convolve(x, "valid"); // the conv reports the rank
    return this.convolve(padByIndex(this.layerName, x, before, after, this.paddingMode), "valid");
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernelSize=${show(this.kernelSize)}, stride=${show(this.stride)}`;
    if (this.padding === "same" || this.padding === "valid" || this.padding.some((p) => p !== 0)) s += `, padding=${show(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${show(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ", bias=false";
    if (this.paddingMode !== "zeros") s += `, paddingMode=${JSON.stringify(this.paddingMode)}`;
    return s;
  }
}

/** 1-d convolution over [N, C, L] (or [C, L]); weight [out, in/groups, k]. */
export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: SpatialArg, options: ConvLayerOptions = {}) {
    super("Conv1d", 1, inChannels, outChannels, kernelSize, options);
  }

  protected convolve(x: Tensor, padding: number[] | "same" | "valid"): Tensor {
    return conv1d(x, this.weight, this.bias, { stride: this.stride, padding, dilation: this.dilation, groups: this.groups });
  }
}

/** 2-d convolution over [N, C, H, W] (or [C, H, W]); weight [out, in/groups, kH, kW]. */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: SpatialArg, options: ConvLayerOptions = {}) {
    super("Conv2d", 2, inChannels, outChannels, kernelSize, options);
  }

  protected convolve(x: Tensor, padding: number[] | "same" | "valid"): Tensor {
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding, dilation: this.dilation, groups: this.groups });
  }
}

/**
 * Transposed 2-d convolution (the gradient of a Conv2d with respect to its
 * input, "deconvolution"): [N, in, H, W] → [N, out, H', W'] with
 * H' = (H − 1)·stride − 2·padding + dilation·(k − 1) + outputPadding + 1;
 * weight [in, out/groups, kH, kW].
 */
export class ConvTranspose2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly outputPadding: number[];
  readonly dilation: number[];
  readonly groups: number;
  readonly paddingMode = "zeros";
  weight: Parameter;
  bias: Parameter | null;

  constructor(inChannels: number, outChannels: number, kernelSize: SpatialArg, options: ConvTransposeLayerOptions = {}) {
    super();
    const layer = "ConvTranspose2d";
    const groups = options.groups ?? 1;
    checkChannels(layer, inChannels, outChannels, groups);
    if ((options.paddingMode ?? "zeros") !== "zeros") {
      throw new ValueError(`${layer}: only paddingMode "zeros" is supported (as in PyTorch), got ${JSON.stringify(options.paddingMode)}`);
    }
    if (typeof options.padding === "string") {
      throw new ValueError(`${layer}: padding must be a number or a pair [h, w]; "same" and "valid" are only for Conv1d/Conv2d`);
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.groups = groups;
    this.kernelSize = spatial(layer, "kernelSize", kernelSize, 2, 1, 1);
    this.stride = spatial(layer, "stride", options.stride, 2, 1, 1);
    this.padding = spatial(layer, "padding", options.padding, 2, 0, 0);
    this.outputPadding = spatial(layer, "outputPadding", options.outputPadding, 2, 0, 0);
    this.dilation = spatial(layer, "dilation", options.dilation, 2, 1, 1);
    for (let i = 0; i < 2; i++) {
      if (this.outputPadding[i] >= Math.max(this.stride[i], this.dilation[i])) {
        throw new ValueError(
          `${layer}: outputPadding ${show(this.outputPadding)} must be smaller than the stride ${show(this.stride)} or the dilation ${show(this.dilation)}`,
        );
      }
    }
    const dtype = options.dtype ?? "float32";
    this.weight = new Parameter(zeros([inChannels, outChannels / groups, ...this.kernelSize], { dtype }));
    this.bias = options.bias ?? true ? new Parameter(zeros([outChannels], { dtype })) : null;
    this.resetParameters(options.generator);
  }

  /** PyTorch's init: kaiming_uniform_(a=√5) for the weight, U(±1/√fanIn) for the bias (fanIn = out/groups·kH·kW). */
  resetParameters(generator?: Generator): void {
    initConv(this.weight, this.bias, generator);
  }

  /**
   * `outputSize` ([H', W'], or a full [N, C, H', W'] shape) picks the output
   * size among those a strided conv maps back to the input's size, in place
   * of the layer's outputPadding.
   */
  forward(x: Tensor, outputSize?: readonly number[]): Tensor {
    let outputPadding = this.outputPadding;
    if (outputSize !== undefined) {
      const wanted = outputSize.slice(outputSize.length - 2);
      const spatialIn = x.shape.slice(x.ndim - 2);
      if (outputSize.length < 2 || x.ndim < 3) {
        throw new ShapeError(`ConvTranspose2d: outputSize must end with [H, W] and the input must be [N, C, H, W] or [C, H, W], got outputSize ${formatShape(outputSize)} for input ${formatShape(x.shape)}`);
      }
      outputPadding = wanted.map((size, i) => {
        const least = (spatialIn[i] - 1) * this.stride[i] - 2 * this.padding[i] + this.dilation[i] * (this.kernelSize[i] - 1) + 1;
        const most = least + this.stride[i] - 1;
        if (!(size >= least && size <= most)) {
          throw new ShapeError(
            `ConvTranspose2d: outputSize ${formatShape(wanted)} cannot come from input ${formatShape(x.shape)}: dimension ${i} must be between ${least} and ${most}`,
          );
        }
        return size - least;
      });
    }
    return convTranspose2d(x, this.weight, this.bias, {
      stride: this.stride, padding: this.padding, outputPadding, groups: this.groups, dilation: this.dilation,
    });
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernelSize=${show(this.kernelSize)}, stride=${show(this.stride)}`;
    if (this.padding.some((p) => p !== 0)) s += `, padding=${show(this.padding)}`;
    if (this.outputPadding.some((p) => p !== 0)) s += `, outputPadding=${show(this.outputPadding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${show(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ", bias=false";
    return s;
  }
}
