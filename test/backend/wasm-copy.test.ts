/**
 * The wasm backend's strided copy (asm/copy.ts) against the JS kernel, bit
 * for bit: permutes, narrows, broadcast (stride 0) and stepped inner
 * dimensions, runs that are not a multiple of the kernel's four lanes, NaN
 * payloads and signed zeros; above the real dispatch threshold and forced at
 * small sizes, with a spy that the JS kernel is not reached; the blocks of a
 * view with gaps (one batch entry among many) packed; views spanning far more
 * than their elements, negative strides and other dtypes stay on the JS kernel.
 */
import { afterAll, describe, expect, it, vi } from "vitest";
import * as bp from "../../src/index.js";
import { jsBackend } from "../../src/backend/js/index.js";
import { createWasmBackendSync, thresholds } from "../../src/backend/wasm/index.js";
import { setKernelThresholdsForTesting } from "../../src/backend/policy.js";

const wasm = createWasmBackendSync();

afterAll(() => {
  setKernelThresholdsForTesting({ force: false });
});

/** n float32 values: normals, with NaNs of distinct payloads, ±0 and ±∞ scattered. */
function values(n: number, seed: number): Float32Array {
  const x = bp.randn([n], { generator: new bp.Generator(seed) }).data() as Float32Array;
  const words = new Uint32Array(x.buffer, x.byteOffset, n);
  for (let i = seed % 7; i < n; i += 97) words[i] = 0x7fc00000 | (i & 0x3fffff);
  for (let i = seed % 11; i < n; i += 131) x[i] = i % 2 ? -0 : Infinity;
  return x;
}

function bits(x: Float32Array): Uint32Array {
  return new Uint32Array(x.buffer, x.byteOffset, x.length);
}

/** Both kernels on one view; the wasm call must not reach the JS kernel. */
function both(src: Float32Array, off: number, strides: number[], shape: number[]): { got: Float32Array; want: Float32Array } {
  const total = shape.reduce((p, q) => p * q, 1);
  const got = new Float32Array(total).fill(7), want = new Float32Array(total);
  const spy = vi.spyOn(jsBackend, "copyStrided");
  try {
    wasm.copyStrided(src, off, strides, shape, got);
    expect(spy).not.toHaveBeenCalled();
  } finally {
    spy.mockRestore();
  }
  jsBackend.copyStrided(src, off, strides, shape, want);
  return { got, want };
}

/** Row-major strides of a shape. */
function contiguousStrides(shape: number[]): number[] {
  const s = new Array<number>(shape.length);
  for (let d = shape.length - 1, step = 1; d >= 0; step *= shape[d], d--) s[d] = step;
  return s;
}

