/**
 * Shape ops. reshape (of a contiguous tensor), transpose, permute, expand,
 * narrow, squeeze and unsqueeze are views that share storage; cat and stack
 * copy. Each VJP undoes the shape change.
 */
import { gpu } from "../backend/device-dispatch.js";
import { defineOp, record } from "../graph/node.js";
import { DimError, ShapeError, ValueError } from "../errors.js";
import { zeros } from "../tensor/creation.js";
import { allocate, promoteTypes } from "../tensor/dtype.js";
import { allDims, dimsArray, formatShape, mapDims, normalizeDim, sizeOf } from "../tensor/shape.js";
import { Tensor, viewOf } from "../tensor/tensor.js";
import { deviceCat } from "./device-conv-ops.js";
import { sumTo } from "./reduce.js";
import { contiguousCopy, contiguousData } from "./util.js";

function view(x: Tensor, shape: readonly number[], strides: readonly number[], offset: number): Tensor {
  return viewOf(x, shape, strides, offset);
}

// ---------------------------------------------------------------- reshape family

const RESHAPE = defineOp<readonly number[]>("reshape", (g, _s, inShape) => [g.reshape(inShape)]);

function inferShape(op: string, x: Tensor, shape: readonly number[]): number[] {
  const out = Array.from(shape);
  let infer = -1;
  let known = 1;
  for (let i = 0; i < out.length; i++) {
    if (out[i] === -1) {
      if (infer >= 0) throw new ShapeError(`${op}: only one dimension can be -1, got ${formatShape(shape)}`);
      infer = i;
    } else if (!Number.isInteger(out[i]) || out[i] < 0) {
      throw new ShapeError(`${op}: invalid size ${out[i]} in ${formatShape(shape)}; sizes must be non-negative integers or a single -1`);
    } else known *= out[i];
  }
  if (infer >= 0) {
    if (known === 0 || x.size % known !== 0) {
      throw new ShapeError(`${op}: cannot reshape a tensor of shape ${formatShape(x.shape)} (${x.size} elements) into ${formatShape(shape)}: ${x.size} is not a multiple of ${known}`);
    }
    out[infer] = x.size / known;
  } else if (known !== x.size) {
    throw new ShapeError(
      `${op}: cannot reshape a tensor of shape ${formatShape(x.shape)} (${x.size} elements) into ${formatShape(shape)} (${known} elements); the element counts must match`,
    );
  }
  return out;
}

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  if (!Array.isArray(shape)) throw new ValueError(`reshape: expected the new shape as an array of numbers, got ${typeof shape}`);
  const target = inferShape("reshape", x, shape);
  const base = x.isContiguous ? x : contiguousCopy(x);
  const out = viewOf(base, target, undefined, base.offset, x.dtype);
  return record(out, RESHAPE, [x], null, x.shape);
}

/** Inserts a size-1 dimension at `dim` (a view). */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normalizeDim("unsqueeze", dim, x.ndim + 1);
  const shape = [...x.shape];
  const strides = [...x.strides];
  shape.splice(d, 0, 1);
  strides.splice(d, 0, d < x.ndim ? x.strides[d] * x.shape[d] : 1);
  return record(view(x, shape, strides, x.offset), RESHAPE, [x], null, x.shape);
}

/** Removes size-1 dimensions (all, or just `dim`; a dim whose size is not 1 is left alone). */
export function squeeze(x: Tensor, dim?: number | null): Tensor {
  let keep: (i: number) => boolean;
  if (dim === undefined || dim === null) keep = (i) => x.shape[i] !== 1;
  else {
    const d = normalizeDim("squeeze", dim, x.ndim);
    keep = (i) => i !== d || x.shape[i] !== 1;
  }
  const shape: number[] = [];
  const strides: number[] = [];
  for (let i = 0; i < x.ndim; i++) if (keep(i)) { shape.push(x.shape[i]); strides.push(x.strides[i]); }
  if (shape.length === x.ndim) return x;
  return record(view(x, shape, strides, x.offset), RESHAPE, [x], null, x.shape);
}

