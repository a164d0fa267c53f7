/**
 * The convnet mode's architecture and settings, as plain data (no library
 * import, so the page's bundle can use them; network.ts builds the layers):
 *
 *   [N,1,8,8] → Conv2d(1,4,3,p1) → ReLU → MaxPool2d(2) → [N,4,4,4]
 *             → Conv2d(4,8,3,p1) → ReLU → MaxPool2d(2) → [N,8,2,2]
 *             → Flatten → Linear(32,10) → logits
 */

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

export interface ConvnetSettings {
  seed: number;
  batchSize: number;
  learningRate: number;
}

export const DEFAULT_CONVNET_SETTINGS: ConvnetSettings = { seed: 1, batchSize: 32, learningRate: 0.01 };

/** How many test images the page shows in its strip (the worker sends their predicted classes). */
export const STRIP_SIZE = 16;

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

/** Inputs of the final Linear layer: the last block's channels times its pooled map. */
export function flatFeatures(): number {
  const last = CONV_BLOCKS.length - 1;
  return CONV_BLOCKS[last].outChannels * blockSides(last).pooled ** 2;
}

/** "Conv2d(1,4,3×3, pad 1) → ReLU → MaxPool2d(2) → … → Linear(32,10)", for the page. */
export function describeConvnet(): string {
  const blocks = CONV_BLOCKS.map((b) => `Conv2d(${b.inChannels},${b.outChannels},${b.kernel}×${b.kernel}, pad ${b.padding}) → ReLU → MaxPool2d(${b.pool})`);
  return [...blocks, `Flatten → Linear(${flatFeatures()},${CLASSES})`].join(" → ");
}
