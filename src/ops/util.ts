/** Small helpers shared by the op families: operands, outputs, contiguity. */
import type { DType, TypedArray } from "../backend/backend.js";
import { gpu } from "../backend/device-dispatch.js";
import { backend } from "../backend/registry.js";
import { DTypeError, ValueError } from "../errors.js";
import { allocate, allocateUninitialized, isFloat, promoteTypes, promoteWithScalar } from "../tensor/dtype.js";
import { Tensor, type TensorLike } from "../tensor/tensor.js";
import { deviceContiguous } from "./device-ops.js";

const EMPTY: readonly number[] = [];

/** A 0-d tensor holding a JS number, typed to combine with `like`. */
export function scalarFor(value: number, like: Tensor): Tensor {
  const dtype = promoteWithScalar(like.dtype, value);
  const storage = allocate(dtype, 1);
  storage[0] = value;
  return new Tensor(storage, EMPTY, dtype);
}

/** Both operands of a binary op as tensors, numbers wrapped. */
export function operands(a: TensorLike, b: TensorLike, op: string): [Tensor, Tensor] {
  if (a instanceof Tensor) {
    if (b instanceof Tensor) return [a, b];
    if (typeof b === "number") return [a, scalarFor(b, a)];
  } else if (b instanceof Tensor && typeof a === "number") {
    return [scalarFor(a, b), b];
  }
  throw new ValueError(`${op}: expected a Tensor or a number, got ${describe(a instanceof Tensor ? b : a)}`);
}

export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array (wrap it with bp.tensor)";
  return typeof v;
}

/** The result dtype of a binary op; numbers do not widen a tensor's dtype. */
export function resultType(a: Tensor, b: Tensor): DType {
  return promoteTypes(a.dtype, b.dtype);
}

/** Floating dtype for ops that are only defined on floats (int → float32, like PyTorch). */
export function floatResult(dtype: DType): DType {
  return isFloat(dtype) ? dtype : "float32";
}

export function requireFloat(op: string, t: Tensor): void {
  if (!isFloat(t.dtype)) {
    throw new DTypeError(`${op}: expected a float32 or float64 tensor, got ${t.dtype}; convert it with .to("float32")`);
  }
}

/** Storage and offset of `t` laid out contiguously (copies only when `t` is a strided view). */
export function contiguousData(t: Tensor): { data: TypedArray; offset: number } {
  if (t.isContiguous) return { data: t.storage, offset: t.offset };
  const out = allocateUninitialized(t.dtype, t.size);
  backend.copyStrided(t.storage, t.offset, t.strides, t.shape, out);
  return { data: out, offset: 0 };
}

/** A contiguous copy of `t` as a new tensor (no graph). */
export function contiguousCopy(t: Tensor, dtype: DType = t.dtype): Tensor {
  if (gpu.active !== null && t._device !== null && dtype === t.dtype) {
    const onDevice = deviceContiguous(t);
    if (onDevice !== null) return onDevice;
  }
  if (t.isContiguous && dtype === t.dtype) {
    // A plain memory copy: the common case (e.g. every leaf gradient after backward).
    const out = allocateUninitialized(dtype, t.size);
    (out as Float64Array).set((t.storage as Float64Array).subarray(t.offset, t.offset + t.size));
    return new Tensor(out, t.shape, dtype);
  }
  const out = allocateUninitialized(dtype, t.size);
  backend.copyStrided(t.storage, t.offset, t.strides, t.shape, out);
  return new Tensor(out, t.shape, dtype);
}