/** Flattens dims start..end into one; a 0-d tensor becomes shape [1]. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normalizeDim("flatten", startDim, x.ndim);
  const e = normalizeDim("flatten", endDim, x.ndim);
  if (s > e) throw new DimError(`flatten: startDim ${startDim} comes after endDim ${endDim} for a tensor with ${x.ndim} dimensions`);
  const shape = [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

// ---------------------------------------------------------------- permute, transpose

const PERMUTE = defineOp<number[]>("permute", (g, _s, inverse) => [g.permute(inverse)]);

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (!Array.isArray(dims) || dims.length !== x.ndim) {
    throw new DimError(`permute: expected ${x.ndim} dims for a tensor of shape ${formatShape(x.shape)}, got ${JSON.stringify(dims)}`);
  }
  const perm = mapDims(dims, (d) => normalizeDim("permute", d, x.ndim));
  if (new Set(perm).size !== perm.length) throw new DimError(`permute: dims ${JSON.stringify(dims)} repeat a dimension; each must appear once`);
  const inverse = dimsArray(perm.length);
  for (let i = 0; i < perm.length; i++) inverse[perm[i]] = i;
  const out = view(x, mapDims(perm, (p) => x.shape[p]), mapDims(perm, (p) => x.strides[p]), x.offset);
  return record(out, PERMUTE, [x], null, inverse);
}

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const a = normalizeDim("transpose", dim0, x.ndim);
  const b = normalizeDim("transpose", dim1, x.ndim);
  if (x.ndim < 2 || a === b) return x;
  const perm = allDims(x.ndim);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

/** `.T`: reverses the dimensions (the matrix transpose for 2-D; 0-d and 1-D are returned as they are). */
export function reverseDims(x: Tensor): Tensor {
  if (x.ndim < 2) return x;
  return permute(x, mapDims(x.shape, (_, i) => x.ndim - 1 - i));
}

// ---------------------------------------------------------------- expand

const EXPAND = defineOp<readonly number[]>("expand", (g, _s, inShape) => [sumTo(g, inShape)]);

/** Broadcasts to a larger shape without copying (-1 keeps a size; new dims go in front). */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  if (shape.length < x.ndim) {
    throw new ShapeError(`expand: the target ${formatShape(shape)} has fewer dimensions than the tensor's shape ${formatShape(x.shape)}`);
  }
  const lead = shape.length - x.ndim;
  const outShape = dimsArray(shape.length);
  const strides = dimsArray(shape.length);
  for (let i = 0; i < shape.length; i++) {
    const want = shape[i];
    if (i < lead) {
      if (want === -1 || !Number.isInteger(want) || want < 0) throw new ShapeError(`expand: size ${want} is not allowed for the new leading dimension ${i} in ${formatShape(shape)}`);
      outShape[i] = want;
      strides[i] = 0;
      continue;
    }
    const have = x.shape[i - lead];
    if (want === -1 || want === have) {
      outShape[i] = have;
      strides[i] = x.strides[i - lead];
    } else if (have === 1 && Number.isInteger(want) && want >= 0) {
      outShape[i] = want;
      strides[i] = 0;
    } else {
      throw new ShapeError(
        `expand: cannot expand shape ${formatShape(x.shape)} to ${formatShape(shape)}: dimension ${i} has size ${have}, which is not 1, and the target asks for ${want}`,
      );
    }
  }
  return record(view(x, outShape, strides, x.offset), EXPAND, [x], null, x.shape);
}

// ---------------------------------------------------------------- narrow and its reverse

type NarrowCtx = { dim: number; start: number; length: number; inShape: readonly number[] };
const NARROW = defineOp<NarrowCtx>("narrow", (g, _s, c) => [narrowBackward(g, c.inShape, c.dim, c.start)]);

/** The slice start..start+length of `dim` (a view); a negative start counts from the end. */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normalizeDim("narrow", dim, x.ndim);
  if (x.ndim === 0) throw new DimError("narrow: cannot narrow a 0-d tensor");
  const size = x.shape[d];
  const s = start < 0 ? start + size : start;
  if (!Number.isInteger(s) || !Number.isInteger(length) || s < 0 || length < 0 || s + length > size) {
    throw new ValueError(`narrow: start ${start} and length ${length} do not fit dimension ${dim} of size ${size} (shape ${formatShape(x.shape)}); need 0 <= start and start + length <= ${size}`);
  }
  const shape = [...x.shape];
  shape[d] = length;
  const out = view(x, shape, x.strides, x.offset + s * x.strides[d]);
  return record(out, NARROW, [x], null, { dim: d, start: s, length, inShape: x.shape });
}

