/**
 * The native (Node-API) backend, kernel by kernel: GEMM against a float64
 * reference computed here from the stored layouts, with a rounding-error
 * bound, on every instruction set this CPU has and on 1 and 2 threads;
 * elementwise, reduction and softmax kernels against the JS reference
 * kernels; bounds and type errors; and the clean fallback when the addon is
 * missing. The op-level spec (test/core/*.test.ts) also runs on "native".
 *
 * The addon is built by `npm install` (scripts/build-native.mjs); this file
 * fails, rather than skips, when it is absent.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import * as bp from "../../src/index.js";
import { jsBackend } from "../../src/backend/js/index.js";
import type { FloatArray, ReduceOp, UnaryOp, BinaryOp } from "../../src/backend/backend.js";
import { loadNativeBackend, NativeUnavailableError, thresholds, type NativeBackend } from "../../src/backend/native/index.js";

const native = loadNativeBackend() as NativeBackend;
const addon = native.addon;
const defaultIsa = addon.info().isa;
const defaultThreads = addon.info().threads;
const gen = new bp.Generator(20251129);

const defaultThresholds = { ...thresholds };

// Small calls normally go to the JS kernels; here every call runs natively.
beforeAll(() => {
  thresholds.matmulMinMacs = 0;
  thresholds.elementwiseMin = 0;
});

afterAll(() => {
  addon.setIsa(defaultIsa);
  addon.setThreads(defaultThreads);
  Object.assign(thresholds, defaultThresholds);
});

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;
const DTYPES: [string, Ctor, number][] = [
  ["float32", Float32Array, 2 ** -24],
  ["float64", Float64Array, 2 ** -53],
];

function random(ctor: Ctor, n: number): FloatArray {
  return ctor.from(bp.randn([n], { generator: gen, dtype: "float64" }).data() as Float64Array);
}

/**
 * Exact-in-float64 reference of out[b] = op(A[b])·op(B[b]) read through the
 * stored layouts, and Σ|a||b| per element, which bounds the rounding error.
 */
function reference(
  a: FloatArray, aOff: number, aBs: number, ta: boolean, b: FloatArray, bOff: number, bBs: number, tb: boolean,
  batch: number, m: number, k: number, n: number,
): { value: Float64Array; scale: Float64Array } {
  const value = new Float64Array(batch * m * n), scale = new Float64Array(batch * m * n);
  for (let bi = 0; bi < batch; bi++) {
    const ao = aOff + bi * aBs, bo = bOff + bi * bBs;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0, t = 0;
        for (let p = 0; p < k; p++) {
          const prod = (ta ? a[ao + p * m + i] : a[ao + i * k + p]) * (tb ? b[bo + j * k + p] : b[bo + p * n + j]);
          s += prod;
          t += Math.abs(prod);
        }
        value[(bi * m + i) * n + j] = s;
        scale[(bi * m + i) * n + j] = t;
      }
    }
  }
  return { value, scale };
}

/** |got − exact| ≤ 2γ_k Σ|a||b| + u|exact| with γ_k = k·u/(1 − k·u): the standard dot-product bound. */
function expectWithinBound(got: FloatArray, ref: { value: Float64Array; scale: Float64Array }, k: number, u: number, what: string): void {
  const gamma = (k * u) / (1 - k * u);
  for (let i = 0; i < got.length; i++) {
    const bound = 2 * gamma * ref.scale[i] + u * Math.abs(ref.value[i]) + 1e-300;
    const err = Math.abs(got[i] - ref.value[i]);
    if (!(err <= bound)) expect.fail(`${what}: element ${i} is ${got[i]}, exact ${ref.value[i]}, error ${err} > bound ${bound}`);
  }
}

const ISAS = ["avx512", "avx2", "generic"].filter((isa) => addon.setIsa(isa));
addon.setIsa(defaultIsa);

