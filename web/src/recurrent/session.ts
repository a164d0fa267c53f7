/**
 * The recurrent worker's session: the shared play/pause/step loop
 * (../worker/sliceLoop.ts) driving an RnnTrainer, and the step-by-step
 * explanation of a gradient.
 */
import type { FrameBody, ResetMessage } from "../worker/controlProtocol.js";
import { SliceLoop, type Pacing, type TrainingMode } from "../worker/sliceLoop.js";
import { bptt, rnnFiniteDifference } from "./bptt.js";
import type { FromRecurrentWorker, RecurrentExplain, RecurrentExplanation, RecurrentFrame, RecurrentReset } from "./protocol.js";
import { RnnTrainer } from "./rnnTrainer.js";

/** A frame about every 25 ms; steps per second over half-second windows (a run here is often short). */
export const RECURRENT_PACING: Pacing = { frameMs: 25, minSliceMs: 3, rateWindowMs: 500 };

type RecurrentBody = FrameBody<RecurrentFrame>;

export class RecurrentSession extends SliceLoop<RecurrentReset, RecurrentBody, RecurrentExplain> {
  constructor(post: (message: FromRecurrentWorker) => void, now: () => number = () => performance.now()) {
    super(new RecurrentMode(post), post, RECURRENT_PACING, now);
  }
}

class RecurrentMode implements TrainingMode<RecurrentReset, RecurrentBody, RecurrentExplain> {
  private trainer: RnnTrainer | null = null;
  /** The reset the network belongs to, for the explanations (the loop stamps the frames). */
  private generation = 0;

  constructor(private readonly post: (message: FromRecurrentWorker) => void) {}

  get steps(): number {
    return this.requireTrainer().steps;
  }

  reset(message: ResetMessage<RecurrentReset>): void {
    this.trainer = new RnnTrainer(message.config);
    this.generation = message.generation;
  }

  step(): number {
    return this.requireTrainer().step();
  }

  frame(): RecurrentBody {
    const t = this.requireTrainer();
    return { ...t.evaluate(), weights: t.weights() };
  }

  answer({ param, example }: RecurrentExplain): void {
    const t = this.requireTrainer();
    const { x, y } = t.sequence(example);
    const w = t.weights();
    const explanation: RecurrentExplanation = {
      type: "explain", generation: this.generation, steps: t.steps, example, x: Array.from(x),
      bptt: bptt(w, x, y, param), backward: t.exampleGradient(example, param).grad, finiteDifference: rnnFiniteDifference(w, x, y, param),
    };
    this.post(explanation);
  }

  private requireTrainer(): RnnTrainer {
    if (!this.trainer) throw new Error("recurrent worker: no network yet (send reset first)");
    return this.trainer;
  }
}
