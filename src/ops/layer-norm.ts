/**
 * layerNorm as one op: y = (x − mean) / √(var + eps) · weight + bias over
 * the trailing `dims` dims of x, each row's statistics in double and each
 * output rounded once. The composite form (mean, sub, square, mean, add,
 * sqrt, div, mul, add) cost nine ops forward and about twenty backward; a
 * transformer block calls it twice.
 *
 * The VJP, with x̂ = (x − mean)·rstd and ĝ = ȳ·weight per row of D elements:
 *   x̄ = rstd · (ĝ − mean(ĝ) − x̂ · mean(ĝ·x̂)),  w̄ = Σ_rows ȳ·x̂,  b̄ = Σ_rows ȳ.
 * A plain backward runs it as one pass over the rows (the backend's
 * layerNormForward/layerNormBackward kernels, src/backend/js/layer-norm.ts
 * the reference); with createGraph the same formula is built from tensor
 * ops, so it can be differentiated again.
 */
import type { FloatArray } from "../backend/backend.js";
import { gpu } from "../backend/device-dispatch.js";
import type { DeviceStorage } from "../backend/device-storage.js";
import { backend } from "../backend/registry.js";
import { gradMode } from "../graph/mode.js";
import { defineOp, record } from "../graph/node.js";
import { allocateUninitialized } from "../tensor/dtype.js";
import { Tensor } from "../tensor/tensor.js";
import { deviceLayerNorm, deviceLayerNormGrads } from "./device-conv-ops.js";
import { contiguousData } from "./util.js";

interface LayerNormCtx {
  /** The normalised dims (the trailing ones) and their element count per row. */
  dims: number[];
  width: number;
  eps: number;
  hasWeight: boolean;
  hasBias: boolean;
  /** Per row: the mean and 1/√(var + eps), in double. */
  mean: Float64Array;
  rstd: Float64Array;
  /** On the webgpu backend: [mean (rows), rstd (rows)] on the device (mean and rstd above are then read from it when needed). */
  device?: DeviceStorage;
}

const LAYER_NORM = defineOp<LayerNormCtx>("layerNorm", (g, saved, c, needs) => {
  const [x, weight] = saved;
  if (c.device !== undefined && !gradMode.enabled) {
    const needW = c.hasWeight && needs[1], needB = c.hasBias && needs[c.hasWeight ? 2 : 1];
    const onDevice = deviceLayerNormGrads(g, x, c.hasWeight ? weight : null, c.device, c.width, x.shape.slice(x.ndim - c.dims.length), [needs[0], needW, needB]);
    if (onDevice !== null) return c.hasWeight ? (c.hasBias ? onDevice : onDevice.slice(0, 2)) : [onDevice[0], ...(c.hasBias ? [onDevice[2]] : [])];
    // The host kernel needs the statistics: read from the device (the composite below recomputes them).
    const table = c.device.materialise(false), rows = table.length / 2;
    c.mean = Float64Array.from(table.subarray(0, rows));
    c.rstd = Float64Array.from(table.subarray(rows));
  }
  const grads = gradMode.enabled ? compositeGrads(g, x, c.hasWeight ? weight : null, c, needs) : fusedGrads(g, x, c.hasWeight ? weight : null, c, needs);
  return c.hasWeight ? (c.hasBias ? grads : grads.slice(0, 2)) : [grads[0], ...(c.hasBias ? [grads[2]] : [])];
});

/**
 * The fused layer norm of x over its last `k` dims. The caller has checked
 * the shapes; weight and bias, when given, have the normalised shape and x's
 * dtype, and x is float.
 */
