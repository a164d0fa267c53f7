/**
 * Parameter initialisation (bp.nn.init), with PyTorch's fan computations
 * and gains. Each function fills the tensor in place, outside the graph,
 * and returns it. Random draws come from `options.generator` or the
 * default generator, so bp.manualSeed makes them reproducible bit for bit
 * (the streams differ from PyTorch's: only the distributions match).
 */
import { noGrad } from "../graph/mode.js";
import { DTypeError, ShapeError, ValueError } from "../errors.js";
import { rand, randn } from "../tensor/creation.js";
import { defaultGenerator, type Generator } from "../tensor/random.js";
import { formatShape } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { writeElements } from "./parameter.js";

export interface InitOptions {
  generator?: Generator;
}

export type FanMode = "fanIn" | "fanOut" | "fan_in" | "fan_out";

export type Nonlinearity =
  | "linear" | "conv1d" | "conv2d" | "conv3d" | "sigmoid" | "tanh" | "relu" | "selu"
  | "leakyRelu" | "leaky_relu";

/** PyTorch's recommended gain for a nonlinearity (`param` is leakyRelu's negative slope, default 0.01). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case "linear": case "conv1d": case "conv2d": case "conv3d": case "sigmoid": return 1;
    case "tanh": return 5 / 3;
    case "relu": return Math.SQRT2;
    case "selu": return 3 / 4;
    case "leakyRelu": case "leaky_relu": {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    default:
      throw new ValueError(`calculateGain: unknown nonlinearity ${JSON.stringify(nonlinearity)}; expected one of linear, sigmoid, tanh, relu, leakyRelu, selu`);
  }
}

/** [fanIn, fanOut] of a weight of shape [out, in, ...receptive field], as PyTorch computes them. */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  if (t.ndim < 2) {
    throw new ShapeError(`init: fan in and fan out cannot be computed for a tensor with fewer than 2 dimensions (shape ${formatShape(t.shape)})`);
  }
  let receptive = 1;
  for (let i = 2; i < t.ndim; i++) receptive *= t.shape[i];
  return [t.shape[1] * receptive, t.shape[0] * receptive];
}

function fan(t: Tensor, mode: FanMode): number {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  if (mode === "fanIn" || mode === "fan_in") return fanIn;
  if (mode === "fanOut" || mode === "fan_out") return fanOut;
  throw new ValueError(`init: mode must be "fanIn" or "fanOut", got ${JSON.stringify(mode)}`);
}

/** Writes `values` (row-major, float64) into t's storage, honouring its strides. */
function fill(t: Tensor, values: Float64Array | Float32Array | number): Tensor {
  if (t.dtype !== "float32" && t.dtype !== "float64") {
    throw new DTypeError(`init: only float32 and float64 tensors can be initialised, got ${t.dtype}`);
  }
  noGrad(() => writeElements(t, values));
  return t;
}

function uniformValues(n: number, low: number, high: number, generator: Generator | undefined): Float64Array {
  const u = rand([n], { dtype: "float64", generator: generator ?? defaultGenerator }).storage as Float64Array;
  for (let i = 0; i < n; i++) u[i] = low + (high - low) * u[i];
  return u;
}

function normalValues(n: number, mean: number, std: number, generator: Generator | undefined): Float64Array {
  const z = randn([n], { dtype: "float64", generator: generator ?? defaultGenerator }).storage as Float64Array;
  for (let i = 0; i < n; i++) z[i] = mean + std * z[i];
  return z;
}

/** Fills with U(a, b). Call as uniform_(t, a, b, opts) or uniform_(t, { a, b, generator }). */
export function uniform_(t: Tensor, a: number | (InitOptions & { a?: number; b?: number }) = 0, b = 1, options: InitOptions = {}): Tensor {
  if (typeof a === "object") return uniform_(t, a.a ?? 0, a.b ?? 1, a);
  if (!(a <= b)) throw new ValueError(`uniform_: expected a <= b, got a=${a}, b=${b}`);
  return fill(t, uniformValues(t.size, a, b, options.generator));
}

