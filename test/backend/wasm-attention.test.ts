/**
 * The wasm kernels of the fused attention's elementwise passes
 * (asm/attention.ts) against the JS kernels (src/backend/js/attention.ts):
 * float32, bit for bit (each output one double computation in the same
 * order, rounded once). Scores: causal and not, widths that leave a tail
 * past the four-wide loop, S shorter and longer than L, signed zeros,
 * infinities, NaN, subnormals and products that overflow float32. The
 * softmax gradient: in place and not, from an offset, odd widths, rows
 * whose sum cancels, NaN and infinities. Above the real dispatch threshold
 * (W7's shapes) and forced at small sizes, with a spy that the JS kernel
 * is not reached; float64 stays on it.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import * as bp from "../../src/index.js";
import { jsBackend } from "../../src/backend/js/index.js";
import { createWasmBackend, thresholds, type WasmBackend } from "../../src/backend/wasm/index.js";
import { setKernelThresholdsForTesting } from "../../src/backend/policy.js";
import { float32Bits } from "./float32-ulps.js";

let wasm: WasmBackend;

beforeAll(async () => {
  wasm = await createWasmBackend();
});

afterAll(() => {
  setKernelThresholdsForTesting({ force: false });
});

function normals(n: number, seed: number, scale = 1): Float32Array {
  const x = bp.randn([n], { generator: new bp.Generator(seed) }).data() as Float32Array;
  for (let i = 0; i < n; i++) x[i] *= scale;
  return x;
}

/** Bits equal, except that any NaN matches any NaN (their payloads are the runtime's). */
function expectSameBits(got: Float32Array, want: Float32Array, what: string): void {
  expect(got.length).toBe(want.length);
  const g = float32Bits(got), w = float32Bits(want);
  for (let i = 0; i < g.length; i++) {
    if (Number.isNaN(got[i]) && Number.isNaN(want[i])) continue;
    if (g[i] !== w[i]) expect(`${what}: element ${i} is ${got[i]}`).toBe(`${what}: element ${i} is ${want[i]}`);
  }
}

/** Edge values sprinkled into x: signed zeros, infinities, NaN, subnormals, the float32 extremes. */
function withEdges(x: Float32Array): Float32Array {
  const edges = [0, -0, Infinity, -Infinity, NaN, 1e-45, -3e-39, 3.4028234663852886e38, -3.4e38, 1.1754943508222875e-38];
  for (let i = 0; i < edges.length && 7 * i < x.length; i++) x[7 * i] = edges[i];
  return x;
}

function scoresBoth(x: Float32Array, batch: number, L: number, S: number, scale: number, causal: boolean): void {
  const got = x.slice(), want = x.slice();
  const spy = vi.spyOn(jsBackend, "attentionScores");
  try {
    wasm.attentionScores(got, batch, L, S, scale, causal);
    expect(spy).not.toHaveBeenCalled();
  } finally {
    spy.mockRestore();
  }
  jsBackend.attentionScores(want, batch, L, S, scale, causal);
  expectSameBits(got, want, `scores [${batch}, ${L}, ${S}] scale ${scale}${causal ? " causal" : ""}`);
}

function gradBoth(y: Float32Array, yOff: number, gy: Float32Array, gyOff: number, rows: number, width: number, scale: number, inPlace: boolean): void {
  const want = new Float32Array(rows * width);
  jsBackend.softmaxBackward(y, yOff, gy, gyOff, rows, width, scale, want);
  // In place, the gradient starts at 0 (the kernel's contract) and is overwritten.
  const g = inPlace ? gy.slice(gyOff, gyOff + rows * width) : gy.slice();
  const got = inPlace ? g : new Float32Array(rows * width).fill(7);
  const spy = vi.spyOn(jsBackend, "softmaxBackward");
  try {
    wasm.softmaxBackward(y, yOff, g, inPlace ? 0 : gyOff, rows, width, scale, got);
    expect(spy).not.toHaveBeenCalled();
  } finally {
    spy.mockRestore();
  }
  expectSameBits(got.subarray(0, rows * width), want, `softmax gradient [${rows}, ${width}] scale ${scale}${inPlace ? " in place" : ""}`);
}

/** Softmax rows of width from normals (the y the backward sees). */
function softmaxRows(rows: number, width: number, seed: number, spread: number): Float32Array {
  return bp.randn([rows, width], { generator: new bp.Generator(seed) }).mul(spread).softmax(-1).data() as Float32Array;
}

