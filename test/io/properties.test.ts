/** Property tests (fast-check): the safetensors round trip, any names (all of Unicode), dtypes and shapes. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";
import { readSafetensors } from "../../src/io/index.js";

const dtypeArb = fc.constantFrom<bp.DType>("float32", "float64", "int32", "bool");
const shapeArb = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 });
const nameArb = fc.string({ minLength: 1, maxLength: 8, unit: "binary" }).filter((s) => s !== "__metadata__");

describe("safetensors properties", () => {
  it("deserialize(serialize(sd)) gives back every tensor exactly, and serialize is order-independent", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(nameArb, dtypeArb, shapeArb, fc.integer()), { selector: (e) => e[0], maxLength: 6 }), fc.dictionary(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), { maxKeys: 3 }), (entries, metadata) => {
        const sd: Record<string, bp.Tensor> = {};
        for (const [name, dtype, shape, seed] of entries) {
          const g = new bp.Generator(seed);
          const t = dtype === "bool" ? bp.rand(shape, { generator: g }).gt(0.5) : dtype === "int32" ? bp.randint(-1000, 1000, shape, { generator: g }) : bp.randn(shape, { dtype, generator: g });
          sd[name] = t;
        }
        const bytes = bp.serialize(sd, metadata);
        expect(new DataView(bytes.buffer).getBigUint64(0, true) % 8n).toBe(0n);
        const { tensors: back, metadata: metaBack } = readSafetensors(bytes);
        expect(metaBack).toEqual({ ...metadata });
        expect(Object.keys(back).sort()).toEqual(Object.keys(sd).sort());
        for (const [name, t] of Object.entries(sd)) {
          expect(back[name].dtype).toBe(t.dtype);
          expect(back[name].shape).toEqual(t.shape);
          expect(Array.from(back[name].data())).toEqual(Array.from(t.data()));
        }
        const reversed = Object.fromEntries(Object.entries(sd).reverse());
        expect(Buffer.from(bp.serialize(reversed, metadata)).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});
