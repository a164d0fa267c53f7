/** The optimizer named on the command line, with the learning rate each one trains the default network well with. */
import { Adam, AdamW, SGD, type Optimizer } from "../optim/index.js";
import type { Tensor } from "../tensor/tensor.js";
import type { OptimizerName, Task } from "./options.js";

/**
 * Plain SGD on sigmoid outputs with squared error needs a large step (the
 * sigmoid and the mean over classes shrink the gradient); on a regression
 * target a large step diverges. The adaptive methods take a small one.
 */
export function defaultLearningRate(name: OptimizerName, task: Task): number {
  switch (name) {
    case "sgd": return task === "classify" ? 5 : 0.05;
    case "momentum": return task === "classify" ? 0.2 : 0.01;
    case "adam": return 0.003;
    case "adamw": return 0.003;
  }
}

export function buildOptimizer(name: OptimizerName, params: Tensor[], lr: number): Optimizer<any> {
  switch (name) {
    case "sgd": return new SGD(params, { lr });
    case "momentum": return new SGD(params, { lr, momentum: 0.9 });
    case "adam": return new Adam(params, { lr });
    case "adamw": return new AdamW(params, { lr });
  }
}
