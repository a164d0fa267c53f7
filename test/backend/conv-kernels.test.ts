/**
 * The convolution and pooling kernels of every backend (im2col, col2im,
 * maxPoolIndices, and the gather / scatter-add that max pooling's values and
 * gradient run on) against the JS reference kernels, bit for bit, in float32
 * and float64, at sizes above the dispatch thresholds and with the
 * thresholds forced to zero. Then a W6-sized conv/pool forward and backward
 * through the public API on each backend against the "js" backend.
 */
import { afterAll, describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";
import type { Backend, ConvWindow, FloatArray, PoolAxis } from "../../src/backend/backend.js";
import { jsBackend } from "../../src/backend/js/index.js";
import { backend as selected } from "../../src/backend/registry.js";
import type { NativeBackend } from "../../src/backend/native/index.js";
import { BACKEND_MODES, enterMode, leaveMode } from "../backends.js";

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;
const DTYPES: [string, Ctor][] = [["float32", Float32Array], ["float64", Float64Array]];

afterAll(leaveMode);

/** Values in [-2, 2) from a seed, as `ctor`. */
function values(ctor: Ctor, n: number, seed: number): FloatArray {
  return new ctor(bp.rand([n], { generator: new bp.Generator(seed), dtype: "float64" }).mul(4).sub(2).data() as Float64Array);
}

/** Same bits (sign of zero included), except that any NaN matches any NaN. */
function expectSameBits(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!(Object.is(got[i], want[i]) || (Number.isNaN(got[i]) && Number.isNaN(want[i])))) {
      expect.fail(`${what}: element ${i} is ${got[i]}, the JS kernel gives ${want[i]}`);
    }
  }
}

/** The window of a conv over [height, width] (PyTorch's output size). */
function conv(height: number, width: number, k: [number, number], stride: [number, number], pad: [number, number], dilation: [number, number]): ConvWindow {
  const out = (size: number, i: number) => Math.floor((size + 2 * pad[i] - dilation[i] * (k[i] - 1) - 1) / stride[i]) + 1;
  return {
    kH: k[0], kW: k[1], strideH: stride[0], strideW: stride[1], padTop: pad[0], padLeft: pad[1],
    dilationH: dilation[0], dilationW: dilation[1], outH: out(height, 0), outW: out(width, 1),
  };
}

// [name, batch, channels, height, width, window]
const GEOMETRIES: [string, number, number, number, number, ConvWindow][] = [
  ["W6 conv1 (5×5, padding 2)", 6, 1, 28, 28, conv(28, 28, [5, 5], [1, 1], [2, 2], [1, 1])],
  ["W6 conv2 (5×5, padding 2)", 5, 32, 14, 14, conv(14, 14, [5, 5], [1, 1], [2, 2], [1, 1])],
  ["3×2, stride 2×3, padding 1×2", 4, 3, 17, 19, conv(17, 19, [3, 2], [2, 3], [1, 2], [1, 1])],
  ["3×3, dilation 2×3, padding 3", 3, 4, 15, 16, conv(15, 16, [3, 3], [1, 1], [3, 3], [2, 3])],
  ["kernel wider than the padded input's last rows (padding 4 on 3×3)", 2, 5, 9, 7, conv(9, 7, [3, 3], [2, 2], [4, 4], [1, 1])],
];

// [name, planes, h axis, w axis]
function axis(size: number, kernel: number, stride: number, pad: number, dilation: number, ceil: boolean): PoolAxis {
  const span = size + 2 * pad - dilation * (kernel - 1) - 1 + (ceil ? stride - 1 : 0);
  let out = Math.floor(span / stride) + 1;
  if (ceil && (out - 1) * stride >= size + pad) out--;
  return { out, stride, pad, dilation, kernel, size };
}
const POOLS: [string, number, PoolAxis, PoolAxis][] = [
  ["W6 pool1 (2×2)", 6 * 32, axis(28, 2, 2, 0, 1, false), axis(28, 2, 2, 0, 1, false)],
  ["3×3 stride 2 padding 1", 40, axis(31, 3, 2, 1, 1, false), axis(30, 3, 2, 1, 1, false)],
  ["2×3 dilation 2, ceil mode", 33, axis(29, 2, 2, 0, 2, true), axis(31, 3, 2, 0, 2, true)],
  ["1-d (one row), kernel 4 stride 3", 64, axis(1, 1, 1, 0, 1, false), axis(257, 4, 3, 0, 1, false)],
];