// [m, k, n]: single elements, sizes around the micro-tiles (14x32, 6x16, 4x8),
// k beyond one cache block (KC = 384/512), and products big enough to be split across threads;
// then products one vector wide (AVX-512's narrow 16-row tiles: n <= 16 floats, 8 doubles), split across threads too.
const SHAPES: [number, number, number][] = [
  [1, 1, 1], [3, 5, 7], [14, 9, 32], [15, 17, 33], [6, 4, 16], [29, 600, 45], [130, 70, 65], [1, 300, 200], [200, 300, 1],
  [33, 40, 16], [40, 300, 8], [1100, 600, 13],
];

describe("native backend: GEMM", () => {
  it("the CPU offers at least the portable kernel, and the default is the best one it has", () => {
    expect(ISAS).toContain("generic");
    expect(defaultIsa).toBe(ISAS[0]);
    expect(addon.setIsa("sse9")).toBe(false);
  });

  for (const [dtype, ctor, u] of DTYPES) {
    for (const [m, k, n] of SHAPES) {
      it(`${dtype} [${m},${k}]·[${k},${n}]: all transposes, every instruction set, 1 and 2 threads, within the rounding bound`, () => {
        const a = random(ctor, m * k), b = random(ctor, k * n);
        for (const ta of [false, true]) {
          for (const tb of [false, true]) {
            const ref = reference(a, 0, 0, ta, b, 0, 0, tb, 1, m, k, n);
            let first: FloatArray | null = null;
            for (const isa of ISAS) {
              expect(addon.setIsa(isa)).toBe(true);
              for (const threads of [1, 2]) {
                addon.setThreads(threads);
                const out = new ctor(m * n).fill(NaN);
                native.matmul(a, 0, 0, ta, b, 0, 0, tb, out, 1, m, k, n);
                expectWithinBound(out, ref, k, u, `${isa} ${threads}t ta=${ta} tb=${tb}`);
                // Threads split whole tiles of C, so the bits do not depend on the thread count.
                if (threads === 1) first = out;
                else expect(out).toEqual(first);
              }
            }
          }
        }
      });
    }

    it(`${dtype}: batches with offsets, a broadcast operand (stride 0) and padded batch strides`, () => {
      // The second: attention heads' [32, 32]·[32, 16] (the narrow tile).
      for (const [batch, m, k, n] of [[3, 17, 23, 35], [5, 32, 32, 16]]) batchedProducts(batch, m, k, n);
    });

    function batchedProducts(batch: number, m: number, k: number, n: number): void {
      const aOff = 5, bOff = 7, aBs = 0, bBs = k * n + 3;
      const a = random(ctor, aOff + m * k), b = random(ctor, bOff + batch * bBs);
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          const ref = reference(a, aOff, aBs, ta, b, bOff, bBs, tb, batch, m, k, n);
          for (const threads of [1, 2]) {
            addon.setThreads(threads);
            const out = new ctor(batch * m * n).fill(NaN);
            native.matmul(a, aOff, aBs, ta, b, bOff, bBs, tb, out, batch, m, k, n);
            expectWithinBound(out, ref, k, u, `batched [${m},${k},${n}] ta=${ta} tb=${tb} ${threads}t`);
          }
        }
      }
    }

    it(`${dtype}: small integers give exactly the JS backend's result; k = 0 gives zeros`, () => {
      const m = 33, k = 70, n = 41;
      const a = new ctor(m * k), b = new ctor(k * n);
      a.forEach((_, i) => { a[i] = ((i * 7) % 9) - 4; });
      b.forEach((_, i) => { b[i] = ((i * 5) % 7) - 3; });
      const want = new ctor(m * n), got = new ctor(m * n);
      jsBackend.matmul(a, 0, 0, false, b, 0, 0, true, want, 1, m, k, n);
      native.matmul(a, 0, 0, false, b, 0, 0, true, got, 1, m, k, n);
      expect(got).toEqual(want);
      // Views into larger buffers (a typed array's own byte offset) read and write in place.
      const bigA = new ctor(m * k + 9), bigOut = new ctor(m * n + 4).fill(-1);
      bigA.set(a, 9);
      native.matmul(bigA.subarray(9), 0, 0, false, b, 0, 0, true, bigOut.subarray(4), 1, m, k, n);
      expect(bigOut.subarray(4)).toEqual(want);
      expect(Array.from(bigOut.subarray(0, 4))).toEqual([-1, -1, -1, -1]);
      const zeros = new ctor(6).fill(NaN);
      native.matmul(new ctor(0), 0, 0, false, new ctor(0), 0, 0, false, zeros, 1, 2, 0, 3);
      expect(Array.from(zeros)).toEqual([0, 0, 0, 0, 0, 0]);
    });
  }

  it("mixed dtypes delegate to the JS kernel (casting), through the op layer too", () => {
    bp.setBackend("native");
    try {
      const x = bp.tensor([[1, 2], [3, 4]], { dtype: "float64" });
      const w = bp.tensor([[1, 0], [1, 1]]);
      expect(x.matmul(w).toArray()).toEqual([[3, 2], [7, 4]]);
      expect(x.matmul(w).dtype).toBe("float64");
    } finally {
      bp.setBackend("js");
    }
  });

  it("rejects out-of-bounds accesses, mixed array types and negative strides with the op's name", () => {
    const a = new Float32Array(6), b = new Float32Array(6), out = new Float32Array(4);
    expect(() => addon.matmul(a, 0, 0, false, b, 1, 0, false, out, 1, 2, 3, 2)).toThrow(
      new RangeError("native matmul: B needs 7 elements but the array has 6"),
    );
    expect(() => addon.matmul(a, 0, 0, false, b, 0, 0, false, new Float32Array(3), 1, 2, 3, 2)).toThrow(
      new RangeError("native matmul: out needs 4 elements but the array has 3"),
    );
    expect(() => addon.matmul(a, 0, 0, false, new Float64Array(6), 0, 0, false, out, 1, 2, 3, 2)).toThrow(
      new TypeError("native matmul: arrays must all be Float32Array or all Float64Array"),
    );
    expect(() => addon.binary(0, a, 0, 0, -1, b, 0, 0, 1, out, 1, 2)).toThrow(
      new TypeError("native binary: offsets and strides must be non-negative"),
    );
    expect(() => addon.unary(0, new Int32Array(3) as unknown as FloatArray, 0, out, 3, 0, 0)).toThrow(
      new TypeError("native unary: expected a Float32Array or Float64Array"),
    );
  });
});

