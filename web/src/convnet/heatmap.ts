/**
 * Small heat maps on canvases, one canvas pixel per value: the page scales
 * them up with CSS (image-rendering: pixelated keeps the cells sharp).
 * Signed values use the playground's diverging scale (orange negative, blue
 * positive); images use grey levels (ink dark).
 */
import { css, divergingRgb, type Rgb } from "../viewmodel/colors.js";
import { formatValue } from "../views/format.js";

/** What each canvas shows now, for the hover tooltip. */
const shown = new WeakMap<HTMLCanvasElement, { values: ArrayLike<number>; offset: number }>();

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
  shown.set(canvas, { values, offset });
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
  // Hovering a cell shows its value (one canvas pixel per value, however large the CSS draws it).
  canvas.addEventListener("mousemove", (e) => {
    const s = shown.get(canvas);
    if (!s) return;
    const rect = canvas.getBoundingClientRect();
    const col = Math.min(canvas.width - 1, Math.floor(((e.clientX - rect.left) * canvas.width) / rect.width));
    const row = Math.min(canvas.height - 1, Math.floor(((e.clientY - rect.top) * canvas.height) / rect.height));
    if (row < 0 || col < 0) return;
    canvas.title = `${label}: row ${row}, column ${col} = ${formatValue(s.values[s.offset + row * canvas.width + col], 4)}`;
  });
  return canvas;
}

export { css };
