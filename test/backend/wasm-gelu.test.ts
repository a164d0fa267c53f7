/**
 * The wasm GELU kernels (asm/gelu.ts) against the JS kernels: GELU's output
 * bit for bit on these values (the same erf table, index, offset and Horner
 * steps, in float64 lanes, rounded once; past |x/√2| = 2.5 the runtimes'
 * exp could part at a near-tie, which none of these values is), its fused gradient within 1 ulp (e^{−x²/2}
 * from a polynomial instead of Math.exp) and almost always bit for bit; above
 * the real dispatch threshold and, forced, at every small size (the eight-
 * lane groups, the scalar tail), on values that reach every branch: the
 * table, erfc's continued fraction past |x/√2| = 2.5, ±0, ±∞, NaN, subnormals.
 *
 * The kernels' fast path (a coarser erf, kept only where its result is far
 * enough from a float32 rounding boundary) must change no bit: GELU is
 * checked against the JS kernel on a million inputs across the table's
 * range and on inputs found next to rounding boundaries (which send their
 * group to the exact path); the gradient against a JS model of the exact
 * path's own arithmetic (exactGeluGrad below), bit for bit. The script
 * scripts/check-wasm-gelu.mjs checks GELU on every float32 in the range.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";
import { jsBackend } from "../../src/backend/js/index.js";
import { createWasmBackend, thresholds, type WasmBackend } from "../../src/backend/wasm/index.js";
import { setKernelThresholdsForTesting } from "../../src/backend/policy.js";
import { float32Bits as bits, maxUlps } from "./float32-ulps.js";
import { BINARY_CODES, UNARY_CODES } from "../../src/backend/wasm/opcodes.js";
import { erf } from "../../src/backend/js/special.js";

let wasm: WasmBackend;

beforeAll(async () => {
  wasm = await createWasmBackend();
});

afterAll(() => {
  setKernelThresholdsForTesting({ force: false });
});

const SPECIALS = [
  NaN, Infinity, -Infinity, 0, -0, 1e-45, -1e-45, 1e-38, -1e-38, 3.4e38, -3.4e38,
  // |x/√2| around the table's end (2.5) and erfc's cut-off (27).
  3.5355338, -3.5355338, 3.5355341, -3.5355341, 38.18, -38.18, 38.19, -38.19, 10, -10, 6, -6,
];

/** n values: normals of scale 1.5 (GELU's usual inputs), some scaled wide, and the specials. */
function values(n: number, seed: number): Float32Array {
  const x = bp.randn([n], { generator: new bp.Generator(seed) }).data() as Float32Array;
  for (let i = 0; i < n; i++) x[i] *= i % 5 === 2 ? 4 : 1.5;
  for (let j = 0; j < SPECIALS.length && j < n; j++) x[(j * 37 + seed) % n] = SPECIALS[j];
  return x;
}

