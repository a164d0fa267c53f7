/** Creating tensors: from JS data, filled, ranges, random. */
import type { DType, TypedArray } from "../backend/backend.js";
import { DTypeError, ShapeError, ValueError } from "../errors.js";
import { allocate, dtypeOfArray, isDType } from "./dtype.js";
import { defaultGenerator, type Generator } from "./random.js";
import { checkShape, formatShape } from "./shape.js";
import { shapeAndOptions } from "./sizes.js";
import { Tensor, readInto } from "./tensor.js";

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

export interface RandomOptions extends TensorOptions {
  generator?: Generator;
}

export type TensorData = number | boolean | readonly TensorData[] | Float32Array | Float64Array | Int32Array | Uint8Array | Tensor;

function checkDType(op: string, dtype: unknown): DType | undefined {
  if (dtype === undefined) return undefined;
  if (!isDType(dtype)) throw new DTypeError(`${op}: unknown dtype ${JSON.stringify(dtype)}; expected "float32", "float64", "int32" or "bool"`);
  return dtype;
}

function finish(t: Tensor, opts: TensorOptions | undefined): Tensor {
  if (opts?.requiresGrad) t.requiresGrad = true;
  return t;
}

/** Wraps a typed array (no copy) as a contiguous tensor. */
export function fromStorage(storage: TypedArray, shape: readonly number[], dtype: DType = dtypeOfArray(storage)): Tensor {
  return new Tensor(storage, shape, dtype);
}

/** A tensor from a number, nested arrays, a typed array (1-D) or another tensor; always copies. */
export function tensor(data: TensorData, opts?: TensorOptions): Tensor {
  const wanted = checkDType("tensor", opts?.dtype);
  if (data instanceof Tensor) {
    const dtype = wanted ?? data.dtype;
    const out = allocate(dtype, data.size);
    readInto(data, out);
    // A plain copy would turn 0.5 into 0 in a Uint8Array: bool means nonzero.
    if (dtype === "bool" && data.dtype !== "bool") {
      const src = data.data();
      for (let i = 0; i < src.length; i++) out[i] = src[i] !== 0 ? 1 : 0;
    }
    return finish(new Tensor(out, data.shape.slice(), dtype), opts);
  }
  if (ArrayBuffer.isView(data)) {
    const src = data as TypedArray;
    const dtype = wanted ?? dtypeOfArray(src);
    const out = allocate(dtype, src.length);
    if (dtype === "bool") for (let i = 0; i < src.length; i++) out[i] = src[i] !== 0 ? 1 : 0;
    else for (let i = 0; i < src.length; i++) out[i] = src[i];
    return finish(new Tensor(out, [src.length], dtype), opts);
  }
  const shape: number[] = [];
  let probe: unknown = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const inferred: DType = typeof probe === "boolean" ? "bool" : "float32";
  const dtype = wanted ?? inferred;
  const size = shape.reduce((a, b) => a * b, 1);
  const out = allocate(dtype, size);
  let pos = 0;
  const walk = (node: unknown, depth: number, path: number[]): void => {
    if (depth === shape.length) {
      if (typeof node === "number") out[pos++] = dtype === "bool" ? (node !== 0 ? 1 : 0) : node;
      else if (typeof node === "boolean") out[pos++] = node ? 1 : 0;
      else {
        const where = path.map((i) => `[${i}]`).join("");
        throw new ValueError(`tensor: expected a number or boolean at ${where || "the top level"}, got ${Array.isArray(node) ? "an array (the nesting is deeper here than elsewhere)" : typeof node}`);
      }
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      const where = path.map((i) => `[${i}]`).join("");
      const got = Array.isArray(node) ? `length ${node.length}` : `a ${typeof node}`;
      throw new ShapeError(
        `tensor: ragged nested array: expected a list of length ${shape[depth]} at ${where}, got ${got}; every list at one depth must have the same length (inferred shape ${formatShape(shape)})`,
      );
    }
    for (let i = 0; i < node.length; i++) {
      path.push(i);
      walk(node[i], depth + 1, path);
      path.pop();
    }
  };
  walk(data, 0, []);
  return finish(new Tensor(out, shape, dtype), opts);
}

