import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import * as bp from "../../src/index.node.js";

const { readIdx, parseIdx } = bp.data;
const tmp = mkdtempSync(join(tmpdir(), "bp-idx-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** IDX bytes written by hand: magic 0x0000 type ndim, big-endian dims, big-endian values. */
function idx(type: number, shape: number[], values: number[], size = 1): Uint8Array {
  const bytes = new Uint8Array(4 + 4 * shape.length + values.length * size);
  const view = new DataView(bytes.buffer);
  bytes[2] = type;
  bytes[3] = shape.length;
  shape.forEach((s, i) => view.setUint32(4 + 4 * i, s, false));
  const start = 4 + 4 * shape.length;
  values.forEach((v, i) => {
    if (type === 0x08) view.setUint8(start + i, v);
    else if (type === 0x09) view.setInt8(start + i, v);
    else if (type === 0x0b) view.setInt16(start + 2 * i, v, false);
    else if (type === 0x0c) view.setInt32(start + 4 * i, v, false);
    else if (type === 0x0d) view.setFloat32(start + 4 * i, v, false);
    else view.setFloat64(start + 8 * i, v, false);
  });
  return bytes;
}

function write(name: string, bytes: Uint8Array, gzip = false): string {
  const path = join(tmp, name);
  writeFileSync(path, gzip ? gzipSync(bytes) : bytes);
  return path;
}

const images = [0, 255, 7, 128, 1, 2, 3, 4, 5, 6, 200, 100];

describe("readIdx", () => {
  it("reads images (0x00000803) and labels (0x00000801), gzipped or not", () => {
    const raw = idx(0x08, [2, 2, 3], images);
    expect(Array.from(raw.subarray(0, 4))).toEqual([0, 0, 8, 3]);
    for (const path of [write("img-idx3-ubyte", raw), write("img-idx3-ubyte.gz", raw, true)]) {
      const t = readIdx(path);
      expect(t.dtype).toBe("int32");
      expect(t.shape).toEqual([2, 2, 3]);
      expect(Array.from(t.data())).toEqual(images);
    }
    const labels = readIdx(write("lab-idx1-ubyte", idx(0x08, [4], [9, 0, 3, 2])));
    expect(labels.shape).toEqual([4]);
    expect(labels.toArray()).toEqual([9, 0, 3, 2]);
    expect(readIdx(write("as-float", raw), { dtype: "float32" }).data()).toEqual(Float32Array.from(images));
  });

  it("reads the other IDX types, big-endian", () => {
    expect(parseIdx(idx(0x09, [3], [-128, -1, 127])).toArray()).toEqual([-128, -1, 127]);
    expect(parseIdx(idx(0x0b, [2], [-30000, 513], 2)).toArray()).toEqual([-30000, 513]);
    expect(parseIdx(idx(0x0c, [1, 2], [-2147483648, 65536], 4)).toArray()).toEqual([[-2147483648, 65536]]);
    const f = parseIdx(idx(0x0d, [2], [0.5, -3.25], 4));
    expect(f.dtype).toBe("float32");
    expect(f.toArray()).toEqual([0.5, -3.25]);
    const d = parseIdx(idx(0x0e, [2], [Math.PI, 1e-300], 8));
    expect(d.dtype).toBe("float64");
    expect(d.toArray()).toEqual([Math.PI, 1e-300]);
  });

  it("a wrong magic number names the file and what was expected", () => {
    const bytes = idx(0x08, [2], [1, 2]);
    bytes[0] = 0x1a; // as if a text or other binary file
    const path = write("bad-magic", bytes);
    expect(() => readIdx(path)).toThrow(bp.DataError);
    expect(() => readIdx(path)).toThrow(
      `readIdx: ${path}: wrong magic number 0x1a000801: an IDX file starts with two zero bytes, a type code (0x08 unsigned byte, 0x09 signed byte, 0x0B short, 0x0C int, 0x0D float, 0x0E double) and the number of dimensions, e.g. 0x00000803 for images and 0x00000801 for labels`,
    );
    expect(() => parseIdx(Uint8Array.from([0, 0, 0x07, 1, 0, 0, 0, 0]))).toThrow(/^readIdx: <bytes>: wrong magic number 0x00000701/);
  });

  it("a truncated body gives the expected and the actual size", () => {
    const whole = idx(0x08, [2, 2, 3], images);
    const path = write("cut-idx3-ubyte.gz", whole.subarray(0, whole.length - 5), true);
    expect(() => readIdx(path)).toThrow(
      `readIdx: ${path}: truncated: the header describes [2,2,3] values of type unsigned byte, so the file should have 28 bytes, but it has 23`,
    );
    expect(() => parseIdx(whole.subarray(0, 9))).toThrow("readIdx: <bytes>: truncated header: 3 dimensions need 16 bytes before the data, but the file has 9");
    expect(() => parseIdx(whole.subarray(0, 2))).toThrow("readIdx: <bytes>: the file has 2 bytes, too short for the 4-byte magic number (truncated?)");
    const long = new Uint8Array(whole.length + 1);
    long.set(whole);
    expect(() => parseIdx(long)).toThrow("readIdx: <bytes>: too long: the header describes [2,2,3] values of type unsigned byte, so the file should have 28 bytes, but it has 29");
  });

  it("a damaged gzip file and a missing file", () => {
    const gz = gzipSync(idx(0x08, [1000], new Array(1000).fill(3)));
    const path = write("damaged.gz", gz.subarray(0, gz.length - 20));
    expect(() => readIdx(path)).toThrow(new RegExp(`^readIdx: ${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: the file starts like gzip data but cannot be decompressed .*; is it truncated\\?$`));
    expect(() => readIdx(join(tmp, "nothing-here"))).toThrow(`readIdx: ${join(tmp, "nothing-here")}: cannot read it (no such file)`);
  });
});
