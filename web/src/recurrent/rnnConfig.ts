/**
 * The recurrent mode's settings, their limits and their check. Kept apart
 * from the trainer (which needs the library) so that the page's own
 * bundle, which reads and writes these in the form and the address, does
 * not pull the library in.
 */
import { LIMITS } from "../config.js";
import { MAX_STEPS, MIN_STEPS, SEQUENCE_TASKS, type SequenceTaskName } from "./sequenceTask.js";

export interface RnnConfig {
  task: SequenceTaskName;
  /** T */
  steps: number;
  hidden: number;
  learningRate: number;
  seed: number;
}

export const MAX_HIDDEN = 8;
export const MAX_RNN_LEARNING_RATE = 10;
export const TRAIN_SEQUENCES = 64;
export const TEST_SEQUENCES = 256;

export const DEFAULT_RNN_CONFIG: RnnConfig = { task: "first-bit", steps: 6, hidden: 3, learningRate: 0.05, seed: 1 };

export function validateRnnConfig(c: RnnConfig): string[] {
  const problems: string[] = [];
  if (!SEQUENCE_TASKS.includes(c.task)) problems.push(`task must be one of ${SEQUENCE_TASKS.join(", ")}`);
  if (!Number.isInteger(c.steps) || c.steps < MIN_STEPS || c.steps > MAX_STEPS) problems.push(`sequence length T must be a whole number ${MIN_STEPS}..${MAX_STEPS}, got ${c.steps}`);
  if (!Number.isInteger(c.hidden) || c.hidden < 1 || c.hidden > MAX_HIDDEN) problems.push(`hidden units must be a whole number 1..${MAX_HIDDEN}, got ${c.hidden}`);
  if (!(c.learningRate > 0 && c.learningRate <= MAX_RNN_LEARNING_RATE)) problems.push(`learning rate must be in (0, ${MAX_RNN_LEARNING_RATE}], got ${c.learningRate}`);
  if (!Number.isInteger(c.seed) || c.seed < 0 || c.seed > LIMITS.maxSeed) problems.push(`seed must be a whole number 0..${LIMITS.maxSeed}, got ${c.seed}`);
  return problems;
}
