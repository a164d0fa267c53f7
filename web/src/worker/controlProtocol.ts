/**
 * The messages every mode's worker answers the same way (the slice loop,
 * sliceLoop.ts), and what each of its frames and errors carries. Each mode's
 * protocol (../protocol.ts, ../convnet/protocol.ts, ../recurrent/protocol.ts)
 * adds its own reset settings, frame contents and questions.
 */

export type ControlMessage<Settings> =
  /** Stop, and build a new network from `Settings`; its frames carry `generation`. */
  | ({ type: "reset"; generation: number } & Settings)
  /** Train in time slices, a frame after each, until pause, step or reset. */
  | { type: "play" }
  /** Stop (answered by a frame). */
  | { type: "pause" }
  /** Stop and take one step (answered by a frame). */
  | { type: "step" };

export type ControlType = ControlMessage<unknown>["type"];

/** The reset message of a mode whose network is built from `Settings`. */
export type ResetMessage<Settings> = Extract<ControlMessage<Settings>, { type: "reset" }>;

/** The fields the loop puts on every frame; each mode's frame adds what it shows. */
export interface FrameHeader {
  type: "frame";
  /** The reset this frame belongs to (echoed from the reset message). */
  generation: number;
  /** Optimizer steps the network has taken. */
  steps: number;
  /** Optimizer steps per second, measured over the last window of training (0 until one is over). */
  stepsPerSecond: number;
  /** Milliseconds the worker spent building the previous frame (evaluation, images, copies). */
  frameMs: number;
  running: boolean;
}

/** A request that failed, or training that stopped (a diverged loss), in words. */
export interface WorkerError {
  type: "error";
  message: string;
}

/** What a mode's frame `F` shows besides the loop's fields (what its TrainingMode builds). */
export type FrameBody<F extends FrameHeader> = Omit<F, keyof FrameHeader>;
