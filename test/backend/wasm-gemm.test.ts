/**
 * The wasm backend's matmuls split across threads: the row split (B packed
 * once, shared, then C's rows taken in chunks) and the column split (for few
 * rows) must give the one-thread result bit for bit, for every layout, odd
 * sizes, several depth slabs and batches. Also: one-thread work runs on the
 * unshared instance, and only split matmuls use the shared memory.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";
import { jsBackend } from "../../src/backend/js/index.js";
import { createWasmBackend, thresholds, type WasmBackend } from "../../src/backend/wasm/index.js";

let wasm: WasmBackend;

beforeAll(async () => {
  wasm = await createWasmBackend();
});

afterAll(() => {
  bp.setNumThreads(2);
});

function random(n: number, seed: number): Float32Array {
  return bp.randn([n], { generator: new bp.Generator(seed) }).data() as Float32Array;
}

/** Asserts equal bits (NaN and the sign of zero included), reporting the first difference; cheaper than toEqual on millions of elements. */
function expectSameBits(got: Float32Array, want: Float32Array): void {
  expect(got.length).toBe(want.length);
  const g = new Int32Array(got.buffer, got.byteOffset, got.length), w = new Int32Array(want.buffer, want.byteOffset, want.length);
  let first = -1;
  for (let i = 0; i < g.length && first < 0; i++) if (g[i] !== w[i]) first = i;
  expect(first < 0 ? "same bits" : `element ${first}: ${got[first]} vs ${want[first]}`).toBe("same bits");
}

/** Largest |got − want| (NaN if any entry is NaN); entries of N(0,1) products are ~√k, float32 error far below 1e-5·k. */
function maxDifference(got: Float32Array, want: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  return worst;
}

interface Case {
  batch: number; m: number; k: number; n: number;
  transA: boolean; transB: boolean;
  /** Batch strides of A and B in elements (0 broadcasts one matrix). */
  aStride: number; bStride: number;
}

/** Runs one case on `threads` threads and checks how many matmuls were split. */
async function run(c: Case, a: Float32Array, b: Float32Array, threads: number): Promise<Float32Array> {
  bp.setNumThreads(threads);
  expect(await wasm.threadsReady()).toBe(threads);
  const before = wasm.threadedMatmuls;
  const out = new Float32Array(c.batch * c.m * c.n).fill(NaN);
  wasm.matmul(a, 3, c.aStride, c.transA, b, 5, c.bStride, c.transB, out, c.batch, c.m, c.k, c.n);
  expect(wasm.threadedMatmuls - before).toBe(threads > 1 ? c.batch : 0);
  return out;
}