/** NaN, infinities, signed zeros, tiny and huge values, then Gaussian noise. */
function specials(ctor: Ctor, n: number): FloatArray {
  const x = random(ctor, n);
  const fixed = [NaN, Infinity, -Infinity, 0, -0, 1e-30, -1e-30, 1e30, -1e30, 30, -30, 0.5, -0.5, 2, -2, 88, -104];
  fixed.forEach((v, i) => { x[i] = v; });
  return x;
}

/** Same NaN-ness; otherwise within `rel` of the reference (0: bit-identical values). */
function expectSame(got: FloatArray, want: FloatArray, rel: number, what: string): void {
  for (let i = 0; i < want.length; i++) {
    const g = got[i], w = want[i];
    if (Number.isNaN(w) || Number.isNaN(g)) {
      if (Number.isNaN(w) !== Number.isNaN(g)) expect.fail(`${what}: element ${i} is ${g}, JS gives ${w}`);
      continue;
    }
    if (rel === 0 ? !Object.is(g, w) : !(g === w || Math.abs(g - w) <= rel * Math.abs(w))) {
      expect.fail(`${what}: element ${i} is ${g}, JS gives ${w}`);
    }
  }
}

// Maps computed by one correctly rounded operation give identical bits; libm's
// exp/log/tanh... may differ from V8's by an ulp of the double before rounding.
const EXACT_UNARY = new Set(["copy", "neg", "sqrt", "abs", "sign", "square", "reciprocal", "relu", "leakyRelu", "clamp",
  "addScalar", "mulScalar", "divScalar", "rsubScalar"]);
const PARAMS: Partial<Record<string, [number, number]>> = {
  softplus: [1, 20], leakyRelu: [0.01, 0], clamp: [-0.5, 2], powScalar: [3, 0],
  addScalar: [0.25, 0], mulScalar: [-3, 0], divScalar: [7, 0], rsubScalar: [1, 0],
};

