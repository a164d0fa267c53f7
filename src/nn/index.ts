/** bp.nn: modules and layers, with bp.nn.init and bp.nn.functional. */
export { Module } from "./module.js";
export type { LoadStateDictOptions, LoadStateDictResult } from "./module.js";
export { Parameter } from "./parameter.js";
export { Linear } from "./layers/linear.js";
export type { LinearOptions } from "./layers/linear.js";
export { Sequential, ModuleList } from "./layers/container.js";
export { Sigmoid, Tanh, ReLU, LeakyReLU, GELU, Softmax, LogSoftmax } from "./layers/activation.js";
export { Identity, Flatten, Dropout } from "./layers/simple.js";
export { LayerNorm } from "./layers/normalization.js";
export type { LayerNormOptions } from "./layers/normalization.js";
export { Embedding } from "./layers/embedding.js";
export { MSELoss, L1Loss, SmoothL1Loss, BCELoss, BCEWithLogitsLoss, NLLLoss, CrossEntropyLoss } from "./layers/loss.js";
export type { EmbeddingOptions } from "./layers/embedding.js";
export { StateDictError } from "../errors.js";
export * as init from "./init.js";
export * as functional from "./functional.js";
export * as utils from "./utils.js";
// forward hooks
export type { ForwardHook, ForwardPreHook } from "./forward-hooks.js";
