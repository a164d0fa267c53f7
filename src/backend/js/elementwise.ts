/**
 * Reference elementwise kernels. Every loop is specialised per op by a switch
 * outside the loop, so there is no per-element closure call; strided and
 * broadcast inputs are walked row by row after merging the dimensions that
 * can be merged (so a contiguous operation is a single row).
 */
import type { BinaryOp, TypedArray, UnaryOp } from "../backend.js";
import { erf } from "./special.js";

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

export function unary(op: UnaryOp, x: TypedArray, xo: number, out: TypedArray, n: number, p0: number, p1: number): void {
  let i = 0;
  switch (op) {
    case "copy": for (; i < n; i++) out[i] = x[xo + i]; return;
    case "neg": for (; i < n; i++) out[i] = -x[xo + i]; return;
    case "exp": for (; i < n; i++) out[i] = Math.exp(x[xo + i]); return;
    case "log": for (; i < n; i++) out[i] = Math.log(x[xo + i]); return;
    case "sqrt": for (; i < n; i++) out[i] = Math.sqrt(x[xo + i]); return;
    case "abs": for (; i < n; i++) out[i] = Math.abs(x[xo + i]); return;
    case "sign": for (; i < n; i++) { const v = x[xo + i]; out[i] = v > 0 ? 1 : v < 0 ? -1 : 0; } return; // NaN and -0 give 0, as in PyTorch
    case "square": for (; i < n; i++) { const v = x[xo + i]; out[i] = v * v; } return;
    case "reciprocal": for (; i < n; i++) out[i] = 1 / x[xo + i]; return;
    case "sin": for (; i < n; i++) out[i] = Math.sin(x[xo + i]); return;
    case "cos": for (; i < n; i++) out[i] = Math.cos(x[xo + i]); return;
    case "tanh": for (; i < n; i++) out[i] = Math.tanh(x[xo + i]); return;
    case "sigmoid": for (; i < n; i++) out[i] = 1 / (1 + Math.exp(-x[xo + i])); return;
    case "relu": for (; i < n; i++) { const v = x[xo + i]; out[i] = v > 0 ? v : v !== v ? v : 0; } return;
    case "erf": for (; i < n; i++) out[i] = erf(x[xo + i]); return;
    case "gelu": for (; i < n; i++) { const v = x[xo + i]; out[i] = 0.5 * v * (1 + erf(v * SQRT1_2)); } return;
    case "softplus":
      for (; i < n; i++) {
        const v = x[xo + i] * p0;
        out[i] = v > p1 ? x[xo + i] : Math.log1p(Math.exp(v)) / p0;
      }
      return;
    case "leakyRelu": for (; i < n; i++) { const v = x[xo + i]; out[i] = v > 0 ? v : v * p0; } return;
    // max applied after min, so that min > max gives max everywhere, as in PyTorch.
    case "clamp": for (; i < n; i++) { const v = x[xo + i]; const lo = v < p0 ? p0 : v; out[i] = lo > p1 ? p1 : lo; } return;
    case "powScalar":
      if (p0 === 2) for (; i < n; i++) { const v = x[xo + i]; out[i] = v * v; }
      else for (; i < n; i++) out[i] = Math.pow(x[xo + i], p0);
      return;
    case "addScalar": for (; i < n; i++) out[i] = x[xo + i] + p0; return;
    case "mulScalar": for (; i < n; i++) out[i] = x[xo + i] * p0; return;
    case "divScalar": for (; i < n; i++) out[i] = x[xo + i] / p0; return;
    case "rsubScalar": for (; i < n; i++) out[i] = p0 - x[xo + i]; return;
    case "nonzero": for (; i < n; i++) out[i] = x[xo + i] !== 0 ? 1 : 0; return;
    case "isfinite": for (; i < n; i++) out[i] = Number.isFinite(x[xo + i]) ? 1 : 0; return;
  }
  throw new Error(`backend js: unknown unary op "${op as string}"`);
}