describe("wasm backend: matmuls split across threads", () => {
  const cases: [string, Omit<Case, "transA" | "transB">][] = [
    // Rows split: no dimension a multiple of the 4×8 tile, k over three depth slabs (the last partial),
    // n over several 64-column packing units (the last partial).
    ["row split, odd sizes", { batch: 1, m: 301, k: 517, n: 203, aStride: 0, bStride: 0 }],
    ["row split, square", { batch: 1, m: 256, k: 256, n: 256, aStride: 0, bStride: 0 }],
    // Depth 1: Bᵀ storage then has a column step of 1, like row-major B (B is copied in one piece).
    ["row split, depth 1", { batch: 1, m: 3001, k: 1, n: 3003, aStride: 0, bStride: 0 }],
    // Few rows: the column split, each chunk packing its own A.
    ["column split", { batch: 1, m: 40, k: 300, n: 1000, aStride: 0, bStride: 0 }],
    ["batched, both operands strided", { batch: 3, m: 130, k: 260, n: 261, aStride: 130 * 260, bStride: 260 * 261 }],
    ["batched, B broadcast", { batch: 2, m: 133, k: 257, n: 250, aStride: 133 * 257, bStride: 0 }],
  ];
  for (const [name, shape] of cases) {
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      it(`${name} [${shape.m},${shape.k}]·[${shape.k},${shape.n}]×${shape.batch} transA=${transA} transB=${transB}: 2 threads give the 1-thread bits`, async () => {
        const c: Case = { ...shape, transA, transB };
        expect(c.m * c.k * c.n).toBeGreaterThanOrEqual(thresholds.threadMinMacs);
        const aLen = 3 + (c.batch - 1) * c.aStride + c.m * c.k, bLen = 5 + (c.batch - 1) * c.bStride + c.k * c.n;
        const a = random(aLen, 1 + c.m), b = random(bLen, 2 + c.n);
        const one = await run(c, a, b, 1);
        const two = await run(c, a, b, 2);
        expectSameBits(two, one);
        // And the result is right: the JS kernel, accumulating in float64, as the reference.
        const want = new Float64Array(two.length);
        jsBackend.matmul(a, 3, c.aStride, transA, b, 5, c.bStride, transB, want, c.batch, c.m, c.k, c.n);
        expect(maxDifference(two, want)).toBeLessThan(1e-5 * c.k);
      });
    }
  }

  it("runs back-to-back split products of different shapes (the counters start afresh each time)", async () => {
    bp.setNumThreads(2);
    expect(await wasm.threadsReady()).toBe(2);
    const shapes = [[300, 200, 150], [40, 300, 1000], [200, 300, 300], [64, 1000, 200]] as const;
    const inputs = shapes.map(([m, k, n], i) => [random(m * k, 10 + i), random(k * n, 20 + i)]);
    const results: Float32Array[][] = [[], []];
    for (const threads of [2, 1]) {
      bp.setNumThreads(threads);
      for (let round = 0; round < 3; round++) {
        shapes.forEach(([m, k, n], i) => {
          const out = new Float32Array(m * n);
          wasm.matmul(inputs[i][0], 0, 0, false, inputs[i][1], 0, 0, true, out, 1, m, k, n);
          if (round === 0) results[threads - 1].push(out);
          else expectSameBits(out, results[threads - 1][i]);
        });
      }
    }
    shapes.forEach(([m, k, n], i) => {
      expectSameBits(results[1][i], results[0][i]);
      const want = new Float64Array(m * n);
      jsBackend.matmul(inputs[i][0], 0, 0, false, inputs[i][1], 0, 0, true, want, 1, m, k, n);
      expect(maxDifference(results[1][i], want)).toBeLessThan(1e-5 * k);
    });
  });
});

describe("wasm backend: unshared and shared memories", () => {
  it("runs one-thread matmuls and elementwise kernels outside the shared memory", async () => {
    const fresh = await createWasmBackend();
    if (!fresh.threadsPossible) return; // no shared memory here: everything is unshared anyway
    bp.setNumThreads(1);
    const start = fresh.pooledBytesByMemory();
    // Operands and result of 12 MB: more than either memory holds at the start.
    const m = 1000, k = 1000, n = 1000, bytes = 4 * (m * k + k * n + m * n);
    expect(start.unshared).toBeLessThan(bytes);
    expect(start.shared).toBeLessThan(bytes);
    const a = random(m * k, 31), b = random(k * n, 32);
    const out1 = new Float32Array(m * n);
    fresh.matmul(a, 0, 0, false, b, 0, 0, false, out1, 1, m, k, n);
    const afterOne = fresh.pooledBytesByMemory();
    expect(afterOne.unshared).toBeGreaterThan(bytes);
    expect(afterOne.shared).toBe(start.shared);
    expect(fresh.threadedMatmuls).toBe(0);
    const sum = new Float32Array(m * k);
    fresh.binary("add", a, 0, [1], a, 0, [1], sum, [m * k]);
    expect(sum[7]).toBe(a[7] + a[7]);
    expect(fresh.pooledBytesByMemory().shared).toBe(start.shared);
    // On two threads the operands go to the shared memory, which grows in turn; the bits do not change.
    bp.setNumThreads(2);
    expect(await fresh.threadsReady()).toBe(2);
    const out2 = new Float32Array(m * n);
    fresh.matmul(a, 0, 0, false, b, 0, 0, false, out2, 1, m, k, n);
    expect(fresh.threadedMatmuls).toBe(1);
    expect(fresh.pooledBytesByMemory()).toEqual({ unshared: afterOne.unshared, shared: expect.any(Number) });
    expect(fresh.pooledBytesByMemory().shared).toBeGreaterThan(bytes);
    expectSameBits(out2, out1);
  });
});
