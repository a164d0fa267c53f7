/**
 * In-place ops: add_, sub_, mul_, div_, zero_, fill_, copy_. Each writes
 * into the tensor's own storage (through its strides, so a view writes into
 * the tensor it views) and returns the tensor.
 *
 * They record no graph, so they are allowed only where PyTorch allows them
 * without history to rewrite:
 * - on a tensor with a gradFn, never (the graph may have saved its values);
 * - on a leaf that requires grad, only under noGrad (parameter updates,
 *   initialisation), as in PyTorch: otherwise "a leaf Variable that requires
 *   grad is being used in an in-place operation";
 * - with an operand that requires grad, only under noGrad.
 * Every write bumps the storage's version (src/graph/versions.ts), so a
 * backward through values that were saved before the write throws instead
 * of computing a wrong gradient.
 */
import type { TypedArray } from "../backend/backend.js";
import { gradMode, noGrad } from "../graph/mode.js";
import { bumpVersion } from "../graph/versions.js";
import { AutogradError, DTypeError, ShapeError, ValueError } from "../errors.js";
import { broadcastStrides, formatShape, sameShape } from "../tensor/shape.js";
import { Tensor, type TensorLike, viewOf } from "../tensor/tensor.js";
import * as ew from "./elementwise.js";
import { contiguousCopy, contiguousData, describe } from "./util.js";

/** Checks that `op` may write into `t`; `outOfPlace` names the op to use instead. */
function checkWritable(op: string, t: Tensor, outOfPlace: string): void {
  if (!(t instanceof Tensor)) throw new ValueError(`${op}: expected a Tensor to write into, got ${describe(t)}`);
  if (t.gradFn !== null) {
    throw new AutogradError(
      `${op}: in-place operations are not supported on a tensor with a gradFn ("${t.gradFn.name}"), whose values the graph may have saved for backward; use the out-of-place ${outOfPlace}`,
    );
  }
  if (t._requiresGrad && gradMode.enabled) {
    throw new AutogradError(
      `${op}: a leaf Variable that requires grad is being used in an in-place operation; update it inside bp.noGrad(() => ...) (as optimizers and nn.init do), or use the out-of-place ${outOfPlace}`,
    );
  }
  for (let d = 0; d < t.ndim; d++) {
    if (t.strides[d] === 0 && t.shape[d] > 1) {
      throw new ValueError(
        `${op}: more than one element of the written-to tensor refers to a single memory location (dimension ${d} of shape ${formatShape(t.shape)} has stride 0, as after expand); write into a .clone() instead`,
      );
    }
  }
}

function checkOperand(op: string, other: unknown, outOfPlace: string): void {
  if (other instanceof Tensor) {
    if (other._requiresGrad && gradMode.enabled) {
      throw new AutogradError(
        `${op}: the operand requires grad, but in-place operations record no graph; use the out-of-place ${outOfPlace}, or wrap the call in bp.noGrad(() => ...) to change the values without a gradient`,
      );
    }
  } else if (typeof other !== "number") {
    throw new ValueError(`${op}: expected a Tensor or a number, got ${describe(other)}`);
  }
}

const KIND = { bool: 0, int32: 1, float32: 2, float64: 2 } as const;

/** Writes `values` (same shape as t, any layout) into t's storage through t's strides, cast to t's dtype. */
function writeInto(t: Tensor, values: Tensor): void {
  const v = values.dtype === t.dtype ? values : noGrad(() => ew.to(values, t.dtype));
  const { data, offset } = readable(v, t);
  writeStrided(t, (i) => data[offset + i], data, offset);
}

/**
 * `v`'s elements, contiguous, safe to read while t is written: a copy when
 * they share memory (x.copy_(x.T)), as typed arrays over one ArrayBuffer may.
 */
function readable(v: Tensor, t: Tensor): { data: TypedArray; offset: number } {
  return v.storage.buffer === t.storage.buffer ? { data: contiguousCopy(v).storage, offset: 0 } : contiguousData(v);
}

/**
 * t[i] = value(i, old t[i]) in row-major order, through t's strides; `bulk`
 * allows a plain memory copy when t is contiguous.
 */
