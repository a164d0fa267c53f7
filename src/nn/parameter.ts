/**
 * Parameter: a leaf tensor that a Module registers as trainable when it is
 * assigned to one of the module's fields.
 */
import type { DType, TypedArray } from "../backend/backend.js";
import { contiguousCopy } from "../ops/util.js";
import { contiguousStrides } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";

export class Parameter extends Tensor {
  /** Wraps `data` (sharing its storage when it is contiguous) as a leaf that requires grad. */
  constructor(data: Tensor, requiresGrad = true) {
    const src = data.isContiguous ? data : contiguousCopy(data);
    super(src.storage, src.shape.slice(), src.dtype, undefined, src.offset);
    this.requiresGrad = requiresGrad;
  }
}

/** Fields of a Tensor that `replaceData` rewrites; readonly for everyone else. */
type MutableTensorData = { _host: TypedArray | null; _device: unknown; dtype: DType; offset: number; strides: readonly number[]; isContiguous: boolean };

/**
 * Points `t` at new contiguous storage of the same shape, keeping the object's
 * identity (so optimizers and user references stay valid). Used by
 * Module.to(dtype) and nothing else: a tensor's data normally never moves.
 */
export function replaceData(t: Tensor, storage: TypedArray, dtype: DType): void {
  const m = t as unknown as MutableTensorData;
  m._host = storage;
  m._device = null;
  m.dtype = dtype;
  m.offset = 0;
  m.strides = contiguousStrides(t.shape);
  m.isContiguous = true;
}

/** True for the tensors a Module registers as parameters: Parameters and leaves that require grad. */
export function isParameterLike(v: unknown): v is Tensor {
  return v instanceof Tensor && (v instanceof Parameter || (v.isLeaf && v.requiresGrad));
}

/** Writes `values` (row-major; a number fills) into t's storage, honouring its strides. No graph, no checks. */
export function writeElements(t: Tensor, values: ArrayLike<number> | number): void {
  const constant = typeof values === "number";
  if (t.isContiguous && !constant) {
    for (let i = 0; i < t.size; i++) t.storage[t.offset + i] = values[i];
    return;
  }
  const nd = t.ndim;
  const idx = new Array<number>(nd).fill(0);
  let pos = t.offset;
  for (let i = 0; i < t.size; i++) {
    t.storage[pos] = constant ? values : values[i];
    for (let d = nd - 1; d >= 0; d--) {
      if (++idx[d] < t.shape[d]) { pos += t.strides[d]; break; }
      idx[d] = 0;
      pos -= t.strides[d] * (t.shape[d] - 1);
    }
  }
}
