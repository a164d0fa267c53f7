/**
 * backprop: tensors, reverse-mode autograd, layers, optimizers, data loading.
 * The public face of the library: it re-exports, it defines nothing.
 */
import "./ops/methods.js";
import "./autograd/api.js";

// ---- tensors
export { Tensor } from "./tensor/tensor.js";
export type { TensorLike, DimArg, NestedArray, GradHook, HookHandle, BackwardOptions } from "./tensor/tensor.js";
export type { DType, TypedArray } from "./backend/backend.js";
export {
  tensor, zeros, ones, full, zerosLike, onesLike, fullLike, eye, arange, linspace,
  rand, randn, randint, randperm, fromStorage,
} from "./tensor/creation.js";
export type { TensorOptions, RandomOptions, TensorData } from "./tensor/creation.js";
export { Generator, manualSeed, defaultGenerator } from "./tensor/random.js";
export type { GeneratorState } from "./tensor/random.js";
export { broadcastShapes } from "./tensor/shape.js";

// ---- operations (also available as Tensor methods)
export {
  add, sub, mul, div, pow, maximum, minimum, neg, exp, log, sqrt, abs, sign, square, reciprocal,
  sin, cos, tanh, sigmoid, relu, leakyRelu, gelu, erf, softplus, clamp, where, eq, ne, gt, ge, lt, le,
  logicalAnd, logicalNot, isfinite,
} from "./ops/elementwise.js";
export { sum, mean, max, min, argmax, argmin, logsumexp, variance, softmax, logSoftmax } from "./ops/reduce.js";
export { matmul } from "./ops/linalg.js";
export { reshape, transpose, permute, squeeze, unsqueeze, flatten, expand, narrow, cat, stack } from "./ops/shape.js";
export { gather, indexSelect } from "./ops/indexing.js";

// issue #14: more ops, in-place updates (also Tensor methods)
export { log1p, expm1, silu, elu, mish } from "./ops/elementwise.js";
export { std, argsort } from "./ops/reduce.js";
export type { ReduceOptions, ArgReduceOptions, VarianceOptions } from "./ops/reduce.js";
export { flip, roll, clone } from "./ops/shape.js";
export { scatter, scatterAdd } from "./ops/indexing.js";

// issue #15: sequence ops (also Tensor methods, except multinomial and einsum)
export { cumsum, split, chunk, repeat, slice } from "./ops/sequence.js";
export { sort, topk } from "./ops/sorting.js";
export type { SortResult } from "./ops/sorting.js";
export { multinomial } from "./ops/sampling.js";
export type { MultinomialOptions } from "./ops/sampling.js";
export { einsum } from "./ops/einsum.js";
// issue #15: masking for attention (also Tensor methods)
export { tril, triu, maskedFill } from "./ops/masking.js";

// ---- autograd
export { backward, grad, detach } from "./autograd/api.js";
export type { GradOptions } from "./autograd/api.js";
export { noGrad, enableGrad, isGradEnabled, detectAnomaly } from "./graph/mode.js";
export { tidy } from "./autograd/tidy.js";
export { gradcheck, gradgradcheck, gradcheckReport } from "./autograd/gradcheck.js";
export type { GradcheckOptions, GradcheckReport } from "./autograd/gradcheck.js";

// ---- backends
export { setBackend, getBackend, getNumThreads, availableBackends, registerBackend } from "./backend/registry.js";
export { setNumThreads } from "./backend/threads/settings.js";
export type { Backend } from "./backend/backend.js";
export { memory } from "./tensor/memory.js";
export { registerPool } from "./backend/pools.js";
export type { MemoryInfo } from "./tensor/memory.js";

// ---- data and files
export * as data from "./data/index.js";
export { save, load, serialize, deserialize } from "./io/index.js";

// ---- errors
export {
  BackpropError, ShapeError, DimError, DTypeError, AutogradError, AnomalyError, GradcheckError, ValueError, DataError, StateDictError, ReleasedTensorError,
} from "./errors.js";

// ---- nn and optim
export * as nn from "./nn/index.js";
export * as F from "./nn/functional.js";
export * as optim from "./optim/index.js";

// ---- explain
export * as explain from "./explain/index.js";

// issue #16: ONNX export
export * as onnx from "./onnx/index.js";

// issue #13: types that public signatures name (the API reference links them)
export type { GradNode } from "./tensor/tensor.js";
export type { FloatArray, AdamScalars, ConvWindow, PoolAxis } from "./backend/backend.js";
export type { StateDict } from "./io/safetensors.js";
