/**
 * The wasm backend's two-dimensional binary maps, which run as one kernel
 * call over all rows (asm/elementwise.ts, binaryRowsF32): a Linear layer's
 * bias add (a row broadcast), a column broadcast, rows of a narrowed view
 * (row steps longer than the row), a 0-d operand. Every op the kernels
 * accelerate, above the real dispatch threshold (W7's [1024, 256] bias add)
 * and forced at small sizes, with a spy that the JS kernel is not reached:
 * bit for bit against the JS kernel (GELU's gradient within its 1 ulp),
 * maximum and minimum at ties of −0 and +0 included (the JS rule gives the
 * second operand).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import * as bp from "../../src/index.js";
import { jsBackend } from "../../src/backend/js/index.js";
import { createWasmBackend, thresholds, type WasmBackend } from "../../src/backend/wasm/index.js";
import { setKernelThresholdsForTesting } from "../../src/backend/policy.js";
import { WASM_BINARY_OPS } from "../../src/backend/wasm/opcodes.js";
import { float32Bits, maxUlps } from "./float32-ulps.js";

let wasm: WasmBackend;

beforeAll(async () => {
  wasm = await createWasmBackend();
});

afterAll(() => {
  setKernelThresholdsForTesting({ force: false });
});

function normals(n: number, seed: number): Float32Array {
  const x = bp.randn([n], { generator: new bp.Generator(seed) }).data() as Float32Array;
  // Edge values the ops treat specially: signed zeros, infinities, NaN, a subnormal.
  [0, -0, Infinity, -Infinity, NaN, 1e-45].forEach((v, i) => { if (11 * i + 3 < n) x[11 * i + 3] = v; });
  return x;
}

/** [rows, cols] layouts: a's and b's strides (element steps), and their offsets. */
const layouts: [string, number[], number[], number[], number, number][] = [
  ["bias add (b a row broadcast)", [-1, 1], [0, 1], [0, 0], 3, 5],
  ["column broadcast (b one value per row)", [-1, 1], [1, 0], [0, 0], 0, 2],
  ["rows of narrowed views (row steps past the row)", [-3, 1], [-2, 1], [0, 0], 1, 4],
  ["b 0-d, a's rows narrowed", [-2, 1], [0, 0], [0, 0], 2, 0],
];

/** Strides with −k in a row step meaning cols + k (a narrowed view's row step). */
function strides(spec: number[], cols: number): number[] {
  return spec.map((s) => (s < 0 ? cols - 1 - s : s));
}

function check(op: (typeof WASM_BINARY_OPS)[number], rows: number, cols: number, layout: (typeof layouts)[number]): void {
  const [, aSpec, bSpec, , aOff, bOff] = layout;
  const as = strides(aSpec, cols), bs = strides(bSpec, cols);
  const a = normals(aOff + rows * Math.max(as[0], 1) + cols, rows + cols);
  const b = normals(bOff + rows * Math.max(bs[0], 1) + cols, rows * 3 + cols);
  const got = new Float32Array(rows * cols).fill(7), want = new Float32Array(rows * cols);
  const spy = vi.spyOn(jsBackend, "binary");
  try {
    wasm.binary(op, a, aOff, as, b, bOff, bs, got, [rows, cols]);
    expect(spy).not.toHaveBeenCalled();
  } finally {
    spy.mockRestore();
  }
  jsBackend.binary(op, a, aOff, as, b, bOff, bs, want, [rows, cols]);
  if (op === "geluBackward") {
    expect(maxUlps(got, want), op).toBeLessThanOrEqual(1);
  } else {
    const g = float32Bits(got), w = float32Bits(want);
    let differing = 0;
    for (let i = 0; i < g.length; i++) if (g[i] !== w[i] && !(Number.isNaN(got[i]) && Number.isNaN(want[i]))) differing++;
    expect(differing, `${op}: elements that differ from the JS kernel`).toBe(0);
  }
}

describe("wasm backend: binary maps over [rows, cols] in one kernel call", () => {
  for (const layout of layouts) {
    it(`${layout[0]}, W7's [1024, 256] above the real threshold: every op has the JS kernel's bits`, () => {
      setKernelThresholdsForTesting({ force: false });
      expect(1024 * 256).toBeGreaterThanOrEqual(Math.max(thresholds.elementwiseMin, thresholds.transcendentalMin));
      for (const op of WASM_BINARY_OPS) check(op, 1024, 256, layout);
    });

    it(`${layout[0]}, forced, small and odd sizes: every op has the JS kernel's bits`, () => {
      setKernelThresholdsForTesting({ force: true });
      for (const [rows, cols] of [[2, 2], [3, 3], [2, 5], [7, 9], [5, 16], [4, 33]]) {
        for (const op of WASM_BINARY_OPS) check(op, rows, cols, layout);
      }
    });
  }

  it("hand values: [[1, 2], [3, 4]] + [10, 20] = [[11, 22], [13, 24]]", () => {
    setKernelThresholdsForTesting({ force: true });
    const out = new Float32Array(4);
    wasm.binary("add", new Float32Array([1, 2, 3, 4]), 0, [2, 1], new Float32Array([10, 20]), 0, [0, 1], out, [2, 2]);
    expect(Array.from(out)).toEqual([11, 22, 13, 24]);
  });
});
