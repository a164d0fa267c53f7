/**
 * The Tensor: a typed-array storage seen through a shape, strides and an
 * offset, so that reshape/transpose/permute/expand/narrow can share storage.
 *
 * The class holds data and the autograd fields a tensor carries (`grad`,
 * `gradFn`, `requiresGrad`); the ops that compute on tensors live in
 * src/ops/ and install themselves as methods (declared in the interface
 * below so that types and docs stay in one place).
 */
import type { DType, TypedArray } from "../backend/backend.js";
import type { DeviceStorage } from "../backend/device-storage.js";
import { AutogradError, DTypeError, ValueError } from "../errors.js";
import { contiguousStrides, formatShape, sizeOf } from "./shape.js";
import { formatTensor } from "./format.js";
import { constructionLog } from "./construction-log.js";
import { isReleased } from "./released.js";

/** What autograd attaches to a tensor produced by an op (see src/graph/node.ts). */
export interface GradNode {
  /** The op's name, e.g. "mul". */
  readonly name: string;
  /** Hooks registered on the tensor this node produced. */
  hooks: GradHook[] | null;
}

/** A gradient hook: may return a replacement gradient. */
export type GradHook = (grad: Tensor) => Tensor | void | undefined;

export interface HookHandle {
  remove(): void;
}

export type TensorLike = Tensor | number;
export type DimArg = number | readonly number[] | undefined | null;
export type NestedArray = number | boolean | NestedArray[];

export interface BackwardOptions {
  retainGraph?: boolean;
  createGraph?: boolean;
}

export class Tensor {
  /** @internal the host elements; null while they live only on a device (`_device`). */
  _host: TypedArray | null;
  /** @internal the device storage (docs/webgpu.md); null for host tensors. */
  _device: DeviceStorage | null = null;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly dtype: DType;
  /** Number of elements. */
  readonly size: number;
  /** True when the elements are laid out row-major without gaps from `offset`. */
  readonly isContiguous: boolean;

  /**
   * Accumulated gradient (leaves) after `backward()`; settable, e.g. to null.
   * A plain field: reading it changes nothing, and a tensor read from it
   * keeps its values for as long as it is held.
   */
  grad: Tensor | null = null;
  /** The node that produced this tensor in the recorded graph; null for leaves. */
  gradFn: GradNode | null = null;
  /** @internal read `requiresGrad` instead. */
  _requiresGrad = false;
  /** @internal hooks of a leaf; hooks of a non-leaf live on its gradFn. */
  _hooks: GradHook[] | null = null;

  constructor(storage: TypedArray, shape: readonly number[], dtype: DType, strides?: readonly number[], offset = 0) {
    const log = constructionLog.current;
    if (log !== null) log.push(this);
    this._host = storage;
    this.shape = shape;
    this.dtype = dtype;
    this.offset = offset;
    this.size = sizeOf(shape);
    if (strides === undefined) {
      this.strides = contiguousStrides(shape);
      this.isContiguous = true;
    } else {
      this.strides = strides;
      this.isContiguous = isContiguousLayout(shape, strides);
    }
  }

  /**
   * Flat storage, possibly shared with other views. For a tensor on the GPU
   * this reads its elements back (synchronously, once: the copy is kept
   * until a kernel writes the buffer again).
   */
  get storage(): TypedArray {
    const host = this._host;
    return host !== null ? host : this._device!.materialise(true);
  }

  /** @internal a tensor over the device storage `device` (what GPU kernels produce). */
  static onDevice(device: DeviceStorage, shape: readonly number[], dtype: DType, strides?: readonly number[], offset = 0): Tensor {
    const t = new Tensor(NO_HOST, shape, dtype, strides, offset);
    t._host = null;
    t._device = device;
    return t;
  }

  get ndim(): number {
    return this.shape.length;
  }

  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  get requiresGrad(): boolean {
    return this._requiresGrad;
  }

