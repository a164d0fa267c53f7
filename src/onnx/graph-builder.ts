/**
 * Builds an ONNX graph from a trace: names values, writes initializers for
 * weights and constants, emits nodes, and follows which dim of each value
 * grows with the batch (so shapes written into the graph can leave it free).
 */
import type { DType } from "../backend/backend.js";
import { ValueError } from "../errors.js";
import { contiguousData } from "../ops/util.js";
import type { Tensor } from "../tensor/tensor.js";
import { ATTRIBUTE_TYPE, DATA_TYPE, type AttributeObject, type NodeObject, type TensorObject } from "./schema.js";
import type { TracedOp } from "./trace.js";

/** Emits the nodes for one traced op and returns the name of the value it produces. */
export type OpHandler = (c: OpContext) => string;

export interface OpContext {
  readonly op: TracedOp;
  readonly b: GraphBuilder;
  /** The value name of the op's i-th input ("" for an absent optional one). */
  input(i: number): string;
  /** The i-th tensor the op saved, as a value (e.g. the index of a gather). */
  saved(i: number): string;
  /** Name the op's final node output must get. */
  readonly outName: string;
  /** Declares which dim of the output grows with the batch (when the default rule does not fit). */
  setBatchDim(dim: number | null): void;
}

export const attr = {
  int: (name: string, i: number): AttributeObject => ({ name, type: ATTRIBUTE_TYPE.INT, i }),
  float: (name: string, f: number): AttributeObject => ({ name, type: ATTRIBUTE_TYPE.FLOAT, f }),
  ints: (name: string, ints: readonly number[]): AttributeObject => ({ name, type: ATTRIBUTE_TYPE.INTS, ints: [...ints] }),
  string: (name: string, s: string): AttributeObject => ({ name, type: ATTRIBUTE_TYPE.STRING, s: new TextEncoder().encode(s) }),
};

export function dataTypeOf(dtype: DType): number {
  return DATA_TYPE[dtype];
}

/** Little-endian bytes of `values` as the given ONNX data type. */
function rawBytes(values: ArrayLike<number>, dtype: DType | "int64"): Uint8Array {
  const n = values.length;
  const width = dtype === "float64" || dtype === "int64" ? 8 : dtype === "bool" ? 1 : 4;
  const out = new Uint8Array(n * width);
  const view = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    switch (dtype) {
      case "float32": view.setFloat32(i * 4, v, true); break;
      case "float64": view.setFloat64(i * 8, v, true); break;
      case "int32": view.setInt32(i * 4, v, true); break;
      case "int64": view.setBigInt64(i * 8, BigInt(v), true); break;
      case "bool": out[i] = v ? 1 : 0; break;
    }
  }
  return out;
}

/** A constant that is `value` everywhere, whose dim `dim` is the batch size. */
export interface BatchFill {
  readonly dim: number;
  readonly value: number;
}

/** A number that is k · batch + m (the element count of a mean over the batch, say). */
export interface BatchAffine {
  readonly k: number;
  readonly m: number;
}

/** Where the batch size comes from at run time (a graph input's dim) and which constants are computed from it. */
export interface BatchPlan {
  readonly input: string;
  readonly dim: number;
  /** Foreign constants, by their order of appearance. */
  readonly fills: ReadonlyMap<number, BatchFill>;
  /** Numbers written through scalar(), by their order. */
  readonly scalars: ReadonlyMap<number, BatchAffine>;
}

export class GraphBuilder {
  readonly nodes: NodeObject[] = [];
  readonly initializers: TensorObject[] = [];
  /** The dim of each value that grows with the batch, or null (absent: none). */
  readonly batchDims = new Map<string, number>();
  /** Initializers from tensors that are neither weights nor written by an op handler (they may come from the input: see export.ts). */
  readonly foreignConstants: TensorObject[] = [];
  /** The tensors behind foreignConstants, in the same order. */
  readonly foreignTensors: Tensor[] = [];
  /** The numbers op handlers wrote through scalar(), in order. */
  readonly opScalars: number[] = [];
  private batchSizeValue: string | null = null;
  private readonly names = new Map<Tensor, string>();
  private readonly taken = new Set<string>();
  private readonly counters = new Map<string, number>();

  constructor(
    private readonly ops: Map<Tensor, TracedOp>,
    private readonly handlers: Readonly<Record<string, OpHandler>>,
    /** Ops that are deliberately not exported, with the reason the error gives. */
    private readonly notExported: Readonly<Record<string, string>>,
    private readonly weightNames: Map<Tensor, string>,
    /** The example batch size when the batch is dynamic, else null. */
    readonly batch: number | null,
    private readonly wantedNames: Map<Tensor, string>,
    /** Where the batch size is read at run time, and what is computed from it (null: a fixed batch). */
    private readonly plan: BatchPlan | null = null,
  ) {}

