/** Messages between the page and the convnet mode's worker (web/src/convnet/worker.ts). */
import type { Split } from "../data/dataset.js";
import type { ControlMessage, FrameHeader, WorkerError } from "../worker/controlProtocol.js";
import type { ConvnetSettings } from "./architecture.js";
import type { Inspection, KernelRef } from "./trainer.js";

/** What a reset message carries besides its generation. */
export interface ConvnetReset {
  split: Split;
  settings: ConvnetSettings;
}

/** Inspect test image `image` from now on, checking kernel entry `ref` (answered by a frame). */
export interface InspectMessage {
  type: "inspect";
  image: number;
  ref: KernelRef;
}

export type ToConvnet = ControlMessage<ConvnetReset> | InspectMessage;

export interface ConvnetFrame extends FrameHeader {
  epochs: number;
  /** Mean minibatch loss of the steps since the previous frame that had any (NaN before the first step). */
  trainLoss: number;
  testLoss: number;
  testAccuracy: number;
  /** The predicted class of each image in the page's strip of test images. */
  predictions: Int32Array;
  inspection: Inspection;
}

export type FromConvnet = ConvnetFrame | WorkerError;
