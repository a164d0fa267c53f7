/**
 * The fused attention's two elementwise kernels (src/backend/js/attention.ts,
 * native/src/attention.cc): the JS reference against hand-computed rows;
 * the native kernels bit for bit against it (each output is one double
 * formula rounded once, and the row sums run in element order), in float32
 * and float64, forced at a few rows and unforced just above the real
 * threshold, causal with L < S, L = S and L > S, and the softmax gradient
 * in place over its gradient; then the fused attention op on the native
 * backend reaches both kernels and gives the JS backend's values.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import * as bp from "../../src/index.js";
import { jsBackend } from "../../src/backend/js/index.js";
import type { FloatArray } from "../../src/backend/backend.js";
import { loadNativeBackend, thresholds, type NativeBackend } from "../../src/backend/native/index.js";
import { setKernelThresholdsForTesting } from "../../src/backend/policy.js";
import { BACKENDS } from "../backends.js";

type Floats = Float32Array | Float64Array;
const CTORS = { float32: Float32Array, float64: Float64Array } as const;

/** n seeded normal values of dtype. */
function values(n: number, seed: number, dtype: "float32" | "float64"): Floats {
  return bp.randn([n], { generator: new bp.Generator(seed), dtype }).data() as Floats;
}

/** The bits of a float array, so that NaN, −∞ and the sign of zero count. */
function bits(x: Floats): Int32Array {
  return new Int32Array(x.buffer, x.byteOffset, x.length * (x.BYTES_PER_ELEMENT / 4));
}

describe("JS reference kernels", () => {
  it("attentionScores: scales the visible part of each row and puts −∞ above the diagonal when causal", () => {
    // batch 1, L 3, S 2: rows 0 sees 1 value, rows 1 and 2 see both.
    const x = Float64Array.from([1, 2, 3, 4, 5, 6]);
    jsBackend.attentionScores(x, 1, 3, 2, 0.5, true);
    expect([...x]).toEqual([0.5, -Infinity, 1.5, 2, 2.5, 3]);
    const y = Float64Array.from([1, 2, 3, 4]);
    jsBackend.attentionScores(y, 2, 1, 2, -2, false);
    expect([...y]).toEqual([-2, -4, -6, -8]);
  });

  it("softmaxBackward: y·(gy − Σ gy·y)·scale per row, from offsets, in place too", () => {
    const y = Float64Array.from([9, 0.25, 0.75, 0.5, 0.5]);
    const gy = Float64Array.from([1, 3, 0, 0]);
    const out = new Float64Array(4);
    jsBackend.softmaxBackward(y, 1, gy, 0, 2, 2, 2, out);
    // Row 0: Σ = 1·0.25 + 3·0.75 = 2.5 → [0.25·(1−2.5)·2, 0.75·(3−2.5)·2]; row 1: Σ = 0 → zeros.
    expect([...out]).toEqual([-0.75, 0.75, 0, 0]);
    jsBackend.softmaxBackward(y, 1, gy, 0, 2, 2, 2, gy);
    expect([...gy]).toEqual([-0.75, 0.75, 0, 0]);
  });
});