describe("wasm backend: GELU", () => {
  it("routes gelu and geluBackward to the asm kernels (not back to JS)", () => {
    expect([UNARY_CODES.has("gelu"), BINARY_CODES.has("geluBackward")]).toEqual([true, true]);
  });

  const sizes: [string, number, boolean][] = [
    ["above the real threshold", thresholds.transcendentalMin + 13, false],
    ["a large call", 40_000 + 5, false],
    ...[1, 3, 7, 8, 9, 15, 16, 17, 63].map((n): [string, number, boolean] => [`forced, ${n} values`, n, true]),
  ];

  for (const [name, n, force] of sizes) {
    it(`${name}: gelu has the JS kernel's bits`, () => {
      setKernelThresholdsForTesting({ force });
      const x = values(n + 2, 1);
      const got = new Float32Array(n), want = new Float32Array(n);
      wasm.unary("gelu", x, 2, got, n, 0, 0);
      jsBackend.unary("gelu", x, 2, want, n, 0, 0);
      expect(bits(got)).toEqual(bits(want));
    });
  }

  const n = thresholds.transcendentalMin * 2 + 5;
  const layouts: [string, number[], number[], number[]][] = [
    ["same shape", [n], [1], [1]],
    ["gradient a scalar", [n], [0], [1]],
    ["input a scalar", [n], [1], [0]],
    ["row broadcast", [n >> 5, 32], [32, 1], [0, 1]],
    ["column broadcast", [32, n >> 5], [n >> 5, 1], [1, 0]],
  ];
  for (const [name, shape, sa, sb] of layouts) {
    for (const force of [false, true]) {
      it(`geluBackward, ${name}${force ? ", forced" : ""}: within 1 ulp of the JS kernel, nearly always its bits`, () => {
        setKernelThresholdsForTesting({ force });
        const g = values(n + 3, 2), x = values(n + 3, 3);
        const total = shape.reduce((p, q) => p * q, 1);
        const got = new Float32Array(total), want = new Float32Array(total);
        wasm.binary("geluBackward", g, 3, sa, x, 1, sb, got, shape);
        jsBackend.binary("geluBackward", g, 3, sa, x, 1, sb, want, shape);
        expect(maxUlps(got, want)).toBeLessThanOrEqual(1);
        let same = 0;
        for (let i = 0; i < total; i++) if (Object.is(got[i], want[i]) || (Number.isNaN(got[i]) && Number.isNaN(want[i]))) same++;
        expect(same / total).toBeGreaterThan(0.99);
      });
    }
  }

  it("forced, small gradients (the scalar tail and single groups) stay within 1 ulp", () => {
    setKernelThresholdsForTesting({ force: true });
    for (const size of [1, 4, 7, 8, 9, 17]) {
      const g = values(size, 4), x = values(size, 5);
      const got = new Float32Array(size), want = new Float32Array(size);
      wasm.binary("geluBackward", g, 0, [1], x, 0, [1], got, [size]);
      jsBackend.binary("geluBackward", g, 0, [1], x, 0, [1], want, [size]);
      expect(maxUlps(got, want), `${size} values`).toBeLessThanOrEqual(1);
    }
  });

  it("hand values: gelu(0) = 0, gelu(−0) = −0, gelu(∞) = ∞, gelu(NaN) = NaN; gelu(1) = Φ(1) to float32", () => {
    setKernelThresholdsForTesting({ force: true });
    const x = new Float32Array([0, -0, Infinity, NaN, 1, -1, 2, -2]);
    const got = new Float32Array(x.length);
    wasm.unary("gelu", x, 0, got, x.length, 0, 0);
    expect([Object.is(got[0], 0), Object.is(got[1], -0), got[2], got[3]]).toEqual([true, true, Infinity, NaN]);
    // Φ(1) = 0.8413447460685429, Φ(−1) = 0.15865525393145707, Φ(2) = 0.9772498680518208 (tables of the normal cdf).
    expect(Array.from(got.subarray(4))).toEqual(Array.from(new Float32Array([
      0.8413447460685429, -0.15865525393145707, 2 * 0.9772498680518208, -2 * (1 - 0.9772498680518208),
    ])));
  });

  it("the fast path, a million inputs across the erf table's range (|x/√2| < 2.5) and normals: gelu has the JS kernel's bits", () => {
    setKernelThresholdsForTesting({ force: false });
    const n = 1 << 20;
    const x = new Float32Array(n);
    const normal = values(n, 7);
    for (let i = 0; i < n; i++) x[i] = i % 2 === 0 ? (i / n - 0.5) * 7.07 : normal[i];
    const got = new Float32Array(n), want = new Float32Array(n);
    wasm.unary("gelu", x, 0, got, n, 0, 0);
    jsBackend.unary("gelu", x, 0, want, n, 0, 0);
    expect(mismatches(got, want)).toEqual([]);
  });

  it("inputs next to float32 rounding boundaries (their groups take the exact path) and −0 among table values: gelu has the JS kernel's bits", () => {
    setKernelThresholdsForTesting({ force: false });
    const generator = new bp.Generator(11);
    const candidates = bp.rand([1 << 20], { generator }).data() as Float32Array;
    const near: number[] = [];
    for (let i = 0; i < candidates.length; i++) {
      const v = Math.fround((candidates[i] - 0.5) * 7.07);
      // The JS kernel's float64 value, before it is rounded to float32.
      const y = 0.5 * v * (1 + erf(v * Math.SQRT1_2));
      if (boundaryDistance(y) < Math.abs(v) * 4e-13) near.push(v);
    }
    // The fast path's check catches these (its bound is |x|·2e-13 and more): a couple of thousand, most in the negative tail.
    expect(near.length).toBeGreaterThan(100);
    // Each in its own group of eight, with table values around it; then groups holding −0.
    const x = new Float32Array(8 * near.length + 16);
    for (let i = 0; i < x.length; i++) x[i] = ((i % 13) - 6) * 0.37;
    near.forEach((v, i) => { x[8 * i + (i % 8)] = v; });
    x[8 * near.length + 3] = -0;
    x[8 * near.length + 8] = -0;
    const got = new Float32Array(x.length), want = new Float32Array(x.length);
    wasm.unary("gelu", x, 0, got, x.length, 0, 0);
    jsBackend.unary("gelu", x, 0, want, x.length, 0, 0);
    expect(bits(got)).toEqual(bits(want));
    expect(Object.is(got[8 * near.length + 3], -0)).toBe(true);
  });

  it("the fast path, a million gradients across the table's range, edge gradients and the zero of gelu′ near x = −0.75: the exact path's bits", () => {
    setKernelThresholdsForTesting({ force: false });
    const n = 1 << 20;
    const g = values(n, 12), x = new Float32Array(n);
    const r = bp.rand([n], { generator: new bp.Generator(13) }).data() as Float32Array;
    const gEdges = [0, -0, 1e-45, -3e-39, 3.4e38, -3.4e38, 1e30, Infinity, NaN];
    for (let i = 0; i < n; i++) {
      // A tenth of the inputs where gelu′ = Φ(x) + x·φ(x) crosses 0 (x ≈ −0.7518), so that its two terms cancel.
      x[i] = i % 10 === 3 ? -0.7518 + (r[i] - 0.5) * 1e-3 : (r[i] - 0.5) * 7.07;
      if (i % 997 === 5) g[i] = gEdges[(i / 997 | 0) % gEdges.length];
    }
    const got = new Float32Array(n);
    wasm.binary("geluBackward", g, 0, [1], x, 0, [1], got, [n]);
    const want = new Float32Array(n);
    for (let i = 0; i < n; i++) want[i] = exactGeluGrad(g[i], x[i]);
    expect(mismatches(got, want)).toEqual([]);
  });

  it("gradients next to float32 rounding boundaries (their groups take the exact path), broadcast gradient and input: the exact path's bits", () => {
    setKernelThresholdsForTesting({ force: false });
    const r = bp.rand([1 << 20], { generator: new bp.Generator(14) }).data() as Float32Array;
    const gs: number[] = [], xs: number[] = [];
    for (let i = 0; i + 1 < r.length; i += 2) {
      const gv = Math.fround(r[i] * 4 - 2), xv = Math.fround((r[i + 1] - 0.5) * 7.07);
      const y = exactGeluGrad(gv, xv, false);
      if (boundaryDistance(y) < Math.abs(gv) * 4e-13) { gs.push(gv); xs.push(xv); }
    }
    expect(gs.length).toBeGreaterThan(20);
    const m = 8 * gs.length;
    const g = new Float32Array(m), x = new Float32Array(m);
    for (let i = 0; i < m; i++) { g[i] = ((i % 7) - 3) * 0.41; x[i] = ((i % 11) - 5) * 0.61; }
    gs.forEach((v, i) => { g[8 * i + (i % 8)] = v; x[8 * i + (i % 8)] = xs[i]; });
    const got = new Float32Array(m);
    wasm.binary("geluBackward", g, 0, [1], x, 0, [1], got, [m]);
    const want = Float32Array.from(g, (gv, i) => exactGeluGrad(gv, x[i]));
    expect(mismatches(got, want)).toEqual([]);
    // One gradient or one input for all (the kernel's step-0 operands).
    for (const [gStep, xStep] of [[0, 1], [1, 0]]) {
      const out = new Float32Array(m - 8);
      wasm.binary("geluBackward", g, 8, [gStep], x, 8, [xStep], out, [m - 8]);
      const expected = Float32Array.from(out, (_, i) => exactGeluGrad(g[8 + i * gStep], x[8 + i * xStep]));
      expect(mismatches(out, expected), `steps ${gStep}, ${xStep}`).toEqual([]);
    }
  });
});

