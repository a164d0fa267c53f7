/** Reference gather/scatter kernels over contiguous [outer, axis, inner] blocks. */
import type { TypedArray } from "../backend.js";

export function gather(x: TypedArray, outer: number, xAxis: number, inner: number, index: Int32Array, idxAxis: number, out: TypedArray): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < idxAxis; j++) {
      const row = (o * idxAxis + j) * inner;
      for (let i = 0; i < inner; i++) out[row + i] = x[(o * xAxis + index[row + i]) * inner + i];
    }
  }
}

export function scatterAdd(out: TypedArray, outer: number, outAxis: number, inner: number, index: Int32Array, idxAxis: number, src: TypedArray): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < idxAxis; j++) {
      const row = (o * idxAxis + j) * inner;
      for (let i = 0; i < inner; i++) out[(o * outAxis + index[row + i]) * inner + i] += src[row + i];
    }
  }
}

export function indexSelect(x: TypedArray, outer: number, xAxis: number, inner: number, index: Int32Array, out: TypedArray): void {
  const k = index.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < k; j++) {
      const src = (o * xAxis + index[j]) * inner;
      const dst = (o * k + j) * inner;
      for (let i = 0; i < inner; i++) out[dst + i] = x[src + i];
    }
  }
}

export function indexAdd(out: TypedArray, outer: number, outAxis: number, inner: number, index: Int32Array, src: TypedArray): void {
  const k = index.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < k; j++) {
      const dst = (o * outAxis + index[j]) * inner;
      const s = (o * k + j) * inner;
      for (let i = 0; i < inner; i++) out[dst + i] += src[s + i];
    }
  }
}
