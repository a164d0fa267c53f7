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
 * For each kernel offset the output rows and columns that read inside the
 * input are found once, so the inner loops have no bounds test and, at
 * stride 1, copy contiguous runs; the padding is written as zeros around them.
 */
import type { ConvWindow, FloatArray } from "../backend.js";

export type { ConvWindow };

/** First output index whose input index i·stride + shift is ≥ 0. */
function firstInside(shift: number, stride: number, outSize: number): number {
  return shift >= 0 ? 0 : Math.min(outSize, Math.ceil(-shift / stride));
}

/** One past the last output index whose input index i·stride + shift is < size (at least `lo`). */
function endInside(shift: number, stride: number, size: number, outSize: number, lo: number): number {
  const hi = size - 1 - shift < 0 ? 0 : Math.min(outSize, Math.floor((size - 1 - shift) / stride) + 1);
  return Math.max(lo, hi);
}

/**
 * Writes images [n0, n0 + count) of x (strided [N, C, H, W] from xOff) into
 * `cols` as [C·kH·kW, count, oH·oW]; positions in the padding get 0.
 */
export function im2col(
  x: FloatArray, xOff: number, xStrides: readonly number[], channels: number, height: number, width: number,
  n0: number, count: number, win: ConvWindow, cols: FloatArray,
): void {
  const sN = xStrides[0], sC = xStrides[1], sH = xStrides[2], sW = xStrides[3];
  const { kH, kW, strideH, strideW, padTop, padLeft, dilationH, dilationW, outH, outW } = win;
  const step = strideW * sW, rowStep = strideH * sH;
  let o = 0;
  for (let c = 0; c < channels; c++) {
    for (let ki = 0; ki < kH; ki++) {
      const rowShift = ki * dilationH - padTop;
      // Output rows [top, bottom) read inside the input; the rest are padding.
      const top = firstInside(rowShift, strideH, outH), bottom = endInside(rowShift, strideH, height, outH, top);
      for (let kj = 0; kj < kW; kj++) {
        const colShift = kj * dilationW - padLeft;
        const lo = firstInside(colShift, strideW, outW), hi = endInside(colShift, strideW, width, outW, lo);
        const inside = hi - lo, tail = outW - hi;
        for (let n = n0; n < n0 + count; n++) {
          for (const end = o + top * outW; o < end;) cols[o++] = 0;
          let src = xOff + n * sN + c * sC + (top * strideH + rowShift) * sH + (lo * strideW + colShift) * sW;
          for (let oh = top; oh < bottom; oh++, src += rowStep) {
            for (const end = o + lo; o < end;) cols[o++] = 0;
            if (step === 1) {
              for (let s = src, end = o + inside; o < end;) cols[o++] = x[s++];
            } else {
              for (let s = src, end = o + inside; o < end; s += step) cols[o++] = x[s];
            }
            for (const end = o + tail; o < end;) cols[o++] = 0;
          }
          for (const end = o + (outH - bottom) * outW; o < end;) cols[o++] = 0;
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
  const plane = height * width, rowStep = strideH * width, image = outH * outW;
  let o = 0;
  for (let c = 0; c < channels; c++) {
    for (let ki = 0; ki < kH; ki++) {
      const rowShift = ki * dilationH - padTop;
      const top = firstInside(rowShift, strideH, outH), bottom = endInside(rowShift, strideH, height, outH, top);
      for (let kj = 0; kj < kW; kj++) {
        const colShift = kj * dilationW - padLeft;
        const lo = firstInside(colShift, strideW, outW), hi = endInside(colShift, strideW, width, outW, lo);
        for (let n = n0; n < n0 + count; n++, o += image) {
          let dst = (n * channels + c) * plane + (top * strideH + rowShift) * width + lo * strideW + colShift;
          for (let oh = top, row = o + top * outW; oh < bottom; oh++, row += outW, dst += rowStep) {
            if (strideW === 1) {
              for (let j = lo, d = dst; j < hi; j++) out[d++] += cols[row + j];
            } else {
              for (let j = lo, d = dst; j < hi; j++, d += strideW) out[d] += cols[row + j];
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