/** How far the float64 y lies from the nearest float32 rounding boundary (the midpoint to its float32 neighbour). */
function boundaryDistance(y: number): number {
  const f = Math.fround(y);
  if (f === y || !Number.isFinite(f) || f === 0) return Infinity;
  const b = new Float32Array([f]), u = new Int32Array(b.buffer);
  // The neighbour on y's side: one step away from zero when |y| > |f|, else towards it.
  u[0] += Math.abs(y) > Math.abs(f) ? 1 : -1;
  return Math.abs(y - (f + b[0]) / 2);
}

/** Indices (at most 5) where two float32 arrays differ in bits, NaN matching NaN. */
function mismatches(got: Float32Array, want: Float32Array): string[] {
  const out: string[] = [];
  const gb = bits(got), wb = bits(want);
  for (let i = 0; i < got.length && out.length < 5; i++) {
    if (gb[i] !== wb[i] && !(Number.isNaN(got[i]) && Number.isNaN(want[i]))) out.push(`${i}: ${got[i]} vs ${want[i]}`);
  }
  return out;
}

/** Coefficients of e^r in asm/gelu.ts's expLanes, of r⁰ … r¹¹. */
const EXP_TAYLOR = [1, 1, 0.5, 0.16666666666666666, 4.1666666666666664e-2, 8.333333333333333e-3, 1.388888888888889e-3,
  1.984126984126984e-4, 2.48015873015873e-5, 2.7557319223985893e-6, 2.755731922398589e-7, 2.505210838544172e-8];

