/**
 * The convnet mode's network, small enough to train live in a Web Worker:
 *
 *   [N,1,8,8] → Conv2d(1,4,3,p1) → ReLU → MaxPool2d(2) → [N,4,4,4]
 *             → Conv2d(4,8,3,p1) → ReLU → MaxPool2d(2) → [N,8,2,2]
 *             → Flatten → Linear(32,10) → logits
 *
 * built from the library's own layers (an nn.Sequential, so the parameter
 * names are PyTorch's: "0.weight", "3.weight", "7.weight").
 */
import * as bp from "backpropagation";

/** The image side (the bundled digits are 8×8). */
export const IMAGE_SIZE = 8;
export const CLASSES = 10;

/** One conv block: Conv2d(inChannels, outChannels, kernel, padding) → ReLU → MaxPool2d(pool). */
export interface ConvBlock {
  inChannels: number;
  outChannels: number;
  kernel: number;
  padding: number;
  pool: number;
}

export const CONV_BLOCKS: readonly ConvBlock[] = [
  { inChannels: 1, outChannels: 4, kernel: 3, padding: 1, pool: 2 },
  { inChannels: 4, outChannels: 8, kernel: 3, padding: 1, pool: 2 },
];

/** Side of the feature maps after block `b`'s convolution (stride 1) and after its pooling. */
export function blockSides(b: number): { conv: number; pooled: number } {
  let side = IMAGE_SIZE;
  for (let k = 0; ; k++) {
    const { kernel, padding, pool } = CONV_BLOCKS[k];
    const conv = side + 2 * padding - kernel + 1;
    const pooled = Math.floor(conv / pool);
    if (k === b) return { conv, pooled };
    side = pooled;
  }
}

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
  const last = CONV_BLOCKS.length - 1;
  const flat = CONV_BLOCKS[last].outChannels * blockSides(last).pooled ** 2;
  layers.push(new bp.nn.Flatten(), new bp.nn.Linear(flat, CLASSES, { generator, dtype }));
  return { net: new bp.nn.Sequential(...layers), convs, relus, pools };
}

/** "Conv2d(1,4,3,p1) → ReLU → MaxPool2d(2) → … → Linear(32,10)", for the page. */
export function describeConvnet(): string {
  const blocks = CONV_BLOCKS.map((b) => `Conv2d(${b.inChannels},${b.outChannels},${b.kernel}×${b.kernel}, pad ${b.padding}) → ReLU → MaxPool2d(${b.pool})`);
  const last = CONV_BLOCKS.length - 1;
  const flat = CONV_BLOCKS[last].outChannels * blockSides(last).pooled ** 2;
  return [...blocks, `Flatten → Linear(${flat},${CLASSES})`].join(" → ");
}
