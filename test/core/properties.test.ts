/** Property tests (fast-check): broadcasting, shape round trips, reductions, softmax, matmul against simple references. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";
import type { Tensor } from "../../src/index.js";

const RUNS = { numRuns: 150, seed: 20261129 };

const shapeArb = (maxRank = 4, maxDim = 4) => fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: 0, maxLength: maxRank });

/** The broadcast shape by the textbook rule, or null. */
function referenceBroadcast(a: number[], b: number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    out.push(Math.max(da, db));
  }
  return out;
}

/** Row-major flat index of `idx` in `shape`, reading broadcast (size-1 or missing) dims at 0. */
function broadcastIndex(idx: number[], shape: number[]): number {
  let flat = 0;
  const lead = idx.length - shape.length;
  for (let d = 0; d < shape.length; d++) flat = flat * shape[d] + (shape[d] === 1 ? 0 : idx[lead + d]);
  return flat;
}

function unravel(flat: number, shape: number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) { idx[d] = flat % shape[d]; flat = Math.floor(flat / shape[d]); }
  return idx;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const iota = (shape: number[], scale = 1) => bp.fromStorage(Float64Array.from({ length: size(shape) }, (_, i) => (i + 1) * scale), shape);

/** A shape b that often broadcasts with a: a suffix of a with some dims replaced by 1 (or, sometimes, not compatible). */
const pairArb = shapeArb().chain((a) =>
  fc.tuple(
    fc.constant(a),
    fc.integer({ min: 0, max: a.length }),
    fc.array(fc.integer({ min: 0, max: 5 }), { minLength: a.length, maxLength: a.length }),
  ).map(([a, drop, choice]) => [a, a.slice(drop).map((s, i) => (choice[i + drop] === 0 ? 1 : choice[i + drop] === 5 ? s + 1 : s))] as const),
);

describe("broadcasting", () => {
  it("result shapes agree with the textbook rule, and incompatible shapes throw a ShapeError", () => {
    fc.assert(fc.property(shapeArb(), shapeArb(), (a, b) => {
      const expected = referenceBroadcast(a, b);
      if (expected === null) expect(() => bp.broadcastShapes("add", a, b)).toThrowError(bp.ShapeError);
      else expect(bp.broadcastShapes("add", a, b)).toEqual(expected);
    }), RUNS);
  });

  it("elementwise values read each operand at the broadcast index", () => {
    fc.assert(fc.property(pairArb, fc.boolean(), ([a, b], swap) => {
      const [sa, sb] = swap ? [b, a] : [a, b];
      const out = referenceBroadcast(sa, sb);
      const x = iota(sa), y = iota(sb, 1000);
      if (out === null) { expect(() => x.add(y)).toThrowError(bp.ShapeError); return; }
      const z = x.add(y);
      expect(z.shape).toEqual(out);
      const zd = z.data(), xd = x.data(), yd = y.data();
      for (let i = 0; i < zd.length; i++) {
        const idx = unravel(i, out);
        expect(zd[i]).toBe(xd[broadcastIndex(idx, sa)] + yd[broadcastIndex(idx, sb)]);
      }
    }), RUNS);
  });

  it("the gradient of a broadcast operand sums over the broadcast dims", () => {
    fc.assert(fc.property(pairArb, ([a, b]) => {
      if (referenceBroadcast(a, b) === null) return;
      const x = bp.ones(a, { dtype: "float64", requiresGrad: true });
      const y = bp.ones(b, { dtype: "float64", requiresGrad: true });
      x.mul(y).sum().backward();
      const out = referenceBroadcast(a, b)!;
      expect(Array.from(y.grad!.data())).toEqual(new Array(size(b)).fill(size(out) / size(b)));
      expect(Array.from(x.grad!.data())).toEqual(new Array(size(a)).fill(size(out) / size(a)));
    }), RUNS);
  });
});

