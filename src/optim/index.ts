/** bp.optim: optimizers, and learning-rate schedulers in bp.optim.lrScheduler. */
export { Optimizer } from "./optimizer.js";
export type { ParamGroup, ParamGroupInput, ParamState, OptimizerStateDict } from "./optimizer.js";
export { SGD } from "./sgd.js";
export type { SGDOptions } from "./sgd.js";
export { Adam, AdamW } from "./adam.js";
export type { AdamOptions } from "./adam.js";
export { RMSprop } from "./rmsprop.js";
export type { RMSpropOptions } from "./rmsprop.js";
export { Adagrad } from "./adagrad.js";
export type { AdagradOptions } from "./adagrad.js";
export * as lrScheduler from "./lr_scheduler.js";
// PyTorch hand-off: optimizer state in torch's state_dict layout
export { toPyTorchOptimizerState, fromPyTorchOptimizerState, loadPyTorchOptimizerState, splitTensors, joinTensors } from "./pytorch-state.js";
export type { PyTorchOptimizerState, PyTorchParamState } from "./pytorch-state.js";
// issue #13: the options every optimizer has (the bound of Optimizer's type parameter)
export type { BaseOptions } from "./optimizer.js";