  /** A value name not used yet, from `base`. */
  fresh(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./:-]/g, "_") || "v";
    if (!this.taken.has(clean)) {
      this.taken.add(clean);
      return clean;
    }
    let n = this.counters.get(clean) ?? 1;
    while (this.taken.has(`${clean}_${n}`)) n++;
    this.counters.set(clean, n + 1);
    const name = `${clean}_${n}`;
    this.taken.add(name);
    return name;
  }

  /** Reserves a name exactly (graph inputs); throws if it is taken. */
  reserve(name: string, what: string): string {
    if (this.taken.has(name)) throw new ValueError(`onnx.exportModel: ${what} name "${name}" is used twice; give each a different name`);
    this.taken.add(name);
    return name;
  }

  bind(t: Tensor, name: string): void {
    this.names.set(t, name);
  }

  has(t: Tensor): boolean {
    return this.names.has(t);
  }

  /** The value name of tensor `t`: a graph input, a weight, an op's output (emitted now) or a constant. */
  value(t: Tensor): string {
    const known = this.names.get(t);
    if (known !== undefined) return known;
    const op = this.ops.get(t);
    const name = op !== undefined ? this.emit(op) : this.constant(t);
    this.names.set(t, name);
    return name;
  }

  /**
   * Writes `t` as an initializer: a weight under its state-dict name, any
   * other constant under a fresh one, except a batch fill, which is computed
   * from the batch size at run time.
   */
  private constant(t: Tensor): string {
    const weight = this.weightNames.get(t);
    const fill = weight === undefined ? this.plan?.fills.get(this.foreignTensors.length) : undefined;
    const name = weight !== undefined ? this.reserve(weight, "weight") : fill !== undefined ? this.filledOverBatch(t, fill) : this.fresh("const");
    const { data, offset } = contiguousData(t);
    const init = { name, dims: [...t.shape], dataType: dataTypeOf(t.dtype), rawData: rawBytes(data.subarray(offset, offset + t.size), t.dtype) };
    if (fill === undefined) this.initializers.push(init);
    if (weight === undefined) {
      this.foreignConstants.push(init);
      this.foreignTensors.push(t);
    }
    return name;
  }

  /** The batch size at run time: a 1-element int64 tensor read from the input's shape. */
  private batchSize(): string {
    if (this.plan === null) throw new Error("onnx export: a value computed from the batch size needs the batch's source");
    const { input, dim } = this.plan;
    this.batchSizeValue ??= this.node("Slice", [this.node("Shape", [input]), this.int64s([dim], "starts"), this.int64s([dim + 1], "ends")], [], this.fresh("batch_size"));
    return this.batchSizeValue;
  }

  /**
   * A number an op handler puts into the graph (x / n in a mean, say). Each
   * is listed, so that export.ts can tell a count of the batch's elements
   * from a true constant; a count becomes k · batch + m at run time.
   */
  scalar(value: number, dtype: DType): string {
    const affine = this.plan?.scalars.get(this.opScalars.length);
    this.opScalars.push(value);
    if (affine === undefined) return this.filled(value, dtype);
    const batch = this.node("Cast", [this.node("Reshape", [this.batchSize(), this.int64s([], "shape")])], [attr.int("to", dataTypeOf(dtype))]);
    const scaled = this.node("Mul", [batch, this.filled(affine.k, dtype)]);
    return affine.m === 0 ? scaled : this.node("Add", [scaled, this.filled(affine.m, dtype)]);
  }

  /** `fill.value` expanded to t's shape with the batch size in `fill.dim` (a zero state sized from the batch, say). */
  private filledOverBatch(t: Tensor, fill: BatchFill): string {
    const parts = [
      ...(fill.dim > 0 ? [this.int64s(t.shape.slice(0, fill.dim), "shape")] : []),
      this.batchSize(),
      ...(fill.dim < t.ndim - 1 ? [this.int64s(t.shape.slice(fill.dim + 1), "shape")] : []),
    ];
    const shape = parts.length === 1 ? parts[0] : this.node("Concat", parts, [attr.int("axis", 0)]);
    const out = this.node("Expand", [this.filled(fill.value, t.dtype), shape], [], this.fresh("batch_fill"));
    this.batchDims.set(out, fill.dim);
    return out;
  }

  /** A 1-D int64 initializer (shapes, axes, slice bounds). */
  int64s(values: readonly number[], base = "const"): string {
    const name = this.fresh(base);
    this.initializers.push({ name, dims: [values.length], dataType: DATA_TYPE.int64, rawData: rawBytes(values, "int64") });
    return name;
  }

  /** A 1-D float32 initializer (Resize scales). */
  float32s(values: readonly number[], base = "const"): string {
    const name = this.fresh(base);
    this.initializers.push({ name, dims: [values.length], dataType: DATA_TYPE.float32, rawData: rawBytes(values, "float32") });
    return name;
  }

  /** An initializer of `shape` filled with `value` in `dtype` (0-d for a scalar). */
  filled(value: number, dtype: DType, shape: readonly number[] = [], base = "const"): string {
    const name = this.fresh(base);
    const size = shape.reduce((a, b) => a * b, 1);
    this.initializers.push({ name, dims: [...shape], dataType: dataTypeOf(dtype), rawData: rawBytes(new Array<number>(size).fill(value), dtype) });
    return name;
  }

  /** Appends a node and returns its (single) output name. */
  node(opType: string, inputs: readonly string[], attributes: AttributeObject[] = [], output?: string, docString?: string): string {
    const out = output ?? this.fresh(opType);
    const node: NodeObject = { input: [...inputs], output: [out], name: this.fresh(`node_${opType}`), opType, attribute: attributes };
    if (docString) node.docString = docString;
    this.nodes.push(node);
    return out;
  }

  /** Appends a node with `count` outputs (TopK's values and indices) and returns their names. */
  nodeOutputs(opType: string, inputs: readonly string[], attributes: AttributeObject[], count: number): string[] {
    const outputs = Array.from({ length: count }, () => this.fresh(opType));
    this.nodes.push({ input: [...inputs], output: outputs, name: this.fresh(`node_${opType}`), opType, attribute: attributes });
    return outputs;
  }

  private emit(op: TracedOp): string {
    const handler = this.handlers[op.name];
    if (handler === undefined) {
      const where = op.module !== "" ? ` in module ${op.module}` : "";
      const why = this.notExported[op.name];
      if (why !== undefined) throw new ValueError(`onnx.exportModel: op "${op.name}"${where} has no ONNX equivalent: ${why}`);
      throw new ValueError(
        `onnx.exportModel: op "${op.name}"${where} has no ONNX mapping (output shape ${JSON.stringify(op.out.shape)}); ` +
        `exportable ops: ${Object.keys(this.handlers).sort().join(", ")}`,
      );
    }
    // Inputs first, so that nodes come out in topological order.
    const inputNames = op.inputs.map((t) => (t === null ? "" : this.value(t)));
    const savedNames: (string | undefined)[] = [];
    const wanted = this.wantedNames.get(op.out);
    const outName = wanted !== undefined ? this.reserve(wanted, "output") : this.fresh(op.name);
    let declared: number | null | undefined;
    const ctx: OpContext = {
      op, b: this, outName,
      input: (i) => inputNames[i] ?? "",
      saved: (i) => (savedNames[i] ??= this.value(op.saved![i])),
      setBatchDim: (d) => { declared = d; },
    };
    const nodesBefore = this.nodes.length;
    const result = handler(ctx);
    if (result !== outName) throw new Error(`onnx export: the handler of "${op.name}" did not produce its output under the given name`);
    // Name the op's nodes after the module that ran them, to find them again in a viewer.
    if (op.module !== "") for (let i = nodesBefore; i < this.nodes.length; i++) this.nodes[i].docString ??= `${op.name} in ${op.module}`;
    const dim = declared !== undefined ? declared : this.defaultBatchDim(op, inputNames);
    if (dim !== null) this.batchDims.set(outName, dim);
    return outName;
  }

  /** Same-rank and broadcasting ops: the output keeps the batch dim of its first input that has one, aligned from the right. */
  private defaultBatchDim(op: TracedOp, inputNames: readonly string[]): number | null {
    for (let i = 0; i < op.inputs.length; i++) {
      const t = op.inputs[i];
      const d = this.batchDims.get(inputNames[i]);
      if (t === null || d === undefined) continue;
      const aligned = d + op.out.ndim - t.ndim;
      if (aligned >= 0 && aligned < op.out.ndim && op.out.shape[aligned] === t.shape[d]) return aligned;
      return null;
    }
    return null;
  }

  batchDimOf(name: string): number | null {
    return this.batchDims.get(name) ?? null;
  }
}