const fastModes = BACKEND_MODES.filter((m) => m.name !== "js");

describe.each(fastModes)("$label: conv and pooling kernels agree with js bit for bit", (mode) => {
  const kernels = async (): Promise<Backend> => {
    await enterMode(mode);
    return selected;
  };
  // Reads the live binding after the switch.
  const current = (): Backend => selected;

  for (const [dtype, ctor] of DTYPES) {
    for (const [name, batch, channels, height, width, win] of GEOMETRIES) {
      it(`${dtype} im2col and col2im, ${name}, a chunk of images from the middle of the batch`, async () => {
        await kernels();
        const be = current();
        const offset = 3, n0 = 1, count = batch - 1;
        const x = values(ctor, offset + batch * channels * height * width, 1);
        const strides = [channels * height * width, height * width, width, 1];
        const size = channels * win.kH * win.kW * count * win.outH * win.outW;
        const got = new ctor(size).fill(NaN), want = new ctor(size).fill(NaN);
        be.im2col(x, offset, strides, channels, height, width, n0, count, win, got);
        jsBackend.im2col(x, offset, strides, channels, height, width, n0, count, win, want);
        expectSameBits(got, want, `im2col ${name}`);

        const cols = values(ctor, size, 2);
        const gotImages = values(ctor, batch * channels * height * width, 3), wantImages = new ctor(gotImages);
        be.col2im(cols, channels, height, width, n0, count, win, gotImages);
        jsBackend.col2im(cols, channels, height, width, n0, count, win, wantImages);
        expectSameBits(gotImages, wantImages, `col2im ${name}`);
      });
    }

    it(`${dtype} im2col of a strided view (channels-last storage read as NCHW)`, async () => {
      const be = await kernels();
      const [batch, channels, height, width] = [3, 6, 12, 13];
      const win = conv(height, width, [3, 3], [1, 1], [1, 1], [1, 1]);
      const x = values(ctor, batch * channels * height * width, 4);
      const strides = [height * width * channels, 1, width * channels, channels]; // NHWC memory
      const size = channels * 9 * batch * win.outH * win.outW;
      const got = new ctor(size), want = new ctor(size);
      be.im2col(x, 0, strides, channels, height, width, 0, batch, win, got);
      jsBackend.im2col(x, 0, strides, channels, height, width, 0, batch, win, want);
      expectSameBits(got, want, "im2col NHWC view");
    });

    for (const [name, planes, h, w] of POOLS) {
      it(`${dtype} maxPoolIndices, ${name}, with ties, ±∞ and NaNs`, async () => {
        const be = await kernels();
        const x = values(ctor, planes * h.size * w.size, 5);
        // Ties (rounded values), infinities, and NaNs sprinkled in.
        for (let i = 0; i < x.length; i += 7) x[i] = Math.round(x[i]);
        for (let i = 11; i < x.length; i += 97) x[i] = Infinity;
        for (let i = 13; i < x.length; i += 89) x[i] = -Infinity;
        for (let i = 17; i < x.length; i += 101) x[i] = NaN;
        for (let i = 18; i < x.length; i += 101) x[i] = NaN; // two NaNs in a window: the last wins
        const n = planes * h.out * w.out;
        const got = new Int32Array(n).fill(-1), want = new Int32Array(n).fill(-1);
        be.maxPoolIndices(x, planes, h, w, got);
        jsBackend.maxPoolIndices(x, planes, h, w, want);
        expectSameBits(got, want, `maxPoolIndices ${name}`);
      });
    }

    it(`${dtype} maxPoolIndices: a window of -∞ only gives its first index`, async () => {
      const be = await kernels();
      const h = axis(8, 2, 2, 0, 1, false), w = axis(8, 2, 2, 0, 1, false);
      const x = new ctor(64 * 64).fill(-Infinity);
      const got = new Int32Array(64 * 16);
      be.maxPoolIndices(x, 64, h, w, got);
      expect(Array.from(got.subarray(0, 4))).toEqual([0, 2, 4, 6]);
    });

    it(`${dtype} gather and scatterAdd along a middle axis (max pooling's values and gradient)`, async () => {
      const be = await kernels();
      const [outer, axisIn, inner, idxAxis] = [37, 29, 3, 41];
      const x = values(ctor, outer * axisIn * inner, 6);
      const index = new Int32Array(outer * idxAxis * inner);
      for (let i = 0; i < index.length; i++) index[i] = (i * 7919) % axisIn; // repeats: scatterAdd sums them in order
      const got = new ctor(index.length), want = new ctor(index.length);
      be.gather(x, outer, axisIn, inner, index, idxAxis, got);
      jsBackend.gather(x, outer, axisIn, inner, index, idxAxis, want);
      expectSameBits(got, want, "gather");
      const src = values(ctor, index.length, 7);
      const gotSum = values(ctor, x.length, 8), wantSum = new ctor(gotSum);
      be.scatterAdd(gotSum, outer, axisIn, inner, index, idxAxis, src);
      jsBackend.scatterAdd(wantSum, outer, axisIn, inner, index, idxAxis, src);
      expectSameBits(gotSum, wantSum, "scatterAdd");
    });
  }
});

