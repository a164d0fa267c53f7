/**
 * The WebAssembly SIMD backend, kernel by kernel, against independent
 * float64 references (matmul, sums) and against the JS kernels where float32
 * arithmetic is exactly rounded in both (add, sub, mul, div, sqrt, …).
 * The op-level spec (test/core/*.test.ts) also runs on "wasm".
 */
import { setFlagsFromString } from "node:v8";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";
import { jsBackend } from "../../src/backend/js/index.js";
import { createWasmBackend, thresholds, type WasmBackend } from "../../src/backend/wasm/index.js";
import type { BinaryOp, UnaryOp } from "../../src/backend/backend.js";

let wasm: WasmBackend;
const gen = new bp.Generator(1234);

function randomF32(n: number): Float32Array {
  return bp.randn([n], { generator: gen }).data() as Float32Array;
}

/** float64 reference of one [m,k]·[k,n] product, reading A and B through their stored layouts. */
function referenceMatmul(a: Float32Array, transA: boolean, b: Float32Array, transB: boolean, m: number, k: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j]);
      out[i * n + j] = s;
    }
  }
  return out;
}

/** Largest |got − want| relative to Σ|a||b| scale, which bounds float32 accumulation error. */
function expectClose(got: Float32Array, want: Float64Array, k: number): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  // Entries of a product of N(0,1) matrices are ~√k; float32 summation error stays far below 1e-5·k.
  expect(worst).toBeLessThan(1e-5 * k);
  expect(Number.isFinite(worst)).toBe(true);
}

beforeAll(async () => {
  wasm = await createWasmBackend();
});

afterAll(() => {
  bp.setNumThreads(2);
});

describe("wasm backend: loading", () => {
  it("is offered where SIMD validates, and setBackend switches to it", async () => {
    expect(bp.availableBackends()).toContain("wasm");
    await bp.setBackend("wasm");
    expect(bp.getBackend()).toBe("wasm");
    await bp.setBackend("js");
    expect(bp.getBackend()).toBe("js");
  });

  it('setBackend("auto") picks the fastest available backend', async () => {
    await bp.setBackend("auto");
    expect(["native", "wasm"]).toContain(bp.getBackend());
    await bp.setBackend("js");
  });

  it("names the backends that exist when asked for an unknown one", () => {
    expect(() => bp.setBackend("gpu")).toThrow('setBackend: unknown backend "gpu"; available: "js", "wasm"');
  });

  it("rejects a thread count that is not a positive integer", () => {
    expect(() => bp.setNumThreads(0)).toThrow("setNumThreads: expected a positive integer, got 0");
    expect(() => bp.setNumThreads(1.5)).toThrow(bp.ValueError);
  });
});

/**
 * The GEMM spec, run on the plain SIMD build and on the relaxed-SIMD build
 * (fused multiply-add), which Node 20 validates only behind a V8 flag that
 * this file turns on for the second run.
 */
describe.each(["simd", "relaxed-simd"] as const)("wasm backend: matmul (%s)", (isa) => {
  let gemmBackend: WasmBackend;
  beforeAll(async () => {
    if (isa === "relaxed-simd") setFlagsFromString("--experimental-wasm-relaxed-simd");
    gemmBackend = isa === "simd" ? wasm : await createWasmBackend();
    expect(gemmBackend.isa).toBe(isa);
  });

  const shapes: [number, number, number][] = [
    [37, 53, 71], // no dimension a multiple of the 4×8 tile
    [64, 8, 32], // the lecture MLP's first layer
    [128, 300, 10], // k spans two depth slabs of 256
    [4, 1000, 8],
    [1, 4096, 3],
  ];
  for (const [m, k, n] of shapes) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        it(`[${m},${k}]·[${k},${n}] transA=${transA} transB=${transB} matches a float64 reference`, () => {
          expect(m * k * n).toBeGreaterThanOrEqual(thresholds.matmulMinMacs);
          const a = randomF32(m * k), b = randomF32(k * n);
          const out = new Float32Array(m * n);
          gemmBackend.matmul(a, 0, 0, transA, b, 0, 0, transB, out, 1, m, k, n);
          expectClose(out, referenceMatmul(a, transA, b, transB, m, k, n), k);
        });
      }
    }
  }

  it("reads operands at an offset and broadcasts a batch stride of 0", () => {
    const batch = 3, m = 20, k = 30, n = 40;
    const a = randomF32(5 + batch * m * k), b = randomF32(7 + k * n);
    const out = new Float32Array(batch * m * n);
    gemmBackend.matmul(a, 5, m * k, false, b, 7, 0, false, out, batch, m, k, n);
    for (let bi = 0; bi < batch; bi++) {
      const want = referenceMatmul(a.subarray(5 + bi * m * k), false, b.subarray(7), false, m, k, n);
      expectClose(out.subarray(bi * m * n, (bi + 1) * m * n), want, k);
    }
  });

  it("gives zeros for k = 0 and leaves float64 to the JS kernel exactly", () => {
    const out = new Float32Array(6).fill(7);
    gemmBackend.matmul(new Float32Array(0), 0, 0, false, new Float32Array(0), 0, 0, false, out, 1, 2, 0, 3);
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 0, 0]);
    const a = Float64Array.from(randomF32(40 * 50)), b = Float64Array.from(randomF32(50 * 60));
    const got = new Float64Array(40 * 60), want = new Float64Array(40 * 60);
    gemmBackend.matmul(a, 0, 0, false, b, 0, 0, true, got, 1, 40, 50, 60);
    jsBackend.matmul(a, 0, 0, false, b, 0, 0, true, want, 1, 40, 50, 60);
    expect(got).toEqual(want);
  });

  it("splits large products across two threads with results identical to one thread", async () => {
    for (const [m, k, n] of [[300, 200, 150], [100, 300, 400]] as const) { // split by rows, then by columns
      expect(m * k * n).toBeGreaterThanOrEqual(thresholds.threadMinMacs);
      const a = randomF32(m * k), b = randomF32(k * n);
      bp.setNumThreads(1);
      const one = new Float32Array(m * n);
      gemmBackend.matmul(a, 0, 0, true, b, 0, 0, false, one, 1, m, k, n);
      bp.setNumThreads(2);
      expect(await gemmBackend.threadsReady()).toBe(2);
      const before = gemmBackend.threadedMatmuls;
      const two = new Float32Array(m * n);
      gemmBackend.matmul(a, 0, 0, true, b, 0, 0, false, two, 1, m, k, n);
      expect(gemmBackend.threadedMatmuls).toBe(before + 1);
      expect(two).toEqual(one);
      expectClose(two, referenceMatmul(a, true, b, false, m, k, n), k);
    }
  });
});

