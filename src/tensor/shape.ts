/** Shape arithmetic shared by creation, views and ops. */
import { DimError, ShapeError } from "../errors.js";

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

/**
 * A new list of `n` sizes or strides, all `value`.
 *
 * Shapes and strides are built with this, `mapDims` or `push`, never with
 * `new Array(n)` or `.map`: V8 makes those "holey" arrays (TurboFan's inlined
 * `.map` does too, though the interpreter's does not), and hidden classes
 * differ by that. A holey shape that first turns up after warm-up, when a
 * caller of `.map` gets optimized, deoptimizes every optimized function that
 * reads shapes: W2 saw about twenty such deoptimizations near step 750.
 */
export function dimsArray(n: number, value = 0): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(value);
  return out;
}

/** `dims.map(f)` as a packed array (see `dimsArray`). */
export function mapDims(dims: readonly number[], f: (d: number, i: number) => number): number[] {
  const out: number[] = [];
  for (let i = 0; i < dims.length; i++) out.push(f(dims[i], i));
  return out;
}

export function contiguousStrides(shape: Shape): number[] {
  const strides = dimsArray(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(",")}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** NumPy broadcasting of two shapes; `op` names the caller in the error. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  if (sameShape(a, b)) return a as number[];
  const n = Math.max(a.length, b.length);
  const out = dimsArray(n);
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da === db || db === 1) out[i] = da;
    else if (da === 1) out[i] = db;
    else {
      throw new ShapeError(
        `${op}: cannot broadcast ${formatShape(a)} with ${formatShape(b)}: dimension ${i - n} has sizes ${da} and ${db}; each pair of sizes must be equal or one of them 1`,
      );
    }
  }
  return out;
}

/** Strides that read a tensor of `shape`/`strides` as if it had `target` shape (0 on broadcast dims). */
export function broadcastStrides(shape: Shape, strides: readonly number[], target: Shape): number[] {
  const out = dimsArray(target.length);
  const lead = target.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[lead + i] = shape[i] === 1 ? 0 : strides[i];
  return out;
}

/** Resolves a possibly negative dim against `ndim`; 0-d tensors accept dims -1 and 0, as PyTorch does. */
export function normalizeDim(op: string, dim: number, ndim: number): number {
  const range = Math.max(ndim, 1);
  if (typeof dim !== "number") {
    const got = dim === null ? "null" : Array.isArray(dim) ? `the array ${JSON.stringify(dim)}` : typeof dim === "string" ? `the string ${JSON.stringify(dim)}` : typeof dim;
    throw new DimError(`${op}: dim must be an integer in [${-range}, ${range - 1}], got ${got}`);
  }
  if (!Number.isInteger(dim) || dim < -range || dim >= range) {
    throw new DimError(
      `${op}: dim ${dim} is out of range for a tensor with ${ndim} dimension${ndim === 1 ? "" : "s"}; expected an integer in [${-range}, ${range - 1}]`,
    );
  }
  return dim < 0 ? dim + range : dim;
}

/**
 * Resolves a dim argument that may be undefined/null (all dims), a number, or
 * a list. Sorted, unique. An empty list also means all dims, as in PyTorch.
 */
export function normalizeDims(op: string, dim: number | readonly number[] | undefined | null, ndim: number): number[] {
  if (dim === undefined || dim === null || (Array.isArray(dim) && dim.length === 0)) return allDims(ndim);
  const list = typeof dim === "number" ? [dim] : dim;
  const out: number[] = [];
  for (const d of list) {
    const n = normalizeDim(op, d, ndim);
    if (out.includes(n)) throw new DimError(`${op}: dim ${d} appears more than once in ${JSON.stringify(list)}`);
    out.push(n);
  }
  return out.sort((x, y) => x - y);
}

/** [0, 1, …, ndim - 1]. */
export function allDims(ndim: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < ndim; i++) out.push(i);
  return out;
}

export function checkShape(op: string, shape: readonly number[]): void {
  for (const s of shape) {
    if (!Number.isInteger(s) || s < 0) {
      throw new ShapeError(`${op}: invalid shape ${JSON.stringify(shape)}: sizes must be non-negative integers`);
    }
  }
}

/** The multi-index of element `flat` of a row-major tensor of `shape`. */
export function unravelIndex(flat: number, shape: readonly number[]): number[] {
  const idx = dimsArray(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return idx;
}