function writeStrided(t: Tensor, value: (i: number, old: number) => number, bulk: TypedArray | null, bulkOffset = 0): void {
  const n = t.size;
  if (n === 0) return;
  const s = t.storage;
  if (t.isContiguous) {
    if (bulk !== null && bulk.constructor === s.constructor) (s as Float64Array).set((bulk as Float64Array).subarray(bulkOffset, bulkOffset + n), t.offset);
    else for (let i = 0; i < n; i++) s[t.offset + i] = value(i, s[t.offset + i]);
    return;
  }
  const nd = t.ndim;
  const counter = new Array<number>(nd).fill(0);
  let pos = t.offset;
  for (let i = 0; i < n; i++) {
    s[pos] = value(i, s[pos]);
    for (let d = nd - 1; d >= 0; d--) {
      if (++counter[d] < t.shape[d]) { pos += t.strides[d]; break; }
      counter[d] = 0;
      pos -= t.strides[d] * (t.shape[d] - 1);
    }
  }
}

type Arithmetic = (a: TensorLike, b: TensorLike) => Tensor;

function arithmeticInPlace(op: string, outOfPlace: string, f: Arithmetic, t: Tensor, other: TensorLike): Tensor {
  checkWritable(op, t, `${outOfPlace}(…)`);
  checkOperand(op, other, `${outOfPlace}(…)`);
  const result = noGrad(() => f(t, other));
  if (!sameShape(result.shape, t.shape)) {
    throw new ShapeError(
      `${op}: the operand's shape ${formatShape((other as Tensor).shape)} broadcasts this tensor's shape ${formatShape(t.shape)} to ${formatShape(result.shape)}; an in-place result must keep the tensor's shape`,
    );
  }
  if (KIND[result.dtype] > KIND[t.dtype]) {
    throw new DTypeError(
      `${op}: the result is ${result.dtype} and cannot be written into this ${t.dtype} tensor (integer and bool tensors take only results of their own kind); use the out-of-place ${outOfPlace}(…) or convert with .to("${result.dtype}") first`,
    );
  }
  writeInto(t, result);
  bumpVersion(t.storage);
  return t;
}

export interface AlphaOptions {
  /** Multiplies the operand first: t.add_(g, { alpha: -lr }) is t ← t − lr·g, rounded once (PyTorch's alpha). */
  alpha?: number;
}

export function add_(t: Tensor, other: TensorLike, options?: AlphaOptions): Tensor {
  const alpha = alphaOf("add_", options);
  return alpha === 1 ? arithmeticInPlace("add_", "add", ew.add, t, other) : addScaled("add_", t, other, alpha);
}

export function sub_(t: Tensor, other: TensorLike, options?: AlphaOptions): Tensor {
  const alpha = alphaOf("sub_", options);
  return alpha === 1 ? arithmeticInPlace("sub_", "sub", ew.sub, t, other) : addScaled("sub_", t, other, -alpha);
}

function alphaOf(op: string, options: AlphaOptions | undefined): number {
  if (options === undefined) return 1;
  if (typeof options !== "object" || options === null) throw new ValueError(`${op}: the third argument must be the options { alpha }, got ${describe(options)}`);
  for (const k of Object.keys(options)) if (k !== "alpha") throw new ValueError(`${op}: unknown option "${k}"; the only option is "alpha"`);
  const a = options.alpha ?? 1;
  if (typeof a !== "number") throw new ValueError(`${op}: alpha must be a number, got ${describe(a)}`);
  return a;
}

