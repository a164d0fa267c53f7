/**
 * The wasm softmax and log-softmax kernels (asm/softmax.ts) against the JS
 * kernel: float32 rows, within 1 ulp and almost always bit for bit (only the exponential
 * differs: float64 lanes against Math.exp, both rounded once at the end), on
 * values that reach every branch: odd and even widths, causal rows of −∞,
 * rows wholly −∞ (NaN, as PyTorch gives), NaN and +∞ (NaN rows), spreads
 * past the kernel's cut-off at e^−200 and subnormal results. Above the real
 * dispatch threshold and forced at every small size, with a spy that the JS
 * kernel is not reached; strided axes and float64 stay on it.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import * as bp from "../../src/index.js";
import { jsBackend } from "../../src/backend/js/index.js";
import { createWasmBackend, thresholds, type WasmBackend } from "../../src/backend/wasm/index.js";
import { setKernelThresholdsForTesting } from "../../src/backend/policy.js";
import { float32Bits, maxUlps } from "./float32-ulps.js";

let wasm: WasmBackend;

beforeAll(async () => {
  wasm = await createWasmBackend();
});

afterAll(() => {
  setKernelThresholdsForTesting({ force: false });
});

/** rows × width values: normals of scale `scale`, with every third row causal (−∞ past its diagonal). */
function scores(rows: number, width: number, seed: number, scale: number): Float32Array {
  const x = bp.randn([rows * width], { generator: new bp.Generator(seed) }).data() as Float32Array;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < width; j++) {
      x[r * width + j] *= scale;
      if (r % 3 === 1 && j > r % width) x[r * width + j] = -Infinity;
    }
  }
  return x;
}

function sameShare(got: Float32Array, want: Float32Array): number {
  let same = 0;
  for (let i = 0; i < got.length; i++) if (Object.is(got[i], want[i]) || (Number.isNaN(got[i]) && Number.isNaN(want[i]))) same++;
  return same / got.length;
}

/** Both kernels on rows of x from offset `from`; asserts the JS kernel is not reached by the wasm call. */
function both(x: Float32Array, from: number, rows: number, width: number, log = false): { got: Float32Array; want: Float32Array } {
  const got = new Float32Array(rows * width).fill(7), want = new Float32Array(rows * width);
  const spy = vi.spyOn(jsBackend, "softmax");
  try {
    wasm.softmax(x, from, rows, width, 1, got, log);
    expect(spy).not.toHaveBeenCalled();
  } finally {
    spy.mockRestore();
  }
  jsBackend.softmax(x, from, rows, width, 1, want, log);
  return { got, want };
}

