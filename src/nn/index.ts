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
// issue #14: smooth activations and keyed containers
export { SiLU, ELU, Softplus, Mish } from "./layers/smooth-activation.js";
export type { SoftplusOptions } from "./layers/smooth-activation.js";
export { ModuleDict } from "./layers/module-dict.js";
export { ParameterList, ParameterDict } from "./layers/parameter-containers.js";
export * as init from "./init.js";
export * as functional from "./functional.js";
export * as utils from "./utils.js";
// ---- convolutional networks: pooling, normalisation, resampling (issue #20)
export { MaxPool1d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d } from "./layers/pool.js";
export type { MaxPoolOutput } from "./layers/pool.js";
export { BatchNorm1d, BatchNorm2d } from "./layers/batchnorm.js";
export type { BatchNormLayerOptions } from "./layers/batchnorm.js";
export { Dropout2d } from "./layers/dropout2d.js";
export { Upsample } from "./layers/resample.js";
export { Unflatten } from "./layers/unflatten.js";
// Convolution layers (issue #20).
export { Conv1d, Conv2d, ConvTranspose2d } from "./layers/conv.js";
export type { ConvLayerOptions, ConvTransposeLayerOptions, PaddingMode } from "./layers/conv.js";
// forward hooks
export type { ForwardHook, ForwardPreHook } from "./forward-hooks.js";
// Attention and transformer layers (issue #15).
export { MultiheadAttention } from "./layers/attention.js";
export type { MultiheadAttentionOptions, MultiheadAttentionForwardOptions } from "./layers/attention.js";
export { TransformerEncoderLayer, TransformerEncoder, TransformerDecoderLayer } from "./layers/transformer.js";
export type {
  TransformerLayerOptions, TransformerActivation, TransformerEncoderLayerForwardOptions, TransformerEncoderOptions,
  TransformerEncoderForwardOptions, TransformerDecoderLayerForwardOptions,
} from "./layers/transformer.js";
// Recurrent layers (issue #15: sequence models).
export { RNN, LSTM, GRU } from "./layers/recurrent.js";
export type { RecurrentOptions, RNNOptions, LSTMOptions } from "./layers/recurrent.js";
export { RNNCell, LSTMCell, GRUCell } from "./layers/recurrent-cells.js";
export type { RecurrentCellOptions, RNNCellOptions } from "./layers/recurrent-cells.js";
// issue #13: types that public signatures name (the API reference links them)
export type { RecurrentKind } from "./layers/recurrent-cells.js";
export type { DropoutLayerOptions } from "./layers/simple.js";
