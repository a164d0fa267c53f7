/**
 * Drawn points in the address: four URL-safe base64 characters a point.
 * Each coordinate is snapped to a grid of 2048 steps across the data view
 * (finer than its pixels), and the page snaps a point when it is drawn, so
 * that a link reproduces the points exactly. The 24 bits of a point are
 * x·4096 + y·2 + class (the top bit stays 0). At most MAX_LINK_POINTS go
 * into a link; the page says so when more are drawn.
 */
import type { DatasetName } from "../config.js";
import type { DrawnPoint } from "./drawnPoints.js";
import { VIEW_EXTENT } from "./toy.js";

export const MAX_LINK_POINTS = 300;
const LEVELS = 2048;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const CHARS = 4;

/** Points can be drawn on the 2-D datasets only (not the sine curve, not digits). */
export function drawable(dataset: DatasetName): boolean {
  return dataset !== "sine" && dataset !== "digits";
}

function level(v: number): number {
  return Math.min(LEVELS - 1, Math.max(0, Math.round(((v + VIEW_EXTENT) / (2 * VIEW_EXTENT)) * (LEVELS - 1))));
}

function coordinate(level: number): number {
  return -VIEW_EXTENT + (level * 2 * VIEW_EXTENT) / (LEVELS - 1);
}

/** The point on the link's grid (inside the data view): what a link will give back. */
export function snapPoint(p: DrawnPoint): DrawnPoint {
  return { x: coordinate(level(p.x)), y: coordinate(level(p.y)), positive: p.positive };
}

/** The first MAX_LINK_POINTS points, snapped, as text. */
export function encodeDrawnPoints(points: readonly DrawnPoint[]): string {
  let out = "";
  for (const p of points.slice(0, MAX_LINK_POINTS)) {
    let bits = level(p.x) * 4096 + level(p.y) * 2 + (p.positive ? 1 : 0);
    let chunk = "";
    for (let i = 0; i < CHARS; i++) {
      chunk = ALPHABET[bits & 63] + chunk;
      bits >>>= 6;
    }
    out += chunk;
  }
  return out;
}

export interface DecodedPoints {
  points: DrawnPoint[];
  /** Why some of the text was not used; empty when it was read in full. */
  problems: string[];
}

/** Reads encodeDrawnPoints' text; never throws: what cannot be read is left out with a problem naming it. */
export function decodeDrawnPoints(text: string): DecodedPoints {
  const points: DrawnPoint[] = [];
  const problems: string[] = [];
  const whole = Math.floor(text.length / CHARS);
  if (text.length % CHARS !== 0) problems.push(`the drawn points end in ${text.length % CHARS} stray character(s) (the link was cut?)`);
  let bad = 0;
  for (let k = 0; k < whole; k++) {
    let bits = 0;
    let ok = true;
    for (let i = 0; i < CHARS; i++) {
      const d = ALPHABET.indexOf(text[k * CHARS + i]);
      if (d < 0) ok = false;
      bits = bits * 64 + Math.max(0, d);
    }
    if (!ok || bits >= 2 ** 23) {
      bad++;
      continue;
    }
    points.push({ x: coordinate(Math.floor(bits / 4096)), y: coordinate(Math.floor(bits / 2) % LEVELS), positive: bits % 2 === 1 });
  }
  if (bad > 0) problems.push(`${bad} drawn point(s) could not be read`);
  if (points.length > MAX_LINK_POINTS) {
    problems.push(`the link holds ${points.length} drawn points; only the first ${MAX_LINK_POINTS} were used`);
    points.length = MAX_LINK_POINTS;
  }
  return { points, problems };
}
