/**
 * The safetensors format, to and from bytes (pure: no file system, so it
 * works in browsers too).
 *
 * Layout: an 8-byte little-endian unsigned header length N, then N bytes of
 * UTF-8 JSON, then the raw little-endian tensor data. The JSON maps each
 * tensor name to { dtype, shape, data_offsets: [begin, end] } (offsets into
 * the data section) and may hold "__metadata__": { string: string }.
 *
 * What we write is deterministic, so the same state dict always gives the
 * same bytes: tensors in sorted name order, their data packed in that order
 * without gaps, JSON with sorted keys and no spaces, the header padded with
 * spaces to a multiple of 8 bytes (so the data section starts aligned).
 * What we read may come in any order, as long as the offsets tile the data
 * section exactly.
 */
import type { DType, TypedArray } from "../backend/backend.js";
import { DataError } from "../errors.js";
import { Tensor } from "../tensor/tensor.js";
import { formatShape, sizeOf } from "../tensor/shape.js";

export type StateDict = Record<string, Tensor>;
export type Metadata = Record<string, string>;

/** What a safetensors file holds. */
export interface SafetensorsContents {
  tensors: StateDict;
  /** The "__metadata__" entry, or null when the file has none. */
  metadata: Metadata | null;
}

const METADATA_KEY = "__metadata__";

/** Our dtypes and their safetensors names (the ones we write). */
const WRITE_NAMES: Record<DType, string> = { float32: "F32", float64: "F64", int32: "I32", bool: "BOOL" };

/** Every dtype we read: its byte size and the dtype it becomes here. */
interface ReadFormat {
  bytes: number;
  dtype: DType;
}
const READ_FORMATS: Record<string, ReadFormat> = {
  F64: { bytes: 8, dtype: "float64" },
  F32: { bytes: 4, dtype: "float32" },
  F16: { bytes: 2, dtype: "float32" },
  BF16: { bytes: 2, dtype: "float32" },
  I64: { bytes: 8, dtype: "int32" },
  I32: { bytes: 4, dtype: "int32" },
  I16: { bytes: 2, dtype: "int32" },
  I8: { bytes: 1, dtype: "int32" },
  U8: { bytes: 1, dtype: "int32" },
  BOOL: { bytes: 1, dtype: "bool" },
};

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------- writing

/** The safetensors bytes of a state dict (name → tensor), with optional string metadata. */
export function serialize(stateDict: StateDict, metadata?: Metadata | null): Uint8Array {
  const names = checkStateDict("serialize", stateDict);
  const header: Record<string, unknown> = {};
  if (metadata !== undefined && metadata !== null) header[METADATA_KEY] = checkMetadata("serialize", metadata);
  let offset = 0;
  const chunks: Uint8Array[] = [];
  for (const name of names) {
    const t = stateDict[name];
    const raw = littleEndianBytes(t);
    setOwn(header, name, { dtype: WRITE_NAMES[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + raw.length] });
    chunks.push(raw);
    offset += raw.length;
  }
  const json = new TextEncoder().encode(sortedJson(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let pos = 8 + padded;
  for (const chunk of chunks) {
    out.set(chunk, pos);
    pos += chunk.length;
  }
  return out;
}

function checkStateDict(op: string, stateDict: StateDict): string[] {
  if (stateDict === null || typeof stateDict !== "object" || Array.isArray(stateDict) || stateDict instanceof Tensor) {
    throw new TypeError(`${op}: expected a state dict (a plain object of name → Tensor, e.g. model.stateDict()), got ${describe(stateDict)}`);
  }
  const names = Object.keys(stateDict).sort(compareCodePoints);
  for (const name of names) {
    if (!(stateDict[name] instanceof Tensor)) {
      throw new TypeError(`${op}: entry "${name}" is ${describe(stateDict[name])}, not a Tensor; a state dict maps names to tensors`);
    }
    if (name === METADATA_KEY || name === "") {
      throw new DataError(`${op}: "${name}" cannot be a tensor name in safetensors (the empty name and "${METADATA_KEY}" are reserved)`);
    }
  }
  return names;
}

function checkMetadata(op: string, metadata: Metadata): Metadata {
  if (typeof metadata !== "object" || Array.isArray(metadata)) {
    throw new TypeError(`${op}: metadata must be an object of string → string, got ${describe(metadata)}`);
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== "string") {
      throw new TypeError(`${op}: metadata "${key}" is ${describe(value)}; safetensors metadata values must be strings (use JSON.stringify for others)`);
    }
  }
  return metadata;
}

/** A tensor's elements, row-major, as little-endian bytes. */
function littleEndianBytes(t: Tensor): Uint8Array {
  const data = t.data();
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    if (t.dtype === "float32") view.setFloat32(i * 4, data[i], true);
    else if (t.dtype === "float64") view.setFloat64(i * 8, data[i], true);
    else if (t.dtype === "int32") view.setInt32(i * 4, data[i], true);
    else out[i] = data[i];
  }
  return out;
}

