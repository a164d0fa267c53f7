/**
 * Float32 convolution gathers on contiguous NCHW blocks: im2col and its
 * adjoint col2im. The same loops as the JS kernels
 * (src/backend/js/im2col.ts), so results are bit-identical. (Max pooling's
 * argmax stays on the JS kernel in the wasm backend: copying its input into
 * wasm memory cost more than the scan saved.)
 */

/** First output index whose input index i·stride + shift is ≥ 0. */
// @ts-ignore: decorator
@inline function firstInside(shift: i32, stride: i32, outSize: i32): i32 {
  return shift >= 0 ? 0 : min(outSize, (-shift + stride - 1) / stride);
}

/** One past the last output index whose input index i·stride + shift is < size (at least lo). */
// @ts-ignore: decorator
@inline function endInside(shift: i32, stride: i32, size: i32, outSize: i32, lo: i32): i32 {
  const hi = size - 1 - shift < 0 ? 0 : min(outSize, (size - 1 - shift) / stride + 1);
  return max(lo, hi);
}

/**
 * Writes `bytes` (a multiple of 4) of zeros at o and returns the end. Rows
 * are tens of values: a loop of vector stores beats a memory.fill call.
 */
// @ts-ignore: decorator
@inline function zeros(o: usize, bytes: usize): usize {
  const end = o + bytes, zero = f32x4.splat(0);
  for (; o + 16 <= end; o += 16) v128.store(o, zero);
  for (; o < end; o += 4) store<f32>(o, 0);
  return end;
}

/** Copies `bytes` (a multiple of 4) from src to o and returns the end, as zeros does. */
// @ts-ignore: decorator
@inline function copy(o: usize, src: usize, bytes: usize): usize {
  const end = o + bytes;
  for (; o + 16 <= end; o += 16, src += 16) v128.store(o, v128.load(src));
  for (; o < end; o += 4, src += 4) store<f32>(o, load<f32>(src));
  return end;
}

/**
 * x: `count` contiguous [C, H, W] images; cols: [C·kH·kW, count, oH·oW].
 * Padding positions get 0.
 */
export function im2colF32(
  x: usize, channels: i32, height: i32, width: i32, count: i32,
  kH: i32, kW: i32, strideH: i32, strideW: i32, padTop: i32, padLeft: i32, dilationH: i32, dilationW: i32,
  outH: i32, outW: i32, cols: usize,
): void {
  const plane = <usize>(height * width) << 2, image = <usize>(channels * height * width) << 2;
  const rowOut = <usize>outW << 2;
  let o = cols;
  for (let c = 0; c < channels; c++) {
    for (let ki = 0; ki < kH; ki++) {
      const rowShift = ki * dilationH - padTop;
      const top = firstInside(rowShift, strideH, outH), bottom = endInside(rowShift, strideH, height, outH, top);
      for (let kj = 0; kj < kW; kj++) {
        const colShift = kj * dilationW - padLeft;
        const lo = firstInside(colShift, strideW, outW), hi = endInside(colShift, strideW, width, outW, lo);
        const loBytes = <usize>lo << 2, inside = <usize>(hi - lo) << 2, tail = <usize>(outW - hi) << 2;
        for (let n = 0; n < count; n++) {
          o = zeros(o, <usize>(top * outW) << 2);
          let src = x + <usize>n * image + <usize>c * plane + (<usize>((top * strideH + rowShift) * width + lo * strideW + colShift) << 2);
          for (let oh = top; oh < bottom; oh++) {
            const row = o;
            o = zeros(o, loBytes);
            if (strideW == 1) {
              o = copy(o, src, inside);
            } else {
              for (let j = 0; j < hi - lo; j++) store<f32>(o + (<usize>j << 2), load<f32>(src + (<usize>(j * strideW) << 2)));
              o += inside;
            }
            o = zeros(o, tail);
            o = row + rowOut;
            src += <usize>(strideH * width) << 2;
          }
          o = zeros(o, <usize>((outH - bottom) * outW) << 2);
        }
      }
    }
  }
}

/** The adjoint of im2colF32: adds cols into the `count` contiguous [C, H, W] images at out. */
export function col2imF32(
  cols: usize, channels: i32, height: i32, width: i32, count: i32,
  kH: i32, kW: i32, strideH: i32, strideW: i32, padTop: i32, padLeft: i32, dilationH: i32, dilationW: i32,
  outH: i32, outW: i32, out: usize,
): void {
  const plane = height * width, image = outH * outW;
  let o = cols;
  for (let c = 0; c < channels; c++) {
    for (let ki = 0; ki < kH; ki++) {
      const rowShift = ki * dilationH - padTop;
      const top = firstInside(rowShift, strideH, outH), bottom = endInside(rowShift, strideH, height, outH, top);
      for (let kj = 0; kj < kW; kj++) {
        const colShift = kj * dilationW - padLeft;
        const lo = firstInside(colShift, strideW, outW), hi = endInside(colShift, strideW, width, outW, lo);
        for (let n = 0; n < count; n++) {
          let dst = out + (<usize>((n * channels + c) * plane + (top * strideH + rowShift) * width + lo * strideW + colShift) << 2);
          let row = o + (<usize>(top * outW) << 2);
          for (let oh = top; oh < bottom; oh++) {
            for (let j = lo, d = dst; j < hi; j++, d += <usize>strideW << 2) {
              store<f32>(d, load<f32>(d) + load<f32>(row + (<usize>j << 2)));
            }
            row += <usize>outW << 2;
            dst += <usize>(strideH * width) << 2;
          }
          o += <usize>image << 2;
        }
      }
    }
  }
}
