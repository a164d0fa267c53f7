/** matmul with torch.matmul's rules: 1-D·1-D, matrix products and broadcast batches. */
import type { FloatArray } from "../backend/backend.js";
import { gpu } from "../backend/device-dispatch.js";
import { hostWrote } from "../backend/device-storage.js";
import { backend } from "../backend/registry.js";
import { defineOp, record } from "../graph/node.js";
import { DTypeError, ShapeError, ValueError } from "../errors.js";
import { allocateUninitialized, isFloat, promoteTypes } from "../tensor/dtype.js";
import { broadcastShapes, broadcastStrides, formatShape, sizeOf } from "../tensor/shape.js";
import { Tensor, viewOf } from "../tensor/tensor.js";
import { sumTo } from "./reduce.js";
import { contiguousCopy } from "./util.js";
import { deviceBinary, deviceMatmul, type GemmOperand } from "./device-ops.js";

/** How the kernel reads one operand of shape batch + [rows, cols]. */
/** A GEMM operand: `source`'s storage read from `offset`, batches `batchStride` apart, transposed when `trans`. */
type Operand = GemmOperand;

/**
 * Prepares an operand without copying when it is row-major, or the transpose
 * of a row-major matrix (what `W.T` and the VJPs produce), and its batch dims
 * are either absent (stride 0: broadcast) or laid out uniformly.
 */
function operand(t: Tensor, batchShape: readonly number[], rows: number, cols: number): Operand {
  const nd = t.ndim;
  const rs = t.strides[nd - 2], cs = t.strides[nd - 1];
  const tBatch = t.shape.slice(0, nd - 2);
  const tBatchSize = sizeOf(tBatch);
  const fullBatch = sizeOf(batchShape);
  const rowMajor = (cs === 1 || cols === 1) && (rs === cols || rows === 1);
  const colMajor = (rs === 1 || rows === 1) && (cs === rows || cols === 1) && !rowMajor;
  let batchStride = -1;
  if (tBatchSize === 1) batchStride = 0;
  else if (tBatchSize === fullBatch && tBatch.length === batchShape.length) {
    // Uniform batch layout: every batch dim steps by (inner size) × (sizes to its right).
    let expected = rows * cols;
    let uniform = true;
    for (let i = tBatch.length - 1; i >= 0; i--) {
      if (tBatch[i] !== 1 && t.strides[i] !== expected) { uniform = false; break; }
      expected *= tBatch[i];
    }
    if (uniform) batchStride = rows * cols;
  }
  if (batchStride >= 0 && (rowMajor || colMajor)) {
    return { source: t, offset: t.offset, batchStride, trans: colMajor };
  }
  // Otherwise materialise: broadcast the batch (a raw view) and copy row-major.
  const fullShape = [...batchShape, rows, cols];
  const c = contiguousCopy(viewOf(t, fullShape, broadcastStrides(t.shape, t.strides, fullShape), t.offset));
  return { source: c, offset: 0, batchStride: fullBatch === 1 ? 0 : rows * cols, trans: false };
}

// C = A·B: Ā = C̄·Bᵀ, B̄ = Aᵀ·C̄, each summed back over broadcast batch dims.
const MATMUL = defineOp("matmul", (g, [a, b], _c, needs) => [
  needs[0] ? sumTo(g.matmul(b.transpose(-1, -2)), a.shape) : null,
  needs[1] ? sumTo(a.transpose(-1, -2).matmul(g), b.shape) : null,
]);

/** Both operands at least 2-D. */
function matmulND(a: Tensor, b: Tensor, shownA: readonly number[], shownB: readonly number[]): Tensor {
  return record(matmulKernel(a, b, shownA, shownB), MATMUL, [a, b], [a, b], undefined);
}