/** Zeros of `fullShape` with `g` placed at `start` along `dim`: the VJP of narrow, built from cat. */
function narrowBackward(g: Tensor, fullShape: readonly number[], dim: number, start: number): Tensor {
  const parts: Tensor[] = [];
  const after = fullShape[dim] - start - g.shape[dim];
  if (start > 0) parts.push(zeros(mapDims(fullShape, (s, i) => (i === dim ? start : s)), { dtype: g.dtype }));
  parts.push(g);
  if (after > 0) parts.push(zeros(mapDims(fullShape, (s, i) => (i === dim ? after : s)), { dtype: g.dtype }));
  return parts.length === 1 ? g : cat(parts, dim);
}

// ---------------------------------------------------------------- cat, stack

type CatCtx = { dim: number; sizes: number[] };
const CAT = defineOp<CatCtx>("cat", (g, _s, c, needs) => {
  let start = 0;
  return c.sizes.map((len, i) => {
    const part = needs[i] ? g.narrow(c.dim, start, len) : null;
    start += len;
    return part;
  });
});

/** Concatenates along an existing dimension. */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new ValueError("cat: expected a non-empty array of tensors");
  const first = tensors[0];
  if (first.ndim === 0) throw new DimError("cat: zero-dimensional tensors cannot be concatenated; use bp.stack");
  const d = normalizeDim("cat", dim, first.ndim);
  let dtype = first.dtype;
  let total = 0;
  tensors.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new ValueError(`cat: element ${i} is not a Tensor`);
    const mismatch = t.ndim !== first.ndim || t.shape.some((s, j) => j !== d && s !== first.shape[j]);
    if (mismatch) {
      throw new ShapeError(
        `cat: tensor ${i} has shape ${formatShape(t.shape)} but tensor 0 has shape ${formatShape(first.shape)}; all sizes except dimension ${d} must match`,
      );
    }
    dtype = promoteTypes(dtype, t.dtype);
    total += t.shape[d];
  });
  const shape = [...first.shape];
  shape[d] = total;
  const onDevice = gpu.active !== null && dtype === "float32" ? deviceCat(tensors, d, shape) : null;
  if (onDevice !== null) return record(onDevice, CAT, tensors, null, { dim: d, sizes: tensors.map((t) => t.shape[d]) });
  const out = allocate(dtype, sizeOf(shape));
  const outer = sizeOf(first.shape.slice(0, d));
  const rest = sizeOf(first.shape.slice(d + 1));
  const row = total * rest;
  let pos = 0;
  for (const t of tensors) {
    const chunk = t.shape[d] * rest;
    const { data, offset } = contiguousData(t);
    for (let o = 0; o < outer; o++) {
      (out as Float64Array).set((data as Float64Array).subarray(offset + o * chunk, offset + (o + 1) * chunk), o * row + pos);
    }
    pos += chunk;
  }
  return record(new Tensor(out, shape, dtype), CAT, tensors, null, { dim: d, sizes: tensors.map((t) => t.shape[d]) });
}

/** Stacks equally shaped tensors along a new dimension. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new ValueError("stack: expected a non-empty array of tensors");
  const first = tensors[0];
  tensors.forEach((t: Tensor, i: number) => {
    if (t.ndim !== first.ndim || t.shape.some((s: number, j: number) => s !== first.shape[j])) {
      throw new ShapeError(`stack: tensor ${i} has shape ${formatShape(t.shape)} but tensor 0 has shape ${formatShape(first.shape)}; all must be equal`);
    }
  });
  const d = normalizeDim("stack", dim, first.ndim + 1);
  return cat(tensors.map((t) => unsqueeze(t, d)), d);
}

// ---------------------------------------------------------------- copies

const IDENTITY = defineOp("contiguous", (g) => [g]);
const CLONE = defineOp("clone", (g) => [g]);

export function contiguous(x: Tensor): Tensor {
  if (x.isContiguous) return x;
  return record(contiguousCopy(x), IDENTITY, [x], null, undefined);
}

export function clone(x: Tensor): Tensor {
  return record(contiguousCopy(x), CLONE, [x], null, undefined);
}


// ---------------------------------------------------------------- issue #14: flip, roll

/**
 * A contiguous copy of `x` in which output index i of dim d reads source
 * index `source(d, i)` (a reversal for flip, a rotation for roll). Works on
 * any strided input; no view with negative strides is ever made.
 */
