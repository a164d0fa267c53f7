/**
 * The export table: for each op name a trace can hold, the ONNX (opset 17)
 * nodes that compute it. Ops read their attributes from what they recorded
 * for their backward pass (or reported to the trace, for composites).
 */
import type { DType } from "../backend/backend.js";
import { ValueError } from "../errors.js";
import { promoteTypes } from "../tensor/dtype.js";
import type { Tensor } from "../tensor/tensor.js";
import { attr, dataTypeOf, type OpContext, type OpHandler } from "./graph-builder.js";
import { DATA_TYPE } from "./schema.js";

const product = (v: readonly number[]) => v.reduce((a, b) => a * b, 1);

function fail(c: OpContext, why: string): never {
  const where = c.op.module !== "" ? ` in module ${c.op.module}` : "";
  throw new ValueError(`onnx.exportModel: op "${c.op.name}"${where}: ${why}`);
}

function inputTensor(c: OpContext, i: number): Tensor {
  const t = c.op.inputs[i];
  if (t === null) fail(c, `input ${i} is missing`);
  return t;
}

/** Input i as a value of `dtype` (a Cast when it is another). */
function inputAs(c: OpContext, i: number, dtype: DType): string {
  return inputTensor(c, i).dtype === dtype ? c.input(i) : c.b.node("Cast", [c.input(i)], [attr.int("to", dataTypeOf(dtype))]);
}

/** Both inputs of a binary op in one dtype (ONNX's binary ops take equal types): the promoted one. */
function commonInputs(c: OpContext, dtype?: DType): [string, string] {
  const common = dtype ?? promoteTypes(inputTensor(c, 0).dtype, inputTensor(c, 1).dtype);
  return [inputAs(c, 0, common), inputAs(c, 1, common)];
}

/** A comparison: bool out of two inputs brought to one dtype; `negate` for ne (Not of Equal). */
const comparison = (opType: string, negate = false): OpHandler => (c) => {
  const inputs = commonInputs(c, opType === "And" ? "bool" : undefined);
  if (!negate) return c.b.node(opType, inputs, [], c.outName);
  return c.b.node("Not", [c.b.node(opType, inputs)], [], c.outName);
};

/** Slice bounds past either end: ONNX clamps them to the dim (an int64 that JS numbers hold exactly). */
const PAST_END = Number.MAX_SAFE_INTEGER;

/** Fails when the op works along the batch dim in a way a free batch size cannot follow. */
function notAlongBatch(c: OpContext, dims: readonly number[], what: string): void {
  const d = c.b.batchDimOf(c.input(0));
  if (d !== null && dims.includes(d)) fail(c, `${what} the batch dim ${d}, which depends on the batch size; export with dynamicBatch: false`);
}

/** Elements start, start + step, … before `end` along `axis`. */
function sliceAlong(c: OpContext, x: string, axis: number, start: number, end: number, step = 1, output?: string): string {
  const inputs = [x, c.b.int64s([start], "starts"), c.b.int64s([end], "ends"), c.b.int64s([axis], "axes")];
  if (step !== 1) inputs.push(c.b.int64s([step], "steps"));
  return c.b.node("Slice", inputs, [], output);
}

/** The int64 size of dim `dim` of value `x` at run time, as a 1-element tensor. */
function runtimeSize(c: OpContext, x: string, dim: number): string {
  return c.b.node("Slice", [c.b.node("Shape", [x]), c.b.int64s([dim], "starts"), c.b.int64s([dim + 1], "ends")]);
}

/** The int32 positions of the k first elements along `dim` (TopK's indices, sorted, ties to the lower index). */
function topkIndices(c: OpContext, k: number | "all", dim: number, largest: boolean): string {
  const x = inputTensor(c, 0);
  if (x.ndim === 0) return c.b.node("Identity", [c.b.filled(0, "int32", [], "index")], [], c.outName);
  const d = c.b.batchDimOf(c.input(0));
  // Along a free batch dim, sorting all of it takes its size at run time.
  const kValue = k === "all" && dim === d ? runtimeSize(c, c.input(0), dim) : c.b.int64s([k === "all" ? x.shape[dim] : k], "k");
  if (k !== "all" && dim === d) c.setBatchDim(null);
  const [, indices] = c.b.nodeOutputs("TopK", [c.input(0), kValue], [attr.int("axis", dim), attr.int("largest", largest ? 1 : 0), attr.int("sorted", 1)], 2);
  return c.b.node("Cast", [indices], [attr.int("to", dataTypeOf("int32"))], c.outName);
}