/** The product of two operands of at least 2 dims, without recording it. */
function matmulKernel(a: Tensor, b: Tensor, shownA: readonly number[], shownB: readonly number[]): Tensor {
  const m = a.shape[a.ndim - 2], k = a.shape[a.ndim - 1];
  const k2 = b.shape[b.ndim - 2], n = b.shape[b.ndim - 1];
  if (k !== k2) {
    throw new ShapeError(`matmul: cannot multiply ${formatShape(shownA)} by ${formatShape(shownB)}: inner dimensions ${k} and ${k2} differ`);
  }
  let batchShape: number[];
  try {
    batchShape = broadcastShapes("matmul", a.shape.slice(0, -2), b.shape.slice(0, -2));
  } catch {
    throw new ShapeError(`matmul: cannot multiply ${formatShape(shownA)} by ${formatShape(shownB)}: batch dimensions ${formatShape(a.shape.slice(0, -2))} and ${formatShape(b.shape.slice(0, -2))} do not broadcast`);
  }
  const dtype = promoteTypes(a.dtype, b.dtype);
  // Mixed float32/float64: cast a copy (not recorded; the VJP casts gradients back).
  const ta = a.dtype === dtype ? a : contiguousCopy(a, dtype);
  const tb = b.dtype === dtype ? b : contiguousCopy(b, dtype);
  const batch = sizeOf(batchShape);
  if (gpu.active !== null && batch * m * n > 0) {
    const onDevice = deviceMatmul(operand(ta, batchShape, m, k), operand(tb, batchShape, k, n), batch, m, k, n, [...batchShape, m, n]);
    if (onDevice !== null) return onDevice;
  }
  const out = allocateUninitialized(dtype, batch * m * n) as FloatArray;
  if (out.length > 0) {
    const A = operand(ta, batchShape, m, k);
    const B = operand(tb, batchShape, k, n);
    if (k === 0) out.fill(0);
    else backend.matmul(A.source.storage as FloatArray, A.offset, A.batchStride, A.trans, B.source.storage as FloatArray, B.offset, B.batchStride, B.trans, out, batch, m, k, n);
  }
  return new Tensor(out, [...batchShape, m, n], dtype);
}

export function matmul(a: Tensor, b: Tensor): Tensor {
  if (!(a instanceof Tensor) || !(b instanceof Tensor)) throw new ValueError("matmul: both operands must be Tensors");
  for (const t of [a, b]) {
    if (!isFloat(t.dtype)) throw new DTypeError(`matmul: expected float32 or float64 tensors, got ${t.dtype}; convert with .to("float32")`);
    if (t.ndim === 0) throw new ShapeError(`matmul: both arguments need at least 1 dimension, got shapes ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  }
  if (a.ndim === 1 && b.ndim === 1) {
    if (a.shape[0] !== b.shape[0]) {
      throw new ShapeError(`matmul: cannot take the dot product of ${formatShape(a.shape)} and ${formatShape(b.shape)}: lengths ${a.shape[0]} and ${b.shape[0]} differ`);
    }
    return matmulND(a.unsqueeze(0), b.unsqueeze(1), a.shape, b.shape).reshape([]);
  }
  if (a.ndim === 1) return matmulND(a.unsqueeze(0), b, a.shape, b.shape).squeeze(-2);
  if (b.ndim === 1) return matmulND(a, b.unsqueeze(1), a.shape, b.shape).squeeze(-1);
  return matmulND(a, b, a.shape, b.shape);
}

// ---------------------------------------------------------------- linear (fused)

// y = x·Wᵀ + b: x̄ = ȳ·W, W̄ = ȳᵀ·x (over all leading dims), b̄ = Σ ȳ over the rows.
// x̄ is one [rows, out]·[out, in] product (not a batch of small ones per leading index).
const LINEAR = defineOp<{ hasBias: boolean }>("linear", (g, [x, w], c, needs) => {
  const g2 = g.reshape([-1, w.shape[0]]);
  return [
    needs[0] ? (x.ndim === 2 ? g.matmul(w) : g2.matmul(w).reshape(x.shape)) : null,
    needs[1] ? g2.T.matmul(x.reshape([-1, w.shape[1]])) : null,
    c.hasBias && needs[2] ? g2.sum(0) : null,
  ];
});

/**
 * y = x·Wᵀ + b with weight [out, in], bias [out] and x [..., in], as one op:
 * the product is written into a fresh buffer and the bias added to it in
 * place, so a layer costs one node and one allocation instead of three.
 * Shapes are checked by the caller (nn.functional.linear).
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const out = weight.shape[0], inF = weight.shape[1];
  const lead = x.shape.slice(0, -1);
  const rows = sizeOf(lead);
  const xs = x.isContiguous ? x : contiguousCopy(x);
  const x2 = viewOf(xs, [rows, inF], undefined, xs.offset);
  const wT = viewOf(weight, [inF, out], [weight.strides[1], weight.strides[0]], weight.offset);
  const y = matmulKernel(x2, wT, x.shape, [inF, out]);
  if (bias) {
    const b = bias.dtype === y.dtype ? bias : contiguousCopy(bias, y.dtype);
    // On the GPU the bias is added there; a host fallback writes y's host copy, which makes its buffer stale.
    if (y._device === null || deviceBinary("add", y, [out, 1], b, [0, b.strides[0]], [rows, out], y.dtype, y) === null) {
      backend.binary("add", y.storage, 0, [out, 1], b.storage, b.offset, [0, b.strides[0]], y.storage, [rows, out]);
      if (y._device !== null) hostWrote(y.storage);
    }
  }
  const result = viewOf(y, [...lead, out]);
  return record(result, LINEAR, bias ? [x, weight, bias] : [x, weight], [x, weight], { hasBias: !!bias });
}
