/** Short numeric summaries of tensors, for labels and tables. */
import type { Tensor } from "../tensor/tensor.js";

export interface Summary {
  shape: readonly number[];
  mean: number;
  min: number;
  max: number;
  /** Frobenius norm: the square root of the sum of squares of all entries. */
  norm: number;
}

export function summarize(t: Tensor): Summary {
  return summarizeArray(t.data(), t.shape);
}

export function summarizeArray(values: ArrayLike<number>, shape: readonly number[]): Summary {
  let sum = 0;
  let sq = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    sum += v;
    sq += v * v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const n = values.length;
  return { shape, mean: n ? sum / n : NaN, min: n ? min : NaN, max: n ? max : NaN, norm: Math.sqrt(sq) };
}

export function norm(values: ArrayLike<number>): number {
  let sq = 0;
  for (let i = 0; i < values.length; i++) sq += values[i] * values[i];
  return Math.sqrt(sq);
}

/** Compact number: 4 significant digits, exponent form for very small or large magnitudes. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(3);
  return String(Number(v.toPrecision(4)));
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join("×")}]`;
}

export function formatSummary(s: Summary): string {
  return `mean ${formatNumber(s.mean)}, range [${formatNumber(s.min)}, ${formatNumber(s.max)}], ‖·‖ ${formatNumber(s.norm)}`;
}
