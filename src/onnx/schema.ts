/**
 * The part of the ONNX protobuf schema (onnx.proto, IR version 8) that an
 * exported model uses, as a protobufjs reflection descriptor. Field numbers
 * are onnx.proto's; field names are ours (they never reach the wire).
 */
import protobuf from "protobufjs/light.js";

/** onnx.proto's TensorProto.DataType values for the dtypes we write. */
export const DATA_TYPE = { float32: 1, int32: 6, int64: 7, bool: 9, float64: 11 } as const;

/** onnx.proto's AttributeProto.AttributeType values we write. */
export const ATTRIBUTE_TYPE = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

/** ONNX IR version 8 goes with opset 17 (ONNX 1.12). */
export const IR_VERSION = 8;

const repeated = (type: string, id: number) => ({ rule: "repeated", type, id });

const DESCRIPTOR = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: { type: "int64", id: 1 },
            producerName: { type: "string", id: 2 },
            producerVersion: { type: "string", id: 3 },
            domain: { type: "string", id: 4 },
            modelVersion: { type: "int64", id: 5 },
            docString: { type: "string", id: 6 },
            graph: { type: "GraphProto", id: 7 },
            opsetImport: repeated("OperatorSetIdProto", 8),
          },
        },
        OperatorSetIdProto: {
          fields: { domain: { type: "string", id: 1 }, version: { type: "int64", id: 2 } },
        },
        GraphProto: {
          fields: {
            node: repeated("NodeProto", 1),
            name: { type: "string", id: 2 },
            initializer: repeated("TensorProto", 5),
            docString: { type: "string", id: 10 },
            input: repeated("ValueInfoProto", 11),
            output: repeated("ValueInfoProto", 12),
            valueInfo: repeated("ValueInfoProto", 13),
          },
        },
        NodeProto: {
          fields: {
            input: repeated("string", 1),
            output: repeated("string", 2),
            name: { type: "string", id: 3 },
            opType: { type: "string", id: 4 },
            attribute: repeated("AttributeProto", 5),
            docString: { type: "string", id: 6 },
            domain: { type: "string", id: 7 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: "string", id: 1 },
            f: { type: "float", id: 2 },
            i: { type: "int64", id: 3 },
            s: { type: "bytes", id: 4 },
            t: { type: "TensorProto", id: 5 },
            floats: repeated("float", 7),
            ints: repeated("int64", 8),
            type: { type: "int32", id: 20 },
          },
        },
        TensorProto: {
          fields: {
            dims: repeated("int64", 1),
            dataType: { type: "int32", id: 2 },
            name: { type: "string", id: 8 },
            rawData: { type: "bytes", id: 9 },
            docString: { type: "string", id: 12 },
          },
        },
        ValueInfoProto: {
          fields: { name: { type: "string", id: 1 }, type: { type: "TypeProto", id: 2 }, docString: { type: "string", id: 3 } },
        },
        TypeProto: {
          fields: { tensorType: { type: "TensorTypeProto", id: 1 } },
        },
        // onnx.proto's TypeProto.Tensor, flattened to a top-level name.
        TensorTypeProto: {
          fields: { elemType: { type: "int32", id: 1 }, shape: { type: "TensorShapeProto", id: 2 } },
        },
        TensorShapeProto: {
          fields: { dim: repeated("DimensionProto", 1) },
        },
        // onnx.proto's TensorShapeProto.Dimension: a fixed size or a symbolic name.
        DimensionProto: {
          fields: { dimValue: { type: "int64", id: 1 }, dimParam: { type: "string", id: 2 } },
        },
      },
    },
  },
};

// ---- plain objects the exporter builds (the encoder reads them as they are)

export interface TensorObject {
  dims: number[];
  dataType: number;
  name: string;
  rawData: Uint8Array;
}

export interface AttributeObject {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorObject;
  floats?: number[];
  ints?: number[];
}

export interface NodeObject {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  attribute: AttributeObject[];
  docString?: string;
}

export interface ValueInfoObject {
  name: string;
  type: { tensorType: { elemType: number; shape: { dim: ({ dimValue: number } | { dimParam: string })[] } } };
}

export interface GraphObject {
  node: NodeObject[];
  name: string;
  initializer: TensorObject[];
  input: ValueInfoObject[];
  output: ValueInfoObject[];
}

export interface ModelObject {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  graph: GraphObject;
  opsetImport: { domain: string; version: number }[];
}

let modelType: protobuf.Type | null = null;

/** The protobuf bytes of an ONNX ModelProto. */
export function encodeModel(model: ModelObject): Uint8Array {
  modelType ??= protobuf.Root.fromJSON(DESCRIPTOR).lookupType("onnx.ModelProto");
  const bytes = modelType.encode(model).finish();
  // In Node protobufjs hands back a Buffer; callers get a plain Uint8Array everywhere.
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** Decodes bytes written by encodeModel (for tests and tools; int64 fields come back as numbers). */
export function decodeModel(bytes: Uint8Array): ModelObject {
  modelType ??= protobuf.Root.fromJSON(DESCRIPTOR).lookupType("onnx.ModelProto");
  return modelType.toObject(modelType.decode(bytes), { longs: Number }) as ModelObject;
}
