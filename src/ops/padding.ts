/**
 * pad: widens (or, with negative amounts in constant mode, crops) the
 * trailing dims, listed last dim first as in torch.nn.functional.pad.
 * Composed of differentiable ops: constant padding concatenates blocks of the
 * fill value (narrow crops), reflect and replicate select source indices
 * with indexSelect, whose scatter-add reverse gives the gradient.
 */
import { traced } from "../graph/node.js";
import { ShapeError, ValueError } from "../errors.js";
import { full } from "../tensor/creation.js";
import { formatShape } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { indexSelect } from "./indexing.js";
import { cat, narrow } from "./shape.js";

export type PadMode = "constant" | "reflect" | "replicate";

export interface PadOptions {
  /** "constant" (default): fill with `value`; "reflect": mirror without repeating the edge; "replicate": repeat the edge. */
  mode?: PadMode;
  /** The fill value of constant mode (default 0). */
  value?: number;
}

/**
 * Pads `x`: pads = [lastBefore, lastAfter, secondLastBefore, secondLastAfter, …],
 * at most two per dim.
 */
export function pad(x: Tensor, pads: readonly number[], options: PadOptions = {}): Tensor {
  const mode = options.mode ?? "constant";
  if (mode !== "constant" && mode !== "reflect" && mode !== "replicate") {
    throw new ValueError(`pad: mode must be "constant", "reflect" or "replicate", got ${JSON.stringify(mode)}`);
  }
  if (!Array.isArray(pads) || pads.length % 2 !== 0 || pads.some((p) => !Number.isInteger(p))) {
    throw new ValueError(`pad: pads must be an even-length list of integers (before and after for each dim, last dim first), got ${JSON.stringify(pads)}`);
  }
  if (pads.length / 2 > x.ndim) {
    throw new ShapeError(`pad: ${pads.length} pad amounts cover ${pads.length / 2} dims, but input ${formatShape(x.shape)} has ${x.ndim}`);
  }
  const value = options.value ?? 0;
  if (mode !== "constant" && value !== 0) throw new ValueError(`pad: value applies to constant mode only, got value ${value} with mode "${mode}"`);
  let y = x;
  for (let i = 0; i < pads.length / 2; i++) {
    const dim = x.ndim - 1 - i;
    const before = pads[2 * i], after = pads[2 * i + 1];
    if (before === 0 && after === 0) continue;
    const size = x.shape[dim];
    if (size + before + after < 0) {
      throw new ShapeError(`pad: input ${formatShape(x.shape)} has ${size} entries in dim ${dim}; padding it by ${before} and ${after} leaves ${size + before + after}`);
    }
    if (mode === "constant") y = padConstant(y, dim, before, after, value);
    else {
      if (before < 0 || after < 0) throw new ValueError(`pad: negative padding (${before}, ${after}) is only supported in constant mode, got mode "${mode}"`);
      if (mode === "reflect" && (before >= size || after >= size)) {
        throw new ShapeError(
          `pad: reflect padding (${before}, ${after}) of dim ${dim} must be smaller than its size ${size} (input ${formatShape(x.shape)}); use at most ${size - 1}, or mode "replicate"`,
        );
      }
      if (size === 0) throw new ShapeError(`pad: ${mode} padding needs a non-empty dim ${dim}, input is ${formatShape(x.shape)}`);
      y = indexSelect(y, dim, sourceIndices(size, before, after, mode));
    }
  }
  // An export trace sees one Pad: the fill blocks above have the batch size built into their shape.
  return y === x ? y : traced(y, "pad", [x], { pads: [...pads], mode, value });
}

function padConstant(x: Tensor, dim: number, before: number, after: number, value: number): Tensor {
  let y = x;
  if (before < 0) y = narrow(y, dim, -before, y.shape[dim] + before);
  if (after < 0) y = narrow(y, dim, 0, y.shape[dim] + after);
  const block = (n: number) => full(y.shape.map((s, i) => (i === dim ? n : s)), value, { dtype: x.dtype });
  const parts: Tensor[] = [];
  if (before > 0) parts.push(block(before));
  parts.push(y);
  if (after > 0) parts.push(block(after));
  return parts.length === 1 ? y : cat(parts, dim);
}

/** For each output entry of a padded dim, the input entry it copies. */
function sourceIndices(size: number, before: number, after: number, mode: "reflect" | "replicate"): Tensor {
  const n = size + before + after;
  const index = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let j = i - before;
    if (mode === "replicate") j = Math.min(Math.max(j, 0), size - 1);
    else if (j < 0) j = -j;
    else if (j >= size) j = 2 * (size - 1) - j;
    index[i] = j;
  }
  return new Tensor(index, [n], "int32");
}
