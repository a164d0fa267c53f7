/**
 * Learning-rate schedulers (bp.optim.lrScheduler). Each step() rewrites
 * `lr` in every parameter group of its optimizer using PyTorch's
 * recursive ("chainable") formulas, so the values match PyTorch's to
 * rounding. Construction performs the initial step, as in PyTorch.
 */
import { StateDictError, ValueError } from "../errors.js";
import type { Optimizer } from "./optimizer.js";
import { checkRange } from "./optimizer.js";

export type SchedulerStateDict = Record<string, unknown>;

export abstract class LRScheduler {
  /** Steps taken so far (0 right after construction). */
  lastEpoch = -1;
  /** Each group's lr when the scheduler was created. */
  baseLrs: number[];
  protected lastLr: number[] = [];

  constructor(readonly optimizer: Optimizer<any>) {
    if (!optimizer || !Array.isArray(optimizer.paramGroups)) {
      throw new TypeError(`${new.target.name}: the first argument must be an optimizer (e.g. new bp.optim.SGD(...))`);
    }
    this.baseLrs = optimizer.paramGroups.map((g) => g.lr);
  }

  /** The lrs for `lastEpoch`, computed from the groups' current lrs. */
  protected abstract computeLr(): number[];

  /** Advances one epoch (or iteration) and writes the new lrs into the optimizer. */
  step(): void {
    this.lastEpoch += 1;
    const lrs = this.computeLr();
    this.optimizer.paramGroups.forEach((g, i) => { g.lr = lrs[i]; });
    this.lastLr = lrs.slice();
  }

  /** The lrs set by the last step(), one per parameter group. */
  getLastLr(): number[] {
    return this.lastLr.slice();
  }

  /** Everything but the optimizer, as plain data. */
  stateDict(): SchedulerStateDict {
    const out: SchedulerStateDict = {};
    for (const [k, v] of Object.entries(this)) if (k !== "optimizer") out[k] = Array.isArray(v) ? [...v] : v;
    return out;
  }

  loadStateDict(stateDict: SchedulerStateDict): void {
    if (!stateDict || typeof stateDict !== "object" || typeof stateDict.lastEpoch !== "number") {
      throw new StateDictError(`${this.constructor.name}.loadStateDict: expected the object stateDict() returns (with a numeric lastEpoch)`);
    }
    for (const [k, v] of Object.entries(stateDict)) if (k !== "optimizer") (this as Record<string, unknown>)[k] = Array.isArray(v) ? [...v] : v;
  }

  protected currentLrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }
}

/** Multiplies the lr by gamma every stepSize steps. */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;

  constructor(optimizer: Optimizer<any>, options: { stepSize: number; gamma?: number }) {
    super(optimizer);
    this.stepSize = options?.stepSize;
    this.gamma = options?.gamma ?? 0.1;
    if (!Number.isInteger(this.stepSize) || this.stepSize < 1) throw new ValueError(`StepLR: stepSize must be a positive integer, got ${this.stepSize}`);
    checkRange("StepLR", "gamma", this.gamma);
    this.step();
  }

  protected computeLr(): number[] {
    const lrs = this.currentLrs();
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return lrs;
    return lrs.map((lr) => lr * this.gamma);
  }
}

/** Multiplies the lr by gamma every step. */
export class ExponentialLR extends LRScheduler {
  readonly gamma: number;

  constructor(optimizer: Optimizer<any>, options: { gamma: number }) {
    super(optimizer);
    this.gamma = options?.gamma;
    checkRange("ExponentialLR", "gamma", this.gamma);
    this.step();
  }

  protected computeLr(): number[] {
    const lrs = this.currentLrs();
    return this.lastEpoch === 0 ? lrs : lrs.map((lr) => lr * this.gamma);
  }
}

/** Cosine annealing from the base lr to etaMin over tMax steps (and back up, periodically, after). */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;

  constructor(optimizer: Optimizer<any>, options: { tMax: number; etaMin?: number }) {
    super(optimizer);
    this.tMax = options?.tMax;
    this.etaMin = options?.etaMin ?? 0;
    if (!Number.isInteger(this.tMax) || this.tMax < 1) throw new ValueError(`CosineAnnealingLR: tMax must be a positive integer, got ${this.tMax}`);
    this.step();
  }

  protected computeLr(): number[] {
    const lrs = this.currentLrs();
    const e = this.lastEpoch;
    const T = this.tMax;
    if (e === 0) return lrs;
    if (mod(e - 1 - T, 2 * T) === 0) {
      return lrs.map((lr, i) => lr + ((this.baseLrs[i] - this.etaMin) * (1 - Math.cos(Math.PI / T))) / 2);
    }
    return lrs.map((lr) =>
      ((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) * (lr - this.etaMin) + this.etaMin);
  }
}

/** Scales the lr linearly from startFactor to endFactor over totalIters steps. */
export class LinearLR extends LRScheduler {
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;

  constructor(optimizer: Optimizer<any>, options: { startFactor?: number; endFactor?: number; totalIters?: number } = {}) {
    super(optimizer);
    this.startFactor = options.startFactor ?? 1 / 3;
    this.endFactor = options.endFactor ?? 1;
    this.totalIters = options.totalIters ?? 5;
    if (!(this.startFactor > 0 && this.startFactor <= 1)) throw new ValueError(`LinearLR: startFactor must be in (0, 1], got ${this.startFactor}`);
    if (!(this.endFactor >= 0 && this.endFactor <= 1)) throw new ValueError(`LinearLR: endFactor must be in [0, 1], got ${this.endFactor}`);
    if (!Number.isInteger(this.totalIters) || this.totalIters < 0) throw new ValueError(`LinearLR: totalIters must be a non-negative integer, got ${this.totalIters}`);
    this.step();
  }

  protected computeLr(): number[] {
    const lrs = this.currentLrs();
    const e = this.lastEpoch;
    if (e === 0) return lrs.map((lr) => lr * this.startFactor);
    if (e > this.totalIters) return lrs;
    const s = this.startFactor;
    const d = this.endFactor - s;
    return lrs.map((lr) => lr * (1 + d / (this.totalIters * s + (e - 1) * d)));
  }
}

/** Python's modulo (the result has the divisor's sign). */
function mod(a: number, m: number): number {
  return ((a % m) + m) % m;
}
