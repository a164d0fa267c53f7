/**
 * The 2-D toy datasets (and one 1-D regression curve), drawn in the page.
 * Coordinates lie in [-DATA_EXTENT, DATA_EXTENT]; `noise` (0..1) blurs the
 * classes into each other. The shapes are drawn in the unit square and then
 * scaled: with inputs of a few units, the lecture's sigmoid network leaves
 * its initial plateau (every output near 0.5) within a few thousand steps,
 * where unit-sized inputs keep it there far longer.
 */
import type { Dataset } from "./dataset.js";
import { SeededRandom } from "./random.js";

/** Half the side of the square the 2-D data lies in (and the x range of the sine curve). */
export const DATA_EXTENT = 3;
/** Half the side of the square the 2-D views show: the data plus a margin. */
export const VIEW_EXTENT = 1.3 * DATA_EXTENT;

export type ToyName = "circle" | "xor" | "gaussians" | "spiral" | "sine";

export const TOY_NAMES: readonly ToyName[] = ["circle", "xor", "gaussians", "spiral", "sine"];

export interface ToyOptions {
  /** Number of examples. */
  n: number;
  /** 0 = clean, 1 = very noisy. */
  noise: number;
  seed: number;
}

function checkOptions(name: string, { n, noise }: ToyOptions): void {
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`${name}: n must be an integer of at least 2, got ${n}`);
  if (!(noise >= 0 && noise <= 1)) throw new RangeError(`${name}: noise must lie in [0, 1], got ${noise}`);
}

function binary(name: string, x: Float32Array, y: Float32Array): Dataset {
  return { name, task: "binary", inputDim: 2, numClasses: 2, x, y, length: y.length };
}

/** Class 1 inside a disc of radius 0.5, class 0 in the ring between 0.7 and 1. */
export function circle(opts: ToyOptions): Dataset {
  checkOptions("circle", opts);
  const rng = new SeededRandom(opts.seed);
  const x = new Float32Array(opts.n * 2);
  const y = new Float32Array(opts.n);
  for (let i = 0; i < opts.n; i++) {
    const inside = i % 2 === 0;
    const radius = inside ? rng.uniform(0, 0.5) : rng.uniform(0.7, 1);
    const angle = rng.uniform(0, 2 * Math.PI);
    x[2 * i] = DATA_EXTENT * (radius * Math.cos(angle) + opts.noise * 0.3 * rng.normal());
    x[2 * i + 1] = DATA_EXTENT * (radius * Math.sin(angle) + opts.noise * 0.3 * rng.normal());
    y[i] = inside ? 1 : 0;
  }
  return binary("circle", x, y);
}

/** Class 1 where the two coordinates have the same sign (quadrants I and III). */
export function xor(opts: ToyOptions): Dataset {
  checkOptions("xor", opts);
  const rng = new SeededRandom(opts.seed);
  const x = new Float32Array(opts.n * 2);
  const y = new Float32Array(opts.n);
  const margin = 0.05; // keeps the clean points off the axes, where the label flips
  for (let i = 0; i < opts.n; i++) {
    let a = rng.uniform(-1, 1);
    let b = rng.uniform(-1, 1);
    a += a > 0 ? margin : -margin;
    b += b > 0 ? margin : -margin;
    y[i] = a * b > 0 ? 1 : 0;
    x[2 * i] = DATA_EXTENT * (a + opts.noise * 0.3 * rng.normal());
    x[2 * i + 1] = DATA_EXTENT * (b + opts.noise * 0.3 * rng.normal());
  }
  return binary("xor", x, y);
}

/** Two round clouds, class 1 around (0.4, 0.4) and class 0 around (-0.4, -0.4). */
export function gaussians(opts: ToyOptions): Dataset {
  checkOptions("gaussians", opts);
  const rng = new SeededRandom(opts.seed);
  const x = new Float32Array(opts.n * 2);
  const y = new Float32Array(opts.n);
  const spread = 0.15 + 0.35 * opts.noise;
  for (let i = 0; i < opts.n; i++) {
    const label = i % 2 === 0 ? 1 : 0;
    const centre = label === 1 ? 0.4 : -0.4;
    x[2 * i] = DATA_EXTENT * (centre + spread * rng.normal());
    x[2 * i + 1] = DATA_EXTENT * (centre + spread * rng.normal());
    y[i] = label;
  }
  return binary("gaussians", x, y);
}

/** Two interleaved spiral arms, 1.75 turns each. */
export function spiral(opts: ToyOptions): Dataset {
  checkOptions("spiral", opts);
  const rng = new SeededRandom(opts.seed);
  const x = new Float32Array(opts.n * 2);
  const y = new Float32Array(opts.n);
  const half = Math.ceil(opts.n / 2);
  for (let i = 0; i < opts.n; i++) {
    const label = i % 2 === 0 ? 1 : 0;
    const t = Math.floor(i / 2) / half; // 0..1 along the arm
    const radius = 0.05 + 0.9 * t;
    const angle = 1.75 * 2 * Math.PI * t + (label === 1 ? 0 : Math.PI);
    x[2 * i] = DATA_EXTENT * (radius * Math.sin(angle) + opts.noise * 0.15 * rng.normal());
    x[2 * i + 1] = DATA_EXTENT * (radius * Math.cos(angle) + opts.noise * 0.15 * rng.normal());
    y[i] = label;
  }
  return binary("spiral", x, y);
}

/** y = 0.8·sin(πx/DATA_EXTENT) plus noise, x uniform in [-DATA_EXTENT, DATA_EXTENT]: a 1-D regression curve. */
export function sine(opts: ToyOptions): Dataset {
  checkOptions("sine", opts);
  const rng = new SeededRandom(opts.seed);
  const x = new Float32Array(opts.n);
  const y = new Float32Array(opts.n);
  for (let i = 0; i < opts.n; i++) {
    x[i] = DATA_EXTENT * rng.uniform(-1, 1);
    y[i] = sineCurve(x[i]) + opts.noise * 0.3 * rng.normal();
  }
  return { name: "sine", task: "regression", inputDim: 1, numClasses: 1, x, y, length: opts.n };
}

/** The noiseless curve the sine dataset samples. */
export function sineCurve(x: number): number {
  return 0.8 * Math.sin((Math.PI * x) / DATA_EXTENT);
}

const GENERATORS: Record<ToyName, (opts: ToyOptions) => Dataset> = { circle, xor, gaussians, spiral, sine };

export function makeToy(name: ToyName, opts: ToyOptions): Dataset {
  const make = GENERATORS[name];
  if (!make) throw new RangeError(`makeToy: unknown dataset "${String(name)}"; choose one of ${TOY_NAMES.join(", ")}`);
  return make(opts);
}
