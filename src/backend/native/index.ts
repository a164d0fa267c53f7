/**
 * The native backend: kernels compiled to machine code (native/src) and
 * called through Node-API on the tensors' own typed arrays, with no copies.
 * Float32/float64 matmul, elementwise arithmetic and maps, the fused
 * relu/sigmoid/tanh gradients, masked `where`, strided copies, sum/max/min,
 * softmax, the Adam update, a convolution's im2col and col2im, max
 * pooling's argmax and the gather/scatter-add it runs on, and batch norm's
 * statistics, affine pass and backward run natively
 * (above small-size thresholds);
 * other kernels and dtypes (int32, bool results, indexing, casts) delegate
 * to the JS reference kernels, so this backend has every kernel the JS one
 * has. docs/native.md has the details.
 */
import type { AdamScalars, Backend, BinaryOp, ConvWindow, FloatArray, PoolAxis, ReduceOp, TypedArray, UnaryOp } from "../backend.js";
import { kernelCodes } from "../kernel-ops.js";

export type { AdamScalars };
import { jsBackend } from "../js/index.js";
import { collapseDims } from "../js/elementwise.js";
import { onNumThreadsChange } from "../threads/settings.js";
import { loadAddon, type NativeAddon } from "./addon.js";

export { NativeUnavailableError, loadAddon, type NativeAddon } from "./addon.js";

export interface NativeBackend extends Backend {
  readonly addon: NativeAddon;
  /**
   * One Adam/AdamW step over `n` parameters, bit-identical to the loop in
   * src/optim/adam.ts. Returns false (doing nothing) when the arrays are not
   * all of one float type or `n` is too small to repay the call; the caller
   * then runs its own loop.
   */
  adam(p: TypedArray, pOff: number, grad: TypedArray, gOff: number, m: TypedArray, v: TypedArray,
    vMax: TypedArray | null, n: number, s: AdamScalars): boolean;
}

/**
 * Below these sizes the JS kernel wins: a Node-API call costs ~0.3 µs, and
 * the first native call on a freshly allocated small typed array (≤ 64 bytes,
 * kept inside V8's heap) costs ~0.5 µs more while V8 moves its data out of
 * the heap. JS loops cost ~1-3 ns per element. Mutable for tests.
 */
export const thresholds = {
  /**
   * m·k·n multiply-adds over the whole batch: from ~1k the addon wins even on
   * 16×8×8 (and by 4-8× on the lecture network's 64×32×1 and 1×64×32 products, which skip packing).
   */
  matmulMinMacs: 1 << 10,
  /** Elements of an elementwise op or a reduction's input. */
  elementwiseMin: 1 << 11,
  /**
   * Elements of exp, sigmoid, tanh (AVX lanes, ~1 ns each; ~10 ns in JS) or a
   * softmax: the addon wins from 64 up (exp on 1,280 elements: 0.9 µs vs 9.9 µs).
   */
  transcendentalMin: 1 << 6,
};

/** The unary ops worth the call from `transcendentalMin` elements up. */
const TRANSCENDENTAL: ReadonlySet<UnaryOp> = new Set<UnaryOp>(["exp", "sigmoid", "tanh"]);

/** Both arrays are Float32Array, or both Float64Array. */
function sameFloat(x: TypedArray, y: TypedArray): x is FloatArray {
  return (x instanceof Float32Array && y instanceof Float32Array) || (x instanceof Float64Array && y instanceof Float64Array);
}

/** Taps of a conv window over `channels` input channels: the depth of its GEMMs. */
function convTaps(channels: number, win: ConvWindow): number {
  return channels * win.kH * win.kW;
}

/** The window's ten integers in the addon's order. */
function windowArgs(win: ConvWindow): [number, number, number, number, number, number, number, number, number, number] {
  return [win.kH, win.kW, win.strideH, win.strideW, win.padTop, win.padLeft, win.dilationH, win.dilationW, win.outH, win.outW];
}

