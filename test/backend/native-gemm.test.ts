/**
 * The native GEMM on the products of an MLP training step (784-256-128-10,
 * batch 128: forward, weight and input gradients), where two threads share
 * one packing of B and split the rows of C: on 2 threads the bits of 1
 * thread, and within the dot-product rounding bound of a float64 reference.
 * Many products of different shapes run back to back, so the thread pool
 * hands over jobs with different chunk counts in quick succession.
 *
 * The addon is built by `npm install`; this file fails, rather than skips,
 * when it is absent.
 */
import { afterAll, describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";
import type { FloatArray } from "../../src/backend/backend.js";
import { loadNativeBackend, type NativeBackend } from "../../src/backend/native/index.js";

const addon = (loadNativeBackend() as NativeBackend).addon;
const defaultIsa = addon.info().isa;
const defaultThreads = addon.info().threads;
const ISAS = ["avx512", "avx2", "generic"].filter((isa) => addon.setIsa(isa));
addon.setIsa(defaultIsa);

afterAll(() => {
  addon.setIsa(defaultIsa);
  addon.setThreads(defaultThreads);
});

/** [m, k, n, transA, transB] */
type Shape = [number, number, number, boolean, boolean];

// [m, k, n, transA, transB]: x·W1ᵀ, dW1 = dYᵀ·x, the same for layers 2 and 3, dX = dY·W.
const STEP: Shape[] = [
  [128, 784, 256, false, true], [256, 128, 784, true, false],
  [128, 256, 128, false, true], [128, 128, 256, true, false], [128, 128, 256, false, false],
  [128, 128, 10, false, true], [10, 128, 128, true, false], [128, 10, 128, false, false],
];

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;
const DTYPES: [string, Ctor, number][] = [["float32", Float32Array, 2 ** -24], ["float64", Float64Array, 2 ** -53]];

/** The exact product (in float64, from the stored layouts) and Σ|a||b| per element, which bounds the rounding error. */
function reference(a: FloatArray, b: FloatArray, m: number, k: number, n: number, ta: boolean, tb: boolean) {
  const value = new Float64Array(m * n), scale = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0, t = 0;
      for (let p = 0; p < k; p++) {
        const prod = (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
        s += prod;
        t += Math.abs(prod);
      }
      value[i * n + j] = s;
      scale[i * n + j] = t;
    }
  }
  return { value, scale };
}

/** |got − exact| ≤ 2γ_k Σ|a||b| + u|exact|: the standard dot-product bound. */
function expectWithinBound(got: FloatArray, ref: { value: Float64Array; scale: Float64Array }, k: number, u: number, what: string): void {
  const gamma = (k * u) / (1 - k * u);
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i] - ref.value[i]), bound = 2 * gamma * ref.scale[i] + u * Math.abs(ref.value[i]) + 1e-300;
    if (!(err <= bound)) expect.fail(`${what}: element ${i} is ${got[i]}, exact ${ref.value[i]}, error ${err} > ${bound}`);
  }
}

/** Same values element by element (a plain loop: these arrays hold up to 200k values). */
function expectSame(got: FloatArray, want: FloatArray, what: string): void {
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) expect.fail(`${what}: element ${i} is ${got[i]}, 1 thread gives ${want[i]}`);
  }
}

type Product = (threads: number, s: number) => FloatArray;

/**
 * For every instruction set: each of `shapes` on 1 thread is within the
 * rounding bound of the exact product, and `reps` rounds of all of them on
 * 2 threads give the same bits; `extra` then runs further checks.
 */
function checkThreads(ctor: Ctor, u: number, shapes: Shape[], seed: number, reps: number,
                      extra?: (isa: string, product: Product, want: FloatArray[]) => void): void {
  const gen = new bp.Generator(seed);
  const operands = shapes.map(([m, k, n]) => [m * k, k * n].map((size) => new ctor(bp.randn([size], { generator: gen, dtype: "float64" }).data() as Float64Array)));
  const refs = shapes.map(([m, k, n, ta, tb], s) => reference(operands[s][0], operands[s][1], m, k, n, ta, tb));
  const product: Product = (threads, s) => {
    addon.setThreads(threads);
    const [m, k, n, ta, tb] = shapes[s];
    const [a, b] = operands[s];
    const out = new ctor(m * n).fill(NaN);
    addon.matmul(a, 0, 0, ta, b, 0, 0, tb, out, 1, m, k, n);
    return out;
  };
  try {
    for (const isa of ISAS) {
      expect(addon.setIsa(isa)).toBe(true);
      const want = shapes.map((_, s) => product(1, s));
      shapes.forEach(([m, k, n], s) => expectWithinBound(want[s], refs[s], k, u, `${isa} [${m},${k},${n}]`));
      for (let rep = 0; rep < reps; rep++) {
        shapes.forEach(([m, k, n], s) => expectSame(product(2, s), want[s], `${isa} [${m},${k},${n}], round ${rep}`));
      }
      extra?.(isa, product, want);
    }
  } finally {
    addon.setIsa(defaultIsa);
    addon.setThreads(defaultThreads);
  }
}