describe("wasm backend: strided copy", () => {
  // [name, source shape, permutation or null, narrow (dim, start, length) or null]
  const views: [string, number[], number[] | null, [number, number, number] | null][] = [
    ["split heads (a transpose of the middle dims, runs of 16)", [6, 9, 4, 16], [0, 2, 1, 3], null],
    ["a transpose (stepped inner dimension)", [37, 45], [1, 0], null],
    ["runs of 3 (the scalar tail)", [5, 7, 11, 3], [2, 0, 1, 3], null],
    ["a third of a packed projection, permuted", [6, 16, 3 * 24], null, [2, 24, 24]],
    ["a 5-d permute", [3, 4, 5, 6, 7], [4, 2, 0, 3, 1], null],
    ["a narrow along the inner dimension", [50, 40], null, [1, 3, 33]],
  ];
  for (const [name, shape, perm, narrow] of views) {
    for (const force of [false, true]) {
      it(`${name}${force ? ", forced" : ""}: the JS kernel's bits`, () => {
        setKernelThresholdsForTesting({ force });
        const size = shape.reduce((p, q) => p * q, 1);
        const src = values(size + 5, shape.length + size);
        let viewShape = shape.slice(), strides = contiguousStrides(shape), off = 5;
        if (narrow) {
          const [d, start, len] = narrow;
          off += start * strides[d];
          viewShape[d] = len;
        }
        if (perm) {
          viewShape = perm.map((p) => viewShape[p]);
          strides = perm.map((p) => strides[p]);
        }
        if (name.includes("projection")) {
          // q of q‖k‖v, split into 3 heads of 8 and permuted to [N, H, L, D].
          const [N, L] = viewShape;
          viewShape = [N, 3, L, 8];
          strides = [strides[0], 8, strides[1], 1];
        }
        const total = viewShape.reduce((p, q) => p * q, 1);
        expect(force || total >= thresholds.elementwiseMin).toBe(true);
        const { got, want } = both(src, off, strides, viewShape);
        expect(bits(got)).toEqual(bits(want));
      });
    }
  }

  it("one batch entry's q̄‖k̄‖v̄ interleaved from [3, N, H, L, D] heads: the three blocks packed, the JS kernel's bits", () => {
    setKernelThresholdsForTesting({ force: false });
    const N = 6, H = 4, L = 12, D = 8;
    const src = values(3 * N * H * L * D, 6);
    for (const n of [0, 2, N - 1]) {
      const { got, want } = both(src, n * H * L * D, [D, N * H * L * D, L * D, 1], [L, 3, H, D]);
      expect(bits(got), `entry ${n}`).toEqual(bits(want));
    }
  });

  it("forced, small views: a broadcast (stride 0), single runs, one element per run, a plain run", () => {
    setKernelThresholdsForTesting({ force: true });
    const src = values(64, 3);
    const cases: [number, number[], number[]][] = [
      [2, [0, 1], [5, 6]], // one row repeated
      [1, [4, 0], [3, 5]], // each element repeated along the inner dimension
      [0, [1], [64]], // a plain run
      [3, [2], [20]], // every other element
      [0, [8, 1], [1, 7]],
      [0, [1, 8], [8, 1]],
      [9, [], []], // one element (0-d)
      [9, [5, 7], [1, 1]], // one element, every dimension of size 1
    ];
    for (const [off, strides, shape] of cases) {
      const { got, want } = both(src, off, strides, shape);
      expect(bits(got), `strides ${strides}, shape ${shape}`).toEqual(bits(want));
    }
  });

  it("forced, an empty view writes nothing", () => {
    setKernelThresholdsForTesting({ force: true });
    const out = new Float32Array(3).fill(7);
    wasm.copyStrided(values(16, 1), 0, [4, 1], [0, 4], out);
    expect(Array.from(out)).toEqual([7, 7, 7]);
  });

  it("hand values: the transpose of [[1, 2, 3], [4, 5, 6]] is [[1, 4], [2, 5], [3, 6]]", () => {
    setKernelThresholdsForTesting({ force: true });
    const { got } = both(new Float32Array([1, 2, 3, 4, 5, 6]), 0, [1, 3], [3, 2]);
    expect(Array.from(got)).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it("negative strides, a view spanning far more than its elements, float64 and int32 run the JS kernel", () => {
    setKernelThresholdsForTesting({ force: true });
    const spy = vi.spyOn(jsBackend, "copyStrided");
    try {
      const src = values(4096, 4);
      wasm.copyStrided(src, 4095, [-1], [2048], new Float32Array(2048));
      // Blocks of 113 elements 64 apart (overlapping, so not packed): 561 copied for 64.
      wasm.copyStrided(src, 0, [64, 16], [8, 8], new Float32Array(64));
      wasm.copyStrided(new Float64Array(64), 0, [1, 8], [8, 8], new Float64Array(64));
      wasm.copyStrided(new Int32Array(64), 0, [1, 8], [8, 8], new Int32Array(64));
      expect(spy).toHaveBeenCalledTimes(4);
    } finally {
      spy.mockRestore();
    }
  });

  it("through the tensor API on the wasm backend: contiguous() of a permuted view matches the js backend", async () => {
    setKernelThresholdsForTesting({ force: false });
    const x = bp.randn([8, 16, 4, 16], { generator: new bp.Generator(5) });
    await bp.setBackend("wasm");
    try {
      const got = x.permute([0, 2, 1, 3]).contiguous().data() as Float32Array;
      await bp.setBackend("js");
      const want = x.permute([0, 2, 1, 3]).contiguous().data() as Float32Array;
      expect(bits(got)).toEqual(bits(want));
    } finally {
      await bp.setBackend("js");
    }
  });
});