/** ArgMax / ArgMin as int32: over one dim, or over the flattened tensor when dim is null. */
const argExtremum = (opType: string): OpHandler => (c) => {
  const x = inputTensor(c, 0);
  const { dim, keepdim } = c.op.attrs as { dim: number | null; keepdim: boolean };
  const toInt32 = (v: string, output?: string) => c.b.node("Cast", [v], [attr.int("to", dataTypeOf("int32"))], output);
  if (dim === null) {
    c.setBatchDim(null);
    const flat = c.b.node("Reshape", [c.input(0), c.b.int64s([-1], "shape")]);
    const index = toInt32(c.b.node(opType, [flat], [attr.int("axis", 0), attr.int("keepdims", 0)]), keepdim && x.ndim > 0 ? undefined : c.outName);
    return keepdim && x.ndim > 0 ? c.b.node("Reshape", [index, c.b.int64s(new Array<number>(x.ndim).fill(1), "shape")], [], c.outName) : index;
  }
  const d = c.b.batchDimOf(c.input(0));
  c.setBatchDim(d === null || d === dim ? null : keepdim || d < dim ? d : d - 1);
  return toInt32(c.b.node(opType, [c.input(0)], [attr.int("axis", dim), attr.int("keepdims", keepdim ? 1 : 0), attr.int("select_last_index", 0)]), c.outName);
};

/** ScatterElements (reduction "none" or "add"): updates cut to the index's shape, as ONNX wants them equal. */
const scatterElements = (reduction: "none" | "add"): OpHandler => (c) => {
  const x = inputTensor(c, 0);
  const { dim, value } = c.op.attrs as { dim: number; value?: number | null };
  if (x.ndim === 0) fail(c, "scatters into a 0-d tensor; give it a dim of size 1 before exporting");
  const index = c.op.saved![0];
  const indexShape = () => c.b.node("Shape", [c.saved(0)]);
  let data: string, updates: string;
  if (c.op.inputs.length === 1 && value === undefined) {
    // gather's backward: src added into zeros of the output's shape.
    data = c.b.filled(0, c.op.out.dtype, c.op.out.shape, "zeros");
    updates = c.input(0);
  } else {
    data = c.input(0);
    if (c.op.inputs.length === 1) updates = c.b.node("Expand", [scalarLike(c, value ?? 0), indexShape()]);
    else {
      const src = inputTensor(c, 1);
      const same = src.ndim === index.ndim && src.shape.every((s, i) => s === index.shape[i]);
      updates = same ? c.input(1) : c.b.node("Slice", [c.input(1), c.b.int64s(new Array<number>(index.ndim).fill(0), "starts"), indexShape(), c.b.int64s(index.shape.map((_, i) => i), "axes")]);
    }
  }
  const attrs = [attr.int("axis", dim)];
  if (reduction === "add") attrs.push(attr.string("reduction", "add"));
  return c.b.node("ScatterElements", [data, c.saved(0), updates], attrs, c.outName);
};

/** One ONNX op applied to the op's inputs. */
const direct = (opType: string): OpHandler => (c) => c.b.node(opType, c.op.inputs.map((_, i) => c.input(i)), [], c.outName);

/** x ⊕ number, or a ⊕ b for two tensors (the scalar fast paths record one input and the number). */
const binary = (opType: string, reversedScalar = false): OpHandler => (c) => {
  if (c.op.inputs.length === 2) return c.b.node(opType, commonInputs(c, c.op.out.dtype), [], c.outName);
  const scalar = c.b.scalar(c.op.attrs as number, c.op.out.dtype);
  return c.b.node(opType, reversedScalar ? [scalar, c.input(0)] : [c.input(0), scalar], [], c.outName);
};

/** The value of x's dtype holding `v`, as a 0-d initializer. */
const scalarLike = (c: OpContext, v: number) => c.b.filled(v, c.op.out.dtype);

/**
 * A Reshape target for `to` that keeps the batch free: the output dim that
 * takes over the input's batch dim becomes -1, the others stay fixed.
 */