function remapCopy(x: Tensor, source: (d: number, i: number) => number): Tensor {
  const out = allocate(x.dtype, x.size);
  const result = new Tensor(out, x.shape, x.dtype);
  if (x.size === 0) return result;
  const nd = x.ndim;
  if (nd === 0) { out[0] = x.storage[x.offset]; return result; }
  const tables: number[][] = [];
  for (let d = 0; d < nd; d++) {
    const t: number[] = [];
    for (let i = 0; i < x.shape[d]; i++) t.push(source(d, i) * x.strides[d]);
    tables.push(t);
  }
  const last = nd - 1;
  const n = x.shape[last];
  const inner = tables[last];
  const counter = dimsArray(nd);
  let base = x.offset;
  for (let d = 0; d < last; d++) base += tables[d][0];
  const src = x.storage;
  for (let o = 0; o < x.size; o += n) {
    for (let j = 0; j < n; j++) out[o + j] = src[base + inner[j]];
    for (let d = last - 1; d >= 0; d--) {
      const t = tables[d];
      base -= t[counter[d]];
      if (++counter[d] < x.shape[d]) { base += t[counter[d]]; break; }
      counter[d] = 0;
      base += t[0];
    }
  }
  return result;
}

/** A list of distinct dims from a number or an array (for flip and roll). */
function dimList(op: string, dims: unknown, ndim: number, allowRepeats = false): number[] {
  const list = typeof dims === "number" ? [dims] : dims;
  if (!Array.isArray(list) || !list.every((d) => typeof d === "number")) {
    throw new ValueError(`${op}: dims must be a number or an array of numbers, got ${JSON.stringify(dims) ?? String(dims)}`);
  }
  const out = list.map((d) => normalizeDim(op, d, Math.max(ndim, 1)));
  if (!allowRepeats && new Set(out).size !== out.length) throw new DimError(`${op}: dims ${JSON.stringify(list)} repeat a dimension; each may appear once`);
  return out;
}

const FLIP = defineOp<number[]>("flip", (g, _s, dims) => [flip(g, dims)]);

/** Reverses the order of the elements along each of `dims` (a copy, as in PyTorch). */
export function flip(x: Tensor, dims: number | readonly number[]): Tensor {
  const list = dimList("flip", dims, x.ndim);
  const flipped = x.ndim === 0 ? [] : list;
  const out = remapCopy(x, (d, i) => (flipped.includes(d) ? x.shape[d] - 1 - i : i));
  return record(out, FLIP, [x], null, list);
}

type RollCtx = { shifts: number[]; dims: number[] | null };
const ROLL = defineOp<RollCtx>("roll", (g, _s, c) => [roll(g, c.shifts.map((s) => -s), c.dims ?? undefined)]);

/**
 * Rotates the elements along `dims` by `shifts` (element i moves to i + shift,
 * wrapping around); without dims, rotates the flattened tensor and restores its shape.
 */
export function roll(x: Tensor, shifts: number | readonly number[], dims?: number | readonly number[] | null): Tensor {
  const shiftList = typeof shifts === "number" ? [shifts] : shifts;
  if (!Array.isArray(shiftList) || !shiftList.every((s) => Number.isInteger(s))) {
    throw new ValueError(`roll: shifts must be an integer or an array of integers, got ${JSON.stringify(shifts) ?? String(shifts)}`);
  }
  if (dims === undefined || dims === null) {
    if (shiftList.length !== 1) {
      throw new ValueError(`roll: without dims, shifts must be a single integer (it rotates the flattened tensor), got ${JSON.stringify(shifts)}; pass dims with one entry per shift`);
    }
    const flat = x.ndim === 1 ? x : reshape(x, [x.size]);
    return reshape(roll(flat, shiftList, 0), x.shape);
  }
  const dimsList = dimList("roll", dims, x.ndim, true);
  if (dimsList.length !== shiftList.length) {
    throw new ValueError(`roll: got ${shiftList.length} shifts for ${dimsList.length} dims (${JSON.stringify(shifts)} and ${JSON.stringify(dims)}); pass one shift per dim`);
  }
  const shiftOf = dimsArray(Math.max(x.ndim, 1));
  dimsList.forEach((d, i) => { shiftOf[d] += shiftList[i]; });
  const out = x.ndim === 0 ? remapCopy(x, (_d, i) => i) : remapCopy(x, (d, i) => {
    const n = x.shape[d];
    return (((i - shiftOf[d]) % n) + n) % n;
  });
  return record(out, ROLL, [x], null, { shifts: [...shiftList], dims: dimsList });
}
