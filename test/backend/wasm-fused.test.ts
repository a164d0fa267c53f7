/**
 * The wasm backend's fused activation gradients (reluBackward,
 * sigmoidBackward, tanhBackward) against the JS kernels, bit for bit: the
 * JS kernels compute in float64 and round once, and the wasm kernel does the
 * same arithmetic in f64x2 lanes. Also exp and sigmoid over a dense range.
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";
import { jsBackend } from "../../src/backend/js/index.js";
import { createWasmBackend, thresholds, type WasmBackend } from "../../src/backend/wasm/index.js";
import type { BinaryOp } from "../../src/backend/backend.js";

let wasm: WasmBackend;

beforeAll(async () => {
  wasm = await createWasmBackend();
});

/** Values that exercise every branch: normal, tiny, huge, ±0, ±∞, NaN, and outputs of sigmoid/tanh. */
function operand(n: number, seed: number, kind: "any" | "unit"): Float32Array {
  const x = bp.randn([n], { generator: new bp.Generator(seed) }).data() as Float32Array;
  for (let i = 0; i < n; i++) {
    if (kind === "unit") x[i] = 1 / (1 + Math.exp(-3 * x[i])); // in (0, 1), like a sigmoid output
    else if (i % 7 === 3) x[i] *= 1e30;
    else if (i % 11 === 5) x[i] *= 1e-30;
  }
  const specials = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 1e-45, 3.4e38];
  for (let j = 0; j < specials.length; j++) x[(j * 37 + seed) % n] = specials[j];
  return x;
}

/** Bits of a float32 array, so that NaN payloads and the sign of zero count. */
function bits(x: Float32Array): Int32Array {
  return new Int32Array(x.buffer, x.byteOffset, x.length);
}

describe("wasm backend: fused activation gradients", () => {
  const n = thresholds.elementwiseMin + 7; // above the threshold, not a multiple of 4 lanes
  const ops: BinaryOp[] = ["reluBackward", "sigmoidBackward", "tanhBackward"];
  const layouts: [string, number[], number[], number[]][] = [
    ["same shape", [n], [1], [1]],
    ["tensor with scalar", [n], [1], [0]],
    ["scalar with tensor", [n], [0], [1]],
    ["row broadcast", [n >> 5, 32], [32, 1], [0, 1]],
    ["column broadcast", [32, n >> 5], [n >> 5, 1], [1, 0]],
  ];
  for (const op of ops) {
    for (const kind of ["any", "unit"] as const) {
      for (const [name, shape, sa, sb] of layouts) {
        it(`${op}, ${name}, ${kind === "unit" ? "outputs in (0, 1)" : "any values"}: the JS kernel's bits`, () => {
          const a = operand(n + 3, 1, "any"), b = operand(n + 3, 2, kind);
          const total = shape.reduce((x, y) => x * y, 1);
          const got = new Float32Array(total), want = new Float32Array(total);
          wasm.binary(op, a, 3, sa, b, 1, sb, got, shape);
          jsBackend.binary(op, a, 3, sa, b, 1, sb, want, shape);
          expect(bits(got)).toEqual(bits(want));
        });
      }
    }
  }

  it("reluBackward: b ≤ 0 (−0 included) gives +0, a NaN b passes a through", () => {
    const size = thresholds.elementwiseMin;
    const a = new Float32Array(size).fill(5), b = new Float32Array(size);
    b[0] = -0; b[1] = NaN; b[2] = 1e-45; b[3] = -1; b[size - 1] = NaN;
    const got = new Float32Array(size);
    wasm.binary("reluBackward", a, 0, [1], b, 0, [1], got, [size]);
    expect([Object.is(got[0], 0), got[1], got[2], Object.is(got[3], 0), got[size - 1]]).toEqual([true, 5, 5, true, 5]);
  });

  const formulas: [string, (t: bp.Tensor) => bp.Tensor, (g: number, y: number) => number][] = [
    ["relu", (t) => t.relu(), (g, y) => (y <= 0 ? 0 : g)],
    ["sigmoid", (t) => t.sigmoid(), (g, y) => g * y * (1 - y)],
    ["tanh", (t) => t.tanh(), (g, y) => g * (1 - y * y)],
  ];
  for (const [name, forward, grad] of formulas) {
    it(`${name}'s gradient through the public API is the float64 formula on its output, rounded once`, async () => {
      await bp.setBackend("wasm");
      try {
        const size = 4096;
        const x = bp.tensor(operand(size, 9, "any").map((v) => (Number.isFinite(v) ? Math.max(-20, Math.min(20, v)) : 0)), { requiresGrad: true });
        const w = bp.tensor(operand(size, 4, "unit"));
        const y = forward(x);
        y.mul(w).sum().backward();
        const yd = y.data() as Float32Array, wd = w.data() as Float32Array;
        const want = new Float32Array(size);
        for (let i = 0; i < size; i++) want[i] = grad(wd[i], yd[i]);
        expect(bits(x.grad!.data() as Float32Array)).toEqual(bits(want));
      } finally {
        await bp.setBackend("js");
      }
    });
  }
});

describe("wasm backend: exp and sigmoid accuracy", () => {
  /** Distance in units in the last place between two float32 values. */
  function ulps(x: number, y: number): number {
    const b = new Int32Array(new Float32Array([x, y]).buffer);
    return Math.abs(b[0] - b[1]);
  }
  for (const op of ["exp", "sigmoid"] as const) {
    it(`${op} stays within 2 ulp of the JS kernel on a million points from −110 to 110, any length`, () => {
      const count = (1 << 20) + 5; // exercises the 8-, 4- and 1-element loops
      const x = new Float32Array(count);
      for (let i = 0; i < count; i++) x[i] = (i / count) * 220 - 110;
      const got = new Float32Array(count), want = new Float32Array(count);
      wasm.unary(op, x, 0, got, count, 0, 0);
      jsBackend.unary(op, x, 0, want, count, 0, 0);
      let worst = 0;
      for (let i = 0; i < count; i++) {
        if (Object.is(got[i], want[i])) continue;
        expect(Math.sign(got[i])).toBe(Math.sign(want[i]));
        worst = Math.max(worst, ulps(got[i], want[i]));
      }
      expect(worst).toBeLessThanOrEqual(2);
      // Overflow, underflow and the limits of sigmoid come out exactly.
      const edges = new Float32Array([89, 100, -104, -120, 0, -0, Infinity, -Infinity, NaN, 1, 2, 3]);
      const e1 = new Float32Array(edges.length), e2 = new Float32Array(edges.length);
      const big = new Float32Array(1024); big.set(edges);
      const out = new Float32Array(1024);
      wasm.unary(op, big, 0, out, 1024, 0, 0);
      e1.set(out.subarray(0, edges.length));
      jsBackend.unary(op, edges, 0, e2, edges.length, 0, 0);
      for (let i = 0; i < 9; i++) expect(e1[i]).toBe(e2[i]);
    });
  }
});