function reshapeTarget(c: OpContext, from: readonly number[], to: readonly number[], batchDim: number | null): { target: number[]; dim: number | null } {
  if (batchDim === null || c.b.batch === null) return { target: [...to], dim: null };
  const before = product(from.slice(0, batchDim));
  let e = 0;
  let prefix = to[0] ?? 1;
  while (e < to.length - 1 && prefix <= before) prefix *= to[++e];
  if (to.length === 0 || to[e] % c.b.batch !== 0) {
    fail(c, `reshaping ${JSON.stringify(from)} to ${JSON.stringify(to)} moves the batch dim (${batchDim}) somewhere the export cannot follow; export with dynamicBatch: false`);
  }
  const target = [...to];
  target[e] = -1;
  return { target, dim: e };
}

function reshapeTo(c: OpContext, x: string, from: readonly number[], to: readonly number[], output?: string): string {
  const { target, dim } = reshapeTarget(c, from, to, c.b.batchDimOf(x));
  c.setBatchDim(dim);
  return c.b.node("Reshape", [x, c.b.int64s(target, "shape")], [], output);
}

/** One opset-17 reduction over `axes` keeping dims (ReduceSum takes its axes as an input, the others as an attribute). */
function reduceNode(c: OpContext, opType: string, input: string, axes: readonly number[], output?: string): string {
  if (opType === "ReduceSum") return c.b.node(opType, [input, c.b.int64s(axes, "axes")], [attr.int("keepdims", 1)], output);
  return c.b.node(opType, [input], [attr.ints("axes", axes), attr.int("keepdims", 1)], output);
}

/** Reduce over every dim where `kept` is 1 keeping dims, then drop them with a Reshape when the op did. */
function reduce(c: OpContext, opType: string, axes: readonly number[]): string {
  return reduceWith(c, axes, (input, output) => reduceNode(c, opType, input, axes, output));
}

/** `emit` computes the reduction over `axes` with kept dims; a Reshape then drops them when the op did. */
function reduceWith(c: OpContext, axes: readonly number[], emit: (input: string, output: string | undefined) => string): string {
  const x = inputTensor(c, 0);
  const out = c.op.out;
  const input = c.input(0);
  const keepsRank = out.ndim === x.ndim;
  const allAxes = x.ndim === 0 ? [] : axes;
  const reducedShape = x.shape.map((s, i) => (allAxes.includes(i) ? 1 : s));
  const reduceOut = keepsRank ? c.outName : undefined;
  const d = c.b.batchDimOf(input);
  const reduced = allAxes.length === 0 ? c.b.node("Identity", [input], [], reduceOut) : emit(input, reduceOut);
  const keptBatch = d !== null && !allAxes.includes(d) ? d : null;
  if (keepsRank) {
    c.setBatchDim(keptBatch);
    return reduced;
  }
  // Dropping the reduced dims: a Reshape from the kept-dims shape (the batch dim, if kept, stays free).
  c.b.batchDims.delete(reduced);
  if (keptBatch !== null) c.b.batchDims.set(reduced, keptBatch);
  return reshapeTo(c, reduced, reducedShape, out.shape, c.outName);
}

/** Conv/pool ops need the batch dim: the unbatched forms ([C, H, W]) are not written. */
function requireBatched(c: OpContext, spatial: number): void {
  const x = inputTensor(c, 0);
  if (x.ndim !== spatial + 2) fail(c, `expects a batched input [N, C, ...] with ${spatial} spatial dim(s), got shape ${JSON.stringify(x.shape)}; add the batch dim before exporting`);
}

const pads = (p: readonly number[]) => [...p, ...p];

