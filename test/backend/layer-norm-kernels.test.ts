/**
 * The wasm and native layer-norm kernels (asm/layer-norm.ts,
 * native/src/layer_norm.cc) against the reference JS kernels
 * (src/backend/js/layer-norm.ts): bit for bit, since the row sums run in
 * element order in double and the elementwise parts do the same float64
 * operations (in lanes on wasm). Widths 1, 3, 64 and 257 reach the scalar
 * tail and the four-value groups; with and without weight and bias, from
 * offsets into larger arrays; forced at 13 rows and unforced above the
 * real threshold; float32 (wasm, native) and float64 (native). Then
 * layerNorm on each backend reaches its kernels.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import * as bp from "../../src/index.js";
import { jsBackend } from "../../src/backend/js/index.js";
import type { Backend } from "../../src/backend/backend.js";
import { createWasmBackend, thresholds } from "../../src/backend/wasm/index.js";
import { loadNativeBackend, thresholds as nativeThresholds, type NativeBackend } from "../../src/backend/native/index.js";
import { setKernelThresholdsForTesting } from "../../src/backend/policy.js";
import { BACKENDS } from "../backends.js";

/** The fast backends here, the threshold each dispatches at, and the dtypes its own kernels take. */
const FAST: { name: string; min: () => number; dtypes: ("float32" | "float64")[]; load: () => Promise<Backend> }[] = [
  { name: "wasm", min: () => thresholds.elementwiseMin, dtypes: ["float32"], load: () => createWasmBackend() },
  ...(BACKENDS.includes("native")
    ? [{ name: "native", min: () => nativeThresholds.elementwiseMin, dtypes: ["float32" as const, "float64" as const], load: async () => loadNativeBackend() as NativeBackend }]
    : []),
];

afterAll(() => {
  setKernelThresholdsForTesting({ force: false });
});

type Floats = Float32Array | Float64Array;

/** n values from a seeded normal, shifted and scaled (so that the mean is not 0), plus `pad` leading values. */
function values(n: number, seed: number, pad: number, shift = 0, dtype: "float32" | "float64" = "float32"): Floats {
  const x = bp.randn([n + pad], { generator: new bp.Generator(seed), dtype }).data() as Floats;
  for (let i = 0; i < x.length; i++) x[i] = x[i] * 3 + shift;
  return x;
}

/** The bits of a float array, so that NaN and the sign of zero count. */
function bits(x: Floats): Int32Array {
  return new Int32Array(x.buffer, x.byteOffset, x.length * (x.BYTES_PER_ELEMENT / 4));
}

const WIDTHS = [1, 3, 64, 257];
const AFFINE: [string, boolean, boolean][] = [["weight and bias", true, true], ["weight only", true, false], ["bias only", false, true], ["neither", false, false]];

