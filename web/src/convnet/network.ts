/**
 * The convnet mode's network (architecture.ts), built from the library's
 * own layers: an nn.Sequential, so the parameter names are PyTorch's
 * ("0.weight", "3.weight", "7.weight"). Small enough to train live in a
 * Web Worker.
 */
import * as bp from "backpropagation";
import { CLASSES, CONV_BLOCKS, flatFeatures } from "./architecture.js";

/** The layers in the network, block by block, plus the head. */
export interface ConvnetModules {
  net: bp.nn.Sequential;
  convs: bp.nn.Conv2d[];
  relus: bp.nn.ReLU[];
  pools: bp.nn.MaxPool2d[];
}

/** The network with initial weights drawn from `seed` (PyTorch's default initialisation); float64 for the finite-difference check. */
export function buildConvnet(seed: number, dtype: "float32" | "float64" = "float32"): ConvnetModules {
  const generator = new bp.Generator(seed);
  const convs: bp.nn.Conv2d[] = [];
  const relus: bp.nn.ReLU[] = [];
  const pools: bp.nn.MaxPool2d[] = [];
  const layers: bp.nn.Module[] = [];
  for (const b of CONV_BLOCKS) {
    const conv = new bp.nn.Conv2d(b.inChannels, b.outChannels, b.kernel, { padding: b.padding, generator, dtype });
    const relu = new bp.nn.ReLU();
    const pool = new bp.nn.MaxPool2d(b.pool);
    convs.push(conv);
    relus.push(relu);
    pools.push(pool);
    layers.push(conv, relu, pool);
  }
  layers.push(new bp.nn.Flatten(), new bp.nn.Linear(flatFeatures(), CLASSES, { generator, dtype }));
  return { net: new bp.nn.Sequential(...layers), convs, relus, pools };
}
