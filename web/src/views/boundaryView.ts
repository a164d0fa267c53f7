/**
 * The data view: for 2-D classification, the network's class-1 score over
 * the square as a coloured background with the points on top; for the 1-D
 * regression, the fitted curve through the points; for digits, a sheet of
 * test images with the network's guesses.
 */
import type { Dataset, Split } from "../data/dataset.js";
import { VIEW_EXTENT } from "../data/toy.js";
import { BOUNDARY_RES } from "../protocol.js";
import { boundaryRgb, pointRgb } from "../viewmodel/boundaryColors.js";
import { css } from "../viewmodel/colors.js";

/** The regression view shows targets in [-1.5, 1.5] (the sine curve's amplitude is 0.8). */
const CURVE_Y_EXTENT = 1.5;

export class BoundaryView {
  private readonly ctx: CanvasRenderingContext2D;
  private readonly image: ImageData;
  private readonly scratch: HTMLCanvasElement;
  /** Colour the background by the predicted class (or sign) only. */
  discretize = false;
  showTestData = true;

  constructor(private readonly canvas: HTMLCanvasElement) {
    this.ctx = canvas.getContext("2d")!;
    this.scratch = document.createElement("canvas");
    this.scratch.width = BOUNDARY_RES;
    this.scratch.height = BOUNDARY_RES;
    this.image = new ImageData(BOUNDARY_RES, BOUNDARY_RES);
  }

  /** Canvas position of a data point; the curve view uses its own vertical range `yExtent`. */
  toPixel(x: number, y: number, yExtent = VIEW_EXTENT): [number, number] {
    const { width, height } = this.canvas;
    return [((x + VIEW_EXTENT) / (2 * VIEW_EXTENT)) * width, ((yExtent - y) / (2 * yExtent)) * height];
  }

  /** The data coordinates under a canvas position (the inverse of toPixel on the 2-D view). */
  toData(px: number, py: number): [number, number] {
    const { width, height } = this.canvas;
    return [(px / width) * 2 * VIEW_EXTENT - VIEW_EXTENT, VIEW_EXTENT - (py / height) * 2 * VIEW_EXTENT];
  }

  draw(split: Split, boundary: Float32Array | null, curve: Float32Array | null, testPredicted: Float32Array | null): void {
    const { ctx } = this;
    const { width, height } = this.canvas;
    ctx.clearRect(0, 0, width, height);
    const data = split.train;
    if (data.inputDim === 2) this.drawPlane(split, boundary);
    else if (data.inputDim === 1) this.drawCurve(split, curve);
    else this.drawDigits(split.test, testPredicted);
  }

  private drawPlane(split: Split, boundary: Float32Array | null): void {
    const { ctx } = this;
    if (boundary) {
      const px = this.image.data;
      for (let i = 0; i < boundary.length; i++) {
        const [r, g, b] = boundaryRgb(boundary[i], split.train.task, this.discretize);
        px[4 * i] = r;
        px[4 * i + 1] = g;
        px[4 * i + 2] = b;
        px[4 * i + 3] = 255;
      }
      this.scratch.getContext("2d")!.putImageData(this.image, 0, 0);
      // Smoothing would blur the thresholded picture back into shades.
      ctx.imageSmoothingEnabled = !this.discretize;
      ctx.drawImage(this.scratch, 0, 0, this.canvas.width, this.canvas.height);
    }
    this.drawPoints(split.train, true);
    if (this.showTestData) this.drawPoints(split.test, false);
  }

  private drawPoints(data: Dataset, filled: boolean): void {
    const { ctx } = this;
    for (let i = 0; i < data.length; i++) {
      const [x, y] = this.toPixel(data.x[2 * i], data.x[2 * i + 1]);
      const colour = css(pointRgb(data.y[i], data.task));
      ctx.beginPath();
      ctx.arc(x, y, 3.5, 0, 2 * Math.PI);
      // Train: the class colour with a dark rim; test: white with a class-coloured ring. Both read on either background.
      ctx.fillStyle = filled ? colour : "#fff";
      ctx.fill();
      ctx.strokeStyle = filled ? "#333" : colour;
      ctx.lineWidth = filled ? 1 : 2;
      ctx.stroke();
    }
  }

  private drawCurve(split: Split, curve: Float32Array | null): void {
    const { ctx } = this;
    ctx.fillStyle = "#fafafa";
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    const shown = this.showTestData ? [split.train, split.test] : [split.train];
    for (const [data, colour] of shown.map((d, i) => [d, i === 0 ? "#0877bd" : "#f59322"] as const)) {
      ctx.fillStyle = colour;
      for (let i = 0; i < data.length; i++) {
        const [x, y] = this.toPixel(data.x[i], data.y[i], CURVE_Y_EXTENT);
        ctx.fillRect(x - 2, y - 2, 4, 4);
      }
    }
    if (!curve) return;
    ctx.beginPath();
    for (let i = 0; i < curve.length; i++) {
      const [x, y] = this.toPixel(-VIEW_EXTENT + (2 * VIEW_EXTENT * i) / (curve.length - 1), curve[i], CURVE_Y_EXTENT);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
    ctx.strokeStyle = "#111";
    ctx.lineWidth = 2;
    ctx.stroke();
  }

  private drawDigits(test: Dataset, predicted: Float32Array | null): void {
    const { ctx } = this;
    const perRow = 8;
    const cell = this.canvas.width / perRow;
    const shown = Math.min(test.length, perRow * perRow, predicted?.length ?? Infinity);
    const pixel = (cell - 14) / 8;
    for (let k = 0; k < shown; k++) {
      const ox = (k % perRow) * cell;
      const oy = Math.floor(k / perRow) * cell;
      for (let p = 0; p < 64; p++) {
        const shade = Math.round(255 * (1 - test.x[k * 64 + p]));
        ctx.fillStyle = `rgb(${shade},${shade},${shade})`;
        ctx.fillRect(ox + 2 + (p % 8) * pixel, oy + 2 + Math.floor(p / 8) * pixel, pixel, pixel);
      }
      if (predicted) {
        ctx.fillStyle = predicted[k] === test.y[k] ? "#0a7a2f" : "#b00020";
        ctx.font = "bold 11px sans-serif";
        ctx.fillText(String(predicted[k]), ox + cell - 11, oy + cell - 3);
      }
    }
  }
}
