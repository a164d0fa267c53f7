/**
 * How many threads the wasm and native backends' large matmuls may use (the
 * calling thread plus workers), like torch.set_num_threads. Unless the user
 * sets it, the wasm backend picks the machine's core count when it loads and
 * the native addon its own default. What runs is the current backend's
 * `numThreads()`, which bp.getNumThreads reports (src/backend/registry.ts).
 */
import { ValueError } from "../../errors.js";

let requested: number | null = null;
let chosenByBackend = 1;
const listeners: ((n: number) => void)[] = [];

export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new ValueError(`setNumThreads: expected a positive integer, got ${String(n)}`);
  }
  requested = n;
  for (const listener of listeners) listener(n);
}

/**
 * The thread count asked for: the value set by setNumThreads, else the wasm
 * backend's default (1 before it loads). What a backend actually uses is
 * its `numThreads()` (bp.getNumThreads asks the current backend).
 */
export function threadSetting(): number {
  return requested ?? chosenByBackend;
}

/** The wasm backend's default, used while the user has not chosen. */
export function setDefaultThreads(n: number): void {
  chosenByBackend = n;
}

/** Calls `listener` with every later setNumThreads value (the backend starts workers). */
export function onNumThreadsChange(listener: (n: number) => void): void {
  listeners.push(listener);
}
