/**
 * The recurrent worker's state machine: an RnnTrainer plus the
 * play/pause/step loop (time slices, a frame after each, as the MLP's
 * worker/session.ts does) and the step-by-step explanation of a gradient.
 */
import { bptt, rnnFiniteDifference, type RnnParamRef } from "./bptt.js";
import type { FromRecurrentWorker, RecurrentExplanation, ToRecurrentWorker } from "./protocol.js";
import { RnnTrainer } from "./rnnTrainer.js";

/** Aim for a frame every FRAME_MS; each slice trains at least MIN_SLICE_MS. */
const FRAME_MS = 25;
const MIN_SLICE_MS = 3;

export class RecurrentSession {
  private trainer: RnnTrainer | null = null;
  /** Whether it is training (the worker loop asks between slices). */
  isRunning = false;
  private generation = 0;
  private rate = { since: 0, steps: 0, perSecond: 0 };

  constructor(
    private readonly post: (message: FromRecurrentWorker) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  handle(message: ToRecurrentWorker): void {
    try {
      switch (message.type) {
        case "reset":
          this.isRunning = false;
          this.generation = message.generation;
          this.trainer = new RnnTrainer(message.config);
          this.rate = { since: this.now(), steps: 0, perSecond: 0 };
          this.sendFrame();
          break;
        case "play":
          this.isRunning = true;
          this.rate = { since: this.now(), steps: this.trainer?.steps ?? 0, perSecond: this.rate.perSecond };
          break;
        case "pause":
          this.isRunning = false;
          this.sendFrame();
          break;
        case "step":
          this.isRunning = false;
          this.requireTrainer().step();
          this.sendFrame();
          break;
        case "explain":
          this.post(this.explain(message.param, message.example));
          break;
      }
    } catch (err) {
      this.isRunning = false;
      this.post({ type: "error", message: err instanceof Error ? err.message : String(err) });
    }
  }

  /** Trains for one slice if playing, then sends a frame. */
  tick(): void {
    if (!this.isRunning || !this.trainer) return;
    try {
      const start = this.now();
      do this.trainer.step();
      while (this.now() - start < MIN_SLICE_MS || this.now() - start < FRAME_MS / 2);
      const elapsed = this.now() - this.rate.since;
      if (elapsed >= 500) {
        this.rate = { since: this.now(), steps: this.trainer.steps, perSecond: ((this.trainer.steps - this.rate.steps) * 1000) / elapsed };
      }
      this.sendFrame();
    } catch (err) {
      this.isRunning = false;
      this.post({ type: "error", message: err instanceof Error ? err.message : String(err) });
    }
  }

  private requireTrainer(): RnnTrainer {
    if (!this.trainer) throw new Error("recurrent worker: no network yet (send reset first)");
    return this.trainer;
  }

  private sendFrame(): void {
    const t = this.requireTrainer();
    this.post({
      type: "frame", generation: this.generation, steps: t.steps, ...t.evaluate(),
      stepsPerSecond: this.rate.perSecond, running: this.isRunning, weights: t.weights(),
    });
  }

  private explain(param: RnnParamRef, example: number): RecurrentExplanation {
    const t = this.requireTrainer();
    const { x, y } = t.sequence(example);
    const w = t.weights();
    return {
      type: "explain", generation: this.generation, steps: t.steps, example, x: Array.from(x),
      bptt: bptt(w, x, y, param), backward: t.exampleGradient(example, param).grad, finiteDifference: rnnFiniteDifference(w, x, y, param),
    };
  }
}