  set requiresGrad(value: boolean) {
    if (this.gradFn !== null) {
      if (value === this._requiresGrad) return;
      throw new AutogradError(
        `requiresGrad: can only be changed on leaf tensors, but this tensor was produced by "${this.gradFn.name}"; use .detach() to get a leaf that shares its data`,
      );
    }
    if (value && this.dtype !== "float32" && this.dtype !== "float64") {
      throw new DTypeError(
        `requiresGrad: only floating-point tensors can require gradients, but this tensor is ${this.dtype}; convert it first with .to("float32") or .to("float64")`,
      );
    }
    this._requiresGrad = value;
  }

  /** Contiguous typed-array copy of the elements, in row-major order. */
  data(): TypedArray {
    const out = new (hostElements(this).constructor as new (n: number) => TypedArray)(this.size);
    readInto(this, out);
    return out;
  }

  /**
   * The same as `data()`, without blocking: on the GPU it waits for the
   * queued kernels and reads the buffer asynchronously (the read a browser's
   * main thread should use); elsewhere it resolves to `data()`.
   */
  async dataAsync(): Promise<TypedArray> {
    const device = this._device;
    if (device !== null && this._host === null) await device.materialiseAsync();
    return this.data();
  }

  /** Nested JS arrays (a number for a 0-d tensor); bool tensors give booleans. */
  toArray(): NestedArray {
    const flat = this.data();
    const asBool = this.dtype === "bool";
    if (this.shape.length === 0) return asBool ? flat[0] !== 0 : flat[0];
    let pos = 0;
    const build = (dim: number): NestedArray[] => {
      const n = this.shape[dim];
      const out = new Array<NestedArray>(n);
      if (dim === this.shape.length - 1) {
        for (let i = 0; i < n; i++) out[i] = asBool ? flat[pos++] !== 0 : flat[pos++];
      } else {
        for (let i = 0; i < n; i++) out[i] = build(dim + 1);
      }
      return out;
    };
    return build(0);
  }

  /** The value of a tensor with exactly one element (bool tensors give 1 or 0). */
  item(): number {
    if (this.size !== 1) {
      throw new ValueError(`item: only a tensor with one element can be converted to a number, but this one has shape ${formatShape(this.shape)} (${this.size} elements)`);
    }
    return hostElements(this)[this.offset];
  }

