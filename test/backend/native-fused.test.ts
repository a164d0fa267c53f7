/**
 * The native backend's fused activation gradients (reluBackward,
 * sigmoidBackward, tanhBackward; native/src/elementwise.cc) against the JS
 * kernels, bit for bit, in float32 and float64: both evaluate the formula in
 * double and round once. Also that they run natively (no JS fallback) and
 * that relu/sigmoid/tanh gradients through the public API match the "js"
 * backend's.
 *
 * The addon is built by `npm install`; this file fails, rather than skips,
 * when it is absent.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import * as bp from "../../src/index.js";
import { jsBackend } from "../../src/backend/js/index.js";
import type { BinaryOp, FloatArray } from "../../src/backend/backend.js";
import { loadNativeBackend, thresholds, type NativeBackend } from "../../src/backend/native/index.js";

const native = loadNativeBackend() as NativeBackend;
const OPS: BinaryOp[] = ["reluBackward", "sigmoidBackward", "tanhBackward"];
type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;
const DTYPES: [string, Ctor][] = [["float32", Float32Array], ["float64", Float64Array]];

const defaultThresholds = { ...thresholds };
beforeAll(() => {
  thresholds.elementwiseMin = 0;
});
afterAll(() => {
  Object.assign(thresholds, defaultThresholds);
  bp.setBackend("js");
});

/**
 * Gradients (`kind` "grad": many magnitudes) or saved outputs ("unit": mostly
 * in [-1, 1], like sigmoid and tanh outputs), with ±0, ±1, ±∞, NaN, the
 * smallest subnormal and the largest float sprinkled in.
 */
function operand(ctor: Ctor, n: number, seed: number, kind: "grad" | "unit"): FloatArray {
  const x = new ctor(bp.randn([n], { generator: new bp.Generator(seed), dtype: "float64" }).data() as Float64Array);
  for (let i = 0; i < n; i++) {
    if (kind === "unit") x[i] = Math.tanh(x[i]);
    else x[i] *= 2 ** ((i * 13) % 120 - 60);
  }
  const specials = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 1e-45, 3.4e38, 1 - 2 ** -24, 2 ** -60];
  for (let j = 0; j < specials.length; j++) x[(j * 37 + seed) % n] = specials[j];
  return x;
}

/** Same bits (sign of zero included), except that any NaN matches any NaN. */
function expectSameBits(got: FloatArray, want: FloatArray, what: string): void {
  for (let i = 0; i < want.length; i++) {
    if (!(Object.is(got[i], want[i]) || (Number.isNaN(got[i]) && Number.isNaN(want[i])))) {
      expect.fail(`${what}: element ${i} is ${got[i]}, the JS kernel gives ${want[i]}`);
    }
  }
}

describe("native backend: fused activation gradients", () => {
  it("the addon implements all three (they no longer fall back to the JS kernels)", () => {
    expect(native.addon.binaryOps).toEqual(expect.arrayContaining(OPS));
  });

  const n = 1000 + 7;
  // [name, shape, a strides, b strides]: the layouts the addon walks natively, and a 3-D one it hands to JS.
  const layouts: [string, number[], number[], number[]][] = [
    ["same shape", [n], [1], [1]],
    ["tensor with scalar", [n], [1], [0]],
    ["scalar with tensor", [n], [0], [1]],
    ["row broadcast", [31, 32], [32, 1], [0, 1]],
    ["a transposed", [32, 31], [1, 32], [31, 1]],
    ["3-D", [4, 8, 31], [248, 31, 1], [0, 1, 8]],
  ];
  for (const [dtype, ctor] of DTYPES) {
    for (const op of OPS) {
      for (const kind of ["grad", "unit"] as const) {
        it(`${dtype} ${op}, saved outputs ${kind === "unit" ? "in [-1, 1]" : "of any size"}: the JS kernel's bits in every layout`, () => {
          const a = operand(ctor, n + 3, 1, "grad"), b = operand(ctor, n + 3, 2, kind);
          for (const [name, shape, sa, sb] of layouts) {
            const total = shape.reduce((x, y) => x * y, 1);
            const got = new ctor(total), want = new ctor(total);
            native.binary(op, a, 3, sa, b, 1, sb, got, shape);
            jsBackend.binary(op, a, 3, sa, b, 1, sb, want, shape);
            expectSameBits(got, want, `${dtype} ${op} ${name}`);
          }
        });
      }
    }
  }

  it("reluBackward: b ≤ 0 (−0 included) gives +0, a NaN b passes a through, natively", () => {
    const fallback = vi.spyOn(jsBackend, "binary");
    try {
      const a = new Float32Array(64).fill(5), b = new Float32Array(64).fill(2);
      b[0] = -0; b[1] = NaN; b[2] = 1e-45; b[3] = -1; b[4] = -Infinity; b[63] = NaN;
      const got = new Float32Array(64);
      native.binary("reluBackward", a, 0, [1], b, 0, [1], got, [64]);
      expect([Object.is(got[0], 0), got[1], got[2], Object.is(got[3], 0), Object.is(got[4], 0), got[5], got[63]]).toEqual([true, 5, 5, true, true, 5, 5]);
      expect(fallback).not.toHaveBeenCalled();
    } finally {
      fallback.mockRestore();
    }
  });

  // The forward kernels may differ from JS's in the last bit (std::exp vs Math.exp), so the
  // reference applies the formula to the native forward output.
  const activations: [string, (t: bp.Tensor) => bp.Tensor, (g: number, y: number) => number][] = [
    ["relu", (t) => t.relu(), (g, y) => (y <= 0 ? 0 : g)],
    ["sigmoid", (t) => t.sigmoid(), (g, y) => g * y * (1 - y)],
    ["tanh", (t) => t.tanh(), (g, y) => g * (1 - y * y)],
  ];
  for (const [dtype, ctor] of DTYPES) {
    for (const [name, forward, formula] of activations) {
      it(`${dtype} ${name}'s gradient through the public API on "native": the float64 formula on its output, rounded once`, () => {
        bp.setBackend("native");
        const fallback = vi.spyOn(jsBackend, "binary");
        try {
          const gen = new bp.Generator(5);
          const x = bp.randn([64, 50], { generator: gen, dtype: dtype as "float32" | "float64" }).mul(4);
          x.requiresGrad = true;
          const w = bp.randn([64, 50], { generator: gen, dtype: dtype as "float32" | "float64" });
          const y = forward(x);
          y.mul(w).sum().backward();
          const yd = y.data() as FloatArray, wd = w.data() as FloatArray;
          const want = new ctor(yd.length);
          for (let i = 0; i < want.length; i++) want[i] = formula(wd[i], yd[i]);
          expectSameBits(x.grad!.data() as FloatArray, want, `${dtype} ${name}`);
          expect(fallback.mock.calls.map((c) => c[0])).not.toContain(name + "Backward");
        } finally {
          fallback.mockRestore();
          bp.setBackend("js");
        }
      });
    }
  }
});
