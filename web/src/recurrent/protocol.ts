/** Messages between the recurrent mode's page code (recurrentMode.ts) and its worker (worker.ts). */
import type { FiniteDifference } from "../viewmodel/finiteDifference.js";
import type { ControlMessage, FrameHeader, WorkerError } from "../worker/controlProtocol.js";
import type { Bptt, RnnParamRef, RnnWeights } from "./bptt.js";
import type { RnnConfig } from "./rnnConfig.js";

/** What a reset message carries besides its generation. */
export interface RecurrentReset {
  config: RnnConfig;
}

/** Explain ∂L/∂`param` on training sequence `example` (answered by a RecurrentExplanation). */
export interface RecurrentExplain {
  type: "explain";
  param: RnnParamRef;
  example: number;
}

export type ToRecurrentWorker = ControlMessage<RecurrentReset> | RecurrentExplain;

export interface RecurrentFrame extends FrameHeader {
  trainLoss: number;
  testLoss: number;
  testAccuracy: number;
  weights: RnnWeights;
}

export interface RecurrentExplanation {
  type: "explain";
  generation: number;
  /** Training steps taken when it was computed. */
  steps: number;
  example: number;
  /** The sequence's ±1 bits. */
  x: number[];
  bptt: Bptt;
  /** The same gradient from the library: loss.backward() on this one sequence, on float64 copies of the weights. */
  backward: number;
  finiteDifference: FiniteDifference;
}

export type FromRecurrentWorker = RecurrentFrame | RecurrentExplanation | WorkerError;