describe("native backend: elementwise, reductions, softmax", () => {
  for (const [dtype, ctor] of DTYPES) {
    it(`${dtype}: every native unary op matches the JS kernel, special values included`, () => {
      const x = specials(ctor, 1003);
      expect(addon.unaryOps.length).toBeGreaterThanOrEqual(24);
      for (const op of addon.unaryOps) {
        const [p0, p1] = PARAMS[op] ?? [0, 0];
        const want = new ctor(1000), got = new ctor(1000);
        jsBackend.unary(op as UnaryOp, x, 3, want, 1000, p0, p1);
        native.unary(op as UnaryOp, x, 3, got, 1000, p0, p1);
        // gelu's 1 + erf(x/√2) cancels for negative x, magnifying the few-ulp difference between the two erfs.
        const rel = EXACT_UNARY.has(op) ? 0 : dtype === "float32" ? 2 ** -23 : op === "gelu" ? 1e-12 : op === "erf" ? 1e-14 : 4e-16;
        expectSame(got, want, rel, `${dtype} ${op}`);
      }
    });

    it(`${dtype}: binary ops over same shapes, broadcast rows, columns, scalars and strided views`, () => {
      const cases: { shape: number[]; aStrides: number[]; bStrides: number[] }[] = [
        { shape: [7, 9], aStrides: [9, 1], bStrides: [9, 1] },   // same shape
        { shape: [7, 9], aStrides: [9, 1], bStrides: [0, 1] },   // + row vector (bias)
        { shape: [7, 9], aStrides: [0, 1], bStrides: [1, 0] },   // row ⊗ column
        { shape: [7, 9], aStrides: [0, 0], bStrides: [9, 1] },   // scalar op tensor
        { shape: [7, 9], aStrides: [1, 7], bStrides: [9, 1] },   // a transposed view
        { shape: [3, 4, 5], aStrides: [20, 1, 4], bStrides: [0, 5, 1] }, // 3-D: delegated to JS
        { shape: [], aStrides: [], bStrides: [] },               // 0-d
      ];
      const a = specials(ctor, 80), b = random(ctor, 80);
      for (const op of addon.binaryOps) {
        for (const c of cases) {
          const size = c.shape.reduce((s, d) => s * d, 1);
          const want = new ctor(size), got = new ctor(size);
          jsBackend.binary(op as BinaryOp, a, 2, c.aStrides, b, 1, c.bStrides, want, c.shape);
          native.binary(op as BinaryOp, a, 2, c.aStrides, b, 1, c.bStrides, got, c.shape);
          // geluBackward calls erf and exp: the C library's and ours differ by a few ulps.
          const rel = op === "pow" && dtype === "float64" ? 4e-16 : op === "geluBackward" ? (dtype === "float32" ? 2 ** -23 : 1e-12) : 0;
          expectSame(got, want, rel, `${dtype} ${op} [${c.shape}]`);
        }
      }
    });

    it(`${dtype}: sum, max, min over rows and columns (NaN wins, empty axis gives the identity); softmax`, () => {
      const x = specials(ctor, 600);
      x[200] = NaN; // a NaN in the middle of a column block
      for (const op of addon.reduceOps) {
        for (const [outer, axis, inner] of [[1, 599, 1], [13, 46, 1], [2, 30, 9], [1, 2, 299], [3, 0, 4], [1, 1, 300]]) {
          const want = new ctor(outer * inner), got = new ctor(outer * inner);
          jsBackend.reduce(op as ReduceOp, x, 1, outer, axis, inner, want);
          native.reduce(op as ReduceOp, x, 1, outer, axis, inner, got);
          expectSame(got, want, op === "sum" ? (dtype === "float32" ? 2 ** -23 : 1e-13) : 0, `${dtype} ${op} [${outer},${axis},${inner}]`);
        }
      }
      const y = random(ctor, 400);
      y[10] = -Infinity;
      for (const log of [false, true]) {
        for (const [outer, axis, inner] of [[20, 20, 1], [4, 10, 10], [1, 400, 1]]) {
          const want = new ctor(400), got = new ctor(400);
          jsBackend.softmax(y, 0, outer, axis, inner, want, log);
          native.softmax(y, 0, outer, axis, inner, got, log);
          expectSame(got, want, dtype === "float32" ? 2 ** -23 : 1e-15, `${dtype} softmax log=${log} [${outer},${axis},${inner}]`);
        }
      }
    });
  }

  it("float32 softmax over contiguous rows: rows taken eight side by side give each row's own bits (NaN, -inf, +inf rows included), in place too", () => {
    // 19 rows of 37: two blocks of eight and three rows alone; special rows inside the blocks.
    const outer = 19, axis = 37;
    const x = random(Float32Array, outer * axis) as Float32Array;
    for (let k = 0; k < axis; k++) x[2 * axis + k] = -Infinity;    // all −inf: NaN, as in PyTorch
    x[4 * axis + 5] = NaN;                                           // one NaN: the row is NaN
    x[9 * axis + 30] = Infinity;                                     // +inf: NaN where it meets itself
    x[11 * axis] = -Infinity;                                        // one −inf: weight 0
    for (let k = 0; k < axis; k++) x[12 * axis + k] = 80 + k;       // large values, shifted by their max
    const whole = new Float32Array(outer * axis);
    // The addon itself: one short row alone is below the backend's threshold.
    addon.softmax(x, 0, outer, axis, 1, whole, false);
    for (let r = 0; r < outer; r++) {
      const alone = new Float32Array(axis), want = new Float32Array(axis);
      addon.softmax(x, r * axis, 1, axis, 1, alone, false);
      jsBackend.softmax(x, r * axis, 1, axis, 1, want, false);
      expect(new Int32Array(whole.buffer, 4 * r * axis, axis), `row ${r}`).toEqual(new Int32Array(alone.buffer));
      expectSame(alone, want, 2 ** -23, `row ${r}`);
    }
    // In place (out = x, as the fused attention's forward runs it): the same bits, on both backends, softmax and log-softmax.
    for (const log of [false, true]) {
      for (const b of [native, jsBackend]) {
        const apart = new Float32Array(outer * axis), same = Float32Array.from(x);
        b.softmax(x, 0, outer, axis, 1, apart, log);
        b.softmax(same, 0, outer, axis, 1, same, log);
        expect(new Int32Array(same.buffer), `${b.name} log=${log} in place`).toEqual(new Int32Array(apart.buffer));
      }
    }
    expect(whole[2 * axis]).toBeNaN();
    expect(whole[11 * axis]).toBe(0);
    let sum = 0;
    for (let k = 0; k < axis; k++) sum += whole[k];
    expect(sum).toBeCloseTo(1, 5);
  });

  it("where over a bool mask: same shapes, scalar branches, broadcast masks; other conditions delegate", () => {
    const cases: { shape: number[]; c: number[]; a: number[]; b: number[] }[] = [
      { shape: [6, 50], c: [50, 1], a: [50, 1], b: [0, 0] },  // relu's masked gradient: where(x > 0, g, 0)
      { shape: [6, 50], c: [50, 1], a: [0, 0], b: [50, 1] },
      { shape: [6, 50], c: [0, 1], a: [50, 1], b: [1, 6] },   // broadcast row mask, transposed b
      { shape: [2, 3, 4], c: [0, 4, 1], a: [12, 1, 3], b: [12, 4, 1] }, // 3-D: delegated
    ];
    const mask = Uint8Array.from({ length: 400 }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0);
    for (const [dtype, ctor] of DTYPES) {
      const a = specials(ctor, 400), b = random(ctor, 400);
      for (const c of cases) {
        const size = c.shape.reduce((x, d) => x * d, 1);
        const want = new ctor(size), got = new ctor(size);
        jsBackend.where(mask, 3, c.c, a, 1, c.a, b, 2, c.b, want, c.shape);
        native.where(mask, 3, c.c, a, 1, c.a, b, 2, c.b, got, c.shape);
        expectSame(got, want, 0, `${dtype} where [${c.shape}]`);
      }
    }
    const got = new Float32Array(3);
    native.where(Float32Array.of(0, 2, -1), 0, [1], Float32Array.of(1, 1, 1), 0, [1], Float32Array.of(5, 5, 5), 0, [1], got, [3]);
    expect(Array.from(got)).toEqual([5, 1, 1]);
  });

  it("strided copies (transposes, permutes, narrowed views, up to 4 merged dims) match the JS kernel", () => {
    const views: { off: number; shape: number[]; strides: number[] }[] = [
      { off: 0, shape: [37, 45], strides: [1, 37] },              // transpose
      { off: 3, shape: [5, 7, 9], strides: [1, 45, 5] },          // permute
      { off: 11, shape: [6, 20], strides: [50, 1] },              // narrowed rows
      { off: 2, shape: [2, 3, 4, 5], strides: [60, 1, 3, 12] },  // 4-D
      { off: 1, shape: [2, 2, 2, 2, 2, 2], strides: [64, 1, 32, 2, 16, 4] }, // 6-D: delegated
      { off: 0, shape: [4, 0, 3], strides: [3, 3, 1] },           // empty
      { off: 5, shape: [], strides: [] },                         // 0-d
    ];
    for (const [dtype, ctor] of DTYPES) {
      const x = random(ctor, 2000);
      for (const v of views) {
        const size = v.shape.reduce((a, d) => a * d, 1);
        const want = new ctor(size), got = new ctor(size);
        jsBackend.copyStrided(x, v.off, v.strides, v.shape, want);
        native.copyStrided(x, v.off, v.strides, v.shape, got);
        expect(got, `${dtype} [${v.shape}]`).toEqual(want);
      }
    }
    // Casts between array types go to the JS kernel.
    const cast = new Int32Array(4);
    native.copyStrided(Float32Array.of(1.5, 2.5, 3.5, 4.5), 0, [1, 2], [2, 2], cast);
    expect(Array.from(cast)).toEqual([1, 3, 2, 4]);
  });

  it("int32 and bool kernels (argmax, comparisons, casts) delegate to the JS kernels", () => {
    const x = Float32Array.from([3, 9, -1, 9]);
    const idx = new Int32Array(1);
    native.reduce("argmax", x, 0, 1, 4, 1, idx);
    expect(idx[0]).toBe(1);
    const cmp = new Uint8Array(4);
    native.binary("gt", x, 0, [1], Float32Array.of(2), 0, [0], cmp, [4]);
    expect(Array.from(cmp)).toEqual([1, 1, 0, 1]);
    const cast = new Float64Array(4);
    native.unary("copy", x, 0, cast, 4, 0, 0);
    expect(Array.from(cast)).toEqual([3, 9, -1, 9]);
  });
});

