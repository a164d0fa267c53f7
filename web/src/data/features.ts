/**
 * The input features a 2-D point can be shown to the network as, chosen by
 * clicking them (as in TensorFlow Playground): the coordinates themselves,
 * their squares and product, and their sines. The squares and the product
 * are divided by DATA_EXTENT so that every feature spans roughly the same
 * range as x and y (a few units), which keeps one learning rate good for all.
 */
import { DATA_EXTENT } from "./toy.js";

export type FeatureName = "x" | "y" | "x2" | "y2" | "xy" | "sinx" | "siny";

export const FEATURE_NAMES: readonly FeatureName[] = ["x", "y", "x2", "y2", "xy", "sinx", "siny"];

/** How the page labels each feature (input neuron). */
export const FEATURE_LABELS: Readonly<Record<FeatureName, string>> = {
  x: "x", y: "y", x2: "x²", y2: "y²", xy: "xy", sinx: "sin x", siny: "sin y",
};

export function isFeatureName(name: string): name is FeatureName {
  return (FEATURE_NAMES as readonly string[]).includes(name);
}

export function featureValue(name: FeatureName, x: number, y: number): number {
  switch (name) {
    case "x":
      return x;
    case "y":
      return y;
    case "x2":
      return (x * x) / DATA_EXTENT;
    case "y2":
      return (y * y) / DATA_EXTENT;
    case "xy":
      return (x * y) / DATA_EXTENT;
    case "sinx":
      return Math.sin(x);
    case "siny":
      return Math.sin(y);
  }
}

/** Maps row-major 2-D points (x0, y0, x1, y1, ...) to rows of the chosen features. */
export function mapFeatures(points: Float32Array, features: readonly FeatureName[]): Float32Array {
  if (features.length === 0) throw new RangeError("mapFeatures: choose at least one feature");
  if (points.length % 2 !== 0) throw new RangeError(`mapFeatures: expected (x, y) pairs, got ${points.length} numbers`);
  const n = points.length / 2;
  const out = new Float32Array(n * features.length);
  for (let i = 0; i < n; i++) {
    const x = points[2 * i];
    const y = points[2 * i + 1];
    for (let f = 0; f < features.length; f++) out[i * features.length + f] = featureValue(features[f], x, y);
  }
  return out;
}
