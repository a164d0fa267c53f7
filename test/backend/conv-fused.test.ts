/**
 * The native backend's fused convolutions (Backend.conv2d, conv2dWeightGrad,
 * conv2dInputGrad; native/src/conv_gemm.cc) against the JS reference path
 * they replace (im2col, matmul, col2im), in float32 and float64, on every
 * route the kernels take: the forward read in place from a padded image
 * (stride 1 along W, rows that fill whole micro-kernel tiles) or packed
 * (other strides, short rows); the input gradient as the forward of the
 * flipped weight (stride 1, padding at most the kernel's reach, enough
 * input channels) or as weightᵀ·ȳ and col2im; strided input views and
 * offsets. Sizes are above the dispatch thresholds, and the thresholds are
 * also forced to zero. The forward is also held bit for bit to the
 * backend's own im2col + matmul (same micro-kernel, same sums).
 */
import { afterAll, describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";
import type { Backend, ConvWindow, FloatArray } from "../../src/backend/backend.js";
import { jsBackend } from "../../src/backend/js/index.js";
import { channelsToImages } from "../../src/backend/js/im2col.js";
import { backend as selected } from "../../src/backend/registry.js";
import type { NativeBackend } from "../../src/backend/native/index.js";
import { BACKEND_MODES, enterMode, leaveMode } from "../backends.js";

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;
const DTYPES: [string, Ctor, number][] = [["float32", Float32Array, 2e-6], ["float64", Float64Array, 1e-13]];

afterAll(leaveMode);

function values(ctor: Ctor, n: number, seed: number): FloatArray {
  return new ctor(bp.rand([n], { generator: new bp.Generator(seed), dtype: "float64" }).mul(4).sub(2).data() as Float64Array);
}

/** A window with PyTorch's output size; `after` is the bottom/right padding when it differs from the top/left one ("same" with an even kernel). */
function win(height: number, width: number, k: [number, number], stride: [number, number], pad: [number, number], dilation: [number, number],
  after: [number, number] = pad): ConvWindow {
  const out = (size: number, i: number) => Math.floor((size + pad[i] + after[i] - dilation[i] * (k[i] - 1) - 1) / stride[i]) + 1;
  return {
    kH: k[0], kW: k[1], strideH: stride[0], strideW: stride[1], padTop: pad[0], padLeft: pad[1],
    dilationH: dilation[0], dilationW: dilation[1], outH: out(height, 0), outW: out(width, 1),
  };
}

interface Geometry {
  name: string;
  batch: number;
  channels: number;
  height: number;
  width: number;
  outChannels: number;
  win: ConvWindow;
}

const GEOMETRIES: Geometry[] = [
  // In place (rows of 28 = two tiles of 14); one input channel: the input gradient takes weightᵀ·ȳ and col2im.
  { name: "W6 conv1 (5×5, padding 2)", batch: 3, channels: 1, height: 28, width: 28, outChannels: 32, win: win(28, 28, [5, 5], [1, 1], [2, 2], [1, 1]) },
  // In place, 800 taps (two slices of the float32 micro-kernel's depth); input gradient as a conv of the flipped weight.
  { name: "W6 conv2 (5×5, padding 2)", batch: 3, channels: 32, height: 14, width: 14, outChannels: 64, win: win(14, 14, [5, 5], [1, 1], [2, 2], [1, 1]) },
  // Dilation in place; "same" padding of an even kernel (1 before, 2 after), flipped with padding 2 before and 1 after.
  { name: "4×4 dilation 1×2, 'same' padding", batch: 2, channels: 32, height: 9, width: 28, outChannels: 19, win: win(9, 28, [4, 4], [1, 1], [1, 3], [1, 2], [2, 3]) },
  // Stride 2×3: packed forward, weightᵀ·ȳ and col2im.
  { name: "3×2 stride 2×3 padding 1×2", batch: 4, channels: 3, height: 17, width: 19, outChannels: 7, win: win(17, 19, [3, 2], [2, 3], [1, 2], [1, 1]) },
  // Stride 1 but rows of 15 (a second tile mostly past the row): packed forward; padding 3 > the kernel's reach 2: no flipped conv.
  { name: "3×3 padding 3, rows of 15", batch: 2, channels: 40, height: 7, width: 11, outChannels: 33, win: win(7, 11, [3, 3], [1, 1], [3, 3], [1, 1]) },
  // A kernel that only overlaps the input in some windows, stride 2.
  { name: "3×3 stride 2 padding 4", batch: 2, channels: 5, height: 9, width: 7, outChannels: 6, win: win(9, 7, [3, 3], [2, 2], [4, 4], [1, 1]) },
];

/** The reference: the column matrix of the JS im2col, the JS matmul, the JS col2im. */
function reference(g: Geometry, x: FloatArray, xOff: number, strides: number[], w: FloatArray, bias: FloatArray | null, gy: FloatArray, ctor: Ctor) {
  const taps = g.channels * g.win.kH * g.win.kW, plane = g.win.outH * g.win.outW, span = g.batch * plane;
  const cols = new ctor(taps * span);
  jsBackend.im2col(x, xOff, strides, g.channels, g.height, g.width, 0, g.batch, g.win, cols);
  const product = new ctor(g.outChannels * span);
  jsBackend.matmul(w, 0, 0, false, cols, 0, 0, false, product, 1, g.outChannels, taps, span);
  const y = new ctor(g.batch * g.outChannels * plane);
  channelsToImages(product, g.outChannels, 0, g.batch, plane, bias, 0, y);
  // ȳ as [O, N·P], the GEMM's operand.
  const gyT = new ctor(g.outChannels * span);
  jsBackend.copyStrided(gy, 0, [plane, g.outChannels * plane, 1], [g.outChannels, g.batch, plane], gyT);
  const gw = new ctor(g.outChannels * taps);
  jsBackend.matmul(gyT, 0, 0, false, cols, 0, 0, true, gw, 1, g.outChannels, span, taps);
  const dcols = new ctor(taps * span);
  jsBackend.matmul(w, 0, 0, true, gyT, 0, 0, false, dcols, 1, taps, g.outChannels, span);
  const gx = new ctor(g.batch * g.channels * g.height * g.width);
  jsBackend.col2im(dcols, g.channels, g.height, g.width, 0, g.batch, g.win, gx);
  return { y, gw, gx, cols };
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol * scale)) expect.fail(`${what}: element ${i} is ${got[i]}, the reference gives ${want[i]}`);
  }
}

