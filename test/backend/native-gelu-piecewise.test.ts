/**
 * GELU's polynomial fast path on AVX-512 (native/src/gelu_piecewise.h,
 * unary.inc): a vector takes it only when its result provably rounds to
 * the table path's float, else it takes the table path. So float32 gelu and
 * geluBackward must give the table path's bits everywhere. The AVX2 kernels
 * run the table path alone (the bits every instruction set gave before),
 * so they are the reference here: millions of inputs, on the kernels
 * directly and through bp.gelu's forward and backward (above the real
 * dispatch threshold and forced), with ±0, subnormals, interval edges
 * (multiples of 1/4), the |x/√2| = 2.5 cutoff, large |x|, NaN and ±∞, and
 * gradients that are ±0, subnormal, huge, NaN or infinite. The JS kernels
 * stay within 1 ulp (docs/semantics.md).
 *
 * (The exhaustive check over every float32 input the fast path takes is
 * native/tools/verify_gelu_piecewise.cc; too slow for the suite.)
 */
import { afterAll, describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";
import { jsBackend } from "../../src/backend/js/index.js";
import { loadNativeBackend, type NativeBackend } from "../../src/backend/native/index.js";
import { setKernelThresholdsForTesting } from "../../src/backend/policy.js";

const addon = (loadNativeBackend() as NativeBackend).addon;
const defaultIsa = addon.info().isa;
// The kernels with the fast path, and the table path alone. Without
// AVX-512 (no fast path) or AVX2 both are the default kernels, which then
// trivially agree; this suite's machines have AVX-512.
const FAST = addon.setIsa("avx512") ? "avx512" : defaultIsa;
const TABLE = addon.setIsa("avx2") ? "avx2" : defaultIsa;
addon.setIsa(defaultIsa);
afterAll(() => {
  addon.setIsa(defaultIsa);
  setKernelThresholdsForTesting({ force: false });
});

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function fromBits(b: number): number {
  u32[0] = b >>> 0;
  return f32[0];
}

/** Seeded uniform integers (a small LCG; the values only need to spread). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1e-45, -1e-45, 1.1754942e-38, -1.1754942e-38, 1e-30, -1e-30,
  3.5355, -3.5355, 3.5356, -3.5356, 3.4e38, -3.4e38, 8, -8, 100, -100];

/** n inputs: uniform float bit patterns below |x| = 3.6, uniform values, interval edges ± a few ulps, specials. */
function inputs(n: number, seed: number): Float32Array {
  const next = lcg(seed);
  const limit = new Uint32Array(new Float32Array([3.6]).buffer)[0];
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const kind = next() % 16;
    if (kind < 7) x[i] = fromBits((next() % limit) | (next() & 0x80000000));
    else if (kind < 13) x[i] = (next() / 2 ** 32) * 7.2 - 3.6;
    else if (kind < 15) {
      // A multiple of 1/4 (an interval edge) moved by up to 4 ulps either way.
      f32[0] = ((next() % 29) - 14) / 4;
      u32[0] = u32[0] + (next() % 9) - 4;
      x[i] = f32[0];
    } else x[i] = SPECIAL[next() % SPECIAL.length];
  }
  return x;
}

/** Gradients: mostly ordinary, sometimes ±0, subnormal, huge, NaN or infinite. */
function gradients(n: number, seed: number): Float32Array {
  const next = lcg(seed);
  const odd = [0, -0, NaN, Infinity, -Infinity, 1e-45, -3e-39, 3e38, -1e-20];
  const g = new Float32Array(n);
  for (let i = 0; i < n; i++) g[i] = next() % 64 === 0 ? odd[next() % odd.length] : (next() / 2 ** 32) * 4 - 2;
  return g;
}

function bits(x: Float32Array): Int32Array {
  return new Int32Array(x.buffer, x.byteOffset, x.length);
}

