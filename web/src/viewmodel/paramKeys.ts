/**
 * Moving through the network diagram's parameters with the keyboard, and
 * their spoken names. The parameters read as columns, left to right: the
 * first layer's weights, the biases of the neurons they feed, the next
 * layer's weights, and so on. Up and Down step within a column (weights in
 * the order W[row, col], row by row), Left and Right move to the next
 * column, staying with the neuron the parameter belongs to, Home and End
 * go to a column's ends.
 */
import { paramName, type ParamRef } from "./chainRule.js";

/** Neuron `j` of layer `k` of the diagram (0: the inputs): x1.., h1,1.., ŷ (or ŷ1.. with several outputs). */
export function neuronName(k: number, j: number, sizes: readonly number[]): string {
  if (k === 0) return `x${j + 1}`;
  if (k === sizes.length - 1) return sizes[k] === 1 ? "ŷ" : `ŷ${j + 1}`;
  return `h${k},${j + 1}`;
}

/** e.g. "weight W1[2,1] from x2 to h1,3" or "bias b1[2] of h1,3". */
export function paramLabel(p: ParamRef, sizes: readonly number[]): string {
  const to = neuronName(p.layer + 1, p.row, sizes);
  return p.kind === "weight" ? `weight ${paramName(p)} from ${neuronName(p.layer, p.col, sizes)} to ${to}` : `bias ${paramName(p)} of ${to}`;
}

/** The parameter a key moves to from `p`, or null when the key is not a move (or leads nowhere). */
export function paramAfterKey(p: ParamRef, key: string, sizes: readonly number[]): ParamRef | null {
  const nIn = sizes[p.layer];
  const nOut = sizes[p.layer + 1];
  const layers = sizes.length - 1;
  const index = p.kind === "weight" ? p.row * nIn + p.col : p.row;
  const count = p.kind === "weight" ? nIn * nOut : nOut;
  const inColumn = (i: number): ParamRef =>
    p.kind === "weight" ? { layer: p.layer, kind: "weight", row: Math.floor(i / nIn), col: i % nIn } : { layer: p.layer, kind: "bias", row: i, col: 0 };
  switch (key) {
    case "ArrowDown":
      return index + 1 < count ? inColumn(index + 1) : null;
    case "ArrowUp":
      return index > 0 ? inColumn(index - 1) : null;
    case "Home":
      return inColumn(0);
    case "End":
      return inColumn(count - 1);
    case "ArrowRight":
      // A weight → the bias of the neuron it feeds; a bias → the first weight leaving its neuron.
      if (p.kind === "weight") return { layer: p.layer, kind: "bias", row: p.row, col: 0 };
      return p.layer + 1 < layers ? { layer: p.layer + 1, kind: "weight", row: 0, col: p.row } : null;
    case "ArrowLeft":
      // A bias → the first weight into its neuron; a weight → the bias of the neuron it leaves.
      if (p.kind === "bias") return { layer: p.layer, kind: "weight", row: p.row, col: 0 };
      return p.layer > 0 ? { layer: p.layer - 1, kind: "bias", row: p.col, col: 0 } : null;
    default:
      return null;
  }
}
