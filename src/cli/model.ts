/**
 * The network the CLI trains: a stack of Linear layers with an activation
 * after each hidden one, or the layers of a --layers spec (convolutions,
 * pooling, …; see layer-spec.ts), as a bp.nn.Sequential so that parameter
 * names are PyTorch's ("0.weight", "0.bias", "2.weight", …).
 */
import {
  AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, Dropout, Dropout2d, Flatten, GELU, Identity, Linear, MaxPool2d, ReLU, Sequential, Sigmoid, Tanh,
  type Module,
} from "../nn/index.js";
import { crossEntropy, mseLoss } from "../nn/losses.js";
import type { Tensor } from "../tensor/tensor.js";
import type { ChainLayer } from "../explain/index.js";
import { isPlainWidths, needsImages, planLayers, tokenOf as specToken, type LayerSpec } from "./layer-spec.js";
import type { Activation, FloatDType, LossName, Task } from "./options.js";

export interface Architecture {
  inputs: number;
  hidden: number[];
  outputs: number;
  activation: Activation;
  /** The lecture's network squashes its outputs with a sigmoid too (squared error on one-hot targets). */
  outputActivation: "sigmoid" | "none";
  /**
   * The --layers spec when it is more than Linear widths (convolutions,
   * pooling, batch norm, dropout); `hidden` then lists its Linear widths.
   * Absent: the plain stack of `hidden` Linear layers.
   */
  layers?: LayerSpec[];
  /** The per-sample shape the network takes: [C,H,W] for images (batches are [B,C,H,W]); absent: rows [inputs]. */
  inputShape?: number[];
}

/** The data's images, when it has them: [C,H,W] and words for messages. */
export interface ImageInput {
  shape: number[];
  what: string;
}

/**
 * The architecture for a --layers spec on data with `inputs` features
 * (`image` when the rows are images). Checks the spec against the data's
 * shape (a UsageError names the layer and shape that do not fit).
 */
export function architectureFor(
  inputs: number, layers: readonly LayerSpec[], outputs: number, activation: Activation, task: Task, loss: LossName, image: ImageInput | null = null, dataWhat = "the data",
): Architecture {
  const outputActivation = task === "classify" && loss === "mse" ? "sigmoid" : "none";
  const hidden = layers.flatMap((l) => (l.kind === "dense" ? [l.units] : []));
  if (isPlainWidths(layers)) return { inputs, hidden, outputs, activation, outputActivation };
  const inputShape = needsImages(layers) && image ? [...image.shape] : [inputs];
  planLayers("--layers", layers, inputShape, image && needsImages(layers) ? image.what : dataWhat);
  return { inputs, hidden, outputs, activation, outputActivation, layers: layers.map((l) => ({ ...l })), inputShape };
}

function activationModule(name: Activation | "sigmoid"): Module {
  switch (name) {
    case "sigmoid": return new Sigmoid();
    case "tanh": return new Tanh();
    case "relu": return new ReLU();
    case "gelu": return new GELU();
    case "linear": return new Identity(); // no activation (the playground offers it); keeps PyTorch's layer indices
  }
}

export function buildNetwork(arch: Architecture, dtype: FloatDType): Sequential {
  if (arch.layers) return buildFromSpec(arch, arch.layers, dtype);
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

/** The modules of a --layers spec, an activation after each conv and Linear, then the output Linear. */
function buildFromSpec(arch: Architecture, specs: readonly LayerSpec[], dtype: FloatDType): Sequential {
  const { layers, features } = planLayers("--layers", specs, arch.inputShape ?? [arch.inputs], "the data");
  const modules: Module[] = [];
  // Where the activation of a conv or Linear just added sits: a bn right after goes before it (conv → bn → relu).
  let activationAt = -1;
  for (const { spec, input } of layers) {
    const previousActivation = activationAt;
    activationAt = -1;
    switch (spec.kind) {
      case "conv":
        modules.push(new Conv2d(input[0], spec.channels, spec.kernel, { stride: spec.stride, padding: spec.padding, dtype }));
        activationAt = modules.push(activationModule(arch.activation)) - 1;
        break;
      case "dense":
        modules.push(new Linear(input[0], spec.units, { dtype }));
        activationAt = modules.push(activationModule(arch.activation)) - 1;
        break;
      case "bn": {
        const bn = input.length === 3 ? new BatchNorm2d(input[0], { dtype }) : new BatchNorm1d(input[0], { dtype });
        if (previousActivation >= 0) modules.splice(previousActivation, 0, bn);
        else modules.push(bn);
        break;
      }
      case "maxpool": modules.push(new MaxPool2d(spec.kernel, { stride: spec.stride })); break;
      case "avgpool": modules.push(new AvgPool2d(spec.kernel, { stride: spec.stride })); break;
      case "gap": modules.push(new AdaptiveAvgPool2d(1)); break;
      case "dropout": modules.push(new Dropout(spec.p)); break;
      case "dropout2d": modules.push(new Dropout2d(spec.p)); break;
      case "flatten": modules.push(new Flatten()); break;
    }
  }
  modules.push(new Linear(features, arch.outputs, { dtype }));
  if (arch.outputActivation === "sigmoid") modules.push(new Sigmoid());
  return new Sequential(...modules);
}

/** A short name for the network: "64-32-32-10 sigmoid network" or "1x8x8 conv8k3p1,pool2,flatten → 10 relu network". */
export function describeArchitecture(a: Architecture): string {
  const tail = `${a.activation} network${a.outputActivation === "sigmoid" ? " (sigmoid outputs)" : ""}`;
  if (!a.layers) return `${[a.inputs, ...a.hidden, a.outputs].join("-")} ${tail}`;
  const input = (a.inputShape ?? [a.inputs]).join("×");
  return `${input} → ${a.layers.map((l) => specToken(l)).join(",")} → ${a.outputs} ${tail}`;
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
 * after its activation); W1, b1, …. A layer starts at each module with
 * parameters (Linear, Conv2d, BatchNorm: γk, βk) and takes in the modules
 * without (activation, pooling) after it; a flatten leaves the layer's
 * output an image, so that the factors show it. Also names each
 * parameterised module's output (z1, z2, …), so that a drawn graph can show
 * those values too.
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
    const params = module.namedParameters();
    if (params.length > 0) {
      if (current) layers.push(current);
      const k = layers.length + 1;
      const norm = module instanceof BatchNorm1d || module instanceof BatchNorm2d;
      current = {
        symbol: "", output: h,
        params: params.map(([name, tensor]) => ({ name: `${index}.${name}`, symbol: `${symbolFor(name, norm)}${k}`, tensor })),
      };
      preActivations.push([`z${k}`, h]);
    }
    // The next layer's Jacobian reaches through the flatten to the image before it.
    if (current && !(module instanceof Flatten)) current.output = h;
  }
  if (current) layers.push(current);
  layers.forEach((l, i) => {
    l.symbol = i === layers.length - 1 ? "ŷ" : `h${i + 1}`;
  });
  return { layers, preActivations };
}

function symbolFor(name: string, norm: boolean): string {
  if (name === "weight") return norm ? "γ" : "W";
  if (name === "bias") return norm ? "β" : "b";
  return name;
}