/** The first index where a and b differ in bits, or -1. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  const p = bits(a), q = bits(b);
  for (let i = 0; i < p.length; i++) if (p[i] !== q[i]) return i;
  return -1;
}

function kernels(isa: string, x: Float32Array, g: Float32Array, off: number, n: number): [Float32Array, Float32Array] {
  expect(addon.setIsa(isa)).toBe(true);
  const y = new Float32Array(n), gx = new Float32Array(n);
  addon.unary(addon.unaryOps.indexOf("gelu"), x, off, y, n, 0, 0);
  addon.binary(addon.binaryOps.indexOf("geluBackward"), g, off, 0, 1, x, off, 0, 1, gx, 1, n);
  return [y, gx];
}

describe("native float32 GELU: the polynomial fast path gives the table path's bits", () => {
  it("on the kernels: 4 million inputs and gradients, bit for bit against the table path", () => {
    const n = 1 << 22;
    const x = inputs(n + 3, 7), g = gradients(n + 3, 8);
    try {
      // Offset 3 and a length that is not a multiple of 8: the ragged end too.
      const [y512, g512] = kernels(FAST, x, g, 3, n - 5);
      const [y2, g2] = kernels(TABLE, x, g, 3, n - 5);
      const i = firstDifference(y512, y2);
      if (i >= 0) expect.fail(`gelu(${x[3 + i]}): ${y512[i]} on ${FAST}, ${y2[i]} on the table path`);
      const j = firstDifference(g512, g2);
      if (j >= 0) expect.fail(`geluBackward(g = ${g[3 + j]}, x = ${x[3 + j]}): ${g512[j]} on ${FAST}, ${g2[j]} on the table path`);
    } finally {
      addon.setIsa(defaultIsa);
    }
  });

  it("on the kernels: every float32 of a dense band around 0.75 (the slope's sign change) and the cutoff", () => {
    // Φ(x) + xφ(x) crosses zero near x = −0.7518: the fast path must hand those lanes to the table.
    const lo = new Uint32Array(new Float32Array([0.74]).buffer)[0];
    const hi = new Uint32Array(new Float32Array([0.76]).buffer)[0];
    const cut = new Uint32Array(new Float32Array([3.5354]).buffer)[0];
    const values: number[] = [];
    for (let b = lo; b <= hi; b += 3) values.push(-fromBits(b), fromBits(b));
    for (let b = cut; b < cut + 200; b++) values.push(fromBits(b), -fromBits(b));
    const x = Float32Array.from(values);
    const g = gradients(x.length, 9);
    try {
      const [y512, g512] = kernels(FAST, x, g, 0, x.length);
      const [y2, g2] = kernels(TABLE, x, g, 0, x.length);
      expect(firstDifference(y512, y2)).toBe(-1);
      expect(firstDifference(g512, g2)).toBe(-1);
    } finally {
      addon.setIsa(defaultIsa);
    }
  });

  it("within 1 ulp of the JS kernels", () => {
    const n = 1 << 16;
    const x = inputs(n, 11), g = gradients(n, 12);
    const [y, gx] = kernels(defaultIsa, x, g, 0, n);
    const wantY = new Float32Array(n), wantG = new Float32Array(n);
    jsBackend.unary("gelu", x, 0, wantY, n, 0, 0);
    jsBackend.binary("geluBackward", g, 0, [1], x, 0, [1], wantG, [n]);
    const ulps = (a: number, b: number): number => {
      if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
      if (a === b) return 0;
      const o = (v: number): number => { f32[0] = v; const i = u32[0] | 0; return i < 0 ? -(i & 0x7fffffff) : i; };
      return Math.abs(o(a) - o(b));
    };
    for (let i = 0; i < n; i++) {
      if (!(ulps(y[i], wantY[i]) <= 1)) expect.fail(`gelu(${x[i]}): ${y[i]}, JS gives ${wantY[i]}`);
      if (!(ulps(gx[i], wantG[i]) <= 1)) expect.fail(`geluBackward(${g[i]}, ${x[i]}): ${gx[i]}, JS gives ${wantG[i]}`);
    }
  });

  /** bp.gelu's value and input gradient on native with the unary kernels of `isa`. */
  async function throughOps(isa: string, x: Float32Array, g: Float32Array, shape: number[]): Promise<[Float32Array, Float32Array]> {
    await bp.setBackend("native");
    expect(addon.setIsa(isa)).toBe(true);
    try {
      const input = bp.tensor(x, { dtype: "float32" }).reshape(shape).detach();
      input.requiresGrad = true;
      const y = bp.F.gelu(input);
      y.backward(bp.tensor(g, { dtype: "float32" }).reshape(shape));
      return [y.data() as Float32Array, input.grad!.data() as Float32Array];
    } finally {
      addon.setIsa(defaultIsa);
      await bp.setBackend("js");
    }
  }

  it("through bp.gelu and its backward above the real dispatch threshold (a W7 feed-forward activation, 1024 × 256)", async () => {
    const x = inputs(1024 * 256, 13), g = gradients(1024 * 256, 14);
    const [y512, g512] = await throughOps(FAST, x, g, [1024, 256]);
    const [y2, g2] = await throughOps(TABLE, x, g, [1024, 256]);
    expect(firstDifference(y512, y2)).toBe(-1);
    expect(firstDifference(g512, g2)).toBe(-1);
  });

  it("through bp.gelu and its backward with the kernels forced, on 9 elements (one vector and a ragged end)", async () => {
    setKernelThresholdsForTesting({ force: true });
    try {
      const x = Float32Array.from([0.3, -1.7, 2.2, -0, 1e-40, -3.1, 0.75, -0.7518, 3.5]);
      const g = Float32Array.from([1, -2, 0.5, 3, -0.25, 1e-30, 7, -1, 0]);
      const [y512, g512] = await throughOps(FAST, x, g, [9]);
      const [y2, g2] = await throughOps(TABLE, x, g, [9]);
      expect(firstDifference(y512, y2)).toBe(-1);
      expect(firstDifference(g512, g2)).toBe(-1);
      // Against hand values: gelu(0.3f) = 0.3f·Φ(0.3f), Φ(0.3f) = 0.61791142673545 (mpmath); gelu(−0) = −0.
      expect(y512[0]).toBe(Math.fround(Math.fround(0.3) * 0.6179114267354496));
      expect(Object.is(y512[3], -0)).toBe(true);
    } finally {
      setKernelThresholdsForTesting({ force: false });
    }
  });
});
