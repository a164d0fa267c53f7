/**
 * Where the network diagram puts its neurons and how it styles each weight:
 * columns of neurons, one per layer, and for every weight a line whose colour
 * is its sign and whose thickness grows with its magnitude (or with its
 * gradient's, when the view shows gradients).
 */
import type { ParamRef } from "./chainRule.js";
import { css, divergingRgb } from "./colors.js";

export interface NeuronPlace {
  layer: number;
  index: number;
  x: number;
  y: number;
}

export interface EdgeLook {
  color: string;
  width: number;
}

export interface NetworkGeometry {
  /** neurons[layer][index] */
  neurons: NeuronPlace[][];
  radius: number;
}

/** Lays out `sizes` (inputs, hidden..., outputs) in a width×height box. */
export function layoutNetwork(sizes: readonly number[], width: number, height: number): NetworkGeometry {
  const margin = 24;
  const columns = sizes.length;
  const tallest = Math.max(...sizes);
  const spacing = (height - 2 * margin) / Math.max(1, tallest);
  const radius = Math.max(1.5, Math.min(12, spacing * 0.4));
  const neurons = sizes.map((n, layer) => {
    const x = columns === 1 ? width / 2 : margin + ((width - 2 * margin) * layer) / (columns - 1);
    const span = spacing * (n - 1);
    const top = height / 2 - span / 2;
    return Array.from({ length: n }, (_, index) => ({ layer, index, x, y: n === 1 ? height / 2 : top + spacing * index }));
  });
  return { neurons, radius };
}

/** The largest |value| over all layers (the scale at which lines reach full colour and width). */
export function maxAbs(values: readonly ArrayLike<number>[]): number {
  let m = 0;
  for (const layer of values) for (let i = 0; i < layer.length; i++) if (Math.abs(layer[i]) > m) m = Math.abs(layer[i]);
  return m;
}

const MIN_WIDTH = 0.5;
const MAX_WIDTH = 6;

/** Colour by sign, width from 0.5 to 6 px in proportion to |value| / scale. */
export function edgeLook(value: number, scale: number): EdgeLook {
  const t = scale > 0 && Number.isFinite(value) ? Math.min(1, Math.abs(value) / scale) : 0;
  return { color: css(divergingRgb(value, scale)), width: MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * t };
}

/**
 * Whether the weight W[layer][row, col] lies on a path along which the
 * chosen parameter reaches the loss: the parameter's own weight, the weights
 * leaving the unit it feeds, and every weight after that layer. These are
 * the weights the chain rule's factors multiply.
 */
export function onChainPath(param: ParamRef, layer: number, row: number, col: number): boolean {
  if (layer < param.layer) return false;
  if (layer === param.layer) return param.kind === "weight" && row === param.row && col === param.col;
  if (layer === param.layer + 1) return col === param.row;
  return true;
}