describe.runIf(BACKENDS.includes("native"))("native attention kernels", () => {
  let native: NativeBackend;
  beforeAll(() => {
    native = loadNativeBackend() as NativeBackend;
  });
  afterAll(() => {
    setKernelThresholdsForTesting({ force: false });
  });

  it("are the backend's own (not the JS functions)", () => {
    expect(native.attentionScores).not.toBe(jsBackend.attentionScores);
    expect(native.softmaxBackward).not.toBe(jsBackend.softmaxBackward);
  });

  for (const dtype of ["float32", "float64"] as const) {
    for (const force of [true, false]) {
      const where = force ? "forced" : "above the real threshold";
      for (const [L, S] of [[5, 9], [7, 7], [9, 4]]) {
        for (const causal of [true, false]) {
          it(`${dtype}, ${where}: attentionScores on [${L}, ${S}] blocks${causal ? ", causal" : ""} has the JS kernel's bits`, () => {
            setKernelThresholdsForTesting({ force });
            // Forced: 3 blocks; unforced: just past the dispatch threshold (elements).
            const batch = force ? 3 : Math.ceil((thresholds.elementwiseMin + 1) / (L * S));
            const x = values(batch * L * S, L * 10 + S, dtype);
            const got = CTORS[dtype].from(x), want = CTORS[dtype].from(x);
            const spy = vi.spyOn(jsBackend, "attentionScores");
            try {
              native.attentionScores(got, batch, L, S, 1 / 3, causal);
              expect(spy).not.toHaveBeenCalled();
            } finally {
              spy.mockRestore();
            }
            jsBackend.attentionScores(want, batch, L, S, 1 / 3, causal);
            expect(bits(got)).toEqual(bits(want));
            // Not vacuous: row 0 is masked past its first value only when causal.
            expect(got[1] === -Infinity).toBe(causal);
          });
        }
      }

      for (const inPlace of [false, true]) {
        it(`${dtype}, ${where}: softmaxBackward${inPlace ? " in place over gy" : " from offsets"} has the JS kernel's bits`, () => {
          setKernelThresholdsForTesting({ force });
          // Forced: 13 rows (a block of eight side by side, then five alone); unforced: just past the threshold.
          const width = 37, rows = force ? 13 : Math.ceil((thresholds.elementwiseMin + 1) / width), n = rows * width;
          const y = values(n + 2, 1, dtype).map(Math.abs) as Floats, gy = values(n + 3, 2, dtype);
          const run = (call: (gyArr: Floats, gyOff: number, out: Floats) => void): Floats => {
            if (!inPlace) {
              const out = new CTORS[dtype](n);
              call(gy, 3, out);
              return out;
            }
            const own = gy.slice(3);
            call(own, 0, own);
            return own;
          };
          const spy = vi.spyOn(jsBackend, "softmaxBackward");
          let got: Floats;
          try {
            got = run((g, off, out) => native.softmaxBackward(y, 2, g, off, rows, width, 0.125, out));
            expect(spy).not.toHaveBeenCalled();
          } finally {
            spy.mockRestore();
          }
          const want = run((g, off, out) => jsBackend.softmaxBackward(y, 2, g, off, rows, width, 0.125, out));
          expect(bits(got)).toEqual(bits(want));
          expect(Number.isFinite(got[0]) && got[0] !== 0).toBe(true);
        });
      }
    }
  }

  it("the addon rejects short arrays, mixed dtypes and a partly overlapping output, naming the kernel", () => {
    const { addon } = native;
    expect(() => addon.attentionScores(new Float32Array(11), 1, 3, 4, 1, true))
      .toThrow("native attentionScores: x needs 12 elements but the array has 11");
    const y = new Float32Array(8);
    expect(() => addon.softmaxBackward(y, 0, new Float64Array(8), 0, 2, 4, 1, new Float32Array(8)))
      .toThrow("native softmaxBackward: arrays must all be Float32Array or all Float64Array");
    expect(() => addon.softmaxBackward(y, 1, new Float32Array(8), 0, 2, 4, 1, new Float32Array(8)))
      .toThrow("native softmaxBackward: y needs 9 elements but the array has 8");
    const g = new Float32Array(12);
    expect(() => addon.softmaxBackward(y, 0, g, 4, 2, 4, 1, g))
      .toThrow("native softmaxBackward: out may share gy's array only at gyOff 0");
  });
});

describe.runIf(BACKENDS.includes("native"))("the fused attention op on the native backend", () => {
  beforeAll(async () => {
    await bp.setBackend("native");
    setKernelThresholdsForTesting({ force: false });
  });
  afterAll(async () => {
    await bp.setBackend("js");
  });

  it("reaches both kernels (W7's [32, 4, 32, 16] causal heads) and gives the JS backend's values", async () => {
    const step = () => {
      const make = (seed: number) => bp.randn([32, 4, 32, 16], { generator: new bp.Generator(seed), requiresGrad: true });
      const q = make(1), k = make(2), v = make(3);
      const y = bp.F.scaledDotProductAttention(q, k, v, { isCausal: true });
      y.backward(bp.randn([32, 4, 32, 16], { generator: new bp.Generator(4) }));
      return [y, q.grad!, k.grad!, v.grad!].map((t) => t.data() as Float32Array);
    };
    const spies = [vi.spyOn(jsBackend, "attentionScores"), vi.spyOn(jsBackend, "softmaxBackward")];
    let onNative: Float32Array[];
    try {
      onNative = step();
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    await bp.setBackend("js");
    const onJs = step();
    // The batched products round differently from the JS ones (float32 sums of 16 and 32 terms); the passes themselves are exact.
    onNative.forEach((t, i) => {
      let worst = 0;
      for (let j = 0; j < t.length; j++) worst = Math.max(worst, Math.abs(t[j] - onJs[i][j]) / (1e-2 + Math.abs(onJs[i][j])));
      expect(worst, `output ${i}`).toBeLessThan(1e-4);
    });
    await bp.setBackend("native");
  });
});