describe("wasm backend: softmax", () => {
  const cases: [string, number, number, boolean][] = [
    ["above the real threshold, attention-sized rows", Math.ceil(thresholds.transcendentalMin / 32) + 3, 32, false],
    ["above the real threshold, odd width", Math.ceil(thresholds.transcendentalMin / 27) + 1, 27, false],
    ["a large call", 1200, 33, false],
    ...[1, 2, 3, 4, 5, 7, 8, 9, 16, 31, 64, 257].map((w): [string, number, number, boolean] => [`forced, width ${w}`, 5, w, true]),
  ];
  for (const [name, rows, width, force] of cases) {
    for (const [scale, log] of [[1, false], [8, false], [60, false], [1, true], [60, true]] as const) {
      it(`${name}, ${log ? "log-softmax, " : ""}scores of scale ${scale}: within 1 ulp of the JS kernel, nearly always its bits`, () => {
        setKernelThresholdsForTesting({ force });
        const x = scores(rows + 1, width, rows + width, scale);
        const { got, want } = both(x, 3, rows, width, log);
        expect(maxUlps(got, want)).toBeLessThanOrEqual(1);
        expect(sameShare(got, want)).toBeGreaterThan(0.99);
      });
    }
  }

  it("forced, special rows: all −∞ and NaN give NaN rows, +∞ a NaN row, spreads past e^−200 give the JS kernel's zeros and subnormals", () => {
    setKernelThresholdsForTesting({ force: true });
    const rows = [
      [-Infinity, -Infinity, -Infinity],
      [1, NaN, 2],
      [Infinity, 0, -Infinity],
      [0, -199.5, -200.5, -1e30],
      [0, -100, -103, -87.5, -150, -3.4e38],
      [-0, 0, -0, 0, -0],
      [5],
    ];
    for (const row of rows) {
      for (const log of [false, true]) {
        const x = new Float32Array(row);
        const { got, want } = both(x, 0, 1, row.length, log);
        expect(maxUlps(got, want), `row ${row}${log ? ", log" : ""}`).toBeLessThanOrEqual(1);
      }
    }
    const nanRow = both(new Float32Array([-Infinity, -Infinity]), 0, 1, 2).got;
    expect([Number.isNaN(nanRow[0]), Number.isNaN(nanRow[1])]).toEqual([true, true]);
    const tiny = both(new Float32Array([0, -100, -300]), 0, 1, 3).got;
    // e^−100 ≈ 3.72e-44 is a float32 subnormal; e^−300 underflows to 0.
    expect([tiny[0], tiny[1] > 0 && tiny[1] < 1.2e-38, tiny[2]]).toEqual([1, true, 0]);
  });

  it("forced, maxima tied at −0 and +0 (the kernel's four-lane maximum may pick the other zero): the JS kernel's bits, signs of zero included", () => {
    setKernelThresholdsForTesting({ force: true });
    const rows = [[-0, 0], [0, -0], [-0], [-0, -1], [0, -0, -5, -0, -3], [-0, -0, -0, -0, 0, -0, -0, -0, -0], [-1e-45, -0, 0, -2, -0]];
    for (const row of rows) {
      for (const log of [false, true]) {
        const { got, want } = both(new Float32Array(row), 0, 1, row.length, log);
        expect(Array.from(float32Bits(got)), `row ${row.map((v) => (Object.is(v, -0) ? "-0" : v))}${log ? ", log" : ""}`).toEqual(Array.from(float32Bits(want)));
      }
    }
  });

  it("hand values: softmax([0, ln 3]) = [1/4, 3/4]; a row of equal scores is uniform", () => {
    setKernelThresholdsForTesting({ force: true });
    const { got } = both(new Float32Array([0, Math.log(3), 2, 2, 2, 2]), 0, 1, 2);
    expect(Array.from(got)).toEqual([0.25, 0.75]);
    expect(Array.from(both(new Float32Array([2, 2, 2, 2]), 0, 1, 4).got)).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it("hand values: logSoftmax([0, ln 3]) = [ln 1/4, ln 3/4]; logSoftmax of a row of −∞ is NaN", () => {
    setKernelThresholdsForTesting({ force: true });
    const { got } = both(new Float32Array([0, Math.log(3)]), 0, 1, 2, true);
    // ln 3 rounded to float32 moves the exact values by ~1e-8.
    expect(got[0]).toBeCloseTo(Math.log(0.25), 6);
    expect(got[1]).toBeCloseTo(Math.log(0.75), 6);
    const nan = both(new Float32Array([-Infinity, -Infinity, -Infinity]), 0, 1, 3, true).got;
    expect(Array.from(nan).every(Number.isNaN)).toBe(true);
  });

  it("a strided axis (inner > 1) and float64 run the JS kernel", () => {
    setKernelThresholdsForTesting({ force: true });
    const spy = vi.spyOn(jsBackend, "softmax");
    try {
      const x = scores(4, 8, 9, 1);
      wasm.softmax(x, 0, 4, 4, 2, new Float32Array(32), false);
      wasm.softmax(x, 0, 4, 4, 2, new Float32Array(32), true);
      wasm.softmax(new Float64Array(32), 0, 4, 8, 1, new Float64Array(32), true);
      expect(spy).toHaveBeenCalledTimes(3);
    } finally {
      spy.mockRestore();
    }
  });

  it("through the tensor API on the wasm backend: softmax and logSoftmax along the last dim match the js backend", async () => {
    setKernelThresholdsForTesting({ force: false });
    const x = bp.randn([64, 40], { generator: new bp.Generator(3) }).mul(4);
    await bp.setBackend("js");
    const want = x.softmax(-1).data() as Float32Array, wantLog = x.logSoftmax(-1).data() as Float32Array;
    await bp.setBackend("wasm");
    try {
      const got = x.softmax(-1).data() as Float32Array, gotLog = x.logSoftmax(-1).data() as Float32Array;
      expect(maxUlps(got, want)).toBeLessThanOrEqual(1);
      expect(maxUlps(gotLog, wantLog)).toBeLessThanOrEqual(1);
    } finally {
      await bp.setBackend("js");
    }
  });
});