export function layerNormOp(x: Tensor, k: number, weight: Tensor | null, bias: Tensor | null, eps: number): Tensor {
  const dims = Array.from({ length: k }, (_, i) => x.ndim - k + i);
  let width = 1;
  for (const d of dims) width *= x.shape[d];
  const rows = width === 0 ? 0 : x.size / width;
  const inputs = [x];
  if (weight) inputs.push(weight);
  if (bias) inputs.push(bias);
  const onDevice = gpu.active !== null ? deviceLayerNorm(x, rows, width, weight, bias, eps) : null;
  if (onDevice !== null) {
    const none = new Float64Array(0);
    const ctx: LayerNormCtx = { dims, width, eps, hasWeight: !!weight, hasBias: !!bias, mean: none, rstd: none, device: onDevice.stats };
    return record(onDevice.y, LAYER_NORM, inputs, weight ? [x, weight] : [x], ctx);
  }
  const { data, offset } = contiguousData(x);
  const w = weight ? contiguousData(weight) : null;
  const b = bias ? contiguousData(bias) : null;
  const out = allocateUninitialized(x.dtype, x.size) as FloatArray;
  const mean = new Float64Array(rows), rstd = new Float64Array(rows);
  backend.layerNormForward(data as FloatArray, offset, rows, width, w ? w.data as FloatArray : null, w ? w.offset : 0,
    b ? b.data as FloatArray : null, b ? b.offset : 0, eps, out, mean, rstd);
  const y = new Tensor(out, x.shape, x.dtype);
  const ctx: LayerNormCtx = { dims, width, eps, hasWeight: !!weight, hasBias: !!bias, mean, rstd };
  return record(y, LAYER_NORM, inputs, weight ? [x, weight] : [x], ctx);
}

/** [x̄, w̄, b̄] in one pass over the rows (no graph). */
function fusedGrads(g: Tensor, x: Tensor, weight: Tensor | null, c: LayerNormCtx, needs: readonly boolean[]): (Tensor | null)[] {
  const { width, mean, rstd } = c;
  const rows = mean.length;
  const gd = contiguousData(g), xd = contiguousData(x);
  const w = weight ? contiguousData(weight) : null;
  const needX = needs[0], needW = c.hasWeight && needs[1], needB = c.hasBias && needs[c.hasWeight ? 2 : 1];
  const dx = needX ? allocateUninitialized(x.dtype, x.size) as FloatArray : null;
  // Column sums in double, rounded once at the end.
  const dw = needW ? new Float64Array(width) : null;
  const db = needB ? new Float64Array(width) : null;
  backend.layerNormBackward(gd.data as FloatArray, gd.offset, xd.data as FloatArray, xd.offset, rows, width,
    w ? w.data as FloatArray : null, w ? w.offset : 0, mean, rstd, dx, dw, db);
  const shapeOfWeight = x.shape.slice(x.ndim - c.dims.length);
  const cast = (sums: Float64Array | null, dtype: Tensor["dtype"]) => {
    if (!sums) return null;
    const outSums = allocateUninitialized(dtype, width) as FloatArray;
    outSums.set(sums);
    return new Tensor(outSums, shapeOfWeight, dtype);
  };
  return [dx ? new Tensor(dx, x.shape, x.dtype) : null, cast(dw, weight ? weight.dtype : x.dtype), cast(db, x.dtype)];
}

/** [x̄, w̄, b̄] from tensor ops, recording a graph (createGraph). */
function compositeGrads(g: Tensor, x: Tensor, weight: Tensor | null, c: LayerNormCtx, needs: readonly boolean[]): (Tensor | null)[] {
  const { dims } = c;
  const lead = Array.from({ length: x.ndim - dims.length }, (_, i) => i);
  const centered = x.sub(x.mean(dims, true));
  const rstd = centered.square().mean(dims, true).add(c.eps).sqrt().reciprocal();
  const xhat = centered.mul(rstd);
  const gw = weight ? g.mul(weight) : g;
  const needW = c.hasWeight && needs[1], needB = c.hasBias && needs[c.hasWeight ? 2 : 1];
  const sumRows = (t: Tensor) => (lead.length === 0 ? t : t.sum(lead));
  return [
    needs[0] ? rstd.mul(gw.sub(gw.mean(dims, true)).sub(xhat.mul(gw.mul(xhat).mean(dims, true)))) : null,
    needW ? sumRows(g.mul(xhat)) : null,
    needB ? sumRows(g) : null,
  ];
}