function binaryRow(
  op: BinaryOp, a: TypedArray, ia: number, sa: number, b: TypedArray, ib: number, sb: number,
  out: TypedArray, io: number, n: number,
): void {
  let j = 0;
  switch (op) {
    case "add": for (; j < n; j++) out[io + j] = a[ia + j * sa] + b[ib + j * sb]; return;
    case "sub": for (; j < n; j++) out[io + j] = a[ia + j * sa] - b[ib + j * sb]; return;
    case "mul": for (; j < n; j++) out[io + j] = a[ia + j * sa] * b[ib + j * sb]; return;
    case "div": for (; j < n; j++) out[io + j] = a[ia + j * sa] / b[ib + j * sb]; return;
    case "pow": for (; j < n; j++) out[io + j] = Math.pow(a[ia + j * sa], b[ib + j * sb]); return;
    case "maximum":
      for (; j < n; j++) { const x = a[ia + j * sa], y = b[ib + j * sb]; out[io + j] = x > y || x !== x ? x : y; }
      return;
    case "minimum":
      for (; j < n; j++) { const x = a[ia + j * sa], y = b[ib + j * sb]; out[io + j] = x < y || x !== x ? x : y; }
      return;
    case "eq": for (; j < n; j++) out[io + j] = a[ia + j * sa] === b[ib + j * sb] ? 1 : 0; return;
    case "ne": for (; j < n; j++) out[io + j] = a[ia + j * sa] !== b[ib + j * sb] ? 1 : 0; return;
    case "gt": for (; j < n; j++) out[io + j] = a[ia + j * sa] > b[ib + j * sb] ? 1 : 0; return;
    case "ge": for (; j < n; j++) out[io + j] = a[ia + j * sa] >= b[ib + j * sb] ? 1 : 0; return;
    case "lt": for (; j < n; j++) out[io + j] = a[ia + j * sa] < b[ib + j * sb] ? 1 : 0; return;
    case "le": for (; j < n; j++) out[io + j] = a[ia + j * sa] <= b[ib + j * sb] ? 1 : 0; return;
    case "and": for (; j < n; j++) out[io + j] = a[ia + j * sa] !== 0 && b[ib + j * sb] !== 0 ? 1 : 0; return;
    case "sigmoidBackward": for (; j < n; j++) { const y = b[ib + j * sb]; out[io + j] = a[ia + j * sa] * y * (1 - y); } return;
    case "tanhBackward": for (; j < n; j++) { const y = b[ib + j * sb]; out[io + j] = a[ia + j * sa] * (1 - y * y); } return;
    case "reluBackward": for (; j < n; j++) out[io + j] = b[ib + j * sb] <= 0 ? 0 : a[ia + j * sa]; return;
    case "geluBackward":
      for (; j < n; j++) {
        const x = b[ib + j * sb];
        out[io + j] = a[ia + j * sa] * (0.5 * (1 + erf(x * SQRT1_2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x));
      }
      return;
  }
  throw new Error(`backend js: unknown binary op "${op as string}"`);
}

/**
 * Merges adjacent dimensions that every operand walks contiguously relative
 * to each other, and drops size-1 dimensions. Returns the reduced shape and
 * one reduced stride list per operand (the output is contiguous).
 */
export function collapseDims(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  // Built with push, not .map: see dimsArray in src/tensor/shape.ts.
  const outStrides: number[][] = [];
  for (let k = 0; k < strides.length; k++) outStrides.push([]);
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d];
    if (size === 1) continue;
    const last = outShape.length - 1;
    let mergeable = last >= 0;
    if (mergeable) {
      for (let k = 0; k < strides.length; k++) {
        // Dimension `last` can absorb d when stepping d `size` times equals one step of `last`.
        if (outStrides[k][last] !== strides[k][d] * size) { mergeable = false; break; }
      }
    }
    if (mergeable) {
      outShape[last] *= size;
      for (let k = 0; k < strides.length; k++) outStrides[k][last] = strides[k][d];
    } else {
      outShape.push(size);
      for (let k = 0; k < strides.length; k++) outStrides[k].push(strides[k][d]);
    }
  }
  return { shape: outShape, strides: outStrides };
}

