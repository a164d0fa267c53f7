/**
 * bp.onnx.exportModel: a module as an ONNX model (opset 17), traced from one
 * forward pass on example inputs. Runs anywhere (no file system); see
 * save.ts for writing a file in Node.
 */
import { ValueError } from "../errors.js";
import { Module } from "../nn/module.js";
import { Tensor } from "../tensor/tensor.js";
import { GraphBuilder, dataTypeOf } from "./graph-builder.js";
import { OP_TABLE } from "./op-table.js";
import { IR_VERSION, encodeModel, type ValueInfoObject } from "./schema.js";
import { traceForward } from "./trace.js";

export interface ExportOptions {
  /** ONNX opset version; 17 is the one written (default 17). */
  opset?: number;
  /** Names of the graph inputs (default "input" for one input, else "input0", "input1", …). */
  inputNames?: readonly string[];
  /** Names of the graph outputs (default "output" for one output, else "output0", …). */
  outputNames?: readonly string[];
  /** Leave dim 0 of inputs and outputs free ("batch") instead of fixing the example's batch size (default true). */
  dynamicBatch?: boolean;
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
  let batch: number | null = null;
  if (dynamicBatch) {
    batch = inputs[0].ndim > 0 ? inputs[0].shape[0] : 0;
    if (inputs.some((t) => t.ndim === 0 || t.shape[0] !== batch)) {
      throw new ValueError(`${op}: dynamicBatch needs every example input to share dim 0 (the batch), got shapes ${inputs.map((t) => JSON.stringify(t.shape)).join(", ")}; pass dynamicBatch: false`);
    }
    if (batch < 2) {
      throw new ValueError(`${op}: dynamicBatch needs an example batch of 2 or more (with 1 the batch dim cannot be told from other size-1 dims), got shape ${JSON.stringify(inputs[0].shape)}; use a larger batch or dynamicBatch: false`);
    }
  }
  const inputNames = checkNames(options.inputNames, inputs.length, "input");

  const weightNames = new Map<Tensor, string>();
  // The live tensors (stateDict() hands out detached views), under their state-dict names.
  for (const [name, t] of [...module.namedParameters(), ...module.namedBuffers()]) if (!weightNames.has(t)) weightNames.set(t, name);

  const build = (examples: readonly Tensor[]) => {
    // Copies, so the trace tells the inputs apart from any tensor the module holds.
    const traceInputs = examples.map((t) => t.detach().clone());
    const trace = traceForward(module, traceInputs);
    const outputs = traceOutputs(trace.output);
    const outputNames = checkNames(options.outputNames, outputs.length, "output");
    const wanted = new Map<Tensor, string>();
    outputs.forEach((t, i) => { if (!wanted.has(t) && trace.ops.has(t)) wanted.set(t, outputNames[i]); });
    const b = new GraphBuilder(trace.ops, OP_TABLE, weightNames, batch, wanted);
    traceInputs.forEach((t, i) => {
      b.bind(t, b.reserve(inputNames[i], "input"));
      if (batch !== null) b.batchDims.set(inputNames[i], 0);
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
  const { b, traceInputs, outputs, outputValues } = build(inputs);
  checkConstants(b, build(inputs.map((t) => (t.ndim > 0 && t.shape[0] > 1 ? t.roll(1, 0) : t))).b);

  const info = (name: string, t: Tensor): ValueInfoObject => {
    const d = b.batchDimOf(name);
    const dim = t.shape.map((s, i) => (i === d ? { dimParam: i === 0 && s === batch ? "batch" : `${name}_dim${i}` } : { dimValue: s }));
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
 * (a comparison, argmax, argsort, a mask built by hand) would be frozen into
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
      `(a comparison, argmax, argsort, sort, or values written by hand); the graph would freeze it to the example's values. Compute it with exportable ops`,
    );
  }
}

function traceOutputs(output: unknown): Tensor[] {
  if (output instanceof Tensor) return [output];
  if (Array.isArray(output) && output.length > 0 && output.every((t) => t instanceof Tensor)) return output as Tensor[];
  throw new ValueError(`onnx.exportModel: the module's forward must return a Tensor or an array of Tensors to export, got ${output === null ? "null" : typeof output}`);
}