describe("wasm backend: elementwise and sums", () => {
  const n = thresholds.elementwiseMin + 7; // above the threshold, and not a multiple of 4 lanes
  const binaryOps: BinaryOp[] = ["add", "sub", "mul", "div", "maximum", "minimum"];
  const layouts: [string, number[], number[], number[]][] = [
    // name, shape, a strides, b strides
    ["same shape", [n], [1], [1]],
    ["tensor with scalar", [n], [1], [0]],
    ["scalar with tensor", [n], [0], [1]],
    ["row broadcast (bias)", [n >> 5, 32], [32, 1], [0, 1]],
    ["column broadcast", [32, n >> 5], [n >> 5, 1], [1, 0]],
  ];
  for (const op of binaryOps) {
    for (const [name, shape, sa, sb] of layouts) {
      it(`${op}, ${name}, equals the JS kernel exactly (NaN included)`, () => {
        const a = randomF32(n + 3), b = randomF32(n + 3);
        a[10] = NaN; b[11] = NaN; b[12] = 0; // NaN propagation, division by zero
        const total = shape.reduce((x, y) => x * y, 1);
        const got = new Float32Array(total), want = new Float32Array(total);
        wasm.binary(op, a, 3, sa, b, 1, sb, got, shape);
        jsBackend.binary(op, a, 3, sa, b, 1, sb, want, shape);
        expect(got).toEqual(want);
      });
    }
  }

  const unaryOps: [UnaryOp, number, number][] = [
    ["copy", 0, 0], ["neg", 0, 0], ["abs", 0, 0], ["sqrt", 0, 0], ["square", 0, 0],
    ["reciprocal", 0, 0], ["relu", 0, 0], ["clamp", -0.5, 0.75], ["clamp", -Infinity, 0.5], ["leakyRelu", 0.25, 0],
  ];
  for (const [op, p0, p1] of unaryOps) {
    it(`${op}(${p0}, ${p1}) equals the JS kernel exactly`, () => {
      const x = randomF32(n + 2);
      x[5] = NaN; x[6] = 0; x[7] = -0;
      const got = new Float32Array(n), want = new Float32Array(n);
      wasm.unary(op, x, 2, got, n, p0, p1);
      jsBackend.unary(op, x, 2, want, n, p0, p1);
      expect(got).toEqual(want);
    });
  }

  /** Distance in units in the last place between two float32 values of the same sign. */
  function ulps(x: number, y: number): number {
    const bits = new Int32Array(new Float32Array([x, y]).buffer);
    return Math.abs(bits[0] - bits[1]);
  }

  for (const op of ["exp", "sigmoid"] as const) {
    it(`${op} is within 2 ulp of the JS kernel from −110 to 110, with NaN and ±Infinity exact`, () => {
      const count = 1 << 16;
      const x = new Float32Array(count);
      for (let i = 0; i < count; i++) x[i] = (i / count) * 220 - 110;
      x[1] = NaN; x[2] = Infinity; x[3] = -Infinity; x[4] = 0; x[5] = -88.72; x[6] = 88.73;
      const got = new Float32Array(count), want = new Float32Array(count);
      wasm.unary(op, x, 0, got, count, 0, 0);
      jsBackend.unary(op, x, 0, want, count, 0, 0);
      expect([got[1], got[2], got[3], got[4]]).toEqual([want[1], want[2], want[3], want[4]]);
      let worst = 0;
      for (let i = 0; i < count; i++) if (!Object.is(got[i], want[i])) worst = Math.max(worst, ulps(got[i], want[i]));
      expect(worst).toBeLessThanOrEqual(2);
      expect(worst).toBeGreaterThan(0); // the SIMD kernel ran (it is not bit-identical to Math.exp)
    });
  }

  for (const [outer, axis, inner] of [[3, thresholds.reduceMin + 3, 1], [1, 1000, 33], [2, 300, 64], [5, 40, 8]] as const) {
    it(`sum over the middle of [${outer}, ${axis}, ${inner}] matches a float64 sum`, () => {
      const x = randomF32(outer * axis * inner + 1);
      const got = new Float32Array(outer * inner);
      wasm.reduce("sum", x, 1, outer, axis, inner, got);
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          let s = 0;
          for (let k = 0; k < axis; k++) s += x[1 + (o * axis + k) * inner + i];
          expect(Math.abs(got[o * inner + i] - s)).toBeLessThan(1e-6 * axis);
        }
      }
    });
  }
});