/** JSON with keys sorted at every level and no whitespace: one text per header. */
function sortedJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(",")}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort(compareCodePoints);
  return `{${keys.map((k) => `${JSON.stringify(k)}:${sortedJson(record[k])}`).join(",")}}`;
}

/** Orders strings by Unicode code point (as Python and UTF-8 bytes do), not by UTF-16 unit. */
export function compareCodePoints(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.codePointAt(i)!;
    const cb = b.codePointAt(j)!;
    if (ca !== cb) return ca - cb;
    i += ca > 0xffff ? 2 : 1;
    j += cb > 0xffff ? 2 : 1;
  }
  return (a.length - i) - (b.length - j);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (Array.isArray(v)) return "an array";
  if (v instanceof Tensor) return "a Tensor";
  return `a ${typeof v}`;
}

// ---------------------------------------------------------------- reading

/** The tensors stored in safetensors bytes. `source` names the bytes in errors (a file name). */
export function deserialize(bytes: Uint8Array, source = "deserialize"): StateDict {
  return readSafetensors(bytes, source).tensors;
}

/** Tensors and metadata of safetensors bytes, after checking the whole layout. */
export function readSafetensors(bytes: Uint8Array, source = "deserialize"): SafetensorsContents {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`${source}: expected the file's bytes as a Uint8Array, got ${describe(bytes)}`);
  }
  const fail = (what: string): never => {
    throw new DataError(`${source}: not a valid safetensors file: ${what}`);
  };
  if (bytes.length < 8) fail(`it has ${bytes.length} bytes, fewer than the 8-byte header length that starts the format (truncated?)`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(bytes.length - 8)) {
    fail(`the header length field says ${headerLength} bytes, but only ${bytes.length - 8} bytes follow it (truncated, or not safetensors)`);
  }
  const n = Number(headerLength);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    fail(`the ${n}-byte header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) fail("the header must be a JSON object of name → { dtype, shape, data_offsets }");
  const data = bytes.subarray(8 + n);
  const entries = parseEntries(header as Record<string, unknown>, fail);
  checkTiling(entries, data.length, fail);

  const tensors: StateDict = {};
  for (const e of entries) setOwn(tensors, e.name, decodeTensor(e, data.subarray(e.begin, e.end), fail));
  const rawMeta = (header as Record<string, unknown>)[METADATA_KEY];
  return { tensors, metadata: rawMeta === undefined ? null : parseMetadata(rawMeta, fail) };
}

interface Entry {
  name: string;
  dtypeName: string;
  format: ReadFormat;
  shape: number[];
  begin: number;
  end: number;
}

function parseEntries(header: Record<string, unknown>, fail: (what: string) => never): Entry[] {
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === METADATA_KEY) continue;
    if (info === null || typeof info !== "object") fail(`tensor "${name}": expected { dtype, shape, data_offsets }, got ${JSON.stringify(info)}`);
    const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
    if (typeof dtype !== "string" || !(dtype in READ_FORMATS)) {
      fail(`tensor "${name}": unknown dtype ${JSON.stringify(dtype)}; this reader knows ${Object.keys(READ_FORMATS).join(", ")}`);
    }
    if (!isIntArray(shape)) fail(`tensor "${name}": shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    if (!isIntArray(offsets) || offsets.length !== 2) fail(`tensor "${name}": data_offsets must be [begin, end] integers, got ${JSON.stringify(offsets)}`);
    const format = READ_FORMATS[dtype as string];
    const [begin, end] = offsets as number[];
    const expected = sizeOf(shape as number[]) * format.bytes;
    if (end - begin !== expected) {
      fail(`tensor "${name}": data_offsets [${begin}, ${end}] span ${end - begin} bytes, but shape ${formatShape(shape as number[])} of ${dtype} needs ${expected}`);
    }
    entries.push({ name, dtypeName: dtype as string, format, shape: shape as number[], begin, end });
  }
  return entries;
}

function isIntArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => Number.isSafeInteger(x) && x >= 0);
}

/** The tensors' byte ranges must cover the data section exactly: no overlap, no gap, nothing past the end. */
function checkTiling(entries: Entry[], dataLength: number, fail: (what: string) => never): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const e of sorted) {
    if (e.end > dataLength) {
      fail(`tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] run past the end of the data section (${dataLength} bytes; truncated file?)`);
    }
    if (e.begin < pos) fail(`tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] overlap the previous tensor, which ends at ${pos}`);
    if (e.begin > pos) fail(`tensor "${e.name}": data_offsets start at ${e.begin}, leaving a gap after byte ${pos} of the data section`);
    pos = e.end;
  }
  if (pos !== dataLength) fail(`the tensors cover ${pos} bytes of data, but the data section has ${dataLength} (extra bytes at the end)`);
}

function parseMetadata(raw: unknown, fail: (what: string) => never): Metadata {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) fail(`"${METADATA_KEY}" must be an object of string → string`);
  const out: Metadata = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof v !== "string") fail(`"${METADATA_KEY}" entry "${k}" must be a string, got ${JSON.stringify(v)}`);
    setOwn(out, k, v as string);
  }
  return out;
}

/** obj[key] = value, also for the key "__proto__" (which plain assignment takes as the prototype). */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function decodeTensor(e: Entry, raw: Uint8Array, fail: (what: string) => never): Tensor {
  const count = sizeOf(e.shape);
  let storage: TypedArray;
  // Fast path: copy the bytes into a buffer of their own (the data section need
  // not be aligned for a view; `new Uint8Array(x)` copies even a Node Buffer,
  // whose slice() would not) and view them.
  if (e.dtypeName === "BOOL") storage = new Uint8Array(raw);
  else if (LITTLE_ENDIAN_HOST && e.dtypeName === "F32") storage = new Float32Array(new Uint8Array(raw).buffer);
  else if (LITTLE_ENDIAN_HOST && e.dtypeName === "F64") storage = new Float64Array(new Uint8Array(raw).buffer);
  else if (LITTLE_ENDIAN_HOST && e.dtypeName === "I32") storage = new Int32Array(new Uint8Array(raw).buffer);
  else storage = convert(e, raw, count, fail);
  return new Tensor(storage, e.shape, e.format.dtype);
}

/**
 * Element by element through a DataView: for dtypes we read but do not have
 * (half floats, other integer widths), and for big-endian hosts.
 */
function convert(e: Entry, bytes: Uint8Array, count: number, fail: (what: string) => never): TypedArray {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = e.format.dtype === "float64" ? new Float64Array(count) : e.format.dtype === "float32" ? new Float32Array(count) : new Int32Array(count);
  switch (e.dtypeName) {
    case "F64": for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true); break;
    case "F32": for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true); break;
    case "F16": for (let i = 0; i < count; i++) out[i] = float16ToNumber(view.getUint16(i * 2, true)); break;
    case "BF16": for (let i = 0; i < count; i++) out[i] = bfloat16ToNumber(view.getUint16(i * 2, true)); break;
    case "I32": for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true); break;
    case "I16": for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true); break;
    case "I8": for (let i = 0; i < count; i++) out[i] = view.getInt8(i); break;
    case "U8": for (let i = 0; i < count; i++) out[i] = view.getUint8(i); break;
    case "I64":
      for (let i = 0; i < count; i++) {
        const v = view.getBigInt64(i * 8, true);
        if (v > 2147483647n || v < -2147483648n) fail(`tensor "${e.name}": I64 value ${v} at element ${i} does not fit in int32, the widest integer dtype here`);
        out[i] = Number(v);
      }
      break;
  }
  return out;
}

function float16ToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const BF16_SCRATCH = new DataView(new ArrayBuffer(4));
function bfloat16ToNumber(h: number): number {
  // bfloat16 is the top half of a float32.
  BF16_SCRATCH.setUint32(0, h << 16);
  return BF16_SCRATCH.getFloat32(0);
}
