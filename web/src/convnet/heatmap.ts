/**
 * Small heat maps on canvases, one canvas pixel per value: the page scales
 * them up with CSS (image-rendering: pixelated keeps the cells sharp).
 * Signed values use the playground's diverging scale (orange negative, blue
 * positive); images use grey levels (ink dark).
 */
import { css, divergingRgb, type Rgb } from "../viewmodel/colors.js";

/** The largest |v| (at least a tiny positive number, so a scale never divides by zero). */
export function maxAbs(values: ArrayLike<number>, from = 0, to = values.length): number {
  let m = 0;
  for (let k = from; k < to; k++) {
    const a = Math.abs(values[k]);
    if (a > m) m = a;
  }
  return m || 1e-12;
}

/** Ink on paper: 0 white, 1 black. */
export function inkRgb(v: number): Rgb {
  const g = Math.round(255 * (1 - Math.min(1, Math.max(0, v))));
  return [g, g, g];
}

/** Draws rows×cols values from `offset` into the canvas (resized to rows×cols). */
export function drawHeatmap(
  canvas: HTMLCanvasElement, values: ArrayLike<number>, rows: number, cols: number,
  colour: (v: number) => Rgb, offset = 0,
): void {
  if (canvas.width !== cols) canvas.width = cols;
  if (canvas.height !== rows) canvas.height = rows;
  const ctx = canvas.getContext("2d")!;
  const image = ctx.createImageData(cols, rows);
  for (let k = 0; k < rows * cols; k++) {
    const [r, g, b] = colour(values[offset + k]);
    image.data[4 * k] = r;
    image.data[4 * k + 1] = g;
    image.data[4 * k + 2] = b;
    image.data[4 * k + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

/** A signed map on the diverging scale, ±scale at full colour. */
export function signed(scale: number): (v: number) => Rgb {
  return (v) => divergingRgb(v, scale);
}

/** A small labelled canvas for a heat map. */
export function heatmapCanvas(className: string, label: string): HTMLCanvasElement {
  const canvas = document.createElement("canvas");
  canvas.className = `heatmap ${className}`;
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", label);
  canvas.title = label;
  return canvas;
}

export { css };
