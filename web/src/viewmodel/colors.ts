/**
 * Colour scales. Values: orange for negative, blue for positive, grey near
 * zero (as in TensorFlow Playground, so the pictures read the same way).
 * Class scores: orange for class 0, blue for class 1.
 */
export type Rgb = [number, number, number];

export const NEGATIVE: Rgb = [245, 147, 34];
export const POSITIVE: Rgb = [8, 119, 189];
export const NEUTRAL: Rgb = [232, 234, 235];

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [
    Math.round(a[0] + (b[0] - a[0]) * t),
    Math.round(a[1] + (b[1] - a[1]) * t),
    Math.round(a[2] + (b[2] - a[2]) * t),
  ];
}

/** A value on a diverging scale: `scale` maps to full colour; NaN shows as red so it is never hidden. */
export function divergingRgb(value: number, scale: number): Rgb {
  if (!Number.isFinite(value)) return [220, 0, 0];
  const t = scale > 0 ? Math.min(1, Math.abs(value) / scale) : 0;
  return mix(NEUTRAL, value < 0 ? NEGATIVE : POSITIVE, t);
}

/** Class-1 score in [0, 1] to a colour between the two class colours, through the neutral grey. */
export function scoreRgb(score: number): Rgb {
  const s = Math.min(1, Math.max(0, Number.isFinite(score) ? score : 0.5));
  return s < 0.5 ? mix(NEGATIVE, NEUTRAL, s * 2) : mix(NEUTRAL, POSITIVE, (s - 0.5) * 2);
}

export function css([r, g, b]: Rgb): string {
  return `rgb(${r},${g},${b})`;
}
