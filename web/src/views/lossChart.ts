/** The loss curves: train (dark) and test (red) against optimizer steps. */
import type { HistoryPoint } from "../protocol.js";
import { formatValue } from "./format.js";

export class LossChart {
  private readonly ctx: CanvasRenderingContext2D;
  private points: HistoryPoint[] = [];

  constructor(private readonly canvas: HTMLCanvasElement) {
    this.ctx = canvas.getContext("2d")!;
  }

  clear(): void {
    this.points = [];
  }

  add(points: readonly HistoryPoint[]): void {
    for (const p of points) this.points.push(p);
    // Keep the chart cheap to draw: thin out old points once there are many.
    if (this.points.length > 2000) this.points = this.points.filter((_, i) => i % 2 === 0 || i === this.points.length - 1);
  }

  draw(): void {
    const { ctx, points } = this;
    const { width, height } = this.canvas;
    ctx.clearRect(0, 0, width, height);
    if (points.length === 0) return;
    let top = 0;
    for (const p of points) top = Math.max(top, Number.isFinite(p.trainLoss) ? p.trainLoss : 0, Number.isFinite(p.testLoss) ? p.testLoss : 0);
    top = top || 1;
    const lastStep = Math.max(1, points[points.length - 1].step);
    const pad = 4;
    const x = (step: number) => pad + ((width - 2 * pad) * step) / lastStep;
    const y = (v: number) => height - pad - ((height - 2 * pad) * Math.min(v, top)) / top;
    for (const [key, colour] of [["trainLoss", "#333"], ["testLoss", "#d33"]] as const) {
      ctx.beginPath();
      ctx.moveTo(x(points[0].step), y(points[0][key]));
      for (let i = 1; i < points.length; i++) ctx.lineTo(x(points[i].step), y(points[i][key]));
      ctx.strokeStyle = colour;
      ctx.lineWidth = 1.5;
      ctx.stroke();
    }
    ctx.fillStyle = "#666";
    ctx.font = "11px sans-serif";
    ctx.textAlign = "right";
    ctx.fillText(`top ${formatValue(top, 3)}`, width - pad, 12);
    ctx.fillText(`${lastStep} steps`, width - pad, height - 6);
    ctx.textAlign = "left";
  }
}