const nativeModes = BACKEND_MODES.filter((m) => m.name === "native");

describe.each(nativeModes)("$label: fused convolutions agree with im2col, matmul and col2im", (mode) => {
  const kernels = async (): Promise<Backend> => {
    await enterMode(mode);
    return selected;
  };

  for (const [dtype, ctor, tol] of DTYPES) {
    for (const g of GEOMETRIES) {
      it(`${dtype}, ${g.name}: forward (with bias), weight gradient and input gradient`, async () => {
        const be = await kernels();
        const taps = g.channels * g.win.kH * g.win.kW, plane = g.win.outH * g.win.outW;
        const xOff = 5;
        const x = values(ctor, xOff + g.batch * g.channels * g.height * g.width, 1);
        const strides = [g.channels * g.height * g.width, g.height * g.width, g.width, 1];
        const w = values(ctor, g.outChannels * taps, 2), bias = values(ctor, g.outChannels, 3);
        const gy = values(ctor, g.batch * g.outChannels * plane, 4);
        const want = reference(g, x, xOff, strides, w, bias, gy, ctor);

        const y = new ctor(want.y.length).fill(NaN);
        expect(be.conv2d!(x, xOff, strides, g.batch, g.channels, g.height, g.width, g.outChannels, g.win, w, 0, bias, 0, y)).toBe(true);
        expectClose(y, want.y, tol, "output");
        const gw = new ctor(want.gw.length).fill(NaN);
        expect(be.conv2dWeightGrad!(x, xOff, strides, g.batch, g.channels, g.height, g.width, g.outChannels, g.win, gy, 0, gw)).toBe(true);
        expectClose(gw, want.gw, tol, "weight gradient");
        const gx = new ctor(want.gx.length).fill(NaN);
        expect(be.conv2dInputGrad!(gy, 0, g.batch, g.channels, g.height, g.width, g.outChannels, g.win, w, 0, gx)).toBe(true);
        expectClose(gx, want.gx, tol, "input gradient");

        // Bit for bit the backend's own im2col + matmul (the same micro-kernel sums the same products in the same order).
        if (mode.force) {
          const product = new ctor(g.outChannels * g.batch * plane), own = new ctor(want.y.length);
          be.matmul(w, 0, 0, false, want.cols, 0, 0, false, product, 1, g.outChannels, taps, g.batch * plane);
          channelsToImages(product, g.outChannels, 0, g.batch, plane, bias, 0, own);
          for (let i = 0; i < own.length; i++) if (!Object.is(y[i], own[i])) expect.fail(`output ${i}: ${y[i]}, im2col + matmul gives ${own[i]}`);
        }
      });
    }

    it(`${dtype}: a strided input view (channels-last storage read as NCHW)`, async () => {
      const be = await kernels();
      const g: Geometry = { name: "NHWC", batch: 2, channels: 6, height: 14, width: 14, outChannels: 20, win: win(14, 14, [3, 3], [1, 1], [1, 1], [1, 1]) };
      const x = values(ctor, g.batch * g.channels * g.height * g.width, 5);
      const strides = [g.height * g.width * g.channels, 1, g.width * g.channels, g.channels];
      const w = values(ctor, g.outChannels * g.channels * 9, 6), gy = values(ctor, g.batch * g.outChannels * g.height * g.width, 7);
      const want = reference(g, x, 0, strides, w, null, gy, ctor);
      const y = new ctor(want.y.length), gw = new ctor(want.gw.length);
      expect(be.conv2d!(x, 0, strides, g.batch, g.channels, g.height, g.width, g.outChannels, g.win, w, 0, null, 0, y)).toBe(true);
      expectClose(y, want.y, tol, "output");
      expect(be.conv2dWeightGrad!(x, 0, strides, g.batch, g.channels, g.height, g.width, g.outChannels, g.win, gy, 0, gw)).toBe(true);
      expectClose(gw, want.gw, tol, "weight gradient");
    });
  }

  it("an infinite input: the weight gradient takes the packed route and gives the reference's infinities, not NaN", async () => {
    const be = await kernels();
    // Column 13 of a 14-wide image: with padding 2, only the grid's extra columns read it for tap kj = 0.
    const g: Geometry = { name: "inf", batch: 2, channels: 2, height: 14, width: 14, outChannels: 6, win: win(14, 14, [5, 5], [1, 1], [2, 2], [1, 1]) };
    const x = values(Float64Array, g.batch * g.channels * g.height * g.width, 14);
    x[3 * g.width + 13] = Infinity;
    const strides = [g.channels * g.height * g.width, g.height * g.width, g.width, 1];
    const w = values(Float64Array, g.outChannels * g.channels * 25, 15);
    const gy = values(Float64Array, g.batch * g.outChannels * g.height * g.width, 16).map((v) => Math.abs(v) + 0.1);
    expect(g.batch * g.outChannels * g.channels * 25 * 196).toBeGreaterThan(1024); // above the dispatch threshold
    const want = reference(g, x, 0, strides, w, null, gy, Float64Array);
    const gw = new Float64Array(want.gw.length);
    expect(be.conv2dWeightGrad!(x, 0, strides, g.batch, g.channels, g.height, g.width, g.outChannels, g.win, gy, 0, gw)).toBe(true);
    let infinite = 0;
    for (let i = 0; i < gw.length; i++) {
      if (Number.isFinite(want.gw[i])) expect(Math.abs(gw[i] - want.gw[i])).toBeLessThan(1e-9);
      else {
        expect(gw[i], `element ${i}`).toBe(want.gw[i]);
        infinite++;
      }
    }
    expect(infinite).toBeGreaterThan(0);
  });

  it("results do not depend on the thread count", async () => {
    const be = await kernels();
    const g = GEOMETRIES[1];
    const x = values(Float32Array, g.batch * g.channels * g.height * g.width, 8);
    const strides = [g.channels * g.height * g.width, g.height * g.width, g.width, 1];
    const w = values(Float32Array, g.outChannels * g.channels * 25, 9), gy = values(Float32Array, g.batch * g.outChannels * g.height * g.width, 10);
    const run = () => {
      const y = new Float32Array(gy.length), gw = new Float32Array(w.length), gx = new Float32Array(x.length);
      be.conv2d!(x, 0, strides, g.batch, g.channels, g.height, g.width, g.outChannels, g.win, w, 0, null, 0, y);
      be.conv2dWeightGrad!(x, 0, strides, g.batch, g.channels, g.height, g.width, g.outChannels, g.win, gy, 0, gw);
      be.conv2dInputGrad!(gy, 0, g.batch, g.channels, g.height, g.width, g.outChannels, g.win, w, 0, gx);
      return [y, gw, gx];
    };
    const threads = bp.getNumThreads();
    try {
      bp.setNumThreads(1);
      const one = run();
      bp.setNumThreads(2);
      const two = run();
      one.forEach((a, i) => expect(Array.from(two[i])).toEqual(Array.from(a)));
    } finally {
      bp.setNumThreads(threads);
    }
  });
});