/** t ← t + alpha·other, computed in float64 and rounded once into t (as PyTorch's fused add with alpha). */
function addScaled(op: string, t: Tensor, other: TensorLike, alpha: number): Tensor {
  const outOfPlace = `${op === "add_" ? "add" : "sub"}(…)`;
  checkWritable(op, t, outOfPlace);
  checkOperand(op, other, outOfPlace);
  if (KIND[t.dtype] < 2 && !Number.isInteger(alpha)) {
    throw new DTypeError(`${op}: alpha must be an integer for a ${t.dtype} tensor, got ${alpha}`);
  }
  let values: { data: TypedArray; offset: number } | null = null;
  let constant = 0;
  if (other instanceof Tensor) {
    if (KIND[other.dtype] > KIND[t.dtype]) {
      throw new DTypeError(`${op}: the operand is ${other.dtype} and cannot be added into this ${t.dtype} tensor; convert the tensor with .to("${other.dtype}") first`);
    }
    const fits = other.ndim <= t.ndim && other.shape.every((s, i) => s === 1 || s === t.shape[t.ndim - other.ndim + i]);
    if (!fits) throw new ShapeError(`${op}: the operand's shape ${formatShape(other.shape)} does not broadcast to this tensor's shape ${formatShape(t.shape)}`);
    values = readable(viewOf(other, t.shape, broadcastStrides(other.shape, other.strides, t.shape), other.offset), t);
  } else {
    constant = other;
    if (KIND[t.dtype] < 2 && !Number.isInteger(constant)) {
      throw new DTypeError(`${op}: the operand ${constant} is not an integer and cannot be added into this ${t.dtype} tensor`);
    }
  }
  const a = t.dtype === "float32" ? Math.fround(alpha) : alpha;
  const bool = t.dtype === "bool";
  // Each element is read just before it is written, and t has no two elements in one place: no copy of t needed.
  if (values === null) {
    const step = a * constant;
    writeStrided(t, (_i, old) => cast(old + step, bool), null);
  } else {
    const { data, offset } = values;
    writeStrided(t, (i, old) => cast(old + a * data[offset + i], bool), null);
  }
  bumpVersion(t.storage);
  return t;
}

function cast(v: number, bool: boolean): number {
  return bool ? (v !== 0 ? 1 : 0) : v;
}
export const mul_ = (t: Tensor, other: TensorLike) => arithmeticInPlace("mul_", "mul", ew.mul, t, other);
export const div_ = (t: Tensor, other: TensorLike) => arithmeticInPlace("div_", "div", ew.div, t, other);

/** Sets every element to `value` (a number or a one-element tensor), cast to the tensor's dtype. */
export function fill_(t: Tensor, value: number | Tensor): Tensor {
  checkWritable("fill_", t, "bp.fullLike(t, value)");
  let v: number;
  if (value instanceof Tensor) {
    if (value.size !== 1) throw new ValueError(`fill_: the value must be a number or a tensor with one element, got shape ${formatShape(value.shape)}`);
    checkOperand("fill_", value, "bp.fullLike(t, value)");
    v = value.item();
  } else if (typeof value === "number") {
    v = value;
  } else {
    throw new ValueError(`fill_: the value must be a number or a one-element Tensor, got ${describe(value)}`);
  }
  // Cast as PyTorch does: nonzero for bool, truncation for int32 (the typed array rounds floats).
  const cast = t.dtype === "bool" ? (v !== 0 ? 1 : 0) : t.dtype === "int32" ? Math.trunc(v) : v;
  if (t.isContiguous) t.storage.fill(cast, t.offset, t.offset + t.size);
  else writeStrided(t, () => cast, null);
  bumpVersion(t.storage);
  return t;
}

export function zero_(t: Tensor): Tensor {
  if (t instanceof Tensor) checkWritable("zero_", t, "bp.zerosLike(t)");
  return fill_(t, 0);
}

/** Copies src's values into t (src broadcasts to t's shape; any dtype, cast to t's). */
export function copy_(t: Tensor, src: Tensor): Tensor {
  checkWritable("copy_", t, "src.clone()");
  if (!(src instanceof Tensor)) throw new ValueError(`copy_: src must be a Tensor, got ${describe(src)}`);
  checkOperand("copy_", src, "src.clone()");
  let view = src;
  if (!sameShape(src.shape, t.shape)) {
    // broadcastStrides checks nothing itself: a shape that does not broadcast is an error here.
    const fits = src.ndim <= t.ndim && src.shape.every((s, i) => s === 1 || s === t.shape[t.ndim - src.ndim + i]);
    if (!fits) throw new ShapeError(`copy_: src of shape ${formatShape(src.shape)} does not broadcast to the destination's shape ${formatShape(t.shape)}`);
    view = viewOf(src, t.shape, broadcastStrides(src.shape, src.strides, t.shape), src.offset);
  }
  writeInto(t, view);
  bumpVersion(t.storage);
  return t;
}
