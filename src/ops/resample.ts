/**
 * interpolate: resizes the spatial dims of [N, C, L] (nearest) or
 * [N, C, H, W] (nearest, bilinear), with PyTorch 1.13's index rules and
 * alignCorners = false. Nearest resamples each spatial dim in turn with
 * indexSelect, so its gradients of any order come from indexSelect's
 * scatter-add. Bilinear is one linear kernel (src/backend/js/resample.ts)
 * whose VJP is its transpose kernel, and the transpose's VJP the kernel.
 */
import type { FloatArray } from "../backend/backend.js";
import { bilinear, bilinearTranspose, type LinearAxis } from "../backend/js/resample.js";
import { defineOp, record, traced } from "../graph/node.js";
import { ShapeError, ValueError } from "../errors.js";
import { allocate } from "../tensor/dtype.js";
import { formatShape, sizeOf } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { indexSelect } from "./indexing.js";
import { contiguousData, requireFloat } from "./util.js";

export type InterpolateMode = "nearest" | "bilinear";

export interface InterpolateOptions {
  /** Output size of the spatial dims: one number for all, or one per dim. */
  size?: number | readonly number[];
  /** Output = ⌊input · scaleFactor⌋ per spatial dim; the factor itself sets the source positions, as in PyTorch. */
  scaleFactor?: number | readonly number[];
  /** "nearest" (default) or "bilinear" (4-D input only, alignCorners = false). */
  mode?: InterpolateMode;
}

export function interpolate(x: Tensor, options: InterpolateOptions = {}): Tensor {
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
  if (mode === "bilinear") {
    const float32 = x.dtype === "float32";
    const [h, w] = [0, 1].map((i) => linearAxis(x.shape[i + 2], outSizes[i], scales ? scales[i] : null, float32));
    const y = bilinearOp(x, { h, w, inShape: x.shape, outShape: [x.shape[0], x.shape[1], outSizes[0], outSizes[1]] });
    return traced(y, "interpolateBilinear", [x], { scales, sizes: outSizes });
  }
  let y = x;
  for (let i = 0; i < spatial; i++) {
    y = indexSelect(y, i + 2, nearestIndices(x.shape[i + 2], outSizes[i], scales ? scales[i] : null));
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
 * Linear interpolation weights along one dim (alignCorners = false): output
 * o reads src = max(scale·(o + 0.5) − 0.5, 0) between its floor and the next
 * entry. float32 inputs compute positions and weights in float32, as
 * PyTorch's kernel does.
 */
function linearAxis(inSize: number, outSize: number, scale: number | null, float32: boolean): LinearAxis {
  const s = sourceScale(inSize, outSize, scale);
  const round = float32 ? Math.fround : (v: number) => v;
  const a: LinearAxis = { lo: new Int32Array(outSize), hi: new Int32Array(outSize), wLo: new Float64Array(outSize), wHi: new Float64Array(outSize) };
  for (let o = 0; o < outSize; o++) {
    const src = Math.max(round(round(round(s) * round(o + 0.5)) - 0.5), 0);
    const i0 = Math.floor(src);
    a.lo[o] = i0;
    a.hi[o] = i0 < inSize - 1 ? i0 + 1 : i0;
    a.wHi[o] = round(src - i0);
    a.wLo[o] = round(1 - a.wHi[o]);
  }
  return a;
}

// Bilinear resampling is linear in x: its VJP is the transpose kernel, whose VJP is the forward kernel.
interface BilinearCtx { h: LinearAxis; w: LinearAxis; inShape: readonly number[]; outShape: readonly number[] }
const BILINEAR = defineOp<BilinearCtx>("interpolateBilinear", (g, _s, c) => [bilinearTransposeOp(g, c)]);
const BILINEAR_TRANSPOSE = defineOp<BilinearCtx>("interpolateBilinearBackward", (g, _s, c) => [bilinearOp(g, c)]);

function bilinearOp(x: Tensor, c: BilinearCtx): Tensor {
  const [height, width] = c.inShape.slice(-2);
  const { data, offset } = contiguousData(x);
  const out = allocate(x.dtype, sizeOf(c.outShape)) as FloatArray;
  bilinear((offset === 0 ? data : data.subarray(offset)) as FloatArray, sizeOf(c.inShape) / (height * width), height, width, c.h, c.w, out);
  return record(new Tensor(out, c.outShape, x.dtype), BILINEAR, [x], null, c);
}

function bilinearTransposeOp(g: Tensor, c: BilinearCtx): Tensor {
  const [height, width] = c.inShape.slice(-2);
  const { data, offset } = contiguousData(g);
  const out = allocate(g.dtype, sizeOf(c.inShape)) as FloatArray;
  bilinearTranspose((offset === 0 ? data : data.subarray(offset)) as FloatArray, sizeOf(c.inShape) / (height * width), height, width, c.h, c.w, out);
  return record(new Tensor(out, c.inShape, g.dtype), BILINEAR_TRANSPOSE, [g], null, c);
}
