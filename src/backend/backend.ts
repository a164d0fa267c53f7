/**
 * The kernel layer: raw computations on flat typed arrays.
 *
 * A kernel knows typed arrays, offsets, shapes and strides, nothing else: no
 * tensors, no autograd. Ops (src/ops/) prepare their inputs (contiguity,
 * broadcast strides, output buffers) and call exactly one kernel each.
 * Faster backends (WebAssembly, native) implement the same interface; a
 * backend may delegate a kernel it does not accelerate to the reference one,
 * so that no backend ever lacks a kernel the others have.
 */

export type DType = "float32" | "float64" | "int32" | "bool";
export type FloatArray = Float32Array | Float64Array;
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** The kernel op names, one ordered list per family (src/backend/kernel-ops.ts). */
export type { UnaryOp, BinaryOp, ReduceOp } from "./kernel-ops.js";
import type { BinaryOp, ReduceOp, UnaryOp } from "./kernel-ops.js";

/** Adam's per-step scalars, computed and rounded in the parameter's dtype by src/optim/adam.ts. */
export interface AdamScalars {
  negStepSize: number;
  bc2Sqrt: number;
  beta1: number;
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
  eps: number;
  /** Weight decay added to the gradient (Adam), else 0. */
  l2: number;
  /** 1 − lr·weightDecay applied to the parameter first (AdamW), else 1. */
  shrink: number;
}

// ---- Convolution and pooling kernels: their window types, then the Backend methods below.

/** A conv's sliding window: kernel, stride, top/left padding, dilation, and the output size it sweeps. */
export interface ConvWindow {
  kH: number; kW: number;
  strideH: number; strideW: number;
  padTop: number; padLeft: number;
  dilationH: number; dilationW: number;
  outH: number; outW: number;
}

/** One pooling axis: output size, stride, padding, dilation, kernel size, input size. */
export interface PoolAxis {
  out: number;
  stride: number;
  pad: number;
  dilation: number;
  kernel: number;
  size: number;
}

export interface Backend {
  readonly name: string;

  /**
   * Threads this backend's kernels run on (bp.getNumThreads): 1 for JS, the
   * pool's size for wasm and native. A backend without it counts as 1.
   */
  numThreads?(): number;

  /**
   * True once the backend's device is gone (webgpu after a lost GPU device):
   * setBackend then loads it afresh instead of reusing it.
   */
  isLost?(): boolean;

  /** out[i] = op(x[xOff + i]) for i < n; x and out contiguous. */
  unary(op: UnaryOp, x: TypedArray, xOff: number, out: TypedArray, n: number, p0: number, p1: number): void;

  /**
   * out = op(a, b) over `shape`. `aStrides`/`bStrides` are already broadcast
   * to `shape` (0 on broadcast dims); out is contiguous.
   */
  binary(
    op: BinaryOp,
    a: TypedArray, aOff: number, aStrides: readonly number[],
    b: TypedArray, bOff: number, bStrides: readonly number[],
    out: TypedArray, shape: readonly number[],
  ): void;

  /** out = cond != 0 ? a : b, all three broadcast to `shape` by their strides. */
  where(
    cond: TypedArray, cOff: number, cStrides: readonly number[],
    a: TypedArray, aOff: number, aStrides: readonly number[],
    b: TypedArray, bOff: number, bStrides: readonly number[],
    out: TypedArray, shape: readonly number[],
  ): void;

  /** Gathers a strided view into the contiguous `out` (casting by assignment). */
  copyStrided(src: TypedArray, srcOff: number, srcStrides: readonly number[], shape: readonly number[], out: TypedArray): void;

  /**
   * Reduces the middle axis of a contiguous [outer, axis, inner] block into
   * out[outer, inner]. argmax/argmin write the first index of the extreme.
   * max/min propagate NaN like PyTorch.
   */
  reduce(op: ReduceOp, x: TypedArray, xOff: number, outer: number, axis: number, inner: number, out: TypedArray): void;

  /**
   * Numerically stable softmax (or log-softmax) along the middle axis of a
   * contiguous [outer, axis, inner] block. out may be x itself (xOff 0):
   * each slice is read before it is written.
   */
  softmax(x: FloatArray, xOff: number, outer: number, axis: number, inner: number, out: FloatArray, log: boolean): void;

