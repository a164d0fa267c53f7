/**
 * The recurrent mode's data: sequences of T bits, written as ±1 (a tanh
 * unit sees both signs), each with one ±1 target.
 *
 * - "first-bit": the target is the first bit. The answer sits T steps
 *   back, so its gradient has to travel the whole unrolled chain: the task
 *   that shows vanishing gradients as T grows.
 * - "last-bit": the target is the last bit; the gradient needs one step.
 *   The contrast to "first-bit".
 * - "parity": +1 when the number of +1 bits is odd. Every step matters.
 */
import { SeededRandom } from "../data/random.js";

export type SequenceTaskName = "first-bit" | "last-bit" | "parity";

export const SEQUENCE_TASKS: readonly SequenceTaskName[] = ["first-bit", "last-bit", "parity"];

export const TASK_LABELS: Record<SequenceTaskName, string> = {
  "first-bit": "remember the first bit",
  "last-bit": "repeat the last bit",
  parity: "parity of the bits",
};

/** Sequence lengths the page offers. */
export const MIN_STEPS = 2;
export const MAX_STEPS = 20;

export interface SequenceData {
  task: SequenceTaskName;
  /** T, the steps per sequence. */
  steps: number;
  /** Sequences. */
  count: number;
  /** [count, steps] row-major, each ±1. */
  x: Float32Array;
  /** [count], each ±1. */
  y: Float32Array;
}

export function sequenceTarget(task: SequenceTaskName, bits: ArrayLike<number>): number {
  switch (task) {
    case "first-bit":
      return bits[0];
    case "last-bit":
      return bits[bits.length - 1];
    case "parity": {
      let ones = 0;
      for (let t = 0; t < bits.length; t++) if (bits[t] > 0) ones++;
      return ones % 2 === 1 ? 1 : -1;
    }
  }
}

export function makeSequences(task: SequenceTaskName, steps: number, count: number, seed: number): SequenceData {
  if (!SEQUENCE_TASKS.includes(task)) throw new RangeError(`makeSequences: unknown task "${String(task)}"; use one of ${SEQUENCE_TASKS.join(", ")}`);
  if (!Number.isInteger(steps) || steps < MIN_STEPS || steps > MAX_STEPS) {
    throw new RangeError(`makeSequences: the sequence length must be a whole number ${MIN_STEPS}..${MAX_STEPS}, got ${steps}`);
  }
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`makeSequences: need at least one sequence, got ${count}`);
  const random = new SeededRandom(seed);
  const x = new Float32Array(count * steps);
  const y = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const bits = x.subarray(i * steps, (i + 1) * steps);
    for (let t = 0; t < steps; t++) bits[t] = random.next() < 0.5 ? -1 : 1;
    y[i] = sequenceTarget(task, bits);
  }
  return { task, steps, count, x, y };
}
