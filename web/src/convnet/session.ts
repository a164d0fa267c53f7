/**
 * The convnet worker's session: the shared play/pause/step loop
 * (../worker/sliceLoop.ts) driving a ConvnetTrainer. Each frame carries the
 * losses, the strip's predictions and the inspection of the selected
 * image, which a new selection ("inspect") changes between slices.
 */
import type { FrameBody, ResetMessage } from "../worker/controlProtocol.js";
import { SliceLoop, type LoopHandle, type Pacing, type TrainingMode } from "../worker/sliceLoop.js";
import { STRIP_SIZE } from "./architecture.js";
import type { ConvnetFrame, ConvnetReset, FromConvnet, InspectMessage } from "./protocol.js";
import { ConvnetTrainer, checkRef, type KernelRef } from "./trainer.js";

/** A frame about every FRAME_MS while training: each frame evaluates the test set and inspects an image, so not every few ms. */
export const FRAME_MS = 80;
/** Every slice trains the full FRAME_MS: a frame's own cost is not taken from it, so that frames stay a small share of the time. */
export const CONVNET_PACING: Pacing = { frameMs: FRAME_MS, minSliceMs: FRAME_MS, rateWindowMs: 1000 };

type ConvnetBody = FrameBody<ConvnetFrame>;

export class ConvnetSession extends SliceLoop<ConvnetReset, ConvnetBody, InspectMessage> {
  constructor(post: (message: FromConvnet) => void, now: () => number = () => performance.now()) {
    super(new ConvnetMode(), post, CONVNET_PACING, now);
  }
}

class ConvnetMode implements TrainingMode<ConvnetReset, ConvnetBody, InspectMessage> {
  private trainer: ConvnetTrainer | null = null;
  private image = 0;
  private ref: KernelRef = { block: 0, cOut: 0, cIn: 0, i: 1, j: 1 };
  private lossSum = 0;
  private lossCount = 0;
  /** The mean batch loss the last frame showed (a frame without new steps shows it again). */
  private trainLoss = Number.NaN;

  get steps(): number {
    return this.requireTrainer().steps;
  }

  reset(message: ResetMessage<ConvnetReset>): void {
    this.trainer = new ConvnetTrainer(message.split, message.settings);
    this.image = Math.min(this.image, message.split.test.length - 1);
    this.lossSum = this.lossCount = 0;
    this.trainLoss = Number.NaN;
  }

  step(): number {
    const loss = this.requireTrainer().step();
    this.lossSum += loss;
    this.lossCount++;
    return loss;
  }

  answer(message: InspectMessage, loop: LoopHandle): void {
    checkRef(message.ref);
    this.image = message.image;
    this.ref = message.ref;
    loop.sendFrame();
  }

  frame(): ConvnetBody {
    const t = this.requireTrainer();
    if (this.lossCount > 0) this.trainLoss = this.lossSum / this.lossCount;
    this.lossSum = this.lossCount = 0;
    return {
      epochs: t.epochs,
      trainLoss: this.trainLoss,
      ...t.evaluate(),
      predictions: t.predictions(STRIP_SIZE),
      inspection: t.inspect(this.image, this.ref),
    };
  }

  private requireTrainer(): ConvnetTrainer {
    if (!this.trainer) throw new Error("convnet worker: no network yet; send a reset message with the digits first");
    return this.trainer;
  }
}
