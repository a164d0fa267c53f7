/**
 * bp.onnx.exportModel: a module as an ONNX model (opset 17), traced from one
 * forward pass on example inputs. Runs anywhere (no file system); see
 * save.ts for writing a file in Node.
 */
import { ValueError } from "../errors.js";
import { Module } from "../nn/module.js";
import { Tensor } from "../tensor/tensor.js";
import { cat } from "../ops/shape.js";
import { contiguousData } from "../ops/util.js";
import { GraphBuilder, dataTypeOf, type BatchAffine, type BatchFill, type BatchPlan } from "./graph-builder.js";
import { NOT_EXPORTED, OP_TABLE } from "./op-table.js";
import { IR_VERSION, encodeModel, type ValueInfoObject } from "./schema.js";
import { traceForward } from "./trace.js";

export interface ExportOptions {
  /** ONNX opset version; 17 is the one written (default 17). */
  opset?: number;
  /** Names of the graph inputs (default "input" for one input, else "input0", "input1", …). */
  inputNames?: readonly string[];
  /** Names of the graph outputs (default "output" for one output, else "output0", …). */
  outputNames?: readonly string[];
  /** Leave the batch dim of inputs and outputs free ("batch") instead of fixing the example's batch size (default true). */
  dynamicBatch?: boolean;
  /** Which dim of every input is the batch (default 0; 1 for sequence-first recurrent layers and attention). */
  batchDim?: number;
}

const SUPPORTED_OPSETS = [17];
const PRODUCER = "backpropagation";

function defaultNames(count: number, base: string): string[] {
  return count === 1 ? [base] : Array.from({ length: count }, (_, i) => `${base}${i}`);
}

function checkNames(given: readonly string[] | undefined, count: number, what: string): string[] {
  if (given === undefined) return defaultNames(count, what);
  if (!Array.isArray(given) || given.length !== count || given.some((n) => typeof n !== "string" || n === "")) {
    throw new ValueError(`onnx.exportModel: ${what}Names must be ${count} non-empty string(s), one per ${what}, got ${JSON.stringify(given)}`);
  }
  return [...given];
}

