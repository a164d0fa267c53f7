/**
 * The colour of one cell of the 2-D data view's background: for classes,
 * the class-1 score (or, discretised, just the predicted class); for a
 * regression, the predicted value on a diverging scale over [-1, 1] (or,
 * discretised, just its sign). Also the colour of a data point's target.
 */
import type { TaskKind } from "../data/dataset.js";
import { NEGATIVE, NEUTRAL, POSITIVE, divergingRgb, scoreRgb, type Rgb } from "./colors.js";

/** Regression targets of the 2-D datasets lie in [-1, 1]; that range gets the full colour scale. */
export const REGRESSION_SCALE = 1;

/** Discretised, the two sides take a tint of their colour (60% of the way from grey), so the points stay visible on them. */
export const DISCRETE_NEGATIVE: Rgb = divergingRgb(-0.6, 1);
export const DISCRETE_POSITIVE: Rgb = divergingRgb(0.6, 1);

export function boundaryRgb(value: number, task: TaskKind, discretize: boolean): Rgb {
  if (!Number.isFinite(value)) return NEUTRAL;
  const threshold = task === "regression" ? 0 : 0.5;
  if (discretize) return value < threshold ? DISCRETE_NEGATIVE : DISCRETE_POSITIVE;
  return task === "regression" ? divergingRgb(value, REGRESSION_SCALE) : scoreRgb(value);
}

/** A data point's colour: its class, or its target value. */
export function pointRgb(label: number, task: TaskKind): Rgb {
  if (task === "regression") return divergingRgb(label, REGRESSION_SCALE);
  return label === 1 ? POSITIVE : NEGATIVE;
}
