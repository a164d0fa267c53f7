import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as bp from "../../src/index.node.js";
import { readSafetensors } from "../../src/io/index.js";
import { loadWithMetadata } from "../../src/io/file.js";

const FIXTURES = new URL("../fixtures/safetensors/", import.meta.url);
type Expected = Record<string, { tensors: Record<string, { dtype: bp.DType; shape: number[]; values: (number | string)[] }>; metadata: Record<string, string> | null }>;
const expected = JSON.parse(readFileSync(new URL("expected.json", FIXTURES), "utf8")) as Expected;
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`${name}.safetensors`, FIXTURES)));

/** The fixture's state dict, built from the exact values gen_safetensors.py recorded. */
function stateDictOf(name: string): Record<string, bp.Tensor> {
  const out: Record<string, bp.Tensor> = {};
  for (const [key, t] of Object.entries(expected[name].tensors)) {
    const flat = bp.tensor(t.values.map(Number), { dtype: t.dtype });
    out[key] = flat.reshape(t.shape);
  }
  return out;
}

function expectSameTensors(actual: Record<string, bp.Tensor>, name: string): void {
  const want = expected[name].tensors;
  expect(Object.keys(actual).sort()).toEqual(Object.keys(want).sort());
  for (const [key, t] of Object.entries(want)) {
    expect(actual[key].dtype, key).toBe(t.dtype);
    expect(actual[key].shape, key).toEqual(t.shape);
    expect(Array.from(actual[key].data()), key).toEqual(t.values.map(Number));
  }
}

