/**
 * The network the CLI trains: a stack of Linear layers with an activation
 * after each hidden one, as a bp.nn.Sequential so that parameter names are
 * PyTorch's ("0.weight", "0.bias", "2.weight", …).
 */
import { GELU, Linear, ReLU, Sequential, Sigmoid, Tanh, type Module } from "../nn/index.js";
import { crossEntropy, mseLoss } from "../nn/losses.js";
import type { Tensor } from "../tensor/tensor.js";
import type { ChainLayer } from "../explain/index.js";
import type { Activation, FloatDType, LossName, Task } from "./options.js";

export interface Architecture {
  inputs: number;
  hidden: number[];
  outputs: number;
  activation: Activation;
  /** The lecture's network squashes its outputs with a sigmoid too (squared error on one-hot targets). */
  outputActivation: "sigmoid" | "none";
}

export function architectureFor(inputs: number, hidden: number[], outputs: number, activation: Activation, task: Task, loss: LossName): Architecture {
  const outputActivation = task === "classify" && loss === "mse" ? "sigmoid" : "none";
  return { inputs, hidden: [...hidden], outputs, activation, outputActivation };
}

function activationModule(name: Activation | "sigmoid"): Module {
  switch (name) {
    case "sigmoid": return new Sigmoid();
    case "tanh": return new Tanh();
    case "relu": return new ReLU();
    case "gelu": return new GELU();
  }
}

export function buildNetwork(arch: Architecture, dtype: FloatDType): Sequential {
  const modules: Module[] = [];
  let width = arch.inputs;
  for (const h of arch.hidden) {
    modules.push(new Linear(width, h, { dtype }), activationModule(arch.activation));
    width = h;
  }
  modules.push(new Linear(width, arch.outputs, { dtype }));
  if (arch.outputActivation === "sigmoid") modules.push(new Sigmoid());
  return new Sequential(...modules);
}

/**
 * The loss on a batch. Classification with squared error compares the
 * outputs with one-hot rows; cross-entropy takes the outputs as logits and
 * the labels as class indices; regression compares with the target column.
 */
export function batchLoss(lossName: LossName, task: Task, output: Tensor, labels: Tensor, oneHot: Tensor | null): Tensor {
  if (task === "classify" && lossName === "cross-entropy") return crossEntropy(output, labels);
  if (task === "classify") return mseLoss(output, oneHot!);
  return mseLoss(output, labels);
}

/**
 * Runs the network once, with a forward hook on each layer that keeps its
 * output, and names those outputs as the lecture does: h1, h2, …, ŷ (each
 * after its activation); W1, b1, …. Also names each Linear's output before
 * the activation (z1, z2, …), so that a drawn graph can show those values too.
 */
export function forwardByLayer(net: Sequential, x: Tensor): { layers: ChainLayer[]; preActivations: [string, Tensor][] } {
  const outputs = new Map<Module, Tensor>();
  const handles = net.children().map((m) => m.registerForwardHook((module, _inputs, output: Tensor) => { outputs.set(module, output); }));
  try {
    net.forward(x);
  } finally {
    for (const h of handles) h.remove();
  }
  const layers: ChainLayer[] = [];
  const preActivations: [string, Tensor][] = [];
  let current: ChainLayer | null = null;
  for (const [index, module] of net.namedChildren()) {
    const h = outputs.get(module)!;
    if (module instanceof Linear) {
      if (current) layers.push(current);
      const k = layers.length + 1;
      current = { symbol: "", output: h, params: [{ name: `${index}.weight`, symbol: `W${k}`, tensor: module.weight }] };
      if (module.bias) current.params.push({ name: `${index}.bias`, symbol: `b${k}`, tensor: module.bias });
      preActivations.push([`z${k}`, h]);
    }
    if (current) current.output = h;
  }
  if (current) layers.push(current);
  layers.forEach((l, i) => {
    l.symbol = i === layers.length - 1 ? "ŷ" : `h${i + 1}`;
  });
  return { layers, preActivations };
}
