/** Messages between the page and the convnet mode's worker (web/src/convnet/worker.ts). */
import type { Split } from "../data/dataset.js";
import type { ConvnetSettings } from "./architecture.js";
import type { Inspection, KernelRef } from "./trainer.js";

export type ToConvnet =
  | { type: "reset"; split: Split; settings: ConvnetSettings; generation: number }
  | { type: "play" }
  | { type: "pause" }
  | { type: "step" }
  /** Inspect test image `image` from now on, checking kernel entry `ref` (answered by a frame). */
  | { type: "inspect"; image: number; ref: KernelRef };

export interface ConvnetFrame {
  type: "frame";
  generation: number;
  steps: number;
  epochs: number;
  /** Mean minibatch loss of the steps since the previous frame that had any (NaN before the first step). */
  trainLoss: number;
  testLoss: number;
  testAccuracy: number;
  stepsPerSecond: number;
  running: boolean;
  /** The predicted class of each image in the page's strip of test images. */
  predictions: Int32Array;
  inspection: Inspection;
}

export type FromConvnet = ConvnetFrame | { type: "error"; message: string };