export function createNativeBackend(addon: NativeAddon): NativeBackend {
  // The addon lists the ops it accelerates in its own numbering (native/src/elementwise.h).
  const unaryCodes = kernelCodes(addon.unaryOps);
  const binaryCodes = kernelCodes(addon.binaryOps);
  const reduceCodes = kernelCodes(addon.reduceOps);
  onNumThreadsChange((n) => addon.setThreads(n));

  return {
    name: "native",
    addon,
    numThreads: () => addon.info().threads,

    unary(op: UnaryOp, x: TypedArray, xOff: number, out: TypedArray, n: number, p0: number, p1: number): void {
      const code = unaryCodes.get(op);
      const minimum = TRANSCENDENTAL.has(op) ? thresholds.transcendentalMin : thresholds.elementwiseMin;
      if (code !== undefined && n >= minimum && sameFloat(x, out)) addon.unary(code, x, xOff, out as FloatArray, n, p0, p1);
      else jsBackend.unary(op, x, xOff, out, n, p0, p1);
    },

    binary(op: BinaryOp, a: TypedArray, aOff: number, aStrides: readonly number[], b: TypedArray, bOff: number,
      bStrides: readonly number[], out: TypedArray, shape: readonly number[]): void {
      const code = binaryCodes.get(op);
      if (code !== undefined && out.length >= thresholds.elementwiseMin && sameFloat(a, b) && sameFloat(a, out)) {
        // The addon walks at most two dimensions; merging usually leaves one
        // (same shapes) or two (a row broadcast against a matrix).
        const c = collapseDims(shape, [aStrides, bStrides]);
        const nd = c.shape.length;
        if (nd <= 2) {
          const n0 = nd === 2 ? c.shape[0] : 1, n1 = nd >= 1 ? c.shape[nd - 1] : 1;
          const sa = c.strides[0], sb = c.strides[1];
          addon.binary(code, a as FloatArray, aOff, nd === 2 ? sa[0] : 0, nd >= 1 ? sa[nd - 1] : 0,
            b as FloatArray, bOff, nd === 2 ? sb[0] : 0, nd >= 1 ? sb[nd - 1] : 0, out as FloatArray, n0, n1);
          return;
        }
      }
      jsBackend.binary(op, a, aOff, aStrides, b, bOff, bStrides, out, shape);
    },

    reduce(op: ReduceOp, x: TypedArray, xOff: number, outer: number, axis: number, inner: number, out: TypedArray): void {
      const code = reduceCodes.get(op);
      if (code !== undefined && outer * axis * inner >= thresholds.elementwiseMin && sameFloat(x, out)) addon.reduce(code, x, xOff, outer, axis, inner, out as FloatArray);
      else jsBackend.reduce(op, x, xOff, outer, axis, inner, out);
    },

    softmax(x: FloatArray, xOff: number, outer: number, axis: number, inner: number, out: FloatArray, log: boolean): void {
      if (outer * axis * inner >= thresholds.transcendentalMin && sameFloat(x, out)) addon.softmax(x, xOff, outer, axis, inner, out, log);
      else jsBackend.softmax(x, xOff, outer, axis, inner, out, log);
    },

    matmul(a: FloatArray, aOff: number, aBatchStride: number, transA: boolean, b: FloatArray, bOff: number,
      bBatchStride: number, transB: boolean, out: FloatArray, batch: number, m: number, k: number, n: number): void {
      if (batch * m * k * n >= thresholds.matmulMinMacs && sameFloat(a, b) && sameFloat(a, out)) addon.matmul(a, aOff, aBatchStride, transA, b, bOff, bBatchStride, transB, out, batch, m, k, n);
      else jsBackend.matmul(a, aOff, aBatchStride, transA, b, bOff, bBatchStride, transB, out, batch, m, k, n);
    },

    adam(p, pOff, grad, gOff, m, v, vMax, n, s): boolean {
      if (n < thresholds.elementwiseMin || !sameFloat(p, grad) || !sameFloat(p, m) || !sameFloat(p, v) || (vMax !== null && !sameFloat(p, vMax))) {
        return false;
      }
      addon.adam(p as FloatArray, pOff, grad as FloatArray, gOff, m as FloatArray, v as FloatArray, vMax as FloatArray | null, n,
        s.negStepSize, s.bc2Sqrt, s.beta1, s.oneMinusBeta1, s.beta2, s.oneMinusBeta2, s.eps, s.l2, s.shrink);
      return true;
    },

    copyStrided(src: TypedArray, srcOff: number, srcStrides: readonly number[], shape: readonly number[], out: TypedArray): void {
      if (out.length > 0 && out.length >= thresholds.elementwiseMin && sameFloat(src, out)) {
        // Native for up to 4 dimensions after merging (transposes, permutes, narrowed views).
        const c = collapseDims(shape, [srcStrides]);
        const nd = c.shape.length;
        if (nd <= 4 && c.strides[0].every((s) => s >= 0)) {
          const n = [1, 1, 1, 1], s = [0, 0, 0, 0];
          for (let d = 0; d < nd; d++) { n[4 - nd + d] = c.shape[d]; s[4 - nd + d] = c.strides[0][d]; }
          addon.copyStrided(src as FloatArray, srcOff, n[0], n[1], n[2], n[3], s[0], s[1], s[2], s[3], out as FloatArray);
          return;
        }
      }
      jsBackend.copyStrided(src, srcOff, srcStrides, shape, out);
    },

    where(cond: TypedArray, cOff: number, cStrides: readonly number[], a: TypedArray, aOff: number, aStrides: readonly number[],
      b: TypedArray, bOff: number, bStrides: readonly number[], out: TypedArray, shape: readonly number[]): void {
      if (out.length >= thresholds.elementwiseMin && cond instanceof Uint8Array && sameFloat(a, b) && sameFloat(a, out)) {
        const c = collapseDims(shape, [cStrides, aStrides, bStrides]);
        const nd = c.shape.length;
        if (nd <= 2) {
          const n0 = nd === 2 ? c.shape[0] : 1, n1 = nd >= 1 ? c.shape[nd - 1] : 1;
          const [sc, sa, sb] = c.strides;
          const outer = (s: number[]) => (nd === 2 ? s[0] : 0), inner = (s: number[]) => (nd >= 1 ? s[nd - 1] : 0);
          addon.where(cond, cOff, outer(sc), inner(sc), a as FloatArray, aOff, outer(sa), inner(sa),
            b as FloatArray, bOff, outer(sb), inner(sb), out as FloatArray, n0, n1);
          return;
        }
      }
      jsBackend.where(cond, cOff, cStrides, a, aOff, aStrides, b, bOff, bStrides, out, shape);
    },
    indexSelect: jsBackend.indexSelect,
    indexAdd: jsBackend.indexAdd,

    // ---- Convolution and pooling kernels (issue #20, convnet speed): threaded, bit-identical to the JS ones.
    gather(x: TypedArray, outer: number, xAxis: number, inner: number, index: Int32Array, idxAxis: number, out: TypedArray): void {
      if (outer * idxAxis * inner >= thresholds.elementwiseMin && sameFloat(x, out)) addon.gather(x, outer, xAxis, inner, index, idxAxis, out as FloatArray);
      else jsBackend.gather(x, outer, xAxis, inner, index, idxAxis, out);
    },

    scatterAdd(out: TypedArray, outer: number, outAxis: number, inner: number, index: Int32Array, idxAxis: number, src: TypedArray): void {
      if (outer * idxAxis * inner >= thresholds.elementwiseMin && sameFloat(out, src)) addon.scatterAdd(out, outer, outAxis, inner, index, idxAxis, src as FloatArray);
      else jsBackend.scatterAdd(out, outer, outAxis, inner, index, idxAxis, src);
    },

    im2col(x: FloatArray, xOff: number, xStrides: readonly number[], channels: number, height: number, width: number,
      n0: number, count: number, win: ConvWindow, cols: FloatArray): void {
      if (cols.length >= thresholds.elementwiseMin && sameFloat(x, cols) && xStrides.every((s) => s >= 0)) {
        const [sN, sC, sH, sW] = xStrides;
        addon.im2col(x, xOff, sN, sC, sH, sW, channels, height, width, n0, count, ...windowArgs(win), cols);
      } else jsBackend.im2col(x, xOff, xStrides, channels, height, width, n0, count, win, cols);
    },

    col2im(cols: FloatArray, channels: number, height: number, width: number, n0: number, count: number, win: ConvWindow, out: FloatArray): void {
      if (cols.length >= thresholds.elementwiseMin && sameFloat(cols, out)) {
        addon.col2im(cols, channels, height, width, n0, count, ...windowArgs(win), out);
      } else jsBackend.col2im(cols, channels, height, width, n0, count, win, out);
    },

    // The fused convolutions take the matmul's threshold: below it, im2col and the JS matmul.
    conv2d(x, xOff, xStrides, batch, channels, height, width, outChannels, win, weight, wOff, bias, biasOff, out): boolean {
      if (batch * outChannels * convTaps(channels, win) * win.outH * win.outW < thresholds.matmulMinMacs || !sameFloat(x, weight) ||
        !sameFloat(x, out) || (bias !== null && !sameFloat(x, bias)) || xStrides.some((s) => s < 0)) return false;
      const [sN, sC, sH, sW] = xStrides;
      return addon.conv2d(x, xOff, sN, sC, sH, sW, batch, channels, height, width, outChannels, ...windowArgs(win), weight, wOff, bias, biasOff, out);
    },

    conv2dWeightGrad(x, xOff, xStrides, batch, channels, height, width, outChannels, win, gy, gyOff, out): boolean {
      if (batch * outChannels * convTaps(channels, win) * win.outH * win.outW < thresholds.matmulMinMacs || !sameFloat(x, gy) ||
        !sameFloat(x, out) || xStrides.some((s) => s < 0)) return false;
      const [sN, sC, sH, sW] = xStrides;
      return addon.conv2dWeightGrad(x, xOff, sN, sC, sH, sW, batch, channels, height, width, outChannels, ...windowArgs(win), gy, gyOff, out);
    },

    conv2dInputGrad(gy, gyOff, batch, channels, height, width, outChannels, win, weight, wOff, out): boolean {
      if (batch * outChannels * convTaps(channels, win) * win.outH * win.outW < thresholds.matmulMinMacs || !sameFloat(gy, weight) ||
        !sameFloat(gy, out)) return false;
      return addon.conv2dInputGrad(gy, gyOff, batch, channels, height, width, outChannels, ...windowArgs(win), weight, wOff, out);
    },

    maxPoolIndices(x: FloatArray, planes: number, h: PoolAxis, w: PoolAxis, out: Int32Array): void {
      if (planes * h.size * w.size >= thresholds.elementwiseMin) {
        addon.maxPoolIndices(x, 0, planes, h.out, h.stride, h.pad, h.dilation, h.kernel, h.size,
          w.out, w.stride, w.pad, w.dilation, w.kernel, w.size, out);
      } else jsBackend.maxPoolIndices(x, planes, h, w, out);
    },

    batchNormStats(x, xOff, batch, channels, spatial, mean, variance): void {
      if (batch * channels * spatial >= thresholds.elementwiseMin) addon.batchNormStats(x, xOff, batch, channels, spatial, mean, variance);
      else jsBackend.batchNormStats(x, xOff, batch, channels, spatial, mean, variance);
    },

    batchNormApply(x, xOff, batch, channels, spatial, scale, shift, out): void {
      if (batch * channels * spatial >= thresholds.elementwiseMin && sameFloat(x, out)) addon.batchNormApply(x, xOff, batch, channels, spatial, scale, shift, out);
      else jsBackend.batchNormApply(x, xOff, batch, channels, spatial, scale, shift, out);
    },

    batchNormBackward(gy, gyOff, x, xOff, batch, channels, spatial, mean, invstd, gain, training, sumGrad, sumGradCentered, dx): void {
      const kernel = batch * channels * spatial >= thresholds.elementwiseMin && sameFloat(gy, x) && (dx === null || sameFloat(x, dx)) ? addon : jsBackend;
      kernel.batchNormBackward(gy, gyOff, x, xOff, batch, channels, spatial, mean, invstd, gain, training, sumGrad, sumGradCentered, dx);
    },

    layerNormForward(x, xOff, rows, width, weight, wOff, bias, bOff, eps, out, mean, rstd): void {
      const own = rows * width >= thresholds.elementwiseMin && sameFloat(x, out) && (weight === null || sameFloat(x, weight)) &&
        (bias === null || sameFloat(x, bias));
      (own ? addon : jsBackend).layerNormForward(x, xOff, rows, width, weight, wOff, bias, bOff, eps, out, mean, rstd);
    },

    layerNormBackward(gy, gyOff, x, xOff, rows, width, weight, wOff, mean, rstd, dx, dw, db): void {
      const own = rows * width >= thresholds.elementwiseMin && sameFloat(gy, x) && (weight === null || sameFloat(x, weight)) &&
        (dx === null || sameFloat(x, dx));
      (own ? addon : jsBackend).layerNormBackward(gy, gyOff, x, xOff, rows, width, weight, wOff, mean, rstd, dx, dw, db);
    },

    // ---- The fused attention's passes (issue #15, W7 speed): bit-identical to the JS kernels.
    attentionScores(x, batch, L, S, scale, causal): void {
      (batch * L * S >= thresholds.elementwiseMin ? addon : jsBackend).attentionScores(x, batch, L, S, scale, causal);
    },

    softmaxBackward(y, yOff, gy, gyOff, rows, width, scale, out): void {
      const own = rows * width >= thresholds.elementwiseMin && sameFloat(y, gy) && sameFloat(y, out);
      (own ? addon : jsBackend).softmaxBackward(y, yOff, gy, gyOff, rows, width, scale, out);
    },
  };
}

/** Loads the addon and wraps it; throws NativeUnavailableError when it is not built. */
export function loadNativeBackend(path?: string): NativeBackend | Promise<NativeBackend> {
  const addon = loadAddon(path);
  return addon instanceof Promise ? addon.then(createNativeBackend) : createNativeBackend(addon);
}
