/**
 * The gathers that turn a 2-d convolution into a GEMM (im2col) and back
 * (col2im), plain loops on typed arrays.
 *
 * The column matrix has rows (c, ki, kj) and columns (n, oh, ow): layout
 * [C·kH·kW, batch, oH·oW]. Rows of one group are then contiguous, so a
 * grouped convolution is one batched GEMM over groups, and a column holds a
 * whole batch chunk, so the GEMM's long dimension is batch·oH·oW (long rows
 * feed the fast kernels better than one small GEMM per image).
 *
 * Each (row, image, output row) is a run of oW outputs; the part of the run
 * that falls inside the input is found once, so the inner loop has no bounds
 * test and, at stride 1, reads contiguous memory.
 */
import type { FloatArray } from "../backend.js";

/** The sliding window: kernel, stride, top/left padding, dilation, and the output size it sweeps. */
export interface ConvWindow {
  kH: number; kW: number;
  strideH: number; strideW: number;
  padTop: number; padLeft: number;
  dilationH: number; dilationW: number;
  outH: number; outW: number;
}

/** First and one-past-last output column whose input column ow·stride + shift lies in [0, width). */
function validRange(shift: number, stride: number, width: number, outW: number): [number, number] {
  const lo = shift >= 0 ? 0 : Math.min(outW, Math.ceil(-shift / stride));
  const hi = width - 1 - shift < 0 ? 0 : Math.min(outW, Math.floor((width - 1 - shift) / stride) + 1);
  return [lo, Math.max(lo, hi)];
}

/**
 * Writes images [n0, n0 + count) of x (strided [N, C, H, W] from xOff) into
 * `cols` as [C·kH·kW, count, oH·oW]; positions in the padding get 0.
 */
export function im2col(
  x: FloatArray, xOff: number, xStrides: readonly number[], channels: number, height: number, width: number,
  n0: number, count: number, win: ConvWindow, cols: FloatArray,
): void {
  const [sN, sC, sH, sW] = xStrides;
  const { kH, kW, strideH, strideW, padTop, padLeft, dilationH, dilationW, outH, outW } = win;
  const step = strideW * sW;
  let o = 0;
  for (let c = 0; c < channels; c++) {
    for (let ki = 0; ki < kH; ki++) {
      const rowShift = ki * dilationH - padTop;
      for (let kj = 0; kj < kW; kj++) {
        const colShift = kj * dilationW - padLeft;
        const [lo, hi] = validRange(colShift, strideW, width, outW);
        for (let n = n0; n < n0 + count; n++) {
          const image = xOff + n * sN + c * sC + colShift * sW;
          for (let oh = 0; oh < outH; oh++, o += outW) {
            const ih = oh * strideH + rowShift;
            if (ih < 0 || ih >= height) {
              cols.fill(0, o, o + outW);
              continue;
            }
            for (let j = 0; j < lo; j++) cols[o + j] = 0;
            let src = image + ih * sH + lo * step;
            if (step === 1) {
              for (let j = lo; j < hi; j++) cols[o + j] = x[src++];
            } else {
              for (let j = lo; j < hi; j++, src += step) cols[o + j] = x[src];
            }
            for (let j = hi; j < outW; j++) cols[o + j] = 0;
          }
        }
      }
    }
  }
}

/**
 * The adjoint of im2col: adds `cols` ([C·kH·kW, count, oH·oW]) into images
 * [n0, n0 + count) of the contiguous [N, C, H, W] array `out`; padding
 * positions are dropped.
 */
export function col2im(
  cols: FloatArray, channels: number, height: number, width: number,
  n0: number, count: number, win: ConvWindow, out: FloatArray,
): void {
  const { kH, kW, strideH, strideW, padTop, padLeft, dilationH, dilationW, outH, outW } = win;
  const plane = height * width;
  let o = 0;
  for (let c = 0; c < channels; c++) {
    for (let ki = 0; ki < kH; ki++) {
      const rowShift = ki * dilationH - padTop;
      for (let kj = 0; kj < kW; kj++) {
        const colShift = kj * dilationW - padLeft;
        const [lo, hi] = validRange(colShift, strideW, width, outW);
        for (let n = n0; n < n0 + count; n++) {
          const image = (n * channels + c) * plane + colShift;
          for (let oh = 0; oh < outH; oh++, o += outW) {
            const ih = oh * strideH + rowShift;
            if (ih < 0 || ih >= height) continue;
            let dst = image + ih * width + lo * strideW;
            if (strideW === 1) {
              for (let j = lo; j < hi; j++) out[dst++] += cols[o + j];
            } else {
              for (let j = lo; j < hi; j++, dst += strideW) out[dst] += cols[o + j];
            }
          }
        }
      }
    }
  }
}

/**
 * out[n0 + n, o, l] = src[o, n, l] (+ bias[o]): a GEMM result laid out
 * [O, count, L] back to images [N, O, L]. `bias` is contiguous or null.
 */
export function channelsToImages(
  src: FloatArray, channels: number, n0: number, count: number, plane: number,
  bias: FloatArray | null, biasOff: number, out: FloatArray,
): void {
  for (let c = 0; c < channels; c++) {
    const b = bias === null ? 0 : bias[biasOff + c];
    for (let n = 0; n < count; n++) {
      let s = (c * count + n) * plane;
      let d = ((n0 + n) * channels + c) * plane;
      const end = d + plane;
      if (b === 0) while (d < end) out[d++] = src[s++];
      else while (d < end) out[d++] = src[s++] + b;
    }
  }
}