  toString(): string {
    if (isReleased(this)) return `tensor(<released by bp.tidy>, shape=${formatShape(this.shape)}, dtype=${this.dtype})`;
    return formatTensor(this);
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

const NO_HOST = new Float32Array(0);

/** `t.storage` for reading only: on the GPU, a read that leaves the buffer current (see DeviceStorage.materialise). */
function hostElements(t: Tensor): TypedArray {
  const host = t._host;
  return host !== null ? host : t._device!.materialise(false);
}

/** The object a tensor's elements live in (its host array or its device storage): what views share and versions count. */
export function storageKey(t: Tensor): TypedArray | DeviceStorage {
  return t._host ?? t._device!;
}

/** Elements in the storage `t` views (all of them, not just the view's). */
export function storageLength(t: Tensor): number {
  return t._host !== null ? t._host.length : t._device!.length;
}

/** A tensor over `t`'s storage (host or device) with another shape, strides and offset: every view op's constructor. */
export function viewOf(t: Tensor, shape: readonly number[], strides?: readonly number[], offset = 0, dtype: DType = t.dtype): Tensor {
  const host = t._host;
  return host !== null ? new Tensor(host, shape, dtype, strides, offset) : Tensor.onDevice(t._device!, shape, dtype, strides, offset);
}

function isContiguousLayout(shape: readonly number[], strides: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}

/** Copies a tensor's elements, in row-major order, into `out` (no backend involved: used for read-out). */
export function readInto(t: Tensor, out: TypedArray): void {
  const n = t.size;
  const storage = hostElements(t);
  if (t.isContiguous) {
    const src = storage;
    if (src.constructor === out.constructor) {
      (out as Float64Array).set((src as Float64Array).subarray(t.offset, t.offset + n));
    } else {
      for (let i = 0; i < n; i++) out[i] = src[t.offset + i];
    }
    return;
  }
  const nd = t.shape.length;
  const idx = new Array<number>(nd).fill(0);
  let src = t.offset;
  for (let i = 0; i < n; i++) {
    out[i] = storage[src];
    for (let d = nd - 1; d >= 0; d--) {
      if (++idx[d] < t.shape[d]) { src += t.strides[d]; break; }
      idx[d] = 0;
      src -= t.strides[d] * (t.shape[d] - 1);
    }
  }
}

/* The operations, installed on the prototype by src/ops/methods.ts. */
export interface Tensor {
  // elementwise arithmetic (broadcasting, numbers accepted)
  add(other: TensorLike): Tensor;
  sub(other: TensorLike): Tensor;
  mul(other: TensorLike): Tensor;
  div(other: TensorLike): Tensor;
  pow(exponent: TensorLike): Tensor;
  maximum(other: TensorLike): Tensor;
  minimum(other: TensorLike): Tensor;
  // comparisons (bool results, no gradient)
  eq(other: TensorLike): Tensor;
  ne(other: TensorLike): Tensor;
  gt(other: TensorLike): Tensor;
  ge(other: TensorLike): Tensor;
  lt(other: TensorLike): Tensor;
  le(other: TensorLike): Tensor;
  // elementwise maps
  neg(): Tensor;
  exp(): Tensor;
  log(): Tensor;
  sqrt(): Tensor;
  abs(): Tensor;
  sign(): Tensor;
  square(): Tensor;
  reciprocal(): Tensor;
  sin(): Tensor;
  cos(): Tensor;
  tanh(): Tensor;
  sigmoid(): Tensor;
  relu(): Tensor;
  leakyRelu(negativeSlope?: number): Tensor;
  gelu(): Tensor;
  erf(): Tensor;
  softplus(beta?: number, threshold?: number): Tensor;
  clamp(min?: number | null, max?: number | null): Tensor;
  // reductions
  sum(dim?: DimArg, keepdim?: boolean): Tensor;
  mean(dim?: DimArg, keepdim?: boolean): Tensor;
  max(dim?: DimArg, keepdim?: boolean): Tensor;
  min(dim?: DimArg, keepdim?: boolean): Tensor;
  argmax(dim?: number | null, keepdim?: boolean): Tensor;
  argmin(dim?: number | null, keepdim?: boolean): Tensor;
  logsumexp(dim: DimArg, keepdim?: boolean): Tensor;
  variance(dim?: DimArg, options?: { unbiased?: boolean; keepdim?: boolean }): Tensor;
  softmax(dim: number): Tensor;
  logSoftmax(dim: number): Tensor;
  // linear algebra
  matmul(other: Tensor): Tensor;
  // shape and indexing
  reshape(shape: readonly number[]): Tensor;
  view(shape: readonly number[]): Tensor;
  transpose(dim0: number, dim1: number): Tensor;
  permute(dims: readonly number[]): Tensor;
  readonly T: Tensor;
  squeeze(dim?: number | null): Tensor;
  unsqueeze(dim: number): Tensor;
  flatten(startDim?: number, endDim?: number): Tensor;
  expand(shape: readonly number[]): Tensor;
  narrow(dim: number, start: number, length: number): Tensor;
  gather(dim: number, index: Tensor): Tensor;
  indexSelect(dim: number, index: Tensor): Tensor;
  contiguous(): Tensor;
  clone(): Tensor;
  to(dtype: DType): Tensor;
  float(): Tensor;
  double(): Tensor;
  // autograd
  backward(gradient?: Tensor | null, options?: BackwardOptions): void;
  detach(): Tensor;
  registerHook(fn: GradHook): HookHandle;
  retainGrad(): void;
}

/** A reduction's arguments as one object: `x.sum({ dim: 1, keepdim: true })`. */
export interface ReduceOptions {
  dim?: DimArg;
  keepdim?: boolean;
}

/* Issue #14: sizes as separate numbers, reductions with an options object, more ops, in-place updates. */
export interface Tensor {
  backward(options: BackwardOptions): void;
  sum(options: ReduceOptions): Tensor;
  sum(dim: DimArg, options: { keepdim?: boolean }): Tensor;
  mean(options: ReduceOptions): Tensor;
  mean(dim: DimArg, options: { keepdim?: boolean }): Tensor;
  max(options: ReduceOptions): Tensor;
  max(dim: DimArg, options: { keepdim?: boolean }): Tensor;
  min(options: ReduceOptions): Tensor;
  min(dim: DimArg, options: { keepdim?: boolean }): Tensor;
  argmax(options: { dim?: number | null; keepdim?: boolean }): Tensor;
  argmin(options: { dim?: number | null; keepdim?: boolean }): Tensor;
  logsumexp(options: ReduceOptions): Tensor;
  variance(options: ReduceOptions & { unbiased?: boolean }): Tensor;
  /** Standard deviation; unbiased (N − 1) unless `unbiased: false`. */
  std(dim?: DimArg, options?: { unbiased?: boolean; keepdim?: boolean }): Tensor;
  std(options: ReduceOptions & { unbiased?: boolean }): Tensor;
  reshape(...shape: number[]): Tensor;
  view(...shape: number[]): Tensor;
  permute(...dims: number[]): Tensor;
  expand(...shape: number[]): Tensor;
  log1p(): Tensor;
  expm1(): Tensor;
  silu(): Tensor;
  elu(alpha?: number): Tensor;
  mish(): Tensor;
  /** Reverses the order of elements along the given dims (a copy). */
  flip(dims: number | readonly number[]): Tensor;
  flip(...dims: number[]): Tensor;
  /** Rotates elements along dims by shifts (or the flattened tensor, without dims). */
  roll(shifts: number | readonly number[], dims?: number | readonly number[] | null): Tensor;
  /** A copy with src (or a number) written at index along dim. */
  scatter(dim: number, index: Tensor, src: Tensor | number): Tensor;
  /** A copy with src added at index along dim. */
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor;
  /** int32 indices that sort along dim (stable; NaN sorts last). No gradient. */
  argsort(dim?: number, descending?: boolean): Tensor;
  // In place (no graph: leaves outside grad mode or not requiring grad; see docs/semantics.md). Return this tensor.
  /** With { alpha }: this ← this + alpha·other, rounded once (t.add_(g, { alpha: -lr }) is an SGD step). */
  add_(other: TensorLike, options?: { alpha?: number }): Tensor;
  sub_(other: TensorLike, options?: { alpha?: number }): Tensor;
  mul_(other: TensorLike): Tensor;
  div_(other: TensorLike): Tensor;
  zero_(): Tensor;
  fill_(value: number | Tensor): Tensor;
  copy_(src: Tensor): Tensor;
}

/* Issue #15: sequence ops (src/ops/sequence.ts, src/ops/sorting.ts). */
export interface Tensor {
  /** Running sums along dim (the gradient is the running sum from the other end). */
  cumsum(dim: number): Tensor;
  /** Views of consecutive pieces along dim: of `size` elements each (the last may be smaller) or of the listed sizes. */
  split(sizeOrSizes: number | readonly number[], dim?: number): Tensor[];
  /** `n` views of ceil(size / n) elements along dim (the last may be smaller; there may be fewer than n). */
  chunk(n: number, dim?: number): Tensor[];
  /** Tiles the tensor sizes[i] times along dimension i (extra leading sizes add dimensions). */
  repeat(sizes: readonly number[]): Tensor;
  repeat(...sizes: number[]): Tensor;
  /** Elements start, start + step, … before end along dim (a view, like x[start:end:step]). */
  slice(dim: number, start?: number | null, end?: number | null, step?: number): Tensor;
  /** Sorted values and their int32 indices along dim (stable; NaN sorts as the largest). */
  sort(dim?: number, descending?: boolean): { values: Tensor; indices: Tensor };
  /** The k largest (or smallest) values along dim, sorted, and their int32 indices. */
  topk(k: number, dim?: number, largest?: boolean): { values: Tensor; indices: Tensor };
  /** int32 category indices drawn from these (unnormalised) weights: bp.multinomial(this, …). */
  multinomial(numSamples: number, options?: { replacement?: boolean; generator?: import("./random.js").Generator }): Tensor;
}

/* Issue #15: masking for attention. */
export interface Tensor {
  /** The lower triangle of the last two dims (column − row ≤ k), zeros above. */
  tril(k?: number): Tensor;
  /** The upper triangle of the last two dims (column − row ≥ k), zeros below. */
  triu(k?: number): Tensor;
  /** A copy with `value` where the bool mask (broadcast to this shape) is true. */
  maskedFill(mask: Tensor, value: number | Tensor): Tensor;
}
