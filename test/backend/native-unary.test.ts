/**
 * The native backend's exp, sigmoid and tanh against double-precision
 * references built on Math.exp/Math.tanh and rounded once to the dtype,
 * counting the difference in units in the last place (adjacent floats,
 * subnormals included): float32 runs the SIMD kernels (native/src/unary.inc,
 * computed in double and rounded once) on every instruction set this CPU
 * has, float64 the scalar libm loop. Inputs sweep -110..95 (results from
 * the subnormals through overflow), tiny and huge magnitudes, ±0, ±∞, NaN,
 * at odd lengths and offsets so that the ragged ends are covered.
 *
 * The addon is built by `npm install`; this file fails, rather than skips,
 * when it is absent.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { FloatArray, UnaryOp } from "../../src/backend/backend.js";
import { loadNativeBackend, type NativeBackend } from "../../src/backend/native/index.js";

const addon = (loadNativeBackend() as NativeBackend).addon;
const defaultIsa = addon.info().isa;
const ISAS = ["avx512", "avx2", "generic"].filter((isa) => addon.setIsa(isa));
addon.setIsa(defaultIsa);
afterAll(() => { addon.setIsa(defaultIsa); });

const REFERENCE: Record<string, (x: number) => number> = {
  exp: Math.exp,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: Math.tanh,
};
const OPS = Object.keys(REFERENCE) as UnaryOp[];

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;
// float32: the double result is within ~1e-15, so one ulp only at near-ties;
// float64: libm and V8's fdlibm are each within an ulp of the exact value.
const DTYPES: [string, Ctor, number][] = [["float32", Float32Array, 1], ["float64", Float64Array, 2]];

function inputs(ctor: Ctor): FloatArray {
  const values: number[] = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 88.72, 89, -87.3, -103.97, -104, -745, 709.8, 710];
  for (let i = 0; i <= 20500; i++) values.push(-110 + (205 * i) / 20500);  // e^x from 0 through the subnormals to ∞
  for (let i = 0; i < 3000; i++) values.push(-104 + 17 * Math.sin(i * 12.9898) ** 2);  // exp's subnormal results, densely
  for (let e = -149; e <= 127; e++) values.push(2 ** e, -(2 ** e), 1.37 * 2 ** e, -1.37 * 2 ** e);  // tanh's small branch, huge inputs
  values.push(1e-45, -1e-45, 3.4e38, -3.4e38);
  return new ctor(values);
}

/** Distance in representable values (floats or doubles), across zero and the subnormals; NaN must meet NaN. */
function ulps(got: number, want: number, ctor: Ctor): number {
  if (Number.isNaN(want) || Number.isNaN(got)) return Number.isNaN(want) && Number.isNaN(got) ? 0 : Infinity;
  if (got === want) return 0;
  if (!Number.isFinite(want) || !Number.isFinite(got)) return Infinity;
  const ordinal = (v: number): bigint => {
    if (ctor === Float32Array) {
      const i = new Int32Array(new Float32Array([v]).buffer)[0];
      return BigInt(i < 0 ? -(i & 0x7fffffff) : i);
    }
    const i = new BigInt64Array(new Float64Array([v]).buffer)[0];
    return i < 0n ? -(i & 0x7fffffffffffffffn) : i;
  };
  const d = ordinal(got) - ordinal(want);
  return Number(d < 0n ? -d : d);
}

function check(op: UnaryOp, ctor: Ctor, bound: number, what: string): void {
  const code = addon.unaryOps.indexOf(op);
  const x = inputs(ctor);
  // Odd offset and length: the kernels' vector loops end in a ragged tail.
  for (const [off, n] of [[0, x.length], [3, x.length - 8], [5, 13], [1, 3]] as const) {
    const out = new ctor(n);
    addon.unary(code, x, off, out, n, 0, 0);
    for (let i = 0; i < n; i++) {
      const v = x[off + i];
      const want = ctor === Float32Array ? Math.fround(REFERENCE[op](v)) : REFERENCE[op](v);
      if (!(ulps(out[i], want, ctor) <= bound)) expect.fail(`${what} ${op}(${v}) is ${out[i]}, reference ${want}`);
      if (Object.is(want, -0) !== Object.is(out[i], -0)) expect.fail(`${what} ${op}(${v}) is ${out[i]}, reference ${want} (sign of zero)`);
    }
  }
}

