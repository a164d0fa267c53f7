/**
 * Seeded pseudo-random numbers: xoshiro128** seeded through splitmix32.
 * One global generator serves rand/randn/initialisation/shuffling;
 * `manualSeed` resets it, and `Generator` objects give independent streams.
 * State is four 32-bit words, so it can be saved and restored exactly.
 */
import { ValueError } from "../errors.js";

/** A generator's exact state: JSON-safe. */
export interface GeneratorState {
  words: number[];
  spare: number | null;
}

export class Generator {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  /** A spare normal deviate from Box–Muller's second output. */
  private spare: number | null = null;

  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  manualSeed(seed: number): this {
    if (!Number.isFinite(seed)) throw new ValueError(`manualSeed: seed must be a finite number, got ${seed}`);
    // splitmix32 spreads any seed over the 128-bit state (never all zero).
    let x = (Math.floor(seed) ^ Math.floor(seed / 2 ** 32)) >>> 0;
    const next = () => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next(); this.s1 = next(); this.s2 = next(); this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
    this.spare = null;
    return this;
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  random(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal deviate (Box–Muller, both outputs used). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.random();
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in [low, high). */
  integer(low: number, high: number): number {
    return low + Math.floor(this.random() * (high - low));
  }

  /** The exact state, for checkpoints. */
  getState(): GeneratorState {
    return { words: [this.s0, this.s1, this.s2, this.s3], spare: this.spare };
  }

  setState(state: GeneratorState): void {
    if (!state || !Array.isArray(state.words) || state.words.length !== 4) {
      throw new ValueError("Generator.setState: expected the { words: [4 numbers], spare } object that getState() returns");
    }
    [this.s0, this.s1, this.s2, this.s3] = state.words.map((w) => w >>> 0);
    this.spare = typeof state.spare === "number" ? state.spare : null;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The generator used when no `generator` option is given. */
export const defaultGenerator = new Generator(0x5eed);

/** Seeds the default generator: the same seed gives the same numbers, bit for bit. */
export function manualSeed(seed: number): Generator {
  return defaultGenerator.manualSeed(seed);
}
