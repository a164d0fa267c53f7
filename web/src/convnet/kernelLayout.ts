/**
 * Where each kernel entry sits in the kernel view: a conv weight
 * [outChannels, inChannels, k, k] drawn as a grid of k×k kernels, one row of
 * kernels per output channel and one column per input channel, with a gap
 * between kernels. Also how the arrow keys move through it: as through one
 * big table of (outChannels·k) rows and (inChannels·k) columns.
 */
import type { KernelEntry } from "./kernelGradient.js";

export interface KernelLayout {
  outChannels: number;
  inChannels: number;
  k: number;
  /** Pixels per weight. */
  cell: number;
  /** Pixels between neighbouring kernels. */
  gap: number;
}

/** The layout the page uses for a weight [outChannels, inChannels, k, k]: cells of 9 to 16 px, a row of kernels about 150 px wide at most. */
export function kernelLayoutFor(shape: readonly [number, number, number, number]): KernelLayout {
  const [outChannels, inChannels, k] = shape;
  const cell = Math.max(9, Math.min(16, Math.floor(150 / (inChannels * k))));
  return { outChannels, inChannels, k, cell, gap: 4 };
}

export function layoutSize(l: KernelLayout): { width: number; height: number } {
  const side = l.k * l.cell;
  return { width: l.inChannels * side + (l.inChannels - 1) * l.gap, height: l.outChannels * side + (l.outChannels - 1) * l.gap };
}

/** Top-left pixel of an entry's cell. */
export function cellOrigin(l: KernelLayout, e: KernelEntry): { x: number; y: number } {
  const side = l.k * l.cell + l.gap;
  return { x: e.cIn * side + e.j * l.cell, y: e.cOut * side + e.i * l.cell };
}

/** The entry under pixel (x, y), or null in a gap or outside. */
export function entryAt(l: KernelLayout, x: number, y: number): KernelEntry | null {
  const side = l.k * l.cell + l.gap;
  const cIn = Math.floor(x / side);
  const cOut = Math.floor(y / side);
  const j = Math.floor((x - cIn * side) / l.cell);
  const i = Math.floor((y - cOut * side) / l.cell);
  if (x < 0 || y < 0 || cIn >= l.inChannels || cOut >= l.outChannels || i >= l.k || j >= l.k) return null;
  return { cOut, cIn, i, j };
}

/** The entry an arrow key (or Home/End) moves to; null for other keys. Stops at the edges. */
export function moveEntry(l: KernelLayout, e: KernelEntry, key: string): KernelEntry | null {
  let row = e.cOut * l.k + e.i;
  let col = e.cIn * l.k + e.j;
  const rows = l.outChannels * l.k;
  const cols = l.inChannels * l.k;
  switch (key) {
    case "ArrowUp": row = Math.max(0, row - 1); break;
    case "ArrowDown": row = Math.min(rows - 1, row + 1); break;
    case "ArrowLeft": col = Math.max(0, col - 1); break;
    case "ArrowRight": col = Math.min(cols - 1, col + 1); break;
    case "Home": row = col = 0; break;
    case "End": row = rows - 1; col = cols - 1; break;
    default: return null;
  }
  return { cOut: Math.floor(row / l.k), i: row % l.k, cIn: Math.floor(col / l.k), j: col % l.k };
}
