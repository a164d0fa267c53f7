/**
 * The wasm GELU kernels (asm/gelu.ts) against the JS kernels: GELU's output
 * bit for bit on these values (the same erf table, index, offset and Horner
 * steps, in float64 lanes, rounded once; past |x/√2| = 2.5 the runtimes'
 * exp could part at a near-tie, which none of these values is), its fused gradient within 1 ulp (e^{−x²/2}
 * from a polynomial instead of Math.exp) and almost always bit for bit; above
 * the real dispatch threshold and, forced, at every small size (the eight-
 * lane groups, the scalar tail), on values that reach every branch: the
 * table, erfc's continued fraction past |x/√2| = 2.5, ±0, ±∞, NaN, subnormals.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";
import { jsBackend } from "../../src/backend/js/index.js";
import { createWasmBackend, thresholds, type WasmBackend } from "../../src/backend/wasm/index.js";
import { setKernelThresholdsForTesting } from "../../src/backend/policy.js";
import { float32Bits as bits, maxUlps } from "./float32-ulps.js";
import { BINARY_CODES, UNARY_CODES } from "../../src/backend/wasm/opcodes.js";

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
});