describe("native GEMM: the products of an MLP step", () => {
  for (const [dtype, ctor, u] of DTYPES) {
    it(`${dtype}: 2 threads give the bits of 1 thread on every instruction set, within the rounding bound`, () => {
      // Back to back, as in training: ten steps' worth of products.
      checkThreads(ctor, u, STEP, 31, 10, (isa, product, want) => {
        // One product many times over: its two jobs (packing B in 4 chunks, then 8 chunks of rows)
        // follow each other without a pause, the pool's tightest hand-over.
        for (let rep = 0; rep < 500; rep++) expectSame(product(2, 2), want[2], `${isa} [128,256,128], repeat ${rep}`);
      });
    });
  }
});

// Products whose packed B outgrows 2 MiB: two threads pack one kc × nc slab of
// B at a time into a shared buffer, then split C's rows over it (gemm.cc,
// Split::SharedSlabs). Ragged rows and columns, K spanning several slices
// with a short last one, both transposes, and (the last shape) more columns
// than one slab holds on every kernel in float64 and on the portable one.
describe("native GEMM: large products, B packed one shared slab at a time", () => {
  const LARGE: Shape[] = [
    [600, 1100, 700, false, false], [301, 1030, 1003, true, true], [45, 530, 4133, false, true],
  ];
  for (const [dtype, ctor, u] of DTYPES) {
    it(`${dtype}: 2 threads give the bits of 1 thread on every instruction set, within the rounding bound`, () => {
      checkThreads(ctor, u, LARGE, 47, 2);
    }, 120_000);
  }
});

// Products with one row or one column go through the addon's unpacked path
// (native/src/gemm.cc, vector_product): W1's 64×32×1 forward and its
// gradients, in every layout, batched with strides and stride-0 broadcasts.
describe("native GEMM: products with one row or one column", () => {
  // [batch, m, k, n, transA, transB, A's batch stride or -1 for packed, B's likewise]
  const CASES: [number, number, number, number, boolean, boolean, number, number][] = [
    [1, 64, 32, 1, false, true, -1, -1], [1, 64, 32, 1, true, false, -1, -1], [1, 64, 32, 1, false, false, -1, -1],
    [1, 64, 32, 1, true, true, -1, -1], [1, 1, 64, 32, true, false, -1, -1], [1, 1, 64, 32, false, true, -1, -1],
    [1, 1, 64, 32, false, false, -1, -1], [1, 1, 64, 32, true, true, -1, -1], [1, 64, 1, 1, false, false, -1, -1],
    [1, 1, 1, 1, false, false, -1, -1], [1, 37, 3, 1, false, false, -1, -1], [1, 1, 7, 29, true, true, -1, -1],
    [3, 20, 17, 1, false, false, -1, 0], [3, 1, 17, 20, false, true, 0, -1], [4, 1, 9, 1, true, false, -1, -1],
  ];
  for (const [dtype, ctor, u] of DTYPES) {
    it(`${dtype}: within the rounding bound of the exact product`, () => {
      const gen = new bp.Generator(7);
      for (const [batch, m, k, n, ta, tb, sa0, sb0] of CASES) {
        const sa = sa0 < 0 ? m * k : sa0, sb = sb0 < 0 ? k * n : sb0;
        const a = new ctor(bp.randn([(batch - 1) * sa + m * k], { generator: gen, dtype: "float64" }).data() as Float64Array);
        const b = new ctor(bp.randn([(batch - 1) * sb + k * n], { generator: gen, dtype: "float64" }).data() as Float64Array);
        const out = new ctor(batch * m * n).fill(NaN);
        addon.matmul(a, 0, sa, ta, b, 0, sb, tb, out, batch, m, k, n);
        for (let bi = 0; bi < batch; bi++) {
          const ref = reference(a.subarray(bi * sa, bi * sa + m * k) as FloatArray, b.subarray(bi * sb, bi * sb + k * n) as FloatArray, m, k, n, ta, tb);
          expectWithinBound(out.subarray(bi * m * n, (bi + 1) * m * n) as FloatArray, ref, k, u,
            `${dtype} batch ${batch} ${m}x${k}x${n} transA=${ta} transB=${tb} entry ${bi}`);
        }
      }
    });
  }
});