describe("shape round trips", () => {
  const permArb = shapeArb(5).chain((shape) => fc.tuple(fc.constant(shape), fc.shuffledSubarray(shape.map((_, i) => i), { minLength: shape.length, maxLength: shape.length })));

  it("permute then the inverse permutation gives the tensor back; the element at p(idx) matches", () => {
    fc.assert(fc.property(permArb, ([shape, perm]) => {
      const x = iota(shape);
      const p = x.permute(perm);
      expect(p.shape).toEqual(perm.map((d) => shape[d]));
      const inverse = new Array<number>(perm.length);
      perm.forEach((d, i) => { inverse[d] = i; });
      expect(p.permute(inverse).toArray()).toEqual(x.toArray());
      const pd = p.data(), xd = x.data();
      for (let i = 0; i < pd.length; i++) {
        const idx = unravel(i, p.shape as number[]);
        const src = new Array<number>(shape.length);
        perm.forEach((d, k) => { src[d] = idx[k]; });
        expect(pd[i]).toBe(xd[broadcastIndex(src, shape)]);
      }
    }), RUNS);
  });

  it("reshape to any factorisation and back (also of a permuted, copied tensor) keeps row-major order", () => {
    fc.assert(fc.property(permArb, fc.integer({ min: 0, max: 3 }), ([shape, perm], cut) => {
      const x = iota(shape).permute(perm);
      const flat = Array.from(x.data());
      const n = flat.length;
      const first = [1, 2, 3, 4].filter((f) => n % f === 0)[cut % [1, 2, 3, 4].filter((f) => n % f === 0).length];
      const r = x.reshape([first, -1]);
      expect(r.shape).toEqual([first, n / first]);
      expect(Array.from(r.data())).toEqual(flat);
      expect(r.reshape(x.shape as number[]).toArray()).toEqual(x.toArray());
      expect(Array.from(x.flatten().data())).toEqual(flat);
    }), RUNS);
  });

  it("unsqueeze then squeeze of that dim, and transpose twice, are identities", () => {
    fc.assert(fc.property(shapeArb(), fc.integer({ min: -5, max: 4 }), (shape, d) => {
      const x = iota(shape);
      const dim = ((d % (shape.length + 1)) + shape.length + 1) % (shape.length + 1);
      expect(x.unsqueeze(dim).squeeze(dim).toArray()).toEqual(x.toArray());
      if (shape.length >= 2) expect(x.transpose(0, -1).transpose(-1, 0).toArray()).toEqual(x.toArray());
    }), RUNS);
  });
});

describe("reductions", () => {
  const dimsArb = shapeArb(4).chain((shape) => fc.tuple(fc.constant(shape), fc.subarray(shape.map((_, i) => i))));

  it("summing over a set of dims equals summing one dim at a time", () => {
    fc.assert(fc.property(dimsArb, ([shape, dims]) => {
      const x = bp.randn(shape, { dtype: "float64", generator: new bp.Generator(size(shape)) });
      const together = x.sum(dims.length ? dims : null);
      let oneByOne: Tensor = x;
      for (const d of [...dims].sort((a, b) => b - a)) oneByOne = oneByOne.sum(d);
      if (!dims.length) oneByOne = oneByOne.sum();
      expect(together.shape).toEqual(oneByOne.shape);
      const a = together.data(), b = oneByOne.data();
      for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 12);
    }), RUNS);
  });

  it("keepdim keeps the reduced dims as 1 and otherwise the same values; mean is sum / count", () => {
    fc.assert(fc.property(dimsArb, ([shape, dims]) => {
      if (!dims.length) return;
      const x = bp.randn(shape, { dtype: "float64", generator: new bp.Generator(3) });
      const kept = x.sum(dims, true);
      expect(kept.shape).toEqual(shape.map((s, i) => (dims.includes(i) ? 1 : s)));
      expect(Array.from(kept.data())).toEqual(Array.from(x.sum(dims).data()));
      const count = dims.reduce((a, d) => a * shape[d], 1);
      const m = x.mean(dims).data(), s = x.sum(dims).data();
      for (let i = 0; i < m.length; i++) expect(m[i]).toBeCloseTo(s[i] / count, 14);
    }), RUNS);
  });

  it("max is at least every element and equal to one of them; logsumexp lies between max and max + log n", () => {
    fc.assert(fc.property(shapeArb(3).filter((s) => s.length > 0), fc.integer({ min: 0, max: 2 }), (shape, d) => {
      const dim = d % shape.length;
      const x = bp.randn(shape, { dtype: "float64", generator: new bp.Generator(5) }).mul(50);
      const m = x.max(dim, true);
      expect(x.le(m).to("int32").sum().item()).toBe(size(shape));
      expect(x.eq(m).to("int32").sum(dim).ge(1).to("int32").sum().item()).toBe(size(shape) / shape[dim]);
      const lse = x.logsumexp(dim, true);
      expect(lse.ge(m).to("int32").sum().item()).toBe(lse.size);
      expect(lse.le(m.add(Math.log(shape[dim]) + 1e-12)).to("int32").sum().item()).toBe(lse.size);
    }), RUNS);
  });
});