export const OP_TABLE: Readonly<Record<string, OpHandler>> = {
  // ---- elementwise
  add: binary("Add"),
  sub: binary("Sub", true),
  mul: binary("Mul"),
  div: binary("Div"),
  pow: binary("Pow"),
  maximum: direct("Max"),
  minimum: direct("Min"),
  neg: direct("Neg"),
  exp: direct("Exp"),
  log: direct("Log"),
  sqrt: direct("Sqrt"),
  abs: direct("Abs"),
  sign: direct("Sign"),
  reciprocal: direct("Reciprocal"),
  sin: direct("Sin"),
  cos: direct("Cos"),
  tanh: direct("Tanh"),
  sigmoid: direct("Sigmoid"),
  relu: direct("Relu"),
  erf: direct("Erf"),
  where: direct("Where"),
  contiguous: direct("Identity"),
  clone: direct("Identity"),
  square: (c) => c.b.node("Mul", [c.input(0), c.input(0)], [], c.outName),
  leakyRelu: (c) => c.b.node("LeakyRelu", [c.input(0)], [attr.float("alpha", c.op.attrs as number)], c.outName),
  elu: (c) => c.b.node("Elu", [c.input(0)], [attr.float("alpha", c.op.attrs as number)], c.outName),
  // Opset 17 has no Gelu: x · ½(1 + erf(x / √2)).
  gelu: (c) => {
    const x = c.input(0);
    const e = c.b.node("Erf", [c.b.node("Div", [x, scalarLike(c, Math.SQRT2)])]);
    const half = c.b.node("Mul", [c.b.node("Add", [e, scalarLike(c, 1)]), scalarLike(c, 0.5)]);
    return c.b.node("Mul", [x, half], [], c.outName);
  },
  // log(1 + exp(βx)) / β; PyTorch's switch to x above the threshold differs by less than float rounding there.
  softplus: (c) => {
    const { beta } = c.op.attrs as { beta: number };
    if (beta === 1) return c.b.node("Softplus", [c.input(0)], [], c.outName);
    const scaled = c.b.node("Mul", [c.input(0), scalarLike(c, beta)]);
    return c.b.node("Div", [c.b.node("Softplus", [scaled]), scalarLike(c, beta)], [], c.outName);
  },
  silu: (c) => c.b.node("Mul", [c.input(0), c.b.node("Sigmoid", [c.input(0)])], [], c.outName),
  mish: (c) => c.b.node("Mul", [c.input(0), c.b.node("Tanh", [c.b.node("Softplus", [c.input(0)])])], [], c.outName),
  log1p: (c) => c.b.node("Log", [c.b.node("Add", [c.input(0), scalarLike(c, 1)])], [], c.outName),
  expm1: (c) => c.b.node("Sub", [c.b.node("Exp", [c.input(0)]), scalarLike(c, 1)], [], c.outName),
  clamp: (c) => {
    const { min, max } = c.op.attrs as { min: number; max: number };
    const bound = (v: number) => (Number.isFinite(v) ? scalarLike(c, v) : "");
    return c.b.node("Clip", [c.input(0), bound(min), bound(max)], [], c.outName);
  },
  to: (c) => c.b.node("Cast", [c.input(0)], [attr.int("to", dataTypeOf(c.op.out.dtype))], c.outName),

  // ---- linear algebra
  matmul: (c) => {
    const a = inputTensor(c, 0);
    const d = c.b.batchDimOf(c.input(0));
    c.setBatchDim(d !== null && a.ndim >= 2 && d <= a.ndim - 2 ? d + c.op.out.ndim - a.ndim : null);
    return c.b.node("MatMul", [c.input(0), c.input(1)], [], c.outName);
  },
  // y = x·Wᵀ + b: one Gemm for a 2-d input, else MatMul with the transposed weight.
  linear: (c) => {
    const x = inputTensor(c, 0);
    const hasBias = c.op.inputs.length > 2;
    if (x.ndim === 2) {
      return c.b.node("Gemm", hasBias ? [c.input(0), c.input(1), c.input(2)] : [c.input(0), c.input(1)], [attr.int("transB", 1)], c.outName);
    }
    const wT = c.b.node("Transpose", [c.input(1)], [attr.ints("perm", [1, 0])]);
    const y = c.b.node("MatMul", [c.input(0), wT], [], hasBias ? undefined : c.outName);
    return hasBias ? c.b.node("Add", [y, c.input(2)], [], c.outName) : y;
  },

  // ---- reductions
  sum: (c) => {
    const { kept, inShape } = c.op.attrs as { kept: number[]; inShape: readonly number[] };
    return reduce(c, "ReduceSum", inShape.map((_, i) => i).filter((i) => kept[i] === 1));
  },
  max: (c) => reduce(c, "ReduceMax", (c.op.attrs as { dims: number[] }).dims),
  min: (c) => reduce(c, "ReduceMin", (c.op.attrs as { dims: number[] }).dims),
  // √(Σ(x − mean)² / divisor), divisor n − 1 (unbiased) or n.
  std: (c) => {
    const { dims, divisor } = c.op.attrs as { dims: number[]; divisor: number };
    return reduceWith(c, dims, (x, output) => {
      const centered = c.b.node("Sub", [x, reduceNode(c, "ReduceMean", x, dims)]);
      const squares = reduceNode(c, "ReduceSum", c.b.node("Mul", [centered, centered]), dims);
      return c.b.node("Sqrt", [c.b.node("Div", [squares, c.b.scalar(divisor, c.op.out.dtype)])], [], output);
    });
  },
  softmax: (c) => c.b.node("Softmax", [c.input(0)], [attr.int("axis", c.op.attrs as number)], c.outName),
  logSoftmax: (c) => c.b.node("LogSoftmax", [c.input(0)], [attr.int("axis", c.op.attrs as number)], c.outName),

  // ---- shapes
  reshape: (c) => reshapeTo(c, c.input(0), inputTensor(c, 0).shape, c.op.out.shape, c.outName),
  permute: (c) => {
    const inverse = c.op.attrs as number[];
    const perm = new Array<number>(inverse.length);
    inverse.forEach((j, i) => { perm[j] = i; });
    const d = c.b.batchDimOf(c.input(0));
    c.setBatchDim(d === null ? null : inverse[d]);
    return c.b.node("Transpose", [c.input(0)], [attr.ints("perm", perm)], c.outName);
  },
  // Expand broadcasts both ways, so a 1 keeps every dim the input already has (the batch dim among them).
  expand: (c) => {
    const x = inputTensor(c, 0);
    const out = c.op.out.shape;
    const target = out.map((s, i) => {
      const j = i - (out.length - x.ndim);
      return j >= 0 && x.shape[j] === s ? 1 : s;
    });
    return c.b.node("Expand", [c.input(0), c.b.int64s(target, "shape")], [], c.outName);
  },
  narrow: (c) => {
    const { dim, start, length } = c.op.attrs as { dim: number; start: number; length: number };
    if (dim === c.b.batchDimOf(c.input(0))) fail(c, `narrows the batch dim ${dim}; export with dynamicBatch: false`);
    return c.b.node("Slice", [c.input(0), c.b.int64s([start], "starts"), c.b.int64s([start + length], "ends"), c.b.int64s([dim], "axes")], [], c.outName);
  },
  // One slice of unbind (recurrent layers read their input projection step by step): Gather of a scalar index drops the dim.
  unbindSlice: (c) => {
    const { dim, index } = c.op.attrs as { dim: number; index: number };
    const d = c.b.batchDimOf(c.input(0));
    if (dim === d) fail(c, `splits the batch dim ${dim}; export with dynamicBatch: false`);
    c.setBatchDim(d === null ? null : d > dim ? d - 1 : d);
    return c.b.node("Gather", [c.input(0), c.b.filled(index, "int32", [], "index")], [attr.int("axis", dim)], c.outName);
  },
  cat: (c) => c.b.node("Concat", c.op.inputs.map((_, i) => c.input(i)), [attr.int("axis", (c.op.attrs as { dim: number }).dim)], c.outName),

  // ---- indexing
  gather: (c) => c.b.node("GatherElements", [c.input(0), c.saved(0)], [attr.int("axis", (c.op.attrs as { dim: number }).dim)], c.outName),
  indexSelect: (c) => c.b.node("Gather", [c.input(0), c.saved(0)], [attr.int("axis", (c.op.attrs as { dim: number }).dim)], c.outName),
  embedding: (c) => {
    const d = c.b.batchDimOf(c.input(1));
    c.setBatchDim(d);
    return c.b.node("Gather", [c.input(0), c.input(1)], [attr.int("axis", 0)], c.outName);
  },

  // ---- reordering, running sums, scatter, sorting (issue #16)
  // Reversed: a Slice with step -1 from the last element to before the first.
  flip: (c) => {
    const dims = c.op.attrs as number[];
    if (inputTensor(c, 0).ndim === 0) return c.b.node("Identity", [c.input(0)], [], c.outName);
    const each = (v: number) => dims.map(() => v);
    return c.b.node("Slice", [c.input(0), c.b.int64s(each(-1), "starts"), c.b.int64s(each(-PAST_END), "ends"), c.b.int64s(dims, "axes"), c.b.int64s(each(-1), "steps")], [], c.outName);
  },
  // Each rolled dim: its last `shift` entries, then the rest (Slice, Slice, Concat).
  roll: (c) => {
    const x = inputTensor(c, 0);
    const { shifts, dims } = c.op.attrs as { shifts: number[]; dims: number[] };
    const total = new Map<number, number>();
    if (x.ndim > 0) dims.forEach((d, i) => total.set(d, (total.get(d) ?? 0) + shifts[i]));
    const moves = [...total].map(([d, s]) => [d, x.shape[d] === 0 ? 0 : ((s % x.shape[d]) + x.shape[d]) % x.shape[d]]).filter(([, s]) => s !== 0);
    if (moves.length === 0) return c.b.node("Identity", [c.input(0)], [], c.outName);
    notAlongBatch(c, moves.map(([d]) => d), "rolls");
    let v = c.input(0);
    moves.forEach(([d, s], k) => {
      const n = x.shape[d];
      const parts = [sliceAlong(c, v, d, n - s, PAST_END), sliceAlong(c, v, d, 0, n - s)];
      v = c.b.node("Concat", parts, [attr.int("axis", d)], k === moves.length - 1 ? c.outName : undefined);
    });
    return v;
  },
  // Every step-th element from start: a Slice with steps.
  slice: (c) => {
    const { dim, start, step, length } = c.op.attrs as { dim: number; start: number; step: number; length: number };
    notAlongBatch(c, [dim], "slices");
    return sliceAlong(c, c.input(0), dim, start, length === 0 ? start : start + (length - 1) * step + 1, step, c.outName);
  },
  cumsum: (c) => {
    const x = inputTensor(c, 0);
    const input = inputAs(c, 0, c.op.out.dtype);
    if (x.ndim === 0) return c.b.node("Identity", [input], [], c.outName);
    return c.b.node("CumSum", [input, c.b.filled(c.op.attrs as number, "int32", [], "axis")], [], c.outName);
  },
  scatter: scatterElements("none"),
  scatterAdd: scatterElements("add"),
  logsumexp: (c) => reduce(c, "ReduceLogSumExp", (c.op.attrs as { dims: number[] }).dims),
  argmax: argExtremum("ArgMax"),
  argmin: argExtremum("ArgMin"),
  // sort's indices (its values are a gather at them): TopK of the whole dim.
  argsort: (c) => {
    const { dim, descending } = c.op.attrs as { dim: number; descending: boolean };
    return topkIndices(c, "all", dim, descending);
  },
  topk: (c) => {
    const { k, dim, largest } = c.op.attrs as { k: number; dim: number; largest: boolean };
    return topkIndices(c, k, dim, largest);
  },
  // One-hot rows: each index compared with 0 … classes − 1.
  oneHot: (c) => {
    const { classes } = c.op.attrs as { classes: number };
    const column = c.b.node("Unsqueeze", [inputAs(c, 0, "int32"), c.b.int64s([-1], "axes")]);
    const asInt64 = c.b.node("Cast", [column], [attr.int("to", DATA_TYPE.int64)]);
    const hits = c.b.node("Equal", [asInt64, c.b.int64s(Array.from({ length: classes }, (_, i) => i), "classes")]);
    c.setBatchDim(c.b.batchDimOf(c.input(0)));
    return c.b.node("Cast", [hits], [attr.int("to", dataTypeOf("int32"))], c.outName);
  },

  // ---- comparisons and tests (bool results, no gradient)
  eq: comparison("Equal"),
  ne: comparison("Equal", true),
  gt: comparison("Greater"),
  ge: comparison("GreaterOrEqual"),
  lt: comparison("Less"),
  le: comparison("LessOrEqual"),
  and: comparison("And"),
  // Finite: neither ±∞ nor NaN; integers always are (x = x).
  isfinite: (c) => {
    const x = inputTensor(c, 0);
    if (x.dtype !== "float32" && x.dtype !== "float64") return c.b.node("Equal", [c.input(0), c.input(0)], [], c.outName);
    return c.b.node("Not", [c.b.node("Or", [c.b.node("IsInf", [c.input(0)]), c.b.node("IsNaN", [c.input(0)])])], [], c.outName);
  },

  // ---- layers reported whole by their composite functions
  conv: (c) => {
    const w = inputTensor(c, 1);
    const spatial = w.ndim - 2;
    requireBatched(c, spatial);
    const a = c.op.attrs as { stride: number[]; dilation: number[]; groups: number; pads: number[] };
    const inputs = [c.input(0), c.input(1)];
    if (c.op.inputs[2] !== null) inputs.push(c.input(2));
    return c.b.node("Conv", inputs, [
      attr.ints("kernel_shape", w.shape.slice(2)), attr.ints("strides", a.stride), attr.ints("pads", a.pads),
      attr.ints("dilations", a.dilation), attr.int("group", a.groups),
    ], c.outName);
  },
  convTranspose: (c) => {
    requireBatched(c, 2);
    const w = inputTensor(c, 1);
    const a = c.op.attrs as { stride: number[]; dilation: number[]; groups: number; padding: number[]; outputPadding: number[] };
    const inputs = [c.input(0), c.input(1)];
    if (c.op.inputs[2] !== null) inputs.push(c.input(2));
    return c.b.node("ConvTranspose", inputs, [
      attr.ints("kernel_shape", w.shape.slice(2)), attr.ints("strides", a.stride), attr.ints("pads", pads(a.padding)),
      attr.ints("dilations", a.dilation), attr.int("group", a.groups), attr.ints("output_padding", a.outputPadding),
    ], c.outName);
  },
  // torch-style pads (last dim first, before/after) as ONNX's (every dim's begins, then every dim's ends).
  pad: (c) => {
    const x = inputTensor(c, 0);
    const { pads: given, mode, value } = c.op.attrs as { pads: number[]; mode: "constant" | "reflect" | "replicate"; value: number };
    const begins = new Array<number>(x.ndim).fill(0);
    const ends = new Array<number>(x.ndim).fill(0);
    for (let i = 0; i < given.length / 2; i++) {
      begins[x.ndim - 1 - i] = given[2 * i];
      ends[x.ndim - 1 - i] = given[2 * i + 1];
    }
    const d = c.b.batchDimOf(c.input(0));
    if (d !== null && (begins[d] !== 0 || ends[d] !== 0)) fail(c, `pads the batch dim ${d}; export with dynamicBatch: false`);
    const inputs = [c.input(0), c.b.int64s([...begins, ...ends], "pads")];
    if (mode === "constant") inputs.push(scalarLike(c, value));
    return c.b.node("Pad", inputs, [attr.string("mode", mode === "replicate" ? "edge" : mode)], c.outName);
  },
  // PyTorch's bilinear sampling (alignCorners false) is ONNX's linear Resize with pytorch_half_pixel coordinates.
  interpolateBilinear: (c) => {
    requireBatched(c, 2);
    const { scales, sizes } = c.op.attrs as { scales: number[] | null; sizes: number[] };
    let sizing: string[];
    if (scales !== null) sizing = [c.b.float32s([1, 1, ...scales], "scales")];
    else {
      // [N, C] of the input at run time, then the fixed output size (out/in scales would round down).
      const batchAndChannels = c.b.node("Slice", [c.b.node("Shape", [c.input(0)]), c.b.int64s([0], "starts"), c.b.int64s([2], "ends")]);
      sizing = ["", c.b.node("Concat", [batchAndChannels, c.b.int64s(sizes, "sizes")], [attr.int("axis", 0)])];
    }
    return c.b.node("Resize", [c.input(0), "", ...sizing], [
      attr.string("mode", "linear"), attr.string("coordinate_transformation_mode", "pytorch_half_pixel"),
    ], c.outName);
  },
  maxPool: (c) => {
    const a = c.op.attrs as { kernel: number[]; stride: number[]; pad: number[]; dilation: number[]; ceilMode: boolean };
    requireBatched(c, a.kernel.length);
    return c.b.node("MaxPool", [c.input(0)], [
      attr.ints("kernel_shape", a.kernel), attr.ints("strides", a.stride), attr.ints("pads", pads(a.pad)),
      attr.ints("dilations", a.dilation), attr.int("ceil_mode", a.ceilMode ? 1 : 0),
    ], c.outName);
  },
  avgPool2d: (c) => {
    requireBatched(c, 2);
    const a = c.op.attrs as { kernel: number[]; stride: number[]; pad: number[]; ceilMode: boolean; countIncludePad: boolean };
    return c.b.node("AveragePool", [c.input(0)], [
      attr.ints("kernel_shape", a.kernel), attr.ints("strides", a.stride), attr.ints("pads", pads(a.pad)),
      attr.int("ceil_mode", a.ceilMode ? 1 : 0), attr.int("count_include_pad", a.countIncludePad ? 1 : 0),
    ], c.outName);
  },
  // Global pooling for a 1×1 output; equal windows (the input a multiple of the output) are an AveragePool.
  adaptiveAvgPool2d: (c) => {
    requireBatched(c, 2);
    const { inputSize, outputSize } = c.op.attrs as { inputSize: number[]; outputSize: number[] };
    if (outputSize[0] === 1 && outputSize[1] === 1) return c.b.node("GlobalAveragePool", [c.input(0)], [], c.outName);
    if (inputSize.some((s, i) => s % outputSize[i] !== 0)) {
      fail(c, `output ${outputSize.join("×")} from input ${inputSize.join("×")} has unequal windows, which ONNX pooling cannot express; use an output size that divides the input size (or 1)`);
    }
    const kernel = inputSize.map((s, i) => s / outputSize[i]);
    return c.b.node("AveragePool", [c.input(0)], [attr.ints("kernel_shape", kernel), attr.ints("strides", kernel)], c.outName);
  },
  batchNorm: (c) => {
    const x = inputTensor(c, 0);
    const channels = x.shape[1];
    const scale = c.op.inputs[1] !== null ? c.input(1) : c.b.filled(1, x.dtype, [channels], "ones");
    const bias = c.op.inputs[2] !== null ? c.input(2) : c.b.filled(0, x.dtype, [channels], "zeros");
    const { eps } = c.op.attrs as { eps: number };
    return c.b.node("BatchNormalization", [c.input(0), scale, bias, c.input(3), c.input(4)], [attr.float("epsilon", eps)], c.outName);
  },
  layerNorm: (c) => {
    const x = inputTensor(c, 0);
    const { axis, eps } = c.op.attrs as { axis: number; eps: number };
    const normalized = x.shape.slice(x.ndim + axis);
    const scale = c.op.inputs[1] !== null ? c.input(1) : c.b.filled(1, x.dtype, normalized, "ones");
    const inputs = [c.input(0), scale];
    if (c.op.inputs[2] !== null) inputs.push(c.input(2));
    return c.b.node("LayerNormalization", inputs, [attr.int("axis", axis), attr.float("epsilon", eps)], c.outName);
  },
};