describe.runIf(bp.availableBackends().includes("native"))("native addon: the fused convolutions on every instruction set", () => {
  it("AVX-512, AVX2 and the portable kernels (their own tile shapes, in place or packed) agree with the reference", async () => {
    await bp.setBackend("native");
    const be = selected as NativeBackend;
    const isa = be.addon.info().isa;
    const isas = ["avx512", "avx2", "generic"].filter((name) => be.addon.setIsa(name));
    try {
      for (const [dtype, ctor, tol] of DTYPES) {
        for (const g of [GEOMETRIES[0], GEOMETRIES[1], GEOMETRIES[2], GEOMETRIES[4]]) {
          const taps = g.channels * g.win.kH * g.win.kW, plane = g.win.outH * g.win.outW;
          const x = values(ctor, g.batch * g.channels * g.height * g.width, 11);
          const strides = [g.channels * g.height * g.width, g.height * g.width, g.width, 1];
          const w = values(ctor, g.outChannels * taps, 12), gy = values(ctor, g.batch * g.outChannels * plane, 13);
          const want = reference(g, x, 0, strides, w, null, gy, ctor);
          for (const name of isas) {
            be.addon.setIsa(name);
            const y = new ctor(want.y.length), gw = new ctor(want.gw.length), gx = new ctor(want.gx.length);
            be.conv2d!(x, 0, strides, g.batch, g.channels, g.height, g.width, g.outChannels, g.win, w, 0, null, 0, y);
            be.conv2dWeightGrad!(x, 0, strides, g.batch, g.channels, g.height, g.width, g.outChannels, g.win, gy, 0, gw);
            be.conv2dInputGrad!(gy, 0, g.batch, g.channels, g.height, g.width, g.outChannels, g.win, w, 0, gx);
            const what = `${name} ${dtype} ${g.name}`;
            expectClose(y, want.y, tol, `${what} output`);
            expectClose(gw, want.gw, tol, `${what} weight gradient`);
            expectClose(gx, want.gx, tol, `${what} input gradient`);
          }
        }
      }
    } finally {
      be.addon.setIsa(isa);
    }
  });
});