describe("native exp, sigmoid and tanh", () => {
  it("the float32 kernels use the best instruction set this CPU has", () => {
    expect(addon.info().unaryIsa).toBe(defaultIsa);
    expect(ISAS).toContain("generic");
  });

  for (const [dtype, ctor, bound] of DTYPES) {
    it(`${dtype}: within ${bound} ulp of the Math-based reference on every instruction set, special values included`, () => {
      try {
        for (const isa of ISAS) {
          expect(addon.setIsa(isa)).toBe(true);
          expect(addon.info().unaryIsa).toBe(isa);
          for (const op of OPS) check(op, ctor, bound, `${dtype} ${isa}`);
        }
      } finally {
        addon.setIsa(defaultIsa);
      }
    });
  }

  it("float32 exp: e^x rounds to 0 below about -103.97 and to ∞ above about 88.72, subnormals in between", () => {
    const x = new Float32Array([-104, -103.9, -88, 88.7, 88.8, NaN]);
    const out = new Float32Array(6);
    addon.unary(addon.unaryOps.indexOf("exp"), x, 0, out, 6, 0, 0);
    expect(out[0]).toBe(0);
    expect(out[1]).toBe(2 ** -149);  // e^-103.9 ≈ 7.5e-46, just above half the smallest subnormal
    expect(out[2]).toBeLessThan(2 ** -126);  // subnormal
    expect(out[2]).toBeGreaterThan(0);
    expect(out[3]).toBeLessThan(Infinity);
    expect(out[4]).toBe(Infinity);
    expect(out[5]).toBeNaN();
  });
});

/**
 * float32 erf, GELU and GELU's gradient (W7): vectors whose lanes all have
 * |z| < 2.5 look up erf's Taylor table (AVX-512: a load per lane's row and
 * a transpose; AVX2: gathers), the rest take the scalar formula per
 * lane. The table lookups round as the scalar erf does, so erf and GELU give
 * the same bits on every instruction set; the gradient's e^{−x²/2} comes
 * from the SIMD exp there, so it may differ by one ulp. Against the JS
 * kernel (its own table, built from its own erf(c)), one ulp.
 */
describe("native float32 erf, gelu and geluBackward", () => {
  const ctor = Float32Array;
  const values: number[] = [NaN, Infinity, -Infinity, 0, -0, 3.5355, -3.5355, 3.5356, -3.5356, 1e-30, -1e-30];
  for (let i = 0; i <= 8000; i++) values.push(-8 + (16 * i) / 8000);
  for (let i = 0; i < 2000; i++) values.push(5 * Math.sin(i * 12.9898));
  const x = new ctor(values);
  const g = new ctor(values.map((_, i) => Math.cos(i * 0.37)));

  function run(op: "erf" | "gelu" | "geluBackward", off: number, n: number): Float32Array {
    const out = new ctor(n);
    if (op === "geluBackward") addon.binary(addon.binaryOps.indexOf(op), g, off, 0, 1, x, off, 0, 1, out, 1, n);
    else addon.unary(addon.unaryOps.indexOf(op), x, off, out, n, 0, 0);
    return out;
  }

  it("the instruction sets agree: erf and gelu bit for bit, the gradient within 1 ulp", () => {
    try {
      const results = ISAS.map((isa) => {
        expect(addon.setIsa(isa)).toBe(true);
        // Odd offset and length: the vector loops end in a ragged tail.
        return (["erf", "gelu", "geluBackward"] as const).map((op) => run(op, 3, x.length - 8));
      });
      for (let s = 1; s < results.length; s++) {
        results[s].forEach((out, k) => {
          const want = results[0][k];
          for (let i = 0; i < out.length; i++) {
            const bound = k === 2 ? 1 : 0;
            if (!(ulps(out[i], want[i], ctor) <= bound)) expect.fail(`${ISAS[s]} op ${k} at x = ${x[3 + i]}: ${out[i]}, ${ISAS[0]} gives ${want[i]}`);
          }
        });
      }
    } finally {
      addon.setIsa(defaultIsa);
    }
  });

  it("within 1 ulp of the JS kernels, special values included", async () => {
    const { jsBackend } = await import("../../src/backend/js/index.js");
    for (const op of ["erf", "gelu", "geluBackward"] as const) {
      const got = run(op, 0, x.length);
      const want = new ctor(x.length);
      if (op === "geluBackward") jsBackend.binary(op, g, 0, [1], x, 0, [1], want, [x.length]);
      else jsBackend.unary(op, x, 0, want, x.length, 0, 0);
      for (let i = 0; i < got.length; i++) {
        if (!(ulps(got[i], want[i], ctor) <= 1)) expect.fail(`${op}(${x[i]}) is ${got[i]}, JS gives ${want[i]}`);
      }
    }
  });
});
