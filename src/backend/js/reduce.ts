/** Reference reduction and softmax kernels over a contiguous [outer, axis, inner] block. */
import type { FloatArray, ReduceOp, TypedArray } from "../backend.js";

export function reduce(op: ReduceOp, x: TypedArray, xo: number, outer: number, axis: number, inner: number, out: TypedArray): void {
  const block = axis * inner;
  for (let o = 0; o < outer; o++) {
    const base = xo + o * block;
    for (let i = 0; i < inner; i++) {
      const start = base + i;
      let acc: number;
      switch (op) {
        case "sum":
          acc = 0;
          for (let k = 0; k < axis; k++) acc += x[start + k * inner];
          break;
        case "prod":
          acc = 1;
          for (let k = 0; k < axis; k++) acc *= x[start + k * inner];
          break;
        case "max":
          acc = -Infinity;
          // `v !== v` keeps a NaN once seen, as PyTorch's max does.
          for (let k = 0; k < axis; k++) { const v = x[start + k * inner]; if (v > acc || v !== v) { acc = v; if (v !== v) break; } }
          break;
        case "min":
          acc = Infinity;
          for (let k = 0; k < axis; k++) { const v = x[start + k * inner]; if (v < acc || v !== v) { acc = v; if (v !== v) break; } }
          break;
        case "argmax": {
          let best = -Infinity; acc = 0;
          for (let k = 0; k < axis; k++) { const v = x[start + k * inner]; if (v > best || (v !== v && best === best)) { best = v; acc = k; if (v !== v) break; } }
          if (axis > 0 && best === -Infinity) acc = 0;
          break;
        }
        case "argmin": {
          let best = Infinity; acc = 0;
          for (let k = 0; k < axis; k++) { const v = x[start + k * inner]; if (v < best || (v !== v && best === best)) { best = v; acc = k; if (v !== v) break; } }
          break;
        }
        default:
          throw new Error(`backend js: unknown reduce op "${op as string}"`);
      }
      out[o * inner + i] = acc;
    }
  }
}

const EMPTY_EXPS = new Float64Array(0);

export function softmax(x: FloatArray, xo: number, outer: number, axis: number, inner: number, out: FloatArray, log: boolean): void {
  const block = axis * inner;
  const exps = log ? EMPTY_EXPS : new Float64Array(axis);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const s = xo + o * block + i;
      const d = o * block + i;
      let m = -Infinity;
      for (let k = 0; k < axis; k++) { const v = x[s + k * inner]; if (v > m || v !== v) m = v; }
      // All -Infinity: shift by 0 so the result is NaN/-Inf like PyTorch, not an exception.
      const shift = m === -Infinity ? 0 : m;
      let sum = 0;
      if (log) {
        for (let k = 0; k < axis; k++) sum += Math.exp(x[s + k * inner] - shift);
        const lse = Math.log(sum);
        for (let k = 0; k < axis; k++) out[d + k * inner] = x[s + k * inner] - shift - lse;
      } else {
        // Each exp once (it dominates the cost), kept unrounded in float64 so the result is unchanged.
        for (let k = 0; k < axis; k++) { const e = Math.exp(x[s + k * inner] - shift); exps[k] = e; sum += e; }
        const inv = 1 / sum;
        for (let k = 0; k < axis; k++) out[d + k * inner] = exps[k] * inv;
      }
    }
  }
}
