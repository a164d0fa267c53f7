/**
 * The rules that decide what a column is, each with a reason the CLI prints
 * (docs/cli.md states the same rules):
 *
 * - a target is classification when its values are text (or booleans), or
 *   whole numbers with at most 50 distinct values that are also at most
 *   half the rows; anything else is regression;
 * - a feature column is numeric when every present cell is a number, and
 *   categorical (one-hot encoded) when its cells are text; a column of
 *   numbers with a few text cells is a typo, not a category.
 */
import type { Task } from "./options.js";

/** At most this many distinct whole-number values make a target classes… */
export const MAX_INFERRED_CLASSES = 50;
/** …and at most this share of the rows (a 40-row file with 40 prices is not 40 classes). */
export const MAX_CLASS_SHARE_OF_ROWS = 0.5;
/** More classes than this need --max-classes: a mistaken target otherwise builds a network with millions of outputs. */
export const DEFAULT_MAX_CLASSES = 1000;

export interface TaskInference {
  task: Task;
  /** Why, in words: "text labels", "whole numbers with 3 distinct values (≤ 50 and ≤ half of the 150 rows)". */
  reason: string;
}

/**
 * The task for a target column: `numbers` are its numeric cells, `texts` its
 * text cells (missing ones excluded). Any text makes labels.
 */
export function inferTask(numbers: ArrayLike<number>, textCount: number, rows: number): TaskInference {
  if (textCount > 0) return { task: "classify", reason: "the values are text labels" };
  const distinct = new Set<number>();
  let fractional = false;
  for (let i = 0; i < numbers.length; i++) {
    const v = numbers[i];
    if (!Number.isInteger(v)) fractional = true;
    if (distinct.size <= MAX_INFERRED_CLASSES) distinct.add(v);
  }
  if (fractional) return { task: "regress", reason: "the values are numbers with fractions" };
  const n = distinct.size;
  const shown = n > MAX_INFERRED_CLASSES ? `more than ${MAX_INFERRED_CLASSES}` : String(n);
  if (n > MAX_INFERRED_CLASSES) return { task: "regress", reason: `whole numbers with ${shown} distinct values, too many for classes: at most ${MAX_INFERRED_CLASSES}` };
  if (n > rows * MAX_CLASS_SHARE_OF_ROWS) {
    return { task: "regress", reason: `whole numbers with ${n} distinct values in ${rows} rows, too many for classes: at most half the rows` };
  }
  return { task: "classify", reason: `whole numbers with ${n} distinct values in ${rows} rows, few enough for classes: at most ${MAX_INFERRED_CLASSES} and at most half the rows` };
}

export type FeatureKind = "numeric" | "categorical" | "typo";

/**
 * A feature column's kind from its counts of number and text cells (missing
 * ones excluded): text only → categorical; numbers with fewer text cells than
 * numbers → a typo to report; numbers only → numeric.
 */
export function featureKind(numberCount: number, textCount: number): FeatureKind {
  if (textCount === 0) return "numeric";
  if (numberCount === 0 || textCount > numberCount) return "categorical";
  return "typo";
}

/** Distinct labels in a stable order: numerically when all are numbers, else by code points. */
export function sortedLabels(labels: Iterable<string>): string[] {
  const distinct = [...new Set(labels)];
  const allNumbers = distinct.every((l) => l.trim() !== "" && Number.isFinite(Number(l)));
  return allNumbers ? distinct.sort((a, b) => Number(a) - Number(b)) : distinct.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