describe.runIf(bp.availableBackends().includes("native"))("native addon: the fused convolutions check their arrays", () => {
  it("a short output, weight or gradient throws, naming the kernel and the operand", async () => {
    const { loadNativeBackend } = await import("../../src/backend/native/index.js");
    const { addon } = loadNativeBackend() as NativeBackend;
    const x = new Float32Array(2 * 3 * 8 * 8), w = new Float32Array(4 * 3 * 9);
    const window = [3, 3, 1, 1, 1, 1, 1, 1, 8, 8] as const;
    expect(() => addon.conv2d(x, 0, 192, 64, 8, 1, 2, 3, 8, 8, 4, ...window, w, 0, null, 0, new Float32Array(2 * 4 * 64 - 1)))
      .toThrow(/native conv2d: out needs 512 elements but the array has 511/);
    expect(() => addon.conv2d(x, 0, 192, 64, 8, 1, 2, 3, 8, 8, 4, ...window, w.subarray(1), 0, null, 0, new Float32Array(2 * 4 * 64)))
      .toThrow(/native conv2d: weight needs 108 elements/);
    expect(() => addon.conv2dWeightGrad(x, 0, 192, 64, 8, 1, 2, 3, 8, 8, 4, ...window, new Float32Array(2 * 4 * 64 - 1), 0, new Float32Array(108)))
      .toThrow(/native conv2dWeightGrad: gy needs 512 elements/);
    expect(() => addon.conv2dInputGrad(new Float32Array(2 * 4 * 64), 0, 2, 3, 8, 8, 4, ...window, w, 0, new Float32Array(x.length - 1)))
      .toThrow(/native conv2dInputGrad: out needs 384 elements/);
  });
});