describe("native backend: loading and fallback", () => {
  it("is registered, and setBackend('auto') prefers it", async () => {
    expect(bp.availableBackends()).toContain("native");
    await bp.setBackend("auto");
    expect(bp.getBackend()).toBe("native");
    await bp.setBackend("js");
  });

  it("bp.setNumThreads sets the native GEMM's thread count", () => {
    bp.setNumThreads(1);
    expect(addon.info().threads).toBe(1);
    bp.setNumThreads(3);
    expect(addon.info().threads).toBe(3);
    bp.setNumThreads(defaultThreads);
  });

  it("defaults to the CPUs the process may run on: one under taskset -c 0, where a second thread would only take turns", () => {
    const addonFile = fileURLToPath(new URL("../../build/Release/backprop_native.node", import.meta.url));
    const probe = `const a = require(${JSON.stringify(addonFile)}); console.log(a.info().threads, require("os").availableParallelism())`;
    const env = { ...process.env };
    delete env.BACKPROP_NUM_THREADS;
    const pinned = spawnSync("taskset", ["-c", "0", process.execPath, "-e", probe], { encoding: "utf8", env });
    expect(pinned.status).toBe(0);
    expect(pinned.stdout.trim()).toBe("1 1");
    const free = spawnSync(process.execPath, ["-e", probe], { encoding: "utf8", env });
    const [threads, cpus] = free.stdout.trim().split(" ").map(Number);
    expect(threads).toBe(Math.min(16, cpus));
  });

  it("a missing addon gives a NativeUnavailableError that names the file and the way out", () => {
    expect(() => loadNativeBackend("./no-such-addon.node")).toThrow(NativeUnavailableError);
    expect(() => loadNativeBackend("./no-such-addon.node")).toThrow(
      /^native backend: cannot load the addon \.\/no-such-addon\.node \(Cannot find module .*\); run "npm rebuild backpropagation".* or use the "wasm" or "js" backend$/,
    );
  });

  it("without the addon, native is not offered, setBackend('native') says why and 'auto' falls back", async () => {
    vi.resetModules();
    vi.doMock("../../src/backend/native/addon.js", async (importOriginal) => {
      const real = await importOriginal<typeof import("../../src/backend/native/addon.js")>();
      return { ...real, loadAddon: () => real.loadAddon("./no-such-addon.node") };
    });
    try {
      const registry = await import("../../src/backend/registry.js");
      expect(registry.availableBackends()).not.toContain("native");
      expect(() => registry.setBackend("native")).toThrow(/^setBackend: unknown backend "native" \(native backend: cannot load the addon/);
      await registry.setBackend("auto");
      expect(registry.getBackend()).toBe("wasm");
    } finally {
      vi.doUnmock("../../src/backend/native/addon.js");
      vi.resetModules();
    }
  });

  it("BACKPROP_BACKEND picks the backend at startup, and an unknown name throws at import", async () => {
    try {
      vi.stubEnv("BACKPROP_BACKEND", "native");
      vi.resetModules();
      const registry = await import("../../src/backend/registry.js");
      expect(registry.getBackend()).toBe("native");
      vi.stubEnv("BACKPROP_BACKEND", "nativ");
      vi.resetModules();
      await expect(import("../../src/backend/registry.js")).rejects.toThrow(/^setBackend: unknown backend "nativ"; available: "js", "wasm", "native", or "auto"$/);
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });
});

describe("native backend: optimizer update", () => {
  // The scalars exactly as src/optim/adam.ts forms them (rounded to the parameter's dtype).
  function adamScalars(dtype: string, step: number, lr: number, betas: [number, number], eps: number, wd: number, decoupled: boolean) {
    const r = dtype === "float32" ? Math.fround : (x: number) => x;
    const [beta1, beta2] = betas;
    return {
      negStepSize: r(-(lr / (1 - beta1 ** step))), bc2Sqrt: r(Math.sqrt(1 - beta2 ** step)),
      beta1: r(beta1), oneMinusBeta1: r(1 - beta1), beta2: r(beta2), oneMinusBeta2: r(1 - beta2), eps: r(eps),
      l2: decoupled ? 0 : r(wd), shrink: decoupled ? r(1 - lr * wd) : 1,
    };
  }

  for (const [dtype, ctor] of DTYPES) {
    for (const [label, amsgrad, wd, decoupled] of [["Adam", false, 0, false], ["Adam amsgrad + L2", true, 0.1, false], ["AdamW", false, 0.05, true]] as const) {
      it(`${dtype} ${label}: three steps give the bits of bp.optim on the JS backend`, () => {
        const n = 3001, lr = 0.01, betas: [number, number] = [0.8, 0.95], eps = 1e-6;
        const start = random(ctor, n), grads = [random(ctor, n), random(ctor, n), random(ctor, n)];
        grads[1][5] = 0; grads[2][7] = 1e30; // a zero and a huge gradient
        // Reference: the library's optimizer on the JS backend.
        bp.setBackend("js");
        const param = bp.fromStorage(new ctor(start), [n], dtype as "float32" | "float64");
        param.requiresGrad = true;
        const Opt = decoupled ? bp.optim.AdamW : bp.optim.Adam;
        const opt = new Opt([param], { lr, betas, eps, weightDecay: wd, amsgrad });
        // Native: the kernel on its own copies.
        const p = new ctor(start), m = new ctor(n), v = new ctor(n), vMax = amsgrad ? new ctor(n) : null;
        for (let step = 1; step <= 3; step++) {
          param.grad = bp.fromStorage(new ctor(grads[step - 1]), [n], dtype as "float32" | "float64");
          opt.step();
          expect(native.adam(p, 0, grads[step - 1], 0, m, v, vMax, n, adamScalars(dtype, step, lr, betas, eps, wd, decoupled))).toBe(true);
          expect(p).toEqual(param.storage);
        }
      });
    }
  }

  it("declines mixed array types (the caller's loop handles them) and checks bounds", () => {
    const s = { negStepSize: -0.1, bc2Sqrt: 1, beta1: 0.9, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001, eps: 1e-8, l2: 0, shrink: 1 };
    const f = new Float32Array(4);
    expect(native.adam(f, 0, new Float64Array(4), 0, f, f, null, 4, s)).toBe(false);
    expect(() => addon.adam(f, 1, f, 0, f, f, null, 4, -0.1, 1, 0.9, 0.1, 0.999, 0.001, 1e-8, 0, 1)).toThrow(
      new RangeError("native adam: param needs 5 elements but the array has 4"),
    );
  });
});

describe("native backend: the optional build (scripts/build-native.mjs)", () => {
  it("a failing compile still exits 0 with a one-line notice and keeps the log", () => {
    // A copy of the sources in a scratch folder, so the real build/ is untouched.
    const repo = fileURLToPath(new URL("../..", import.meta.url));
    const scratch = mkdtempSync(join(tmpdir(), "backprop-native-"));
    try {
      for (const path of ["binding.gyp", "native/src", "scripts/build-native.mjs"]) {
        cpSync(join(repo, path), join(scratch, path), { recursive: true });
      }
      const run = spawnSync(process.execPath, [join(scratch, "scripts/build-native.mjs")], {
        cwd: scratch,
        encoding: "utf8",
        env: {
          ...process.env,
          npm_config_node_gyp: join(repo, "node_modules/node-gyp/bin/node-gyp.js"),
          CXX: "/nonexistent/c++", CC: "/nonexistent/cc", // a machine without a compiler
        },
      });
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(/^backprop: native backend not built \(.+\); using the wasm\/js backends\. Details: .*native-build\.log\n$/);
      expect(run.stdout).toContain("No such file or directory: '/nonexistent/c"); // names the missing compiler
      expect(existsSync(join(scratch, "build/native-build.log"))).toBe(true);
      expect(existsSync(join(scratch, "build/Release/backprop_native.node"))).toBe(false);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it("BACKPROP_SKIP_NATIVE=1 skips the build with a one-line notice", () => {
    const script = fileURLToPath(new URL("../../scripts/build-native.mjs", import.meta.url));
    const run = spawnSync(process.execPath, [script], { encoding: "utf8", env: { ...process.env, BACKPROP_SKIP_NATIVE: "1" } });
    expect(run.status).toBe(0);
    expect(run.stdout).toBe("backprop: native backend skipped (BACKPROP_SKIP_NATIVE=1); using the wasm/js backends\n");
  });
});

describe("native backend: training", () => {
  it("an MLP trained on native follows the JS backend's loss curve (float64: to 1e-9)", () => {
    const losses: Record<string, number[]> = {};
    for (const name of ["js", "native"]) {
      bp.setBackend(name);
      bp.manualSeed(7);
      const x = bp.randn([64, 20], { dtype: "float64" });
      const y = x.narrow(1, 0, 1).mul(x.narrow(1, 1, 1)).tanh();
      const w1 = bp.randn([20, 32], { dtype: "float64" }).mul(0.3).detach(), w2 = bp.randn([32, 1], { dtype: "float64" }).mul(0.3).detach();
      w1.requiresGrad = true;
      w2.requiresGrad = true;
      losses[name] = [];
      for (let step = 0; step < 30; step++) {
        const loss = x.matmul(w1).relu().matmul(w2).sub(y).square().mean();
        losses[name].push(loss.item());
        w1.grad = null;
        w2.grad = null;
        loss.backward();
        bp.noGrad(() => {
          w1.storage.set(w1.sub(w1.grad!.mul(0.1)).data());
          w2.storage.set(w2.sub(w2.grad!.mul(0.1)).data());
        });
      }
    }
    bp.setBackend("js");
    expect(losses.native.at(-1)!).toBeLessThan(0.6 * losses.native[0]);
    losses.native.forEach((l, i) => expect(Math.abs(l - losses.js[i])).toBeLessThan(1e-9 * losses.js[i]));
  });
});
