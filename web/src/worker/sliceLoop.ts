/**
 * The play/pause/step loop every mode's worker runs, in one place: it
 * answers the control messages (controlProtocol.ts), trains in time slices
 * while playing with a frame after each, measures steps per second, and
 * turns whatever throws into an error message that stops training. What a
 * step is, what a frame shows and the mode's own questions come from its
 * TrainingMode. serve.ts calls `tick` between the page's messages.
 */
import type { ControlMessage, ControlType, FrameHeader, ResetMessage, WorkerError } from "./controlProtocol.js";

/** What the loop needs from a mode (the MLP, the convnet, the recurrent network). */
export interface TrainingMode<Settings, Body, Question> {
  /** Steps the current network has taken; reading it before the first reset throws the mode's "no network yet" error. */
  readonly steps: number;
  /** Drops the network and builds a new one from the reset message's settings. */
  reset(message: ResetMessage<Settings>): void;
  /** Takes one optimizer step and returns its batch loss. */
  step(): number;
  /** What the next frame shows besides the loop's own fields. */
  frame(): Body;
  /** Answers one of the mode's own messages (a question about the network, an edit). */
  answer(message: Question, loop: LoopHandle): void;
  /** Said after "training diverged ...": what to change (e.g. the learning rate). */
  divergenceAdvice?(): string;
}

/** What a mode's answers may do to the loop. */
export interface LoopHandle {
  /** Stops training (no frame). */
  stop(): void;
  sendFrame(): void;
  /** Stops training and posts the error's message. */
  fail(err: unknown): void;
}

/**
 * How a mode spends its time while playing. Each slice trains for
 * `frameMs` minus what the previous frame took to build, but at least
 * `minSliceMs`, so a frame goes out about every `frameMs` and training
 * always moves. Steps per second are measured over windows of at least
 * `rateWindowMs`.
 */
export interface Pacing {
  frameMs: number;
  minSliceMs: number;
  rateWindowMs: number;
}

const CONTROL_TYPES: ReadonlySet<string> = new Set<ControlType>(["reset", "play", "pause", "step"]);

export class SliceLoop<Settings, Body, Question extends { type: string }> implements LoopHandle {
  private running = false;
  private generation = 0;
  /** Milliseconds the last frame took to build. */
  private frameCost = 0;
  /** The current measuring window: its start, the step count then, and the previous window's rate. */
  private rate = { since: 0, steps: 0, perSecond: 0 };

  constructor(
    private readonly mode: TrainingMode<Settings, Body, Question>,
    private readonly post: (message: (FrameHeader & Body) | WorkerError) => void,
    private readonly pacing: Pacing,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  handle(message: ControlMessage<Settings> | Question): void {
    try {
      if (CONTROL_TYPES.has(message.type)) this.control(message as ControlMessage<Settings>);
      else this.mode.answer(message as Question, this);
    } catch (err) {
      this.fail(err);
    }
  }

  /** Trains for one slice if playing, then sends a frame; returns whether it trained. */
  tick(): boolean {
    if (!this.running) return false;
    try {
      const start = this.now();
      const slice = Math.max(this.pacing.minSliceMs, this.pacing.frameMs - this.frameCost);
      do this.trainStep();
      while (this.now() - start < slice);
      this.updateRate();
      this.sendFrame();
    } catch (err) {
      this.fail(err);
    }
    return true;
  }

  stop(): void {
    this.running = false;
  }

  sendFrame(): void {
    const start = this.now();
    const header: FrameHeader = {
      type: "frame", generation: this.generation, steps: this.mode.steps,
      stepsPerSecond: this.rate.perSecond, frameMs: this.frameCost, running: this.running,
    };
    this.post({ ...header, ...this.mode.frame() });
    this.frameCost = this.now() - start;
  }

  fail(err: unknown): void {
    this.running = false;
    this.post({ type: "error", message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  }

  private control(message: ControlMessage<Settings>): void {
    switch (message.type) {
      case "reset":
        this.running = false;
        this.generation = message.generation;
        this.mode.reset(message);
        this.rate = { since: this.now(), steps: 0, perSecond: 0 };
        this.sendFrame();
        break;
      case "play":
        this.rate = { since: this.now(), steps: this.mode.steps, perSecond: this.rate.perSecond };
        this.running = true;
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
    }
  }

  /** One step; a loss that is no longer a number stops training with a message, rather than drawing NaN. */
  private trainStep(): void {
    const loss = this.mode.step();
    if (Number.isFinite(loss)) return;
    const advice = this.mode.divergenceAdvice?.();
    throw new RangeError(`training diverged at step ${this.mode.steps}: the batch loss became ${loss}${advice ? `; ${advice}` : ""}`);
  }

  private updateRate(): void {
    const elapsed = this.now() - this.rate.since;
    if (elapsed < this.pacing.rateWindowMs) return;
    const steps = this.mode.steps;
    this.rate = { since: this.now(), steps, perSecond: ((steps - this.rate.steps) * 1000) / elapsed };
  }
}
