/**
 * interpolate: resizes the spatial dims of [N, C, L] (nearest) or
 * [N, C, H, W] (nearest, bilinear), with PyTorch 1.13's index rules and
 * alignCorners = false. Each spatial dim is resampled in turn with
 * indexSelect (nearest) or a weighted sum of two indexSelects (bilinear), so
 * gradients of any order come from indexSelect's scatter-add.
 */
import { ShapeError, ValueError } from "../errors.js";
import { formatShape } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { indexSelect } from "./indexing.js";
import { requireFloat } from "./util.js";

export type InterpolateMode = "nearest" | "bilinear";

export interface InterpolateOptions {
  /** Output size of the spatial dims: one number for all, or one per dim. */
  size?: number | readonly number[];
  /** Output = ⌊input · scaleFactor⌋ per spatial dim; the factor itself sets the source positions, as in PyTorch. */
  scaleFactor?: number | readonly number[];
  /** "nearest" (default) or "bilinear" (4-D input only, alignCorners = false). */
  mode?: InterpolateMode;
}

export function interpolate(x: Tensor, options: InterpolateOptions): Tensor {
  const op = "interpolate";
  const mode = options.mode ?? "nearest";
  if (mode !== "nearest" && mode !== "bilinear") throw new ValueError(`${op}: mode must be "nearest" or "bilinear", got ${JSON.stringify(mode)}`);
  requireFloat(op, x);
  if (mode === "bilinear" && x.ndim !== 4) {
    throw new ShapeError(`${op}: bilinear mode expects a 4-D [N, C, H, W] input, got shape ${formatShape(x.shape)}`);
  }
  if (x.ndim !== 3 && x.ndim !== 4) {
    throw new ShapeError(`${op}: expected a 3-D [N, C, L] or 4-D [N, C, H, W] input, got shape ${formatShape(x.shape)}`);
  }
  const spatial = x.ndim - 2;
  const { size, scaleFactor } = options;
  if ((size === undefined || size === null) === (scaleFactor === undefined || scaleFactor === null)) {
    throw new ValueError(`${op}: give exactly one of size and scaleFactor`);
  }
  const perDim = (v: number | readonly number[], name: string): number[] => {
    const list = typeof v === "number" ? new Array<number>(spatial).fill(v) : [...v];
    if (list.length !== spatial) {
      throw new ValueError(`${op}: ${name} has ${list.length} entries but input ${formatShape(x.shape)} has ${spatial} spatial dim(s)`);
    }
    return list;
  };
  const scales = scaleFactor !== undefined && scaleFactor !== null ? perDim(scaleFactor, "scaleFactor") : null;
  const outSizes = scales
    ? scales.map((s, i) => {
      if (!(s > 0 && Number.isFinite(s))) throw new ValueError(`${op}: scaleFactor must be positive, got ${JSON.stringify(scaleFactor)}`);
      return Math.floor(x.shape[i + 2] * s);
    })
    : perDim(size!, "size");
  if (outSizes.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new ShapeError(`${op}: the output size would be ${outSizes.join("×")} for input ${formatShape(x.shape)}; every spatial size must be a positive integer`);
  }
  let y = x;
  for (let i = 0; i < spatial; i++) {
    const dim = i + 2;
    const inSize = x.shape[dim];
    const scale = scales ? scales[i] : null;
    y = mode === "nearest" ? indexSelect(y, dim, nearestIndices(inSize, outSizes[i], scale)) : linearAlong(y, dim, inSize, outSizes[i], scale);
  }
  return y;
}

/** 1 / scaleFactor when one was given (and positive), else in/out: PyTorch's compute_scales_value. */
function sourceScale(inSize: number, outSize: number, scale: number | null): number {
  return scale !== null && scale > 0 ? 1 / scale : inSize / outSize;
}

/** PyTorch 1.13's nearest rule: src = min(⌊dst · scale⌋, in − 1), computed in float32. */
function nearestIndices(inSize: number, outSize: number, scale: number | null): Tensor {
  const index = new Int32Array(outSize);
  const s = Math.fround(sourceScale(inSize, outSize, scale));
  for (let o = 0; o < outSize; o++) {
    if (outSize === inSize) index[o] = o;
    else if (outSize === 2 * inSize) index[o] = o >> 1;
    else index[o] = Math.min(Math.floor(Math.fround(o * s)), inSize - 1);
  }
  return new Tensor(index, [outSize], "int32");
}

/**
 * Linear interpolation along `dim` (alignCorners = false): output o reads
 * src = max(scale·(o + 0.5) − 0.5, 0) between its floor and the next entry.
 */
function linearAlong(x: Tensor, dim: number, inSize: number, outSize: number, scale: number | null): Tensor {
  const s = sourceScale(inSize, outSize, scale);
  const round = x.dtype === "float32" ? Math.fround : (v: number) => v;
  const lo = new Int32Array(outSize), hi = new Int32Array(outSize);
  const wLo = new Float64Array(outSize), wHi = new Float64Array(outSize);
  for (let o = 0; o < outSize; o++) {
    // float32 inputs compute positions and weights in float32, as PyTorch's kernel does.
    const src = Math.max(round(round(round(s) * round(o + 0.5)) - 0.5), 0);
    const i0 = Math.floor(src);
    lo[o] = i0;
    hi[o] = i0 < inSize - 1 ? i0 + 1 : i0;
    wHi[o] = round(src - i0);
    wLo[o] = round(1 - wHi[o]);
  }
  const shape = x.shape.map((_, d) => (d === dim ? outSize : 1));
  const weightLo = new Tensor(x.dtype === "float32" ? Float32Array.from(wLo) : wLo, shape, x.dtype);
  const weightHi = new Tensor(x.dtype === "float32" ? Float32Array.from(wHi) : wHi, shape, x.dtype);
  const a = indexSelect(x, dim, new Tensor(lo, [outSize], "int32"));
  const b = indexSelect(x, dim, new Tensor(hi, [outSize], "int32"));
  return a.mul(weightLo).add(b.mul(weightHi));
}