describe("wasm backend: attention scores (scale and causal mask)", () => {
  it("W7's shape, above the real threshold (128 heads of [32, 32], scale 1/4, causal and not): the JS kernel's bits", () => {
    setKernelThresholdsForTesting({ force: false });
    expect(128 * 32 * 32).toBeGreaterThanOrEqual(thresholds.elementwiseMin);
    for (const causal of [true, false]) scoresBoth(withEdges(normals(128 * 32 * 32, 1, 3)), 128, 32, 32, 0.25, causal);
  });

  it("forced, small and ragged blocks (S shorter and longer than L, widths past the four-wide loop), odd scales: the JS kernel's bits", () => {
    setKernelThresholdsForTesting({ force: true });
    const shapes: [number, number, number][] = [[1, 1, 1], [2, 3, 5], [3, 7, 3], [1, 5, 9], [4, 6, 6], [2, 9, 13], [1, 1, 4]];
    for (const [batch, L, S] of shapes) {
      for (const scale of [0.25, 1 / Math.sqrt(13), -0.7, 3e38, 1e-40]) {
        for (const causal of [true, false]) scoresBoth(withEdges(normals(batch * L * S, batch * 31 + L * 7 + S, 5)), batch, L, S, scale, causal);
      }
    }
  });

  it("hand values: scale 0.5, causal [2, 3]: [[1, −∞, −∞], [2, 3, −∞]]", () => {
    setKernelThresholdsForTesting({ force: true });
    const x = new Float32Array([2, 9, 9, 4, 6, 9]);
    wasm.attentionScores(x, 1, 2, 3, 0.5, true);
    expect(Array.from(x)).toEqual([1, -Infinity, -Infinity, 2, 3, -Infinity]);
  });

  it("float64 runs the JS kernel", () => {
    setKernelThresholdsForTesting({ force: true });
    const spy = vi.spyOn(jsBackend, "attentionScores");
    try {
      const x = new Float64Array([1, 2, 3, 4]);
      wasm.attentionScores(x, 1, 2, 2, 0.1, true);
      expect(spy).toHaveBeenCalledTimes(1);
      expect(Array.from(x)).toEqual([0.1, -Infinity, 0.30000000000000004, 0.4]);
    } finally {
      spy.mockRestore();
    }
  });
});

describe("wasm backend: the softmax gradient y·(gy − Σ gy·y)·scale", () => {
  it("W7's shape, above the real threshold (4096 rows of 32, scale 1/4), in place and into a new buffer: the JS kernel's bits", () => {
    setKernelThresholdsForTesting({ force: false });
    expect(4096 * 32).toBeGreaterThanOrEqual(thresholds.elementwiseMin);
    const y = softmaxRows(4096, 32, 2, 2), gy = normals(4096 * 32, 3, 0.1);
    for (const inPlace of [true, false]) gradBoth(y, 0, gy, 0, 4096, 32, 0.25, inPlace);
  });

  it("forced, odd widths, operands from offsets, rows whose sum cancels, and edge values: the JS kernel's bits", () => {
    setKernelThresholdsForTesting({ force: true });
    for (const width of [1, 2, 3, 4, 5, 7, 8, 9, 33]) {
      const rows = 6;
      const y = Float32Array.from([9, 9, 9, ...softmaxRows(rows, width, width, 4)]);
      const gy = withEdges(Float32Array.from([9, ...normals(rows * width, width + 50, 1e3)]));
      // A row whose products cancel: gy = 1 everywhere gives gy − Σ gy·y ≈ 1 − 1.
      gy.fill(1, 1, 1 + width);
      for (const scale of [1, 0.25, -3, 1e-30]) {
        gradBoth(y, 3, gy, 1, rows, width, scale, false);
        gradBoth(y, 3, gy, 1, rows, width, scale, true);
      }
    }
  });

  it("hand values: y = [1/4, 3/4], gy = [1, 0], scale 2: 2·y·(gy − 1/4) = [3/8, −3/8]", () => {
    setKernelThresholdsForTesting({ force: true });
    const out = new Float32Array(2);
    wasm.softmaxBackward(new Float32Array([0.25, 0.75]), 0, new Float32Array([1, 0]), 0, 1, 2, 2, out);
    expect(Array.from(out)).toEqual([0.375, -0.375]);
  });

  it("float64 runs the JS kernel", () => {
    setKernelThresholdsForTesting({ force: true });
    const spy = vi.spyOn(jsBackend, "softmaxBackward");
    try {
      const out = new Float64Array(2);
      wasm.softmaxBackward(new Float64Array([0.25, 0.75]), 0, new Float64Array([1, 0]), 0, 1, 2, 2, out);
      expect(spy).toHaveBeenCalledTimes(1);
      expect(Array.from(out)).toEqual([0.375, -0.375]);
    } finally {
      spy.mockRestore();
    }
  });
});
