/**
 * The wasm layer-norm kernels (asm/layer-norm.ts) against the reference JS
 * kernels (src/backend/js/layer-norm.ts): bit for bit, since the row sums
 * run in element order in double and the elementwise parts do the same
 * float64 operations in lanes. Widths 1, 3, 64 and 257 reach the scalar tail
 * and the four-value groups; with and without weight and bias, from offsets
 * into larger arrays; forced at a few rows and unforced above the real
 * threshold. Then layerNorm on the wasm backend reaches the wasm kernels.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import * as bp from "../../src/index.js";
import { jsBackend } from "../../src/backend/js/index.js";
import { createWasmBackend, thresholds, type WasmBackend } from "../../src/backend/wasm/index.js";
import { setKernelThresholdsForTesting } from "../../src/backend/policy.js";

let wasm: WasmBackend;

beforeAll(async () => {
  wasm = await createWasmBackend();
});

afterAll(() => {
  setKernelThresholdsForTesting({ force: false });
});

/** n float32 values from a seeded normal, shifted and scaled (so that the mean is not 0), plus `pad` leading values. */
function values(n: number, seed: number, pad: number, shift = 0): Float32Array {
  const x = bp.randn([n + pad], { generator: new bp.Generator(seed) }).data() as Float32Array;
  for (let i = 0; i < x.length; i++) x[i] = x[i] * 3 + shift;
  return x;
}

function bits(x: Float32Array): Int32Array {
  return new Int32Array(x.buffer, x.byteOffset, x.length);
}

const WIDTHS = [1, 3, 64, 257];
const AFFINE: [string, boolean, boolean][] = [["weight and bias", true, true], ["weight only", true, false], ["bias only", false, true], ["neither", false, false]];