export function binary(
  op: BinaryOp,
  a: TypedArray, aOff: number, aStrides: readonly number[],
  b: TypedArray, bOff: number, bStrides: readonly number[],
  out: TypedArray, shape: readonly number[],
): void {
  let total = 1;
  for (let d = 0; d < shape.length; d++) total *= shape[d];
  if (total === 0) return;
  const c = collapseDims(shape, [aStrides, bStrides]);
  const nd = c.shape.length;
  if (nd === 0) { binaryRow(op, a, aOff, 0, b, bOff, 0, out, 0, 1); return; }
  const sa = c.strides[0], sb = c.strides[1], dims = c.shape;
  const n = dims[nd - 1], saLast = sa[nd - 1], sbLast = sb[nd - 1];
  if (nd === 1) { binaryRow(op, a, aOff, saLast, b, bOff, sbLast, out, 0, n); return; }
  // Walk the outer dimensions with a counter; each step handles one row.
  const counter = new Array<number>(nd - 1).fill(0);
  let ia = aOff, ib = bOff;
  for (let io = 0; io < total; io += n) {
    binaryRow(op, a, ia, saLast, b, ib, sbLast, out, io, n);
    for (let d = nd - 2; d >= 0; d--) {
      if (++counter[d] < dims[d]) { ia += sa[d]; ib += sb[d]; break; }
      counter[d] = 0;
      ia -= sa[d] * (dims[d] - 1);
      ib -= sb[d] * (dims[d] - 1);
    }
  }
}

export function where(
  cond: TypedArray, cOff: number, cStrides: readonly number[],
  a: TypedArray, aOff: number, aStrides: readonly number[],
  b: TypedArray, bOff: number, bStrides: readonly number[],
  out: TypedArray, shape: readonly number[],
): void {
  let total = 1;
  for (let d = 0; d < shape.length; d++) total *= shape[d];
  if (total === 0) return;
  const c = collapseDims(shape, [cStrides, aStrides, bStrides]);
  const nd = c.shape.length;
  const dims = c.shape, sc = c.strides[0], sa = c.strides[1], sb = c.strides[2];
  const n = nd === 0 ? 1 : dims[nd - 1];
  const scl = nd === 0 ? 0 : sc[nd - 1], sal = nd === 0 ? 0 : sa[nd - 1], sbl = nd === 0 ? 0 : sb[nd - 1];
  const counter = new Array<number>(Math.max(nd - 1, 0)).fill(0);
  let ic = cOff, ia = aOff, ib = bOff;
  for (let io = 0; io < total; io += n) {
    for (let j = 0; j < n; j++) out[io + j] = cond[ic + j * scl] !== 0 ? a[ia + j * sal] : b[ib + j * sbl];
    for (let d = nd - 2; d >= 0; d--) {
      if (++counter[d] < dims[d]) { ic += sc[d]; ia += sa[d]; ib += sb[d]; break; }
      counter[d] = 0;
      ic -= sc[d] * (dims[d] - 1);
      ia -= sa[d] * (dims[d] - 1);
      ib -= sb[d] * (dims[d] - 1);
    }
  }
}

export function copyStrided(src: TypedArray, srcOff: number, srcStrides: readonly number[], shape: readonly number[], out: TypedArray): void {
  let total = 1;
  for (let d = 0; d < shape.length; d++) total *= shape[d];
  if (total === 0) return;
  const c = collapseDims(shape, [srcStrides]);
  const nd = c.shape.length;
  const dims = c.shape, s = c.strides[0];
  const n = nd === 0 ? 1 : dims[nd - 1];
  const sl = nd === 0 ? 0 : s[nd - 1];
  const counter = new Array<number>(Math.max(nd - 1, 0)).fill(0);
  let is = srcOff;
  for (let io = 0; io < total; io += n) {
    if (sl === 1) for (let j = 0; j < n; j++) out[io + j] = src[is + j];
    else for (let j = 0; j < n; j++) out[io + j] = src[is + j * sl];
    for (let d = nd - 2; d >= 0; d--) {
      if (++counter[d] < dims[d]) { is += s[d]; break; }
      counter[d] = 0;
      is -= s[d] * (dims[d] - 1);
    }
  }
}