describe("softmax", () => {
  it("rows sum to 1, values in [0, 1], even for values of magnitude 1000; exp(logSoftmax) = softmax", () => {
    fc.assert(fc.property(shapeArb(3).filter((s) => s.length > 0), fc.integer({ min: -3, max: 2 }), fc.constantFrom(1, 30, 1000), (shape, d, scale) => {
      const dim = ((d % shape.length) + shape.length) % shape.length;
      const x = bp.randn(shape, { dtype: "float64", generator: new bp.Generator(9) }).mul(scale);
      const y = x.softmax(dim);
      const sums = y.sum(dim).data();
      for (const s of sums) expect(Math.abs(s - 1)).toBeLessThan(1e-12);
      expect(bp.logicalAnd(y.ge(0), y.le(1)).to("int32").sum().item()).toBe(y.size);
      const diff = x.logSoftmax(dim).exp().sub(y).abs().max().item();
      expect(diff).toBeLessThan(1e-12);
    }), RUNS);
  });
});

describe("matmul", () => {
  const mmArb = fc.record({
    batchA: shapeArb(2, 3), batchB: shapeArb(2, 3),
    m: fc.integer({ min: 1, max: 4 }), k: fc.integer({ min: 1, max: 4 }), n: fc.integer({ min: 1, max: 4 }),
    transA: fc.boolean(), transB: fc.boolean(),
  }).filter((r) => referenceBroadcast(r.batchA, r.batchB) !== null);

  it("batched, broadcast and transposed products agree with the triple loop", () => {
    fc.assert(fc.property(mmArb, ({ batchA, batchB, m, k, n, transA, transB }) => {
      const g = new bp.Generator(m * 100 + k * 10 + n);
      const a0 = bp.randn(transA ? [...batchA, k, m] : [...batchA, m, k], { dtype: "float64", generator: g });
      const b0 = bp.randn(transB ? [...batchB, n, k] : [...batchB, k, n], { dtype: "float64", generator: g });
      const a = transA ? a0.transpose(-1, -2) : a0;
      const b = transB ? b0.transpose(-1, -2) : b0;
      const c = a.matmul(b);
      const batch = referenceBroadcast(batchA, batchB)!;
      expect(c.shape).toEqual([...batch, m, n]);
      const ad = a.data(), bd = b.data(), cd = c.data();
      for (let i = 0; i < cd.length; i++) {
        const idx = unravel(i, c.shape as number[]);
        const bi = idx.slice(0, batch.length);
        const [r, col] = idx.slice(batch.length);
        let s = 0;
        for (let p = 0; p < k; p++) {
          s += ad[broadcastIndex([...bi, r, p], [...batchA, m, k])] * bd[broadcastIndex([...bi, p, col], [...batchB, k, n])];
        }
        expect(cd[i]).toBeCloseTo(s, 12);
      }
    }), RUNS);
  });
});
