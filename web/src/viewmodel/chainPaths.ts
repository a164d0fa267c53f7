/**
 * The chain rule as a sum over paths. A parameter of layer k feeds one unit
 * of h_k; from there its effect reaches the loss through every unit of
 * every later layer, so
 *
 *   ∂L/∂θ = Σ over paths (θ → h_k[j] → h_{k+1}[a] → … → ŷ[c] → L)
 *           of  ∂L/∂ŷ[c] · ∂ŷ[c]/∂h_{K-1}[·] · … · ∂h_{k+1}[a]/∂h_k[j] · ∂h_k[j]/∂θ
 *
 * Each term is a product of scalar local derivatives, one per edge of the
 * path. The matrix product in chainRule.ts adds up exactly these terms; this
 * file lists them one by one, which is what "the chain rule over a graph"
 * means and what backprop avoids doing path by path.
 */
import { checkParam, exampleLoss, layerSlope, outputSymbol, paramName, type ChainRuleInput } from "./chainRule.js";

export interface PathTerm {
  /** The nodes in order from the parameter to the loss, e.g. ["W1[2,1]", "h1[2]", "h2[5]", "ŷ[0]", "L"]. */
  nodes: string[];
  /** Local derivatives in the chain's order (loss side first), e.g. ∂L/∂ŷ[0], ∂ŷ[0]/∂h2[5], ∂h2[5]/∂h1[2], ∂h1[2]/∂W1[2,1]. */
  symbols: string[];
  factors: number[];
  /** The product of the factors. */
  product: number;
}

export interface PathSum {
  paramName: string;
  /** How many paths lead from the parameter to the loss. */
  count: number;
  /** Every path, largest |product| first; empty when count exceeds MAX_PATHS. */
  paths: PathTerm[];
  /** Σ of the path products (NaN when the paths were not listed). */
  total: number;
}

/** Beyond this many paths the list is not built (a 6×32 network has 32⁶ per first-layer weight). */
export const MAX_PATHS = 4096;

/** Number of paths from a parameter of layer `layer` to the loss: the product of the later layers' widths. */
export function pathCount(sizes: readonly number[], layer: number): number {
  let n = 1;
  for (let k = layer + 2; k < sizes.length; k++) n *= sizes[k];
  return n;
}

/** The name of unit `unit` of layer k's output (h1[2], ŷ[0]), or of an input (x[1]) for k = -1. */
export function unitName(k: number, unit: number, layers: number): string {
  return k < 0 ? `x[${unit}]` : `${outputSymbol(k, layers)}[${unit}]`;
}

export function enumeratePaths(input: ChainRuleInput): PathSum {
  const { sizes, weights, param } = input;
  checkParam(param, sizes);
  const layers = sizes.length - 1;
  const name = paramName(param);
  const count = pathCount(sizes, param.layer);
  if (count > MAX_PATHS) return { paramName: name, count, paths: [], total: Number.NaN };

  const { trace: { z, h }, grad } = exampleLoss(input);
  const k0 = param.layer;
  const first = param.row;
  const local = layerSlope(input, k0, z[k0][first]) * (param.kind === "weight" ? h[k0][param.col] : 1);
  const paths: PathTerm[] = [];
  // units[m] is the unit the path passes in layer k0 + m's output; units[0] = the parameter's own unit.
  const units: number[] = [first];
  const walk = (k: number): void => {
    if (k === layers) {
      paths.push(pathTerm(units));
      return;
    }
    for (let u = 0; u < sizes[k + 1]; u++) {
      units.push(u);
      walk(k + 1);
      units.pop();
    }
  };
  const pathTerm = (us: readonly number[]): PathTerm => {
    const last = us[us.length - 1];
    const nodes = [name, ...us.map((u, m) => unitName(k0 + m, u, layers)), "L"];
    const symbols = [`∂L/∂${nodes[nodes.length - 2]}`];
    const factors = [grad[last]];
    // Edges from the loss side down: unit us[m] of layer k0+m feeds unit us[m+1] of layer k0+m+1.
    for (let m = us.length - 2; m >= 0; m--) {
      const k = k0 + m + 1;
      const to = us[m + 1];
      const from = us[m];
      symbols.push(`∂${nodes[m + 2]}/∂${nodes[m + 1]}`);
      factors.push(layerSlope(input, k, z[k][to]) * weights[k][to * sizes[k] + from]);
    }
    symbols.push(`∂${nodes[1]}/∂${name}`);
    factors.push(local);
    let product = 1;
    for (const f of factors) product *= f;
    return { nodes, symbols, factors, product };
  };
  walk(k0 + 1);
  // Summed in enumeration order (before sorting), so the total does not depend on the display order.
  let total = 0;
  for (const p of paths) total += p.product;
  paths.sort((a, b) => Math.abs(b.product) - Math.abs(a.product));
  return { paramName: name, count, paths, total };
}

/** What the page shows of a PathSum: the largest paths one by one, and the rest as one sum. */
export interface PathSummary {
  paramName: string;
  count: number;
  total: number;
  /** The largest |product| first, at most `rows` (or rows − 1 when a rest is left). */
  paths: PathTerm[];
  /** The paths not listed, added up. */
  rest: { count: number; sum: number };
}

/**
 * Keeps `rows` lines' worth of a PathSum: all paths if they fit, else the
 * rows − 1 largest and one line for the rest. (The worker sends this, not
 * thousands of paths, to the page every second while training.)
 */
export function summarizePaths(s: PathSum, rows: number): PathSummary {
  const listed = s.paths.length > rows ? s.paths.slice(0, rows - 1) : s.paths;
  let sum = 0;
  for (let i = listed.length; i < s.paths.length; i++) sum += s.paths[i].product;
  return { paramName: s.paramName, count: s.count, total: s.total, paths: listed, rest: { count: s.paths.length - listed.length, sum } };
}