/**
 * Ops a trace can record that have no export, with the reason the error
 * gives. Every op name in src/ is either in OP_TABLE or here
 * (test/onnx/coverage.test.ts checks it).
 */
export const NOT_EXPORTED: Readonly<Record<string, string>> = {
  crossEntropy: "it is a loss whose class targets the op holds rather than takes as an input, so they would be frozen into the graph; export the model that computes the logits and apply the loss to its output",
  // Steps of composites that report themselves whole under another name.
  conv2d: 'it is a step of a convolution, which reports itself whole as "conv"; reaching it means a convolution ran outside F.conv1d/F.conv2d',
  convTranspose2d: 'it is a step of a transposed convolution, which reports itself whole as "convTranspose"; reaching it means one ran outside F.convTranspose2d',
  unbind: 'it is a step of unbind, whose slices report themselves as "unbindSlice"',
  // Backward-only ops: they appear in gradient graphs, never in a forward pass.
  avgPool2dBackward: "it is the gradient of average pooling, which only backward passes run",
  maxPoolBackward: "it is the gradient of max pooling on the GPU (the scatter onto its argmax), which only backward passes run",
  conv2dWeightGrad: "it is the weight gradient of a convolution, which only backward passes run",
  interpolateBilinearBackward: "it is the gradient of bilinear resizing, which only backward passes run",
  sliceBackward: "it is the gradient of slice, which only backward passes run",
  indexAdd: "it is the gradient of indexSelect, which only backward passes run",
  // Fused forms that step aside while a trace listens, so that the trace records their composite.
  attention: "it is the fused attention core (src/ops/fused-attention.ts), which runs only outside export traces; a trace records its composite of matmul, where and softmax",
};