  /**
   * Batched GEMM: out[b] = op(A[b]) · op(B[b]) with op(A) of shape [m, k] and
   * op(B) of shape [k, n]; out is contiguous [batch, m, n]. A[b] starts at
   * aOff + b * aBatchStride and is stored row-major as [m, k] (or as [k, m]
   * when transA); likewise B as [k, n] (or [n, k] when transB). A batch
   * stride of 0 broadcasts that operand over the batch.
   */
  matmul(
    a: FloatArray, aOff: number, aBatchStride: number, transA: boolean,
    b: FloatArray, bOff: number, bBatchStride: number, transB: boolean,
    out: FloatArray, batch: number, m: number, k: number, n: number,
  ): void;

  /**
   * out[o, j, i] = x[o, index[o, j, i], i] with x contiguous [outer, xAxis, inner]
   * and index, out contiguous [outer, idxAxis, inner]. Indices are checked by the op.
   */
  gather(x: TypedArray, outer: number, xAxis: number, inner: number, index: Int32Array, idxAxis: number, out: TypedArray): void;

  /** out[o, index[o, j, i], i] += src[o, j, i]; the reverse of gather. */
  scatterAdd(out: TypedArray, outer: number, outAxis: number, inner: number, index: Int32Array, idxAxis: number, src: TypedArray): void;

  /** out[o, j, i] = x[o, index[j], i]; x contiguous [outer, xAxis, inner]. */
  indexSelect(x: TypedArray, outer: number, xAxis: number, inner: number, index: Int32Array, out: TypedArray): void;

  /** out[o, index[j], i] += src[o, j, i]; the reverse of indexSelect. */
  indexAdd(out: TypedArray, outer: number, outAxis: number, inner: number, index: Int32Array, src: TypedArray): void;

  /**
   * Optional fused optimizer update: one Adam/AdamW step over `n` parameters
   * (m, v and vMax contiguous from 0), bit-identical to the loop in
   * src/optim/adam.ts. Returns false when it declines (too small, mixed
   * dtypes); the optimizer then runs its own loop.
   */
  adam?(p: TypedArray, pOff: number, grad: TypedArray, gOff: number, m: TypedArray, v: TypedArray,
    vMax: TypedArray | null, n: number, s: AdamScalars): boolean;

  // ---- Convolution and pooling kernels (issue #20, convnet speed).

  /**
   * Writes images [n0, n0 + count) of x (strided [N, C, H, W] from xOff) into
   * `cols` as [C·kH·kW, count, oH·oW]; positions in the padding get 0.
   */
  im2col(
    x: FloatArray, xOff: number, xStrides: readonly number[], channels: number, height: number, width: number,
    n0: number, count: number, win: ConvWindow, cols: FloatArray,
  ): void;

  /** The adjoint of im2col: adds `cols` into images [n0, n0 + count) of the contiguous [N, C, H, W] `out`. */
  col2im(cols: FloatArray, channels: number, height: number, width: number, n0: number, count: number, win: ConvWindow, out: FloatArray): void;

  /**
   * Optional fused conv2d (groups 1): out [N, O, oH, oW] = conv(x, weight) + bias,
   * x strided [N, C, H, W] from xOff, weight contiguous [O, C, kH, kW] from
   * wOff, bias [O] or null. Each element is the one im2col + matmul gives.
   * Returns false when it declines; the caller then runs im2col and matmul.
   */
  conv2d?(
    x: FloatArray, xOff: number, xStrides: readonly number[], batch: number, channels: number, height: number, width: number,
    outChannels: number, win: ConvWindow, weight: FloatArray, wOff: number, bias: FloatArray | null, biasOff: number, out: FloatArray,
  ): boolean;

  /**
   * Optional fused weight gradient of conv2d (groups 1): out [O, C, kH, kW] =
   * Σ over images and positions of gy times the window of x; gy contiguous
   * [N, O, oH, oW] from gyOff. Returns false when it declines.
   */
  conv2dWeightGrad?(
    x: FloatArray, xOff: number, xStrides: readonly number[], batch: number, channels: number, height: number, width: number,
    outChannels: number, win: ConvWindow, gy: FloatArray, gyOff: number, out: FloatArray,
  ): boolean;