function shapeArg(op: string, shape: readonly number[] | number): number[] {
  const s = typeof shape === "number" ? [shape] : Array.from(shape);
  checkShape(op, s);
  return s;
}

export function full(shape: readonly number[] | number, value: number, opts?: TensorOptions): Tensor {
  return filled("full", shape, value, opts);
}

/** full(), with the name of the function the user called for error messages. */
function filled(op: string, shape: readonly number[] | number, value: number, opts?: TensorOptions): Tensor {
  const s = shapeArg(op, shape);
  const dtype = checkDType(op, opts?.dtype) ?? "float32";
  const out = allocate(dtype, s.reduce((a, b) => a * b, 1));
  if (value !== 0) out.fill(dtype === "bool" ? (value ? 1 : 0) : value);
  return finish(new Tensor(out, s, dtype), opts);
}

/** zeros([2, 3]) or zeros(2, 3), optionally followed by the options. */
export function zeros(shape: readonly number[] | number, opts?: TensorOptions): Tensor;
export function zeros(...sizesAndOptions: [...number[], TensorOptions]): Tensor;
export function zeros(...sizes: number[]): Tensor;
export function zeros(...args: unknown[]): Tensor {
  const { shape, opts } = shapeAndOptions<TensorOptions>("zeros", args);
  return filled("zeros", shape, 0, opts);
}

/** ones([2, 3]) or ones(2, 3), optionally followed by the options. */
export function ones(shape: readonly number[] | number, opts?: TensorOptions): Tensor;
export function ones(...sizesAndOptions: [...number[], TensorOptions]): Tensor;
export function ones(...sizes: number[]): Tensor;
export function ones(...args: unknown[]): Tensor {
  const { shape, opts } = shapeAndOptions<TensorOptions>("ones", args);
  return filled("ones", shape, 1, opts);
}

export function zerosLike(t: Tensor, opts?: TensorOptions): Tensor {
  return filled("zerosLike", t.shape, 0, { dtype: t.dtype, ...opts });
}

export function onesLike(t: Tensor, opts?: TensorOptions): Tensor {
  return filled("onesLike", t.shape, 1, { dtype: t.dtype, ...opts });
}

export function fullLike(t: Tensor, value: number, opts?: TensorOptions): Tensor {
  return filled("fullLike", t.shape, value, { dtype: t.dtype, ...opts });
}

export function eye(n: number, opts?: TensorOptions & { m?: number }): Tensor {
  const m = opts?.m ?? n;
  const t = filled("eye", [n, m], 0, opts);
  for (let i = 0; i < Math.min(n, m); i++) t.storage[i * m + i] = 1;
  return t;
}

/** arange(end) or arange(start, end, step = 1): int32 when all arguments are integers, else float32. */
export function arange(startOrEnd: number, end?: number, step = 1, opts?: TensorOptions): Tensor {
  const start = end === undefined ? 0 : startOrEnd;
  const stop = end === undefined ? startOrEnd : end;
  if (step === 0 || !Number.isFinite(step)) throw new ValueError(`arange: step must be a nonzero finite number, got ${step}`);
  if (!Number.isFinite(start) || !Number.isFinite(stop)) throw new ValueError(`arange: start and end must be finite, got ${start} and ${stop}`);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const integral = Number.isInteger(start) && Number.isInteger(stop) && Number.isInteger(step);
  const dtype = checkDType("arange", opts?.dtype) ?? (integral ? "int32" : "float32");
  const out = allocate(dtype, n);
  for (let i = 0; i < n; i++) out[i] = start + i * step;
  return finish(new Tensor(out, [n], dtype), opts);
}