describe.each(fastModes)("$label: a W6-sized conv, ReLU and max pool step agrees with js", (mode) => {
  /** Output and gradients of conv2d → relu → maxPool2d, both convs' weights and the input leaf. */
  function step(): Float32Array[] {
    const g = new bp.Generator(3);
    const x = bp.randn([8, 32, 14, 14], { generator: g, requiresGrad: true });
    const w = bp.randn([64, 32, 5, 5], { generator: g }).mul(0.05);
    w.requiresGrad = true;
    const b = bp.randn([64], { generator: g, requiresGrad: true });
    const y = bp.F.maxPool2d(bp.F.conv2d(x, w, b, { padding: 2 }).relu(), { kernelSize: 2 });
    y.mul(bp.randn(y.shape, { generator: g })).sum().backward();
    return [y, x.grad!, w.grad!, b.grad!].map((t) => t.data() as Float32Array);
  }

  it("forward and every gradient within float32 rounding (the GEMMs sum in another order)", async () => {
    await bp.setBackend("js");
    const want = step();
    await enterMode(mode);
    const got = step();
    ["output", "input grad", "weight grad", "bias grad"].forEach((what, t) => {
      expect(got[t].length, what).toBe(want[t].length);
      for (let i = 0; i < want[t].length; i++) {
        if (!(Math.abs(got[t][i] - want[t][i]) <= 1e-4 * (1 + Math.abs(want[t][i])))) {
          expect.fail(`${what}: element ${i} is ${got[t][i]}, the JS backend gives ${want[t][i]}`);
        }
      }
    });
  });
});

describe.runIf(bp.availableBackends().includes("native"))("native addon: the conv and pooling kernels check their arrays", () => {
  it("a short column matrix, an index out of range or an empty pooling window throw, naming the kernel, instead of touching memory", async () => {
    const { loadNativeBackend } = await import("../../src/backend/native/index.js");
    const { addon } = loadNativeBackend() as NativeBackend;
    const x = new Float32Array(2 * 3 * 8 * 8);
    // 3 channels · 3·3 taps · 2 images · 8·8 positions are needed; one fewer is given.
    expect(() => addon.im2col(x, 0, 192, 64, 8, 1, 3, 8, 8, 0, 2, 3, 3, 1, 1, 1, 1, 1, 1, 8, 8, new Float32Array(3 * 9 * 2 * 64 - 1)))
      .toThrow(/native im2col: cols needs 3456 elements but the array has 3455/);
    expect(() => addon.col2im(new Float32Array(3 * 9 * 2 * 64), 3, 8, 8, 1, 2, 3, 3, 1, 1, 1, 1, 1, 1, 8, 8, x))
      .toThrow(/native col2im: out needs 576 elements/);
    expect(() => addon.gather(new Float32Array(10), 2, 5, 1, new Int32Array([0, 5]), 1, new Float32Array(2)))
      .toThrow(/native gather: index out of range/);
    expect(() => addon.scatterAdd(new Float32Array(10), 2, 5, 1, new Int32Array([-1, 0]), 1, new Float32Array(2)))
      .toThrow(/native scatterAdd: index out of range/);
    // Padding 2 on a kernel of 2: the first window lies wholly in the padding.
    expect(() => addon.maxPoolIndices(x, 0, 6, 5, 2, 2, 1, 2, 8, 4, 2, 0, 1, 2, 8, new Int32Array(6 * 20)))
      .toThrow(/native maxPoolIndices: every pooling window must cover an input element/);
  });
});
