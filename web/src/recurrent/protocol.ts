/** Messages between the recurrent mode's page code (recurrentMode.ts) and its worker (worker.ts). */
import type { FiniteDifference } from "../viewmodel/finiteDifference.js";
import type { Bptt, RnnParamRef, RnnWeights } from "./bptt.js";
import type { RnnConfig } from "./rnnConfig.js";

export type ToRecurrentWorker =
  | { type: "reset"; config: RnnConfig; generation: number }
  | { type: "play" }
  | { type: "pause" }
  | { type: "step" }
  | { type: "explain"; param: RnnParamRef; example: number };

export interface RecurrentFrame {
  type: "frame";
  generation: number;
  steps: number;
  trainLoss: number;
  testLoss: number;
  testAccuracy: number;
  stepsPerSecond: number;
  running: boolean;
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

export type FromRecurrentWorker = RecurrentFrame | RecurrentExplanation | { type: "error"; message: string };