export function linspace(start: number, end: number, steps: number, opts?: TensorOptions): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new ValueError(`linspace: steps must be a non-negative integer, got ${steps}`);
  const dtype = checkDType("linspace", opts?.dtype) ?? "float32";
  const out = allocate(dtype, steps);
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  // Fill from both ends, as PyTorch does, so that the last value is exactly `end`.
  // (A single step is `start`, as in PyTorch.)
  const half = steps === 1 ? 1 : Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) out[i] = i < half ? start + step * i : end - step * (steps - 1 - i);
  return finish(new Tensor(out, [steps], dtype), opts);
}

function floatDType(op: string, opts?: TensorOptions): DType {
  const dtype = checkDType(op, opts?.dtype) ?? "float32";
  if (dtype !== "float32" && dtype !== "float64") throw new DTypeError(`${op}: dtype must be float32 or float64, got ${dtype}`);
  return dtype;
}

/** Uniform samples in [0, 1); rand([2, 3]) or rand(2, 3), optionally followed by the options. */
export function rand(shape: readonly number[] | number, opts?: RandomOptions): Tensor;
export function rand(...sizesAndOptions: [...number[], RandomOptions]): Tensor;
export function rand(...sizes: number[]): Tensor;
export function rand(...args: unknown[]): Tensor {
  const { shape, opts } = shapeAndOptions<RandomOptions>("rand", args);
  const s = shapeArg("rand", shape);
  const dtype = floatDType("rand", opts);
  const g = opts?.generator ?? defaultGenerator;
  const out = allocate(dtype, s.reduce((a, b) => a * b, 1));
  for (let i = 0; i < out.length; i++) {
    let v = g.random();
    // float32 rounding can turn 0.99999999 into 1; keep the interval half-open.
    if (dtype === "float32" && Math.fround(v) >= 1) v = 0.99999994;
    out[i] = v;
  }
  return finish(new Tensor(out, s, dtype), opts);
}

/** Standard normal samples; randn([2, 3]) or randn(2, 3), optionally followed by the options. */
export function randn(shape: readonly number[] | number, opts?: RandomOptions): Tensor;
export function randn(...sizesAndOptions: [...number[], RandomOptions]): Tensor;
export function randn(...sizes: number[]): Tensor;
export function randn(...args: unknown[]): Tensor {
  const { shape, opts } = shapeAndOptions<RandomOptions>("randn", args);
  const s = shapeArg("randn", shape);
  const dtype = floatDType("randn", opts);
  const g = opts?.generator ?? defaultGenerator;
  const out = allocate(dtype, s.reduce((a, b) => a * b, 1));
  for (let i = 0; i < out.length; i++) out[i] = g.normal();
  return finish(new Tensor(out, s, dtype), opts);
}

/** Integers uniform in [low, high), int32. */
export function randint(low: number, high: number, shape: readonly number[] | number, opts?: RandomOptions): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new ValueError(`randint: expected integers low < high, got low=${low}, high=${high}`);
  }
  const s = shapeArg("randint", shape);
  const g = opts?.generator ?? defaultGenerator;
  const dtype = checkDType("randint", opts?.dtype) ?? "int32";
  const out = allocate(dtype, s.reduce((a, b) => a * b, 1));
  for (let i = 0; i < out.length; i++) out[i] = g.integer(low, high);
  return new Tensor(out, s, dtype);
}

/** A random permutation of 0..n-1 (int32), by Fisher–Yates. */
export function randperm(n: number, opts?: { generator?: Generator }): Tensor {
  if (!Number.isInteger(n) || n < 0) throw new ValueError(`randperm: n must be a non-negative integer, got ${n}`);
  const g = opts?.generator ?? defaultGenerator;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = g.integer(0, i + 1);
    const t = out[i]; out[i] = out[j]; out[j] = t;
  }
  return new Tensor(out, [n], "int32");
}