/** Traces `module` on `exampleInputs` (in eval mode; its mode is restored) and returns the ONNX model's bytes. */
export function exportModel(module: Module, exampleInputs: Tensor | readonly Tensor[], options: ExportOptions = {}): Uint8Array {
  const op = "onnx.exportModel";
  if (!(module instanceof Module)) throw new ValueError(`${op}: expected a bp.nn.Module to export, got ${module === null ? "null" : typeof module}`);
  const opset = options.opset ?? 17;
  if (!SUPPORTED_OPSETS.includes(opset)) {
    throw new ValueError(`${op}: opset ${opset} is not written; supported: ${SUPPORTED_OPSETS.join(", ")}`);
  }
  const inputs = exampleInputs instanceof Tensor ? [exampleInputs] : [...exampleInputs];
  if (inputs.length === 0 || inputs.some((t) => !(t instanceof Tensor))) {
    throw new ValueError(`${op}: exampleInputs must be a Tensor or a non-empty array of Tensors`);
  }
  const dynamicBatch = options.dynamicBatch ?? true;
  const batchDim = options.batchDim ?? 0;
  if (!Number.isInteger(batchDim) || batchDim < 0) throw new ValueError(`${op}: batchDim must be a non-negative integer, got ${JSON.stringify(batchDim)}`);
  let batch: number | null = null;
  if (dynamicBatch) {
    const shapes = inputs.map((t) => JSON.stringify(t.shape)).join(", ");
    if (inputs.some((t) => t.ndim <= batchDim)) {
      throw new ValueError(`${op}: dynamicBatch needs every example input to have the batch dim ${batchDim}, got shapes ${shapes}; pass batchDim or dynamicBatch: false`);
    }
    batch = inputs[0].shape[batchDim];
    if (inputs.some((t) => t.shape[batchDim] !== batch)) {
      throw new ValueError(`${op}: dynamicBatch needs every example input to share dim ${batchDim} (the batch), got shapes ${shapes}; pass dynamicBatch: false`);
    }
    if (batch < 2) {
      throw new ValueError(`${op}: dynamicBatch needs an example batch of 2 or more (with 1 the batch dim cannot be told from other size-1 dims), got shape ${JSON.stringify(inputs[0].shape)}; use a larger batch or dynamicBatch: false`);
    }
  }
  const inputNames = checkNames(options.inputNames, inputs.length, "input");

  const weightNames = new Map<Tensor, string>();
  // The live tensors (stateDict() hands out detached views), under their state-dict names.
  for (const [name, t] of [...module.namedParameters(), ...module.namedBuffers()]) if (!weightNames.has(t)) weightNames.set(t, name);

  const build = (examples: readonly Tensor[], plan: BatchPlan | null = null) => {
    // Copies, so the trace tells the inputs apart from any tensor the module holds.
    const traceInputs = examples.map((t) => t.detach().clone());
    const trace = traceForward(module, traceInputs);
    const outputs = traceOutputs(trace.output);
    const outputNames = checkNames(options.outputNames, outputs.length, "output");
    const wanted = new Map<Tensor, string>();
    outputs.forEach((t, i) => { if (!wanted.has(t) && trace.ops.has(t)) wanted.set(t, outputNames[i]); });
    const b = new GraphBuilder(trace.ops, OP_TABLE, NOT_EXPORTED, weightNames, batch === null ? null : examples[0].shape[batchDim], wanted, plan);
    traceInputs.forEach((t, i) => {
      b.bind(t, b.reserve(inputNames[i], "input"));
      if (batch !== null) b.batchDims.set(inputNames[i], batchDim);
    });
    const outputValues = outputs.map((t, i) => {
      const name = b.value(t);
      if (name === outputNames[i]) return name;
      // An output that is an input, a weight or another output: an Identity gives it its own name.
      const id = b.node("Identity", [name], [], b.reserve(outputNames[i], "output"));
      const d = b.batchDimOf(name);
      if (d !== null) b.batchDims.set(id, d);
      return id;
    });
    return { b, traceInputs, outputs, outputValues };
  };
  let built = build(inputs);
  const along = (t: Tensor) => t.ndim > batchDim && t.shape[batchDim] > 1;
  checkConstants(built.b, build(inputs.map((t) => (along(t) ? t.roll(1, batchDim) : t))).b);
  if (batch !== null) {
    // More rows show what the batch size made: zero states of recurrent layers, the count of a mean over the batch.
    const grow = (extra: number) => build(inputs.map((t) => cat([t, ...new Array<Tensor>(extra).fill(t.narrow(batchDim, 0, 1))], batchDim))).b;
    const grown = grow(1);
    const fills = batchFills(built.b, grown, batch);
    const scalars = batchScalars(built.b, grown, batch, () => grow(2));
    if (fills.size > 0 || scalars.size > 0) built = build(inputs, { input: inputNames[0], dim: batchDim, fills, scalars });
  }
  const { b, traceInputs, outputs, outputValues } = built;

  const info = (name: string, t: Tensor): ValueInfoObject => {
    const d = b.batchDimOf(name);
    const dim = t.shape.map((s, i) => (i === d ? { dimParam: s === batch ? "batch" : `${name}_dim${i}` } : { dimValue: s }));
    return { name, type: { tensorType: { elemType: dataTypeOf(t.dtype), shape: { dim } } } };
  };
  return encodeModel({
    irVersion: IR_VERSION,
    producerName: PRODUCER,
    producerVersion: "",
    opsetImport: [{ domain: "", version: opset }],
    graph: {
      name: module.constructor.name,
      node: b.nodes,
      initializer: b.initializers,
      input: traceInputs.map((t, i) => info(inputNames[i], t)),
      output: outputs.map((t, i) => info(outputValues[i], t)),
    },
  });
}

/**
 * A value the module computed from its input with an op the trace cannot see
 * (values written by hand from .data(), a random draw) would be frozen into
 * the graph as a constant. Tracing again with the batch's rows rotated shows
 * it: such a constant changes, a true constant does not.
 */
function checkConstants(first: GraphBuilder, second: GraphBuilder): void {
  const a = first.foreignConstants, b = second.foreignConstants;
  for (let i = 0; i < a.length; i++) {
    const same = i < b.length && a.length === b.length && a[i].rawData.length === b[i].rawData.length && a[i].rawData.every((v, j) => v === b[i].rawData[j]);
    if (same) continue;
    const user = first.nodes.find((n) => n.input.includes(a[i].name));
    const where = user ? ` read by ${user.docString ?? user.opType}` : "";
    throw new ValueError(
      `onnx.exportModel: a tensor of shape ${JSON.stringify(a[i].dims)}${where} depends on the input values, but was made by an op that is not exported ` +
      `(values written by hand from .data(), a random draw); the graph would freeze it to the example's values. Compute it with tensor ops`,
    );
  }
}