/** Fills with N(mean, std²). Call as normal_(t, mean, std, opts) or normal_(t, { mean, std, generator }). */
export function normal_(t: Tensor, mean: number | (InitOptions & { mean?: number; std?: number }) = 0, std = 1, options: InitOptions = {}): Tensor {
  if (typeof mean === "object") return normal_(t, mean.mean ?? 0, mean.std ?? 1, mean);
  if (!(std >= 0)) throw new ValueError(`normal_: std must be non-negative, got ${std}`);
  return fill(t, normalValues(t.size, mean, std, options.generator));
}

export function constant_(t: Tensor, value: number): Tensor {
  return fill(t, value);
}

export function zeros_(t: Tensor): Tensor {
  return fill(t, 0);
}

export function ones_(t: Tensor): Tensor {
  return fill(t, 1);
}

function xavierStd(t: Tensor, gain: number): number {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return fanIn + fanOut === 0 ? 0 : gain * Math.sqrt(2 / (fanIn + fanOut));
}

/** Glorot uniform: U(-a, a) with a = gain·√(6 / (fanIn + fanOut)). */
export function xavierUniform_(t: Tensor, gain: number | (InitOptions & { gain?: number }) = 1, options: InitOptions = {}): Tensor {
  if (typeof gain === "object") return xavierUniform_(t, gain.gain ?? 1, gain);
  const std = xavierStd(t, gain);
  const a = Math.sqrt(3) * std;
  return fill(t, uniformValues(t.size, -a, a, options.generator));
}

/** Glorot normal: N(0, std²) with std = gain·√(2 / (fanIn + fanOut)). */
export function xavierNormal_(t: Tensor, gain: number | (InitOptions & { gain?: number }) = 1, options: InitOptions = {}): Tensor {
  if (typeof gain === "object") return xavierNormal_(t, gain.gain ?? 1, gain);
  return fill(t, normalValues(t.size, 0, xavierStd(t, gain), options.generator));
}

export interface KaimingOptions extends InitOptions {
  /** Negative slope of the leaky ReLU that follows (default 0). */
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
}

function kaimingStd(t: Tensor, a: number, mode: FanMode, nonlinearity: Nonlinearity): number {
  // A zero fan means a zero-element tensor, which PyTorch leaves alone: std 0 fills nothing.
  const n = fan(t, mode);
  return n === 0 ? 0 : calculateGain(nonlinearity, a) / Math.sqrt(n);
}

/**
 * He uniform: U(-bound, bound) with bound = gain·√(3 / fan).
 * Call as kaimingUniform_(t, a, mode, nonlinearity, opts) or kaimingUniform_(t, { a, mode, nonlinearity, generator }).
 */
export function kaimingUniform_(
  t: Tensor, a: number | KaimingOptions = 0, mode: FanMode = "fanIn", nonlinearity: Nonlinearity = "leakyRelu", options: InitOptions = {},
): Tensor {
  if (typeof a === "object") return kaimingUniform_(t, a.a ?? 0, a.mode ?? "fanIn", a.nonlinearity ?? "leakyRelu", a);
  const bound = Math.sqrt(3) * kaimingStd(t, a, mode, nonlinearity);
  return fill(t, uniformValues(t.size, -bound, bound, options.generator));
}

/** He normal: N(0, std²) with std = gain / √fan. Same call forms as kaimingUniform_. */
export function kaimingNormal_(
  t: Tensor, a: number | KaimingOptions = 0, mode: FanMode = "fanIn", nonlinearity: Nonlinearity = "leakyRelu", options: InitOptions = {},
): Tensor {
  if (typeof a === "object") return kaimingNormal_(t, a.a ?? 0, a.mode ?? "fanIn", a.nonlinearity ?? "leakyRelu", a);
  return fill(t, normalValues(t.size, 0, kaimingStd(t, a, mode, nonlinearity), options.generator));
}
