/**
 * The IDX format of MNIST and Fashion-MNIST: a 4-byte magic number
 * (two zero bytes, a type code, the number of dimensions), one big-endian
 * uint32 per dimension, then the values, big-endian, row-major.
 * Images are type 0x08 (unsigned bytes) with 3 dimensions (magic
 * 0x00000803); labels are unsigned bytes with 1 dimension (0x00000801).
 */
import type { DType } from "../backend/backend.js";
import { DataError } from "../errors.js";
import { allocate } from "../tensor/dtype.js";
import { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../tensor/shape.js";
import { displayPath, readDataFile } from "./read-file.js";

export interface IdxOptions {
  /** dtype of the result. Default: int32 for integer files, float32/float64 for float files. */
  dtype?: "int32" | "float32" | "float64";
}

interface IdxType {
  name: string;
  bytes: number;
  dtype: DType;
}

const TYPES: Record<number, IdxType> = {
  0x08: { name: "unsigned byte", bytes: 1, dtype: "int32" },
  0x09: { name: "signed byte", bytes: 1, dtype: "int32" },
  0x0b: { name: "short", bytes: 2, dtype: "int32" },
  0x0c: { name: "int", bytes: 4, dtype: "int32" },
  0x0d: { name: "float", bytes: 4, dtype: "float32" },
  0x0e: { name: "double", bytes: 8, dtype: "float64" },
};

/** Reads an IDX file (gzip or not) into a tensor of its shape. */
export function readIdx(file: string | URL, options: IdxOptions = {}): Tensor {
  const bytes = readDataFile(file, "readIdx", { name: "bp.data.readIdx", inBrowser: "pass the file's bytes to bp.data.parseIdx (after gunzipping them, e.g. with DecompressionStream)" });
  return parseIdx(bytes, options, displayPath(file));
}

/** Parses IDX bytes (already decompressed). `source` names them in errors. */
export function parseIdx(bytes: Uint8Array, options: IdxOptions = {}, source = "<bytes>"): Tensor {
  const fail = (what: string): never => {
    throw new DataError(`readIdx: ${source}: ${what}`);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4) fail(`the file has ${bytes.length} bytes, too short for the 4-byte magic number (truncated?)`);
  const magic = view.getUint32(0, false);
  const type = TYPES[bytes[2]];
  const ndim = bytes[3];
  if (bytes[0] !== 0 || bytes[1] !== 0 || type === undefined || ndim === 0) {
    fail(
      `wrong magic number 0x${magic.toString(16).padStart(8, "0")}: an IDX file starts with two zero bytes, a type code ` +
        `(0x08 unsigned byte, 0x09 signed byte, 0x0B short, 0x0C int, 0x0D float, 0x0E double) and the number of dimensions, ` +
        `e.g. 0x00000803 for images and 0x00000801 for labels`,
    );
  }
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    fail(`truncated header: ${ndim} dimensions need ${headerBytes} bytes before the data, but the file has ${bytes.length}`);
  }
  const shape: number[] = [];
  for (let d = 0; d < ndim; d++) shape.push(view.getUint32(4 + 4 * d, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = headerBytes + count * type.bytes;
  if (bytes.length !== expected) {
    const problem = bytes.length < expected ? "truncated" : "too long";
    fail(`${problem}: the header describes ${formatShape(shape)} values of type ${type.name}, so the file should have ${expected} bytes, but it has ${bytes.length}`);
  }
  const out = allocate(options.dtype ?? type.dtype, count) as Float32Array | Float64Array | Int32Array;
  decodeValues(view, headerBytes, bytes[2], count, out);
  return new Tensor(out, shape, options.dtype ?? type.dtype);
}

/** Big-endian values into `out` (one loop per type, so nothing is decided per element). */
function decodeValues(view: DataView, start: number, code: number, count: number, out: Float32Array | Float64Array | Int32Array): void {
  switch (code) {
    case 0x08: out.set(new Uint8Array(view.buffer, view.byteOffset + start, count)); break;
    case 0x09: out.set(new Int8Array(view.buffer, view.byteOffset + start, count)); break;
    case 0x0b: for (let i = 0; i < count; i++) out[i] = view.getInt16(start + 2 * i, false); break;
    case 0x0c: for (let i = 0; i < count; i++) out[i] = view.getInt32(start + 4 * i, false); break;
    case 0x0d: for (let i = 0; i < count; i++) out[i] = view.getFloat32(start + 4 * i, false); break;
    case 0x0e: for (let i = 0; i < count; i++) out[i] = view.getFloat64(start + 8 * i, false); break;
  }
}