const tmp = mkdtempSync(join(tmpdir(), "bp-safetensors-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("serialize matches the reference files byte for byte", () => {
  for (const name of ["mlp_f32", "mixed", "empty_metadata", "no_tensors"]) {
    it(name, () => {
      const bytes = bp.serialize(stateDictOf(name), expected[name].metadata);
      expect(Buffer.from(bytes).equals(Buffer.from(fixture(name)))).toBe(true);
    });
  }

  it("is independent of the order in which names were inserted", () => {
    const sd = stateDictOf("mlp_f32");
    const reversed = Object.fromEntries(Object.entries(sd).reverse());
    expect(Buffer.from(bp.serialize(reversed)).equals(Buffer.from(fixture("mlp_f32")))).toBe(true);
  });

  it("writes views (transposed, narrowed) as their row-major values", () => {
    const base = bp.tensor([[1, 2, 3], [4, 5, 6]]);
    const back = bp.deserialize(bp.serialize({ t: base.T, n: base.narrow(1, 1, 2) }));
    expect(back.t.toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(back.n.toArray()).toEqual([[2, 3], [5, 6]]);
  });
});

describe("deserialize reads the reference files exactly", () => {
  for (const name of ["mlp_f32", "mixed", "empty_metadata", "no_tensors", "foreign_order"]) {
    it(name, () => {
      const { tensors, metadata } = readSafetensors(fixture(name));
      expectSameTensors(tensors, name);
      expect(metadata).toEqual(expected[name].metadata);
    });
  }

  it('keeps a tensor or metadata key named "__proto__" as an ordinary key', () => {
    const sd = JSON.parse('{"__proto__": null}') as Record<string, bp.Tensor>;
    sd["__proto__"] = bp.tensor([1, 2]); // an own property, as JSON.parse made it
    const metadata = JSON.parse('{"__proto__": "x"}') as Record<string, string>;
    const { tensors, metadata: back } = readSafetensors(bp.serialize(sd, metadata));
    expect(Object.keys(tensors)).toEqual(["__proto__"]);
    expect(tensors["__proto__"].toArray()).toEqual([1, 2]);
    expect(Object.getPrototypeOf(tensors)).toBe(Object.prototype);
    expect(Object.entries(back!)).toEqual([["__proto__", "x"]]);
  });

  it("returns tensors that own their memory (not views of the file's bytes)", () => {
    const bytes = fixture("mlp_f32");
    const sd = bp.deserialize(bytes);
    const before = sd["0.bias"].toArray();
    bytes.fill(0);
    expect(sd["0.bias"].toArray()).toEqual(before);
  });

  it("reads dtypes other writers use (F16, BF16, I64, U8) into ours", () => {
    const header = JSON.stringify({
      h: { dtype: "F16", shape: [3], data_offsets: [0, 6] },
      b: { dtype: "BF16", shape: [2], data_offsets: [6, 10] },
      l: { dtype: "I64", shape: [2], data_offsets: [10, 26] },
      u: { dtype: "U8", shape: [2], data_offsets: [26, 28] },
    });
    const data = new DataView(new ArrayBuffer(28));
    [0x3c00, 0xc000, 0x3555].forEach((h, i) => data.setUint16(i * 2, h, true)); // 1, -2, 0.333251953125
    [0x3f80, 0x4049].forEach((h, i) => data.setUint16(6 + i * 2, h, true)); // 1, 3.140625
    data.setBigInt64(10, -5n, true);
    data.setBigInt64(18, 2147483647n, true);
    data.setUint8(26, 255);
    data.setUint8(27, 7);
    const sd = bp.deserialize(assemble(header, new Uint8Array(data.buffer)));
    expect(Array.from(sd.h.data())).toEqual([1, -2, 0.333251953125]);
    expect(sd.h.dtype).toBe("float32");
    expect(Array.from(sd.b.data())).toEqual([1, 3.140625]);
    expect(sd.l.dtype).toBe("int32");
    expect(Array.from(sd.l.data())).toEqual([-5, 2147483647]);
    expect(Array.from(sd.u.data())).toEqual([255, 7]);
  });
});

/** safetensors bytes from a header text and a data section (header padded with spaces). */
function assemble(header: string, data: Uint8Array, lengthField?: number): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(lengthField ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe("corrupted bytes give a DataError that says what is wrong", () => {
  const f32 = (n: number) => new Uint8Array(n * 4);
  const cases: [string, () => Uint8Array, RegExp][] = [
    ["fewer than 8 bytes", () => new Uint8Array(5), /it has 5 bytes, fewer than the 8-byte header length/],
    ["header length past the end", () => assemble("{}", new Uint8Array(0), 1000), /header length field says 1000 bytes, but only 2 bytes follow/],
    ["bad JSON", () => assemble('{"a": {', new Uint8Array(0)), /the 7-byte header is not valid UTF-8 JSON/],
    ["header not an object", () => assemble("[1,2]", new Uint8Array(0)), /the header must be a JSON object/],
    ["unknown dtype", () => assemble('{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}', f32(2)), /tensor "a": unknown dtype "C64"; this reader knows F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL/],
    ["negative shape", () => assemble('{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', f32(1)), /tensor "a": shape must be an array of non-negative integers, got \[-1\]/],
    ["offsets not a pair", () => assemble('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}', f32(1)), /tensor "a": data_offsets must be \[begin, end\] integers, got \[0\]/],
    ["size not shape × dtype", () => assemble('{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}', f32(3)), /tensor "a": data_offsets \[0, 12\] span 12 bytes, but shape \[2,2\] of F32 needs 16/],
    ["offsets past the data", () => assemble('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', f32(1)), /tensor "a": data_offsets \[0, 8\] run past the end of the data section \(4 bytes; truncated file\?\)/],
    ["overlap", () => assemble('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', f32(2)), /tensor "b": data_offsets \[4, 8\] overlap the previous tensor, which ends at 8/],
    ["gap", () => assemble('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', f32(2)), /tensor "a": data_offsets start at 4, leaving a gap after byte 0/],
    ["extra bytes", () => assemble('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', f32(2)), /the tensors cover 4 bytes of data, but the data section has 8/],
    ["metadata not strings", () => assemble('{"__metadata__":{"epoch":3}}', new Uint8Array(0)), /"__metadata__" entry "epoch" must be a string, got 3/],
    ["I64 out of int32 range", () => {
      const d = new DataView(new ArrayBuffer(8));
      d.setBigInt64(0, 2n ** 40n, true);
      return assemble('{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}', new Uint8Array(d.buffer));
    }, /tensor "a": I64 value 1099511627776 at element 0 does not fit in int32/],
  ];
  for (const [what, make, message] of cases) {
    it(what, () => {
      let error: unknown;
      try {
        bp.deserialize(make());
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(bp.DataError);
      expect((error as Error).message).toMatch(/^deserialize: not a valid safetensors file: /);
      expect((error as Error).message).toMatch(message);
    });
  }

  it("a truncated reference file names the file", () => {
    const path = join(tmp, "cut.safetensors");
    const whole = fixture("mixed");
    writeFileSync(path, whole.subarray(0, whole.length - 3));
    expect(() => bp.load(path)).toThrow(new RegExp(`^load: ${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: not a valid safetensors file: tensor "f_special": data_offsets \\[55, 71\\] run past the end of the data section \\(68 bytes`));
  });

  it("a missing file says so", () => {
    expect(() => bp.load(join(tmp, "nope.safetensors"))).toThrow(/load: .*nope\.safetensors: cannot read it \(no such file\)/);
  });
});

describe("serialize rejects what safetensors cannot hold", () => {
  it("non-tensor entries, reserved names and non-string metadata", () => {
    expect(() => bp.serialize({ w: [1, 2] as unknown as bp.Tensor })).toThrow('serialize: entry "w" is an array, not a Tensor');
    expect(() => bp.serialize({ __metadata__: bp.zeros([1]) })).toThrow(/"__metadata__" cannot be a tensor name/);
    expect(() => bp.serialize({ w: bp.zeros([1]) }, { epoch: 3 as unknown as string })).toThrow('serialize: metadata "epoch" is a number; safetensors metadata values must be strings');
    expect(() => bp.serialize(bp.zeros([1]) as unknown as Record<string, bp.Tensor>)).toThrow("serialize: expected a state dict (a plain object of name → Tensor, e.g. model.stateDict()), got a Tensor");
  });
});

describe("save and load", () => {
  it("round-trip a state dict with metadata, and leave no temporary file", () => {
    bp.manualSeed(3);
    const sd = { "layer.weight": bp.randn([5, 7]), "layer.bias": bp.randn([7], { dtype: "float64" }), steps: bp.tensor([3], { dtype: "int32" }) };
    const path = join(tmp, "model.safetensors");
    bp.save(sd, path, { epoch: "2" });
    expect(readdirSync(tmp).filter((f) => f.includes("model"))).toEqual(["model.safetensors"]);
    const { tensors, metadata } = loadWithMetadata(path);
    expect(metadata).toEqual({ epoch: "2" });
    for (const [k, t] of Object.entries(sd)) {
      expect(tensors[k].dtype).toBe(t.dtype);
      expect(tensors[k].shape).toEqual(t.shape);
      expect(Array.from(tensors[k].data())).toEqual(Array.from(t.data()));
    }
    expect(Buffer.from(readFileSync(path)).equals(Buffer.from(bp.serialize(sd, { epoch: "2" })))).toBe(true);
  });

  it("replaces an existing file whole", () => {
    const path = join(tmp, "replace.safetensors");
    bp.save({ a: bp.zeros([1000]) }, path);
    bp.save({ b: bp.ones([2]) }, path);
    expect(Object.keys(bp.load(path))).toEqual(["b"]);
    expect(readdirSync(tmp).filter((f) => f.includes("replace"))).toEqual(["replace.safetensors"]);
  });

  it("fails clearly, leaving nothing behind, when it cannot write", () => {
    expect(() => bp.save({ a: bp.zeros([1]) }, join(tmp, "no-such-dir", "m.safetensors"))).toThrow(/save: .*m\.safetensors: the folder .*no-such-dir does not exist/);
    // Renaming a file over a non-empty folder fails: the temporary file must be removed.
    const dirAsTarget = join(tmp, "a-folder");
    mkdirSync(join(dirAsTarget, "inside"), { recursive: true });
    expect(() => bp.save({ a: bp.zeros([1]) }, dirAsTarget)).toThrow(/save: .*a-folder: could not write the file/);
    expect(readdirSync(tmp).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});