/**
 * Constants of the trace at batch B that are, at batch B + 1, the same
 * single value over a shape one larger in one dim: the batch dim of a fill
 * such as a zero initial state. Any other constant that changes with the
 * batch size would pin the graph to the example's batch, and is an error.
 */
function batchFills(first: GraphBuilder, grown: GraphBuilder, batch: number): Map<number, BatchFill> {
  const fills = new Map<number, BatchFill>();
  const a = first.foreignTensors, b = grown.foreignTensors;
  // Another op sequence at the other batch size: nothing to pair up.
  if (a.length !== b.length) return fills;
  for (let i = 0; i < a.length; i++) {
    const x = a[i], y = b[i];
    const sameShape = x.ndim === y.ndim && x.shape.every((s, j) => s === y.shape[j]);
    if (sameShape && sameValues(first.foreignConstants[i].rawData, grown.foreignConstants[i].rawData)) continue;
    const grownDims = x.ndim === y.ndim ? x.shape.flatMap((s, j) => (s === y.shape[j] ? [] : [j])) : [];
    const value = x.size > 0 ? singleValue(x) : null;
    const dim = grownDims[0];
    if (grownDims.length === 1 && x.shape[dim] === batch && y.shape[dim] === batch + 1 && value !== null && singleValue(y) === value) {
      fills.set(i, { dim, value: value === "NaN" ? NaN : value });
      continue;
    }
    const user = first.nodes.find((n) => n.input.includes(first.foreignConstants[i].name));
    const where = user ? ` read by ${user.docString ?? user.opType}` : "";
    throw new ValueError(
      `onnx.exportModel: a tensor of shape ${JSON.stringify(x.shape)}${where} was made in forward from the batch size (it is ${JSON.stringify(y.shape)} for a batch of ${batch + 1}); ` +
      `the graph would fix the batch to ${batch}. Make it broadcast over the batch (size 1 there), or export with dynamicBatch: false`,
    );
  }
  return fills;
}

/**
 * The numbers op handlers wrote (a mean's count, std's divisor) that change
 * with the batch size. A count k · batch + m (k, m integers, checked at a
 * third batch size) is computed from the batch at run time; anything else
 * would pin the graph to the example's batch, and is an error.
 */
function batchScalars(first: GraphBuilder, grown: GraphBuilder, batch: number, grownTwice: () => GraphBuilder): Map<number, BatchAffine> {
  const scalars = new Map<number, BatchAffine>();
  const a = first.opScalars, b = grown.opScalars;
  if (a.length !== b.length || a.every((v, i) => Object.is(v, b[i]))) return scalars;
  const c = grownTwice().opScalars;
  for (let i = 0; i < a.length; i++) {
    if (Object.is(a[i], b[i])) continue;
    const k = b[i] - a[i];
    const m = a[i] - k * batch;
    if (c.length === a.length && Number.isInteger(k) && Number.isInteger(m) && c[i] === k * (batch + 2) + m) {
      scalars.set(i, { k, m });
      continue;
    }
    throw new ValueError(
      `onnx.exportModel: the number ${a[i]} in the graph depends on the batch size (it is ${b[i]} for a batch of ${batch + 1}) and is not a count of its elements; ` +
      `the graph would fix the batch to ${batch}. Export with dynamicBatch: false`,
    );
  }
  return scalars;
}

function sameValues(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, j) => v === b[j]);
}

/** The one value every element of `t` holds ("NaN" for all NaN), or null when they differ. */
function singleValue(t: Tensor): number | "NaN" | null {
  const { data, offset } = contiguousData(t);
  const first = data[offset];
  for (let i = 1; i < t.size; i++) {
    const v = data[offset + i];
    if (v !== first && !(v !== v && first !== first)) return null;
  }
  return first !== first ? "NaN" : first;
}

function traceOutputs(output: unknown): Tensor[] {
  if (output instanceof Tensor) return [output];
  if (Array.isArray(output) && output.length > 0 && output.every((t) => t instanceof Tensor)) return output as Tensor[];
  throw new ValueError(`onnx.exportModel: the module's forward must return a Tensor or an array of Tensors to export, got ${output === null ? "null" : typeof output}`);
}