/** Round half to even (f64x2.nearest). */
function nearest(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** asm/gelu.ts's expLanes for one lane, step for step (x in [−7, 0] here: 2ⁿ is a normal double). */
function expLanes(x: number): number {
  const n = nearest(x * 1.4426950408889634);
  const r = (x - n * 6.93147180369123816490e-01) - n * 1.90821492927058770002e-10;
  const c = EXP_TAYLOR;
  const r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
  const p01 = c[0] + c[1] * r, p23 = c[2] + c[3] * r, p45 = c[4] + c[5] * r, p67 = c[6] + c[7] * r;
  const p89 = c[8] + c[9] * r, pab = c[10] + c[11] * r;
  return ((p01 + r2 * p23) + (r4 * (p45 + r2 * p67) + r8 * (p89 + r2 * pab))) * 2 ** n;
}

/**
 * The exact path of geluBackwardF32 for |x/√2| < 2.5 (groups within the
 * table), as a JS model: erf from the JS kernel (the same table and steps),
 * g·(0.5·(1 + erf) + (x·(1/√(2π)))·e^{(−0.5·x)·x}) in double, rounded once
 * (`round` false: the double).
 */
function exactGeluGrad(g: number, x: number, round = true): number {
  const e = erf(x * 0.7071067811865476);
  const y = g * (0.5 * (1 + e) + (x * 0.3989422804014327) * expLanes((-0.5 * x) * x));
  return round ? Math.fround(y) : y;
}
