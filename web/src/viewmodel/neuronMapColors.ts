/**
 * How a neuron's output map is coloured: values around a centre, on the
 * diverging orange–grey–blue scale. Bounded activations use their own range
 * (σ: 0..1 around 0.5, tanh: -1..1 around 0), so maps of one layer compare;
 * unbounded ones (inputs, relu, linear, raw outputs) are scaled to their own
 * largest deviation, so that their shape shows whatever their size.
 */
import type { Activation } from "../config.js";
import type { OutputActivation } from "../model/head.js";
import { divergingRgb, type Rgb } from "./colors.js";

export interface MapScale {
  centre: number;
  /** null: scale each map to its own largest |value − centre|. */
  halfRange: number | null;
}

export function mapScale(activation: Activation | OutputActivation | "input"): MapScale {
  switch (activation) {
    case "sigmoid":
      return { centre: 0.5, halfRange: 0.5 };
    case "tanh":
      return { centre: 0, halfRange: 1 };
    default:
      return { centre: 0, halfRange: null };
  }
}

/** RGBA pixels of one neuron's map (`values` is res² long). */
export function mapPixels(values: ArrayLike<number>, scale: MapScale, out: Uint8ClampedArray): void {
  let half = scale.halfRange;
  if (half === null) {
    half = 0;
    for (let i = 0; i < values.length; i++) half = Math.max(half, Math.abs(values[i] - scale.centre));
  }
  for (let i = 0; i < values.length; i++) {
    const [r, g, b]: Rgb = divergingRgb(values[i] - scale.centre, half);
    out[4 * i] = r;
    out[4 * i + 1] = g;
    out[4 * i + 2] = b;
    out[4 * i + 3] = 255;
  }
}