  /**
   * Optional fused input gradient of conv2d (groups 1): out [N, C, H, W]
   * (overwritten) = convᵀ(gy, weight), gy contiguous [N, O, oH, oW], weight
   * contiguous [O, C, kH, kW]. Each element is the one matmul + col2im gives.
   * Returns false when it declines.
   */
  conv2dInputGrad?(
    gy: FloatArray, gyOff: number, batch: number, channels: number, height: number, width: number, outChannels: number,
    win: ConvWindow, weight: FloatArray, wOff: number, out: FloatArray,
  ): boolean;

  /**
   * For each window of each contiguous [H, W] plane of x, the in-plane index
   * of its maximum (padding skipped; first on ties; a NaN wins, the last one).
   */
  maxPoolIndices(x: FloatArray, planes: number, h: PoolAxis, w: PoolAxis, out: Int32Array): void;

  // ---- Batch-norm kernels (issue #20) over a contiguous [N, C, S] block from xOff, per channel c; sums in double.

  /** mean[c] and the biased variance[c] of x[:, c, :]. */
  batchNormStats(x: FloatArray, xOff: number, batch: number, channels: number, spatial: number, mean: Float64Array, variance: Float64Array): void;

  /** out[n, c, s] (contiguous from 0) = x[n, c, s]·scale[c] + shift[c], in double and rounded once. */
  batchNormApply(x: FloatArray, xOff: number, batch: number, channels: number, spatial: number, scale: Float64Array, shift: Float64Array, out: FloatArray): void;

  /**
   * sumGrad[c] = Σ gy, sumGradCentered[c] = Σ gy·(x − mean[c]); with dx, the
   * input gradient (src/backend/js/batch-norm.ts has the formula); gy and x
   * contiguous [N, C, S], dx contiguous from 0, gain (the weight) null for 1.
   */
  batchNormBackward(
    gy: FloatArray, gyOff: number, x: FloatArray, xOff: number, batch: number, channels: number, spatial: number,
    mean: Float64Array, invstd: Float64Array, gain: Float64Array | null, training: boolean,
    sumGrad: Float64Array, sumGradCentered: Float64Array, dx: FloatArray | null,
  ): void;

  // ---- Layer-norm kernels (issue #15) over `rows` contiguous rows of `width` values; row statistics in double.

  /**
   * out[r, j] (contiguous from 0) = (x[r, j] − mean[r])·rstd[r]·weight[j] + bias[j]
   * (weight, bias null for none), rounded once; writes mean[r] and rstd[r] = 1/√(var + eps).
   */
  layerNormForward(
    x: FloatArray, xOff: number, rows: number, width: number, weight: FloatArray | null, wOff: number,
    bias: FloatArray | null, bOff: number, eps: number, out: FloatArray, mean: Float64Array, rstd: Float64Array,
  ): void;

  /**
   * dx (contiguous from 0) and the column sums dw[j] += Σ gy·x̂, db[j] += Σ gy
   * in double (src/backend/js/layer-norm.ts has the formula); any of the three null to skip.
   */
  layerNormBackward(
    gy: FloatArray, gyOff: number, x: FloatArray, xOff: number, rows: number, width: number,
    weight: FloatArray | null, wOff: number, mean: Float64Array, rstd: Float64Array,
    dx: FloatArray | null, dw: Float64Array | null, db: Float64Array | null,
  ): void;

  // ---- The fused attention's two elementwise passes (src/ops/fused-attention.ts; issue #15)

  /**
   * Scores in place over `batch` contiguous [L, S] blocks of x from 0: row
   * i's first `visible` values times `scale` (in double, rounded once), the
   * rest −∞, where visible = min(i + 1, S) when `causal`, else S.
   */
  attentionScores(x: FloatArray, batch: number, L: number, S: number, scale: number, causal: boolean): void;

  /**
   * Softmax's gradient over `rows` contiguous rows of `width`, from the
   * softmax y and the gradient gy of its output: out[r, j] (contiguous from
   * 0; may be gy itself when gyOff is 0) = y·(gy − Σⱼ gy·y)·scale, the sum in
   * double in element order, each output computed in double and rounded once.
   */
  softmaxBackward(y: FloatArray, yOff: number, gy: FloatArray, gyOff: number, rows: number, width: number, scale: number, out: FloatArray): void;
}
