/**
 * The convnet worker's loop: trains in time slices while playing and sends
 * a frame after each (losses, the strip's predictions, and the inspection
 * of the selected image), so pause, step and a new selection get through
 * between slices. Plain code, driven by worker.ts.
 */
import { STRIP_SIZE } from "./architecture.js";
import type { ConvnetFrame, FromConvnet, ToConvnet } from "./protocol.js";
import { ConvnetTrainer, checkRef, type KernelRef } from "./trainer.js";

/** A frame about every FRAME_MS while training: each frame evaluates the test set and inspects an image, so not every few ms. */
export const FRAME_MS = 80;

export class ConvnetSession {
  private trainer: ConvnetTrainer | null = null;
  private running = false;
  private generation = 0;
  private image = 0;
  private ref: KernelRef = { block: 0, cOut: 0, cIn: 0, i: 1, j: 1 };
  private lossSum = 0;
  private lossCount = 0;
  /** The mean batch loss the last frame showed (a frame without new steps shows it again). */
  private trainLoss = Number.NaN;
  private rate = { since: 0, steps: 0, perSecond: 0 };

  constructor(
    private readonly post: (message: FromConvnet) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  handle(m: ToConvnet): void {
    try {
      switch (m.type) {
        case "reset":
          this.running = false;
          this.generation = m.generation;
          this.trainer = new ConvnetTrainer(m.split, m.settings);
          this.image = Math.min(this.image, m.split.test.length - 1);
          this.lossSum = this.lossCount = 0;
          this.trainLoss = Number.NaN;
          this.rate = { since: this.now(), steps: 0, perSecond: 0 };
          this.sendFrame();
          break;
        case "play":
          this.requireTrainer();
          this.running = true;
          this.rate = { since: this.now(), steps: this.trainer!.steps, perSecond: this.rate.perSecond };
          break;
        case "pause":
          this.running = false;
          this.sendFrame();
          break;
        case "step":
          this.running = false;
          this.trainStep();
          this.sendFrame();
          break;
        case "inspect":
          checkRef(m.ref);
          this.image = m.image;
          this.ref = m.ref;
          this.sendFrame();
          break;
      }
    } catch (err) {
      this.fail(err);
    }
  }

  /** Trains for one slice if playing, then sends a frame. */
  tick(): void {
    if (!this.running || !this.trainer) return;
    try {
      const start = this.now();
      do this.trainStep();
      while (this.now() - start < FRAME_MS);
      const elapsed = this.now() - this.rate.since;
      if (elapsed >= 1000) this.rate = { since: this.now(), steps: this.trainer.steps, perSecond: ((this.trainer.steps - this.rate.steps) * 1000) / elapsed };
      this.sendFrame();
    } catch (err) {
      this.fail(err);
    }
  }

  private trainStep(): void {
    const t = this.requireTrainer();
    const loss = t.step();
    if (!Number.isFinite(loss)) throw new RangeError(`convnet: training diverged at step ${t.steps}: the batch loss became ${loss}`);
    this.lossSum += loss;
    this.lossCount++;
  }

  private sendFrame(): void {
    const t = this.requireTrainer();
    if (this.lossCount > 0) this.trainLoss = this.lossSum / this.lossCount;
    this.lossSum = this.lossCount = 0;
    const frame: ConvnetFrame = {
      type: "frame",
      generation: this.generation,
      steps: t.steps,
      epochs: t.epochs,
      trainLoss: this.trainLoss,
      ...t.evaluate(),
      stepsPerSecond: this.rate.perSecond,
      running: this.running,
      predictions: t.predictions(STRIP_SIZE),
      inspection: t.inspect(this.image, this.ref),
    };
    this.post(frame);
  }

  private requireTrainer(): ConvnetTrainer {
    if (!this.trainer) throw new Error("convnet worker: no network yet; send a reset message with the digits first");
    return this.trainer;
  }

  private fail(err: unknown): void {
    this.running = false;
    this.post({ type: "error", message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  }
}
