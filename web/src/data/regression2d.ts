/**
 * The two 2-D regression datasets of TensorFlow Playground, drawn our own
 * way: a tilted plane, and a few signed gaussian bumps. Points lie uniformly
 * in [-DATA_EXTENT, DATA_EXTENT]², targets in [-1, 1]; `noise` (0..1) moves
 * the point at which the target is read, so noisy targets stay in range.
 */
import type { Dataset } from "./dataset.js";
import { SeededRandom } from "./random.js";
import { DATA_EXTENT } from "./toy.js";

export type Regression2dName = "reg-plane" | "reg-gauss";

export const REGRESSION_2D_NAMES: readonly Regression2dName[] = ["reg-plane", "reg-gauss"];

export function isRegression2dName(name: string): name is Regression2dName {
  return (REGRESSION_2D_NAMES as readonly string[]).includes(name);
}

/** The plane's height at (x, y): (x + y) / (2·DATA_EXTENT), -1 at one corner, +1 at the opposite one. */
export function planeTarget(x: number, y: number): number {
  return (x + y) / (2 * DATA_EXTENT);
}

/** Bumps as [centre x, centre y, sign], in units of DATA_EXTENT. */
const BUMPS: readonly (readonly [number, number, number])[] = [
  [-0.6, 0.6, 1], [0.6, 0.6, -1], [0, 0, 1], [-0.6, -0.6, -1], [0.6, -0.6, 1],
];
/** Width of each bump, in units of DATA_EXTENT. */
const BUMP_WIDTH = 0.3;

/** The bumps' height at (x, y): the strongest bump's signed value, in [-1, 1]. */
export function gaussTarget(x: number, y: number): number {
  let best = 0;
  for (const [cx, cy, sign] of BUMPS) {
    const dx = x / DATA_EXTENT - cx;
    const dy = y / DATA_EXTENT - cy;
    const v = Math.exp(-(dx * dx + dy * dy) / (2 * BUMP_WIDTH * BUMP_WIDTH));
    if (v > Math.abs(best)) best = sign * v;
  }
  return best;
}

export interface Regression2dOptions {
  n: number;
  noise: number;
  seed: number;
}

export function makeRegression2d(name: Regression2dName, { n, noise, seed }: Regression2dOptions): Dataset {
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`${name}: n must be an integer of at least 2, got ${n}`);
  if (!(noise >= 0 && noise <= 1)) throw new RangeError(`${name}: noise must lie in [0, 1], got ${noise}`);
  const target = name === "reg-plane" ? planeTarget : gaussTarget;
  const rng = new SeededRandom(seed);
  const x = new Float32Array(n * 2);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const px = rng.uniform(-DATA_EXTENT, DATA_EXTENT);
    const py = rng.uniform(-DATA_EXTENT, DATA_EXTENT);
    x[2 * i] = px;
    x[2 * i + 1] = py;
    // Noise shifts where the target is read, by up to half the square at noise 1.
    y[i] = target(px + noise * DATA_EXTENT * rng.uniform(-0.5, 0.5), py + noise * DATA_EXTENT * rng.uniform(-0.5, 0.5));
  }
  return { name, task: "regression", inputDim: 2, numClasses: 1, x, y, length: n };
}
