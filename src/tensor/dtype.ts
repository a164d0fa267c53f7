/** dtypes, their typed arrays, and PyTorch's type promotion restricted to ours. */
import type { DType, TypedArray } from "../backend/backend.js";
import { trackAllocation } from "./memory.js";
import { takeRecycled } from "./recycler.js";

export type { DType, TypedArray };

export const DTYPES: readonly DType[] = ["float32", "float64", "int32", "bool"];

export function isDType(s: unknown): s is DType {
  return s === "float32" || s === "float64" || s === "int32" || s === "bool";
}

export function isFloat(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64";
}

/** New tensor storage of `size` elements, all zero. */
export function allocate(dtype: DType, size: number): TypedArray {
  return allocateBuffer(dtype, size, true);
}

/**
 * Tensor storage whose every element the caller is about to write (a
 * kernel's output): a reused buffer is not zero-filled first, and may hold
 * another tensor's old values until then. Only for the kernels that
 * test/backend/overwrite.test.ts holds to writing all of their output.
 */
export function allocateUninitialized(dtype: DType, size: number): TypedArray {
  return allocateBuffer(dtype, size, false);
}

function allocateBuffer(dtype: DType, size: number, zeroed: boolean): TypedArray {
  let buffer = takeRecycled(dtype, size, zeroed);
  if (buffer !== null) {
    trackAllocation(buffer, true);
    return buffer;
  }
  switch (dtype) {
    case "float32": buffer = new Float32Array(size); break;
    case "float64": buffer = new Float64Array(size); break;
    case "int32": buffer = new Int32Array(size); break;
    case "bool": buffer = new Uint8Array(size); break;
  }
  trackAllocation(buffer, false);
  return buffer;
}

export function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return "float32";
  if (a instanceof Float64Array) return "float64";
  if (a instanceof Int32Array) return "int32";
  return "bool";
}

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** The dtype of a binary op's result between two tensors (float32 ⊕ float64 → float64). */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/**
 * The dtype when a tensor meets a plain JS number (PyTorch's "wrapped scalar"
 * rule): the tensor's dtype wins unless the number is fractional and the
 * tensor is integral, which gives the default float dtype.
 */
export function promoteWithScalar(t: DType, value: number): DType {
  if (isFloat(t)) return t;
  if (!Number.isInteger(value)) return "float32";
  return t === "bool" ? "int32" : t;
}