describe("wasm backend: through the public API", () => {
  it("trains a small float32 MLP to the same losses as the JS backend", async () => {
    const lossCurve = async (name: string): Promise<number[]> => {
      await bp.setBackend(name);
      bp.manualSeed(7);
      const x = bp.randn([256, 64]);
      const y = x.narrow(1, 0, 8).sum(1, true).tanh();
      const w1 = bp.randn([64, 128]).mul(0.1).detach(), w2 = bp.randn([128, 1]).mul(0.1).detach();
      w1.requiresGrad = true; w2.requiresGrad = true;
      const losses: number[] = [];
      for (let step = 0; step < 30; step++) {
        const loss = x.matmul(w1).relu().matmul(w2).sub(y).square().mean();
        loss.backward();
        bp.noGrad(() => {
          w1.storage.set(w1.sub(w1.grad!.mul(0.05)).data() as Float32Array);
          w2.storage.set(w2.sub(w2.grad!.mul(0.05)).data() as Float32Array);
        });
        w1.grad = null; w2.grad = null;
        losses.push(loss.item());
      }
      return losses;
    };
    const js = await lossCurve("js");
    const fast = await lossCurve("wasm");
    await bp.setBackend("js");
    expect(fast[29]).toBeLessThan(0.5 * fast[0]);
    for (let i = 0; i < 30; i++) expect(Math.abs(fast[i] - js[i])).toBeLessThan(1e-4 * js[i]);
  });
});

describe("wasm backend: fused Adam", () => {
  type Setup = { name: string; make: (params: bp.Tensor[]) => { step(): void } };
  const setups: Setup[] = [
    { name: "Adam", make: (ps) => new bp.optim.Adam(ps, { lr: 0.01 }) },
    { name: "Adam with weightDecay and amsgrad", make: (ps) => new bp.optim.Adam(ps, { lr: 0.01, weightDecay: 0.1, amsgrad: true }) },
    { name: "AdamW", make: (ps) => new bp.optim.AdamW(ps, { lr: 0.01, weightDecay: 0.05 }) },
  ];
  for (const { name, make } of setups) {
    it(`${name} on float32 gives bit-identical parameters to the JS loop (odd size, NaN in a gradient)`, async () => {
      const size = thresholds.elementwiseMin * 2 + 1;
      const run = async (backendName: string): Promise<Float32Array> => {
        await bp.setBackend(backendName);
        const p = bp.tensor(randomFromSeed(size, 11), { requiresGrad: true });
        const opt = make([p]);
        for (let step = 0; step < 4; step++) {
          const g = randomFromSeed(size, 20 + step);
          if (step === 2) g[7] = NaN;
          p.grad = bp.tensor(g);
          opt.step();
        }
        return p.data() as Float32Array;
      };
      const js = await run("js");
      const fast = await run("wasm");
      await bp.setBackend("js");
      expect(fast).toEqual(js);
      expect(Number.isNaN(fast[7])).toBe(true);
    });
  }

  it("declines float64 parameters and small tensors (the optimizer's own loop runs)", () => {
    const s = { negStepSize: -0.01, bc2Sqrt: 0.04, beta1: 0.9, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001, eps: 1e-8, l2: 0, shrink: 1 };
    const n = thresholds.elementwiseMin;
    const f64 = () => new Float64Array(n);
    expect(wasm.adam!(f64(), 0, f64(), 0, f64(), f64(), null, n, s)).toBe(false);
    const f32 = (k: number) => new Float32Array(k);
    expect(wasm.adam!(f32(8), 0, f32(8), 0, f32(8), f32(8), null, 8, s)).toBe(false);
  });
});

/** Normal float32 values from a seeded generator of their own. */
function randomFromSeed(n: number, seed: number): Float32Array {
  return bp.randn([n], { generator: new bp.Generator(seed) }).data() as Float32Array;
}
