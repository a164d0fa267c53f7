/** Property tests (fast-check) for the loader's batching. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";

describe("DataLoader properties", () => {
  it("for any size, batch size, shuffle and dropLast: the promised batch count and sizes, each item at most once, all of them unless dropped", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 12 }), fc.boolean(), fc.boolean(), fc.integer(), (n, batchSize, shuffle, dropLast, seed) => {
        const ds = new bp.data.TensorDataset(bp.arange(n).to("float32").unsqueeze(1), bp.arange(n));
        const loader = new bp.data.DataLoader(ds, { batchSize, shuffle, dropLast, generator: new bp.Generator(seed) });
        const batches = [...loader];
        expect(batches.length).toBe(loader.length);
        expect(loader.length).toBe(dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize));
        const seen: number[] = [];
        batches.forEach(([x, y], i) => {
          const expected = i < batches.length - 1 || dropLast || n % batchSize === 0 ? batchSize : n % batchSize;
          expect(y.shape).toEqual([expected]);
          expect(Array.from(x.data())).toEqual(Array.from(y.data()));
          seen.push(...y.data());
        });
        expect(new Set(seen).size).toBe(seen.length);
        expect(seen.length).toBe(dropLast ? loader.length * batchSize : n);
        if (!shuffle) expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i));
      }),
      { numRuns: 150 },
    );
  });
});