describe("wasm backend: layer norm kernels", () => {
  it("are the wasm backend's own (not the JS functions it spreads in)", () => {
    expect(wasm.layerNormForward).not.toBe(jsBackend.layerNormForward);
    expect(wasm.layerNormBackward).not.toBe(jsBackend.layerNormBackward);
  });

  for (const width of WIDTHS) {
    for (const force of [true, false]) {
      // Forced: a few rows; unforced: just past the dispatch threshold (elements).
      const rows = force ? 5 : Math.ceil((thresholds.elementwiseMin + 1) / width);
      for (const [affine, hasWeight, hasBias] of AFFINE) {
        it(`${force ? "forced" : "above the real threshold"}, width ${width}, ${affine}: forward and backward have the JS kernel's bits`, () => {
          setKernelThresholdsForTesting({ force });
          const n = rows * width;
          const x = values(n, width + rows, 3, 5), gy = values(n, 2 * width + 1, 2);
          const weight = hasWeight ? values(width, 9, 1, 1) : null, bias = hasBias ? values(width, 10, 4) : null;
          const run = (b: typeof jsBackend) => {
            const out = new Float32Array(n), mean = new Float64Array(rows), rstd = new Float64Array(rows);
            b.layerNormForward(x, 3, rows, width, weight, 1, bias, 4, 1e-5, out, mean, rstd);
            const dx = new Float32Array(n);
            // Accumulates onto what the arrays hold.
            const dw = hasWeight ? new Float64Array(width).fill(0.25) : null, db = hasBias ? new Float64Array(width).fill(-1) : null;
            b.layerNormBackward(gy, 2, x, 3, rows, width, weight, 1, mean, rstd, dx, dw, db);
            return { out, mean, rstd, dx, dw, db };
          };
          const spy = vi.spyOn(jsBackend, "layerNormForward");
          const back = vi.spyOn(jsBackend, "layerNormBackward");
          try {
            const got = run(wasm);
            expect(spy).not.toHaveBeenCalled();
            expect(back).not.toHaveBeenCalled();
            spy.mockRestore();
            back.mockRestore();
            const want = run(jsBackend);
            expect(bits(got.out)).toEqual(bits(want.out));
            expect(got.mean).toEqual(want.mean);
            expect(got.rstd).toEqual(want.rstd);
            expect(bits(got.dx)).toEqual(bits(want.dx));
            expect(got.dw).toEqual(want.dw);
            expect(got.db).toEqual(want.db);
            // Not vacuous: the rows are normalised.
            expect(Number.isFinite(got.out[0])).toBe(true);
            if (width > 1) expect(got.rstd[0]).toBeGreaterThan(0.1);
          } finally {
            spy.mockRestore();
            back.mockRestore();
          }
        });
      }
    }
  }

  it("skips dx, dw or db when they are null (only the others are written)", () => {
    setKernelThresholdsForTesting({ force: true });
    const rows = 4, width = 9, n = rows * width;
    const x = values(n, 1, 0), gy = values(n, 2, 0), weight = values(width, 3, 0);
    const mean = new Float64Array(rows), rstd = new Float64Array(rows);
    wasm.layerNormForward(x, 0, rows, width, weight, 0, null, 0, 1e-5, new Float32Array(n), mean, rstd);
    const dwWasm = new Float64Array(width), dwJs = new Float64Array(width);
    wasm.layerNormBackward(gy, 0, x, 0, rows, width, weight, 0, mean, rstd, null, dwWasm, null);
    jsBackend.layerNormBackward(gy, 0, x, 0, rows, width, weight, 0, mean, rstd, null, dwJs, null);
    expect(dwWasm).toEqual(dwJs);
    // Hand check of one column: Σ_r gy·(x − mean)·rstd.
    let col = 0;
    for (let r = 0; r < rows; r++) col += gy[r * width + 2] * (x[r * width + 2] - mean[r]) * rstd[r];
    expect(dwWasm[2]).toBeCloseTo(col, 12);
  });

  it("float64 stays on the JS kernels (the wasm ones are float32)", () => {
    setKernelThresholdsForTesting({ force: true });
    const spy = vi.spyOn(jsBackend, "layerNormForward");
    try {
      const x = Float64Array.from([1, 2, 3, 4]);
      const out = new Float64Array(4), mean = new Float64Array(1), rstd = new Float64Array(1);
      wasm.layerNormForward(x, 0, 1, 4, null, 0, null, 0, 0, out, mean, rstd);
      expect(spy).toHaveBeenCalledTimes(1);
      expect(mean[0]).toBe(2.5);
      expect(out[0]).toBeCloseTo(-1.5 / Math.sqrt(1.25), 14);
    } finally {
      spy.mockRestore();
    }
  });
});

describe("layerNorm on the wasm backend", () => {
  beforeAll(async () => {
    await bp.setBackend("wasm");
    setKernelThresholdsForTesting({ force: false });
  });
  afterAll(async () => {
    await bp.setBackend("js");
  });

  it("reaches the wasm kernels (a [32, 32, 64] float32 input, as in W7) and gives the JS backend's bits", async () => {
    const g = new bp.Generator(3);
    const make = () => {
      const x = bp.randn([32, 32, 64], { generator: new bp.Generator(4), requiresGrad: true });
      const w = bp.randn([64], { generator: new bp.Generator(5), requiresGrad: true });
      const b = bp.randn([64], { generator: new bp.Generator(6), requiresGrad: true });
      return { x, w, b };
    };
    const gy = bp.randn([32, 32, 64], { generator: g });
    const step = () => {
      const { x, w, b } = make();
      const y = bp.nn.functional.layerNorm(x, [64], w, b);
      y.backward(gy);
      return [y, x.grad!, w.grad!, b.grad!].map((t) => t.data() as Float32Array);
    };
    const spies = [vi.spyOn(jsBackend, "layerNormForward"), vi.spyOn(jsBackend, "layerNormBackward")];
    let onWasm: Float32Array[];
    try {
      onWasm = step();
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    await bp.setBackend("js");
    const onJs = step();
    onWasm.forEach((t, i) => expect(bits(t)).toEqual(bits(onJs[i])));
  });
});
