/**
 * Drawing points on the 2-D data view: a click adds a class-1 point (or a
 * +1 target), a shift-click a class-0 point (−1). The canvas also takes the
 * keyboard: arrow keys move a cross, Enter adds a point there, Shift+Enter
 * one of the other class.
 */
import { DATA_EXTENT } from "../data/toy.js";
import type { DrawnPoint } from "../data/drawnPoints.js";

/** How far one arrow key press moves the cross, in data units. */
const KEY_STEP = DATA_EXTENT / 20;

export class PointDrawing {
  /** The keyboard cross, in data coordinates (shown while the canvas has focus). */
  cursor: [number, number] = [0, 0];
  enabled = false;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly toData: (px: number, py: number) => [number, number],
    private readonly toPixel: (x: number, y: number) => [number, number],
    private readonly onAdd: (p: DrawnPoint) => void,
    private readonly onCursor: () => void,
  ) {
    canvas.addEventListener("click", (e) => {
      if (!this.enabled) return;
      const box = canvas.getBoundingClientRect();
      const px = ((e.clientX - box.left) / box.width) * canvas.width;
      const py = ((e.clientY - box.top) / box.height) * canvas.height;
      const [x, y] = toData(px, py);
      this.cursor = [x, y];
      onAdd({ x, y, positive: !e.shiftKey });
    });
    canvas.addEventListener("keydown", (e) => {
      if (!this.enabled) return;
      const moves: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
      const move = moves[e.key];
      if (move) {
        const clamp = (v: number) => Math.max(-DATA_EXTENT, Math.min(DATA_EXTENT, v));
        this.cursor = [clamp(this.cursor[0] + move[0] * KEY_STEP), clamp(this.cursor[1] + move[1] * KEY_STEP)];
        onCursor();
      } else if (e.key === "Enter" || e.key === " ") {
        onAdd({ x: this.cursor[0], y: this.cursor[1], positive: !e.shiftKey });
      } else {
        return;
      }
      e.preventDefault();
    });
    canvas.addEventListener("focus", onCursor);
    canvas.addEventListener("blur", onCursor);
  }

  /** Draws the keyboard cross when the canvas has focus. */
  drawCursor(): void {
    if (!this.enabled || document.activeElement !== this.canvas) return;
    const ctx = this.canvas.getContext("2d")!;
    const [px, py] = this.toPixel(this.cursor[0], this.cursor[1]);
    ctx.strokeStyle = "#111";
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(px - 7, py);
    ctx.lineTo(px + 7, py);
    ctx.moveTo(px, py - 7);
    ctx.lineTo(px, py + 7);
    ctx.stroke();
  }
}