describe.each(FAST)("$name backend: layer norm kernels", (fast) => {
  let own: Backend;
  beforeAll(async () => {
    own = await fast.load();
  });

  it("are the backend's own (not the JS functions)", () => {
    expect(own.layerNormForward).not.toBe(jsBackend.layerNormForward);
    expect(own.layerNormBackward).not.toBe(jsBackend.layerNormBackward);
  });

  for (const dtype of fast.dtypes) {
    const Floats = dtype === "float32" ? Float32Array : Float64Array;
    for (const width of WIDTHS) {
      for (const force of [true, false]) {
        for (const [affine, hasWeight, hasBias] of AFFINE) {
          it(`${dtype}, ${force ? "forced" : "above the real threshold"}, width ${width}, ${affine}: forward and backward have the JS kernel's bits`, () => {
            setKernelThresholdsForTesting({ force });
            // Forced: 13 rows (native: a block of eight rows side by side, then five alone); unforced: just past the dispatch threshold (elements).
            const rows = force ? 13 : Math.ceil((fast.min() + 1) / width);
            const n = rows * width;
            const x = values(n, width + rows, 3, 5, dtype), gy = values(n, 2 * width + 1, 2, 0, dtype);
            const weight = hasWeight ? values(width, 9, 1, 1, dtype) : null, bias = hasBias ? values(width, 10, 4, 0, dtype) : null;
            const run = (b: Backend) => {
              const out = new Floats(n), mean = new Float64Array(rows), rstd = new Float64Array(rows);
              b.layerNormForward(x, 3, rows, width, weight, 1, bias, 4, 1e-5, out, mean, rstd);
              const dx = new Floats(n);
              // Accumulates onto what the arrays hold.
              const dw = hasWeight ? new Float64Array(width).fill(0.25) : null, db = hasBias ? new Float64Array(width).fill(-1) : null;
              b.layerNormBackward(gy, 2, x, 3, rows, width, weight, 1, mean, rstd, dx, dw, db);
              return { out, mean, rstd, dx, dw, db };
            };
            const spies = [vi.spyOn(jsBackend, "layerNormForward"), vi.spyOn(jsBackend, "layerNormBackward")];
            let got: ReturnType<typeof run>;
            try {
              got = run(own);
              for (const spy of spies) expect(spy).not.toHaveBeenCalled();
            } finally {
              for (const spy of spies) spy.mockRestore();
            }
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
          });
        }
      }
    }
  }

  it("skips dx, dw or db when they are null (only the others are written)", () => {
    setKernelThresholdsForTesting({ force: true });
    const rows = 4, width = 9, n = rows * width;
    const x = values(n, 1, 0), gy = values(n, 2, 0), weight = values(width, 3, 0);
    const mean = new Float64Array(rows), rstd = new Float64Array(rows);
    own.layerNormForward(x, 0, rows, width, weight, 0, null, 0, 1e-5, new Float32Array(n), mean, rstd);
    const dwOwn = new Float64Array(width), dwJs = new Float64Array(width);
    own.layerNormBackward(gy, 0, x, 0, rows, width, weight, 0, mean, rstd, null, dwOwn, null);
    jsBackend.layerNormBackward(gy, 0, x, 0, rows, width, weight, 0, mean, rstd, null, dwJs, null);
    expect(dwOwn).toEqual(dwJs);
    // Hand check of one column: Σ_r gy·(x − mean)·rstd.
    let col = 0;
    for (let r = 0; r < rows; r++) col += gy[r * width + 2] * (x[r * width + 2] - mean[r]) * rstd[r];
    expect(dwOwn[2]).toBeCloseTo(col, 12);
  });

  it("a hand-computed row: [1, 2, 3, 4] without eps has mean 2.5 and rstd 1/√1.25", () => {
    setKernelThresholdsForTesting({ force: true });
    const x = Float32Array.from([1, 2, 3, 4]);
    const out = new Float32Array(4), mean = new Float64Array(1), rstd = new Float64Array(1);
    own.layerNormForward(x, 0, 1, 4, null, 0, null, 0, 0, out, mean, rstd);
    expect(mean[0]).toBe(2.5);
    expect(rstd[0]).toBe(1 / Math.sqrt(1.25));
    expect(out[0]).toBe(Math.fround(-1.5 / Math.sqrt(1.25)));
  });
});

it("wasm: float64 stays on the JS kernels (the wasm ones are float32)", async () => {
  const wasm = await createWasmBackend();
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

describe.each(FAST)("layerNorm on the $name backend", (fast) => {
  beforeAll(async () => {
    await bp.setBackend(fast.name);
    setKernelThresholdsForTesting({ force: false });
  });
  afterAll(async () => {
    await bp.setBackend("js");
  });

  it("reaches the backend's kernels (a [32, 32, 64] float32 input, as in W7) and gives the JS backend's bits", async () => {
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
    let onOwn: Float32Array[];
    try {
      onOwn = step();
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    await bp.setBackend("js");
    const onJs = step();
    onOwn.forEach((t, i) => expect(bits(t)).toEqual(bits(onJs[i])));
  });
});

describe.runIf(BACKENDS.includes("native"))("native addon: layer norm arguments", () => {
  it("rejects short arrays and mixed dtypes, naming the kernel and the array", () => {
    const { addon } = loadNativeBackend() as NativeBackend;
    const x = new Float32Array(8), out = new Float32Array(8), two = () => new Float64Array(2);
    expect(() => addon.layerNormForward(x, 0, 2, 4, null, 0, null, 0, 1e-5, out, new Float64Array(1), two()))
      .toThrow("native layerNormForward: mean needs 2 elements but the array has 1");
    expect(() => addon.layerNormForward(x, 0, 2, 4, new Float32Array(3), 0, null, 0, 1e-5, out, two(), two()))
      .toThrow("native layerNormForward: weight needs 4 elements but the array has 3");
    expect(() => addon.layerNormBackward(x, 0, x, 0, 2, 4, new Float64Array(4), 0, two(), two(), null, null, null))
      .toThrow("native layerNormBackward: arrays must all be Float32Array or all Float64Array");
  });
});
