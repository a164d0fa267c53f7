/**
 * Reads a parameter's name as the page writes it (chainRule's paramName):
 * "W1[2,1]" is row 2, column 1 of the first layer's weight, "b2[0]" the
 * first bias of the second layer. Used by the weight editor's text field.
 */
import type { ParamRef } from "./chainRule.js";

export function parseParamName(text: string): ParamRef | null {
  const m = /^\s*([Wb])(\d{1,2})\s*\[\s*(\d{1,4})\s*(?:,\s*(\d{1,4})\s*)?\]\s*$/.exec(text);
  if (!m) return null;
  const [, letter, layer, row, col] = m;
  if (Number(layer) < 1) return null;
  if (letter === "W" && col === undefined) return null;
  if (letter === "b" && col !== undefined) return null;
  return { layer: Number(layer) - 1, kind: letter === "W" ? "weight" : "bias", row: Number(row), col: letter === "W" ? Number(col) : 0 };
}

/** Whether `p` names a parameter of a network with these layer sizes. */
export function paramInNetwork(p: ParamRef, sizes: readonly number[]): boolean {
  if (p.layer < 0 || p.layer >= sizes.length - 1) return false;
  if (p.row < 0 || p.row >= sizes[p.layer + 1]) return false;
  return p.kind === "bias" || (p.col >= 0 && p.col < sizes[p.layer]);
}
