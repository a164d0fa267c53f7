/**
 * Convolution against PyTorch 1.13 (fixtures from test/fixtures/gen_conv.py):
 * conv1d, conv2d, convTranspose2d outputs and the gradients of
 * Σ output·cotangent for input, weight and bias, on every backend, in
 * float64 and float32; sizes that reach the wasm and native GEMM kernels;
 * the gradient of a gradient penalty (second order); PyTorch state dicts
 * loaded into the layers; the im2col kernels; the layers' init and errors.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import * as bp from "../../src/index.js";
import { BACKENDS } from "../backends.js";
import fixture from "../fixtures/conv.json" with { type: "json" };
import { channelsToImages, col2im, im2col, type ConvWindow } from "../../src/backend/js/im2col.js";
import { convTuning } from "../../src/ops/conv.js";

interface Encoded { shape: number[]; data: number[] }
interface Case {
  name: string;
  fn: "conv1d" | "conv2d" | "convTranspose2d";
  options: Record<string, any>;
  inputs: { x: Encoded; weight: Encoded; bias?: Encoded };
  out: Encoded;
  cotangent: number[];
  grads: Record<string, number[]>;
}
interface LargeCase {
  name: string;
  fn: Case["fn"];
  options: Record<string, any>;
  xShape: number[];
  weightShape: number[];
  outShape: number[];
  step: number;
  out: number[];
  gradX: number[];
  gradWeight: number[];
  gradBias: number[];
}
interface ModuleCase {
  name: string;
  cls: "Conv1d" | "Conv2d" | "ConvTranspose2d";
  args: [number, number, number | number[]];
  options: Record<string, any>;
  stateDict: Record<string, Encoded>;
  x: Encoded;
  out: Encoded;
}

const cases = fixture.cases as unknown as Case[];
const large = fixture.large as unknown as LargeCase[];
const modules = fixture.modules as unknown as ModuleCase[];
const secondOrder = fixture.secondOrder as unknown as Omit<Case, "out">[];
type FloatDType = "float32" | "float64";

function decode(e: Encoded, dtype: FloatDType, requiresGrad = false): bp.Tensor {
  return leaf(bp.tensor(e.data, { dtype }).reshape(e.shape), requiresGrad);
}

/** The fixture's formula inputs: multiples of 1/1024, exact in float32 too. */
function pattern(shape: number[], seed: number, scale: number, dtype: FloatDType, requiresGrad = false): bp.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = (((i * 7919 + seed) % 2049) - 1024) / 1024 * scale;
  return leaf(bp.tensor(data, { dtype }).reshape(shape), requiresGrad);
}

function leaf(t: bp.Tensor, requiresGrad: boolean): bp.Tensor {
  t.requiresGrad = requiresGrad;
  return t;
}

/** |ours − ref| ≤ tol·(1 + |ref|) for float64; float32 is held to tol times the largest |ref|, as its GEMMs round every partial sum. */
function expectClose(ours: ArrayLike<number>, ref: readonly number[], tol: number, what: string, scaleByMax = false): void {
  expect(ours.length, what).toBe(ref.length);
  let biggest = 0;
  for (const r of ref) biggest = Math.max(biggest, Math.abs(r));
  for (let i = 0; i < ref.length; i++) {
    const allowed = scaleByMax ? tol * Math.max(1, biggest) : tol * (1 + Math.abs(ref[i]));
    if (!(Math.abs(ours[i] - ref[i]) <= allowed)) {
      expect.fail(`${what}: element ${i} is ${ours[i]}, the reference (PyTorch unless said otherwise) is ${ref[i]} (tolerance ${allowed})`);
    }
  }
}

function every(data: ArrayLike<number>, step: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < data.length; i += step) out.push(data[i]);
  return out;
}

function apply(fn: Case["fn"], x: bp.Tensor, w: bp.Tensor, b: bp.Tensor | null, options: Record<string, any>): bp.Tensor {
  return bp.F[fn](x, w, b, options);
}

const TOLERANCE: Record<FloatDType, number> = { float64: 1e-12, float32: 5e-6 };

describe.each(BACKENDS)("backend %s", (backendName) => {
  beforeAll(async () => { await bp.setBackend(backendName); });
  afterAll(async () => { await bp.setBackend("js"); });

  describe.each(["float64", "float32"] as const)("%s", (dtype) => {
    test.each(cases.map((c) => [c.name, c] as const))("%s: output and gradients match PyTorch", (_name, c) => {
      const x = decode(c.inputs.x, dtype, true);
      const w = decode(c.inputs.weight, dtype, true);
      const b = c.inputs.bias ? decode(c.inputs.bias, dtype, true) : null;
      const y = apply(c.fn, x, w, b, c.options);
      expect(y.dtype).toBe(dtype);
      expect(y.shape).toEqual(c.out.shape);
      const tol = TOLERANCE[dtype];
      expectClose(y.data(), c.out.data, tol, "output", dtype === "float32");
      y.backward(bp.tensor(c.cotangent, { dtype }).reshape(c.out.shape));
      expectClose(x.grad!.data(), c.grads.x, tol, "input gradient", dtype === "float32");
      expectClose(w.grad!.data(), c.grads.weight, tol, "weight gradient", dtype === "float32");
      if (b) expectClose(b.grad!.data(), c.grads.bias, tol, "bias gradient", dtype === "float32");
    });

    test.each(large.map((c) => [c.name, c] as const))("large %s: output and gradients match PyTorch", (_name, c) => {
      const groups = c.options.groups ?? 1;
      const outChannels = c.fn === "convTranspose2d" ? c.weightShape[1] * groups : c.weightShape[0];
      const x = pattern(c.xShape, 1, 1, dtype, true);
      const w = pattern(c.weightShape, 2, 0.25, dtype, true);
      const b = pattern([outChannels], 3, 0.5, dtype, true);
      const y = apply(c.fn, x, w, b, c.options);
      expect(y.shape).toEqual(c.outShape);
      // float32 sums of hundreds of products: judged against the largest value of each array.
      const tol = dtype === "float64" ? 1e-11 : 1e-5;
      const scaled = dtype === "float32";
      expectClose(every(y.data(), c.step), c.out, tol, "output", scaled);
      y.backward(pattern(c.outShape, 4, 1, dtype));
      expectClose(every(x.grad!.data(), c.step), c.gradX, tol, "input gradient", scaled);
      expectClose(w.grad!.data(), c.gradWeight, tol, "weight gradient", scaled);
      expectClose(b.grad!.data(), c.gradBias, tol, "bias gradient", scaled);
    });
  });

  test.each(secondOrder.map((c) => [c.name, c] as const))("second order, %s: the gradient of a gradient penalty matches PyTorch", (_name, c) => {
    const x = decode(c.inputs.x, "float64", true);
    const w = decode(c.inputs.weight, "float64", true);
    const b = decode(c.inputs.bias!, "float64", true);
    const y = apply(c.fn, x, w, b, c.options);
    const cot = bp.tensor(c.cotangent, { dtype: "float64" }).reshape(y.shape as number[]);
    const [gx] = bp.grad(y.tanh().mul(cot).sum(), [x], { createGraph: true });
    gx!.square().sum().backward();
    expectClose(x.grad!.data(), c.grads.x, 1e-11, "input gradient");
    expectClose(w.grad!.data(), c.grads.weight, 1e-11, "weight gradient");
    expectClose(b.grad!.data(), c.grads.bias, 1e-11, "bias gradient");
  });

  test.each(modules.map((m) => [m.name, m] as const))("%s: PyTorch's state dict loads and gives PyTorch's output", (_name, m) => {
    const dtype: FloatDType = m.name.includes("float32") ? "float32" : "float64";
    const Layer = bp.nn[m.cls];
    const layer = new Layer(m.args[0], m.args[1], m.args[2], { ...m.options, dtype });
    const sd: Record<string, bp.Tensor> = {};
    for (const [k, e] of Object.entries(m.stateDict)) sd[k] = decode(e, dtype);
    expect(Object.keys(Object.fromEntries(layer.namedParameters())).sort()).toEqual(Object.keys(sd).sort());
    layer.loadStateDict(sd);
    const y = layer.forward(decode(m.x, dtype));
    expect(y.shape).toEqual(m.out.shape);
    expectClose(y.data(), m.out.data, TOLERANCE[dtype], "output", dtype === "float32");
  });
});

describe("layers", () => {
  test("parameter shapes, defaults and PyTorch's names", () => {
    const c = new bp.nn.Conv2d(6, 12, [3, 5], { groups: 3 });
    expect(c.weight.shape).toEqual([12, 2, 3, 5]);
    expect(c.bias!.shape).toEqual([12]);
    expect([c.stride, c.padding, c.dilation, c.groups, c.paddingMode]).toEqual([[1, 1], [0, 0], [1, 1], 3, "zeros"]);
    expect(Object.keys(c.stateDict())).toEqual(["weight", "bias"]);
    const t = new bp.nn.ConvTranspose2d(6, 4, 3, { groups: 2, bias: false, stride: 2 });
    expect(t.weight.shape).toEqual([6, 2, 3, 3]);
    expect(t.bias).toBeNull();
    expect(Object.keys(t.stateDict())).toEqual(["weight"]);
    const one = new bp.nn.Conv1d(4, 8, 3, { padding: "same" });
    expect(one.weight.shape).toEqual([8, 4, 3]);
    expect(one.forward(bp.randn([2, 4, 10])).shape).toEqual([2, 8, 10]);
    expect(String(c)).toContain("Conv2d(6, 12, kernelSize=[3,5], stride=[1,1], groups=3)");
  });

  test("init: weight and bias U(±1/√fanIn) (kaiming_uniform with a = √5), fanIn = in/groups·kH·kW (out/groups·kH·kW when transposed)", () => {
    const check = (layer: { weight: bp.Tensor; bias: bp.Tensor | null }, fanIn: number) => {
      const bound = 1 / Math.sqrt(fanIn);
      for (const t of [layer.weight, layer.bias!]) {
        const values = Array.from(t.data());
        const biggest = Math.max(...values.map(Math.abs));
        expect(biggest).toBeLessThanOrEqual(bound);
        // Thousands of uniform draws reach close to the bound; a wrong fan would miss it by a factor.
        if (values.length > 1000) expect(biggest).toBeGreaterThan(0.99 * bound);
      }
      // Uniform on ±bound has variance bound²/3.
      const w = layer.weight;
      expect(w.square().mean().item()).toBeCloseTo(bound * bound / 3, 3);
    };
    const g = new bp.Generator(5);
    check(new bp.nn.Conv2d(16, 32, 5, { generator: g }), 16 * 25);
    check(new bp.nn.Conv2d(16, 32, 3, { groups: 4, generator: g }), 4 * 9);
    check(new bp.nn.Conv1d(8, 64, 7, { generator: g }), 8 * 7);
    check(new bp.nn.ConvTranspose2d(32, 16, 4, { generator: g }), 16 * 16);
  });

  test("ConvTranspose2d.forward(x, outputSize) picks the output padding", () => {
    const t = new bp.nn.ConvTranspose2d(2, 3, 3, { stride: 2, padding: 1 });
    const x = bp.randn([1, 2, 4, 4]);
    expect(t.forward(x).shape).toEqual([1, 3, 7, 7]);
    expect(t.forward(x, [8, 7]).shape).toEqual([1, 3, 8, 7]);
    expect(t.forward(x, [1, 3, 8, 8]).shape).toEqual([1, 3, 8, 8]);
    // The same as asking for outputPadding [1, 0] directly.
    const direct = bp.F.convTranspose2d(x, t.weight, t.bias, { stride: 2, padding: 1, outputPadding: [1, 0] });
    expect(Array.from(t.forward(x, [8, 7]).data())).toEqual(Array.from(direct.data()));
    expect(() => t.forward(x, [9, 7])).toThrowError("ConvTranspose2d: outputSize [9,7] cannot come from input [1,2,4,4]: dimension 0 must be between 7 and 8");
  });

  test("a large batch is gathered in chunks: the scratch memory stays small", () => {
    const conv = new bp.nn.Conv2d(32, 64, 5, { padding: 2 });
    const x = bp.randn([64, 32, 14, 14], { requiresGrad: true });
    const y = conv.forward(x);
    y.backward(bp.onesLike(y));
    // The whole batch's columns would be 64·32·25·196 floats (40 MB); a chunk is about 2 MB
    // (4 MB in float64, which the earlier tests also used), plus the GEMM's other operand.
    const held = bp.memory().pools["conv workspace"];
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThan(16 * 1024 * 1024);
    // And chunking changes nothing: an image of the second chunk alone gives the same values.
    const alone = conv.forward(x.narrow(0, 37, 1)).data();
    expectClose(y.narrow(0, 37, 1).data(), Array.from(alone), 1e-6, "image 37", true);
  });

  test("results do not depend on the chunk size (one image per chunk against the whole batch)", () => {
    const run = () => {
      const x = pattern([5, 4, 7, 6], 1, 1, "float64", true);
      // 12 output channels per group against k = 2·2·2 = 8: the weight gradient's transposed GEMM.
      const w = pattern([24, 2, 2, 2], 2, 0.25, "float64", true);
      const y = bp.F.conv2d(x, w, null, { groups: 2, stride: [1, 2], padding: 1 });
      y.backward(pattern(y.shape as number[], 4, 1, "float64"));
      return [y.data(), x.grad!.data(), w.grad!.data()].map((d) => Array.from(d));
    };
    const whole = run();
    const saved = convTuning.maxColumnElements;
    convTuning.maxColumnElements = 1;
    try {
      const chunked = run();
      ["output", "input gradient", "weight gradient"].forEach((what, i) => expectClose(chunked[i], whole[i], 1e-13, what));
    } finally {
      convTuning.maxColumnElements = saved;
    }
  });

  test("gradients flow from an expanded output gradient (sum) and through empty batches", () => {
    const x = bp.randn([2, 3, 5, 5], { dtype: "float64", requiresGrad: true });
    const w = bp.randn([4, 3, 3, 3], { dtype: "float64", requiresGrad: true });
    bp.F.conv2d(x, w, null, { padding: 1 }).sum().backward();
    const gx = Array.from(x.grad!.data()), gw = Array.from(w.grad!.data());
    x.grad = null; w.grad = null;
    const y = bp.F.conv2d(x, w, null, { padding: 1 });
    y.backward(bp.onesLike(y));
    expect(Array.from(x.grad!.data())).toEqual(gx);
    expect(Array.from(w.grad!.data())).toEqual(gw);

    const empty = bp.zeros([0, 3, 5, 5], { dtype: "float64", requiresGrad: true });
    const ye = bp.F.conv2d(empty, w, null, { stride: 2 });
    expect(ye.shape).toEqual([0, 4, 2, 2]);
    w.grad = null;
    ye.sum().backward();
    expect(empty.grad!.shape).toEqual([0, 3, 5, 5]);
    expect(Array.from(w.grad!.data()).every((v) => v === 0)).toBe(true);
  });

  test("a conv net trains: loss falls on a small task", () => {
    bp.manualSeed(3);
    const net = new bp.nn.Sequential(
      new bp.nn.Conv2d(1, 4, 3, { padding: 1 }), new bp.nn.ReLU(),
      new bp.nn.Conv2d(4, 4, 3, { stride: 2, padding: 1 }), new bp.nn.ReLU(),
      new bp.nn.Flatten(), new bp.nn.Linear(4 * 4 * 4, 2),
    );
    // Class 1: a bright top half; class 0: a bright bottom half.
    const x = bp.randn([16, 1, 8, 8]).mul(0.1);
    const labels: number[] = [];
    const xd = x.storage as Float32Array;
    for (let n = 0; n < 16; n++) {
      const top = n % 2;
      labels.push(top);
      for (let i = 0; i < 32; i++) xd[n * 64 + (top ? i : 32 + i)] += 1;
    }
    const y = bp.tensor(labels, { dtype: "int32" });
    const opt = new bp.optim.Adam(net.parameters(), { lr: 0.05 });
    const first = bp.F.crossEntropy(net.forward(x), y).item();
    let last = first;
    for (let step = 0; step < 30; step++) {
      opt.zeroGrad();
      const loss = bp.F.crossEntropy(net.forward(x), y);
      loss.backward();
      opt.step();
      last = loss.item();
    }
    expect(last).toBeLessThan(0.1 * first);
  });
});

describe("im2col kernels", () => {
  // [C, H, W] and windows with padding on every side, strides that skip input, dilation.
  const setups: [number, number, number, ConvWindow][] = [
    [2, 5, 6, { kH: 3, kW: 3, strideH: 1, strideW: 1, padTop: 1, padLeft: 1, dilationH: 1, dilationW: 1, outH: 5, outW: 6 }],
    [3, 7, 5, { kH: 2, kW: 3, strideH: 3, strideW: 2, padTop: 0, padLeft: 2, dilationH: 1, dilationW: 2, outH: 2, outW: 3 }],
    [1, 4, 4, { kH: 3, kW: 2, strideH: 1, strideW: 1, padTop: 2, padLeft: 3, dilationH: 2, dilationW: 1, outH: 4, outW: 8 }],
    [2, 3, 3, { kH: 5, kW: 5, strideH: 2, strideW: 2, padTop: 2, padLeft: 2, dilationH: 1, dilationW: 1, outH: 2, outW: 2 }],
  ];
  const random = (n: number, seed: number) => bp.randn([n], { dtype: "float64", generator: new bp.Generator(seed) }).data() as Float64Array;

  test.each(setups.map((s, i) => [i, s] as const))("window %i: im2col writes every element, and col2im is its adjoint", (_i, [c, h, w, win]) => {
    const batch = 3, n0 = 1, count = 2;
    const x = random(batch * c * h * w, 1);
    const size = c * win.kH * win.kW * count * win.outH * win.outW;
    const clean = new Float64Array(size), dirty = new Float64Array(size).fill(NaN);
    const strides = [c * h * w, h * w, w, 1];
    im2col(x, 0, strides, c, h, w, n0, count, win, clean);
    im2col(x, 0, strides, c, h, w, n0, count, win, dirty);
    expect(Array.from(dirty)).toEqual(Array.from(clean));
    // ⟨im2col(x), u⟩ = ⟨x, col2im(u)⟩ for any u.
    const u = random(size, 2);
    const back = new Float64Array(batch * c * h * w);
    col2im(u, c, h, w, n0, count, win, back);
    let lhs = 0, rhs = 0;
    for (let i = 0; i < size; i++) lhs += clean[i] * u[i];
    for (let i = 0; i < x.length; i++) rhs += x[i] * back[i];
    expect(lhs).toBeCloseTo(rhs, 10);
    // Images outside [n0, n0 + count) are left alone.
    expect(Array.from(back.subarray(0, c * h * w)).every((v) => v === 0)).toBe(true);
  });

  test("channelsToImages writes every element of its images", () => {
    const src = random(4 * 2 * 6, 3);
    const clean = new Float64Array(3 * 4 * 6), dirty = new Float64Array(3 * 4 * 6).fill(NaN);
    for (const out of [clean, dirty]) {
      out.fill(out === dirty ? NaN : 0, 0, 4 * 6);
      channelsToImages(src, 4, 1, 2, 6, null, 0, out);
    }
    expect(Array.from(dirty.subarray(24))).toEqual(Array.from(clean.subarray(24)));
    expect(clean[24 + 6 + 1]).toBe(src[(1 * 2 + 0) * 6 + 1]); // image 1, channel 1, position 1 ← src[channel 1, image 0, 1]
  });
});

describe("errors name the op, the shapes and what would fit", () => {
  const x = bp.zeros([8, 3, 28, 28]);
  test("channels", () => {
    expect(() => bp.F.conv2d(x, bp.zeros([16, 1, 5, 5]))).toThrowError(
      "conv2d: input [8,3,28,28] has 3 channels, weight [16,1,5,5] expects 1 × groups 1 = 1",
    );
    expect(() => bp.F.conv1d(bp.zeros([2, 4, 9]), bp.zeros([6, 3, 3]), null, { groups: 2 })).toThrowError(
      "conv1d: input [2,4,9] has 4 channels, weight [6,3,3] expects 3 × groups 2 = 6",
    );
    expect(() => bp.F.convTranspose2d(x, bp.zeros([4, 2, 3, 3]))).toThrowError(
      "convTranspose2d: input [8,3,28,28] has 3 channels, weight [4,2,3,3] expects 4 (the weight is [inChannels, outChannels/groups, kH, kW])",
    );
    expect(() => new bp.nn.Conv2d(3, 16, 5).forward(bp.zeros([8, 1, 28, 28]))).toThrowError(bp.ShapeError);
  });

  test("groups", () => {
    expect(() => bp.F.conv2d(bp.zeros([1, 4, 5, 5]), bp.zeros([6, 2, 3, 3]), null, { groups: 4 })).toThrowError(
      "conv2d: groups 4 must divide the weight's 6 output channels (weight [6,2,3,3])",
    );
    expect(() => bp.F.conv2d(x, bp.zeros([3, 1, 3, 3]), null, { groups: 0 })).toThrowError("conv2d: groups must be a positive integer, got 0");
    expect(() => bp.F.convTranspose2d(bp.zeros([1, 3, 4, 4]), bp.zeros([3, 1, 3, 3]), null, { groups: 2 })).toThrowError(
      "convTranspose2d: groups 2 must divide the 3 input channels (weight [3,1,3,3])",
    );
    expect(() => new bp.nn.Conv2d(6, 9, 3, { groups: 2 })).toThrowError("Conv2d: outChannels 9 must be divisible by groups 2");
    expect(() => new bp.nn.Conv1d(3, 6, 3, { groups: 2 })).toThrowError("Conv1d: inChannels 3 must be divisible by groups 2");
  });

  test("kernel larger than the padded input", () => {
    expect(() => bp.F.conv2d(bp.zeros([1, 1, 3, 3]), bp.zeros([1, 1, 5, 5]), null, { padding: [1, 0] })).toThrowError(
      "conv2d: kernel 5×5 is larger than the padded input 5×3 (input [1,1,3,3], padding [1,0]); use a smaller kernel or dilation, or more padding",
    );
    expect(() => bp.F.conv1d(bp.zeros([1, 1, 6]), bp.zeros([1, 1, 3]), null, { dilation: 3 })).toThrowError(
      "conv1d: kernel 3 (7 dilated) is larger than the padded input 6 (input [1,1,6], padding 0); use a smaller kernel or dilation, or more padding",
    );
  });

  test("rank", () => {
    expect(() => bp.F.conv2d(bp.zeros([28, 28]), bp.zeros([1, 1, 3, 3]))).toThrowError(
      "conv2d: input must be 4-d [N, C, H, W] (or 3-d [C, H, W] without a batch), got [28,28]",
    );
    expect(() => bp.F.conv2d(x, bp.zeros([16, 3, 5]))).toThrowError(
      "conv2d: weight must be 4-d [outChannels, inChannels/groups, kH, kW], got [16,3,5]",
    );
    expect(() => bp.F.conv1d(x, bp.zeros([16, 3, 5]))).toThrowError(
      "conv1d: input must be 3-d [N, C, L] (or 2-d [C, L] without a batch), got [8,3,28,28]",
    );
  });

  test("output size not positive, output padding too large", () => {
    expect(() => bp.F.convTranspose2d(bp.zeros([1, 1, 2, 2]), bp.zeros([1, 1, 3, 3]), null, { padding: 2 })).toThrowError(
      "convTranspose2d: input [1,1,2,2] with kernel 3×3, stride [1,1], padding [2,2] gives output size 0×0, which is not positive; use less padding",
    );
    expect(() => bp.F.convTranspose2d(bp.zeros([1, 1, 2, 2]), bp.zeros([1, 1, 3, 3]), null, { stride: 2, outputPadding: 2 })).toThrowError(
      "convTranspose2d: outputPadding 2 must be smaller than the stride or the dilation (stride [2,2], dilation [1,1])",
    );
  });

  test("options and bias", () => {
    expect(() => bp.F.conv2d(x, bp.zeros([4, 3, 3, 3]), null, { stride: 0 })).toThrowError(
      "conv2d: stride must be a number or a pair [h, w] of positive integers, got 0",
    );
    expect(() => bp.F.conv2d(x, bp.zeros([4, 3, 3, 3]), null, { padding: [1, 1.5] })).toThrowError(
      "conv2d: padding must be a number or a pair [h, w] of non-negative integers, got [1,1.5]",
    );
    expect(() => bp.F.conv2d(x, bp.zeros([4, 3, 3, 3]), null, { padding: "same", stride: 2 })).toThrowError(
      'conv2d: padding "same" needs stride 1 (the output keeps the input\'s size), got stride 2',
    );
    expect(() => bp.F.conv2d(x, bp.zeros([4, 3, 3, 3]), bp.zeros([3]))).toThrowError(
      "conv2d: bias [3] does not fit weight [4,3,3,3]; the bias must be [4]",
    );
    expect(() => new bp.nn.Conv2d(3, 4, 2.5)).toThrowError("Conv2d: kernelSize must be a number or a pair [h, w] of positive integers, got 2.5");
    expect(() => new bp.nn.Conv2d(3, 4, 3, { paddingMode: "mirror" as any })).toThrowError(
      'Conv2d: paddingMode must be one of "zeros", "reflect", "replicate", "circular", got "mirror"',
    );
    expect(() => new bp.nn.Conv2d(3, 4, 3, { padding: 3, paddingMode: "reflect" }).forward(bp.zeros([1, 3, 3, 3]))).toThrowError(
      'Conv2d: paddingMode "reflect" needs padding smaller than the input size, but pads 3 and 3 do not fit dimension 2 of size 3 (input [1,3,3,3])',
    );
  });

  test("dtypes", () => {
    expect(() => bp.F.conv2d(x, bp.zeros([4, 3, 3, 3], { dtype: "float64" }))).toThrowError(
      'conv2d: the input is float32 but the weight is float64; convert one with .to("float32")',
    );
    expect(() => bp.F.conv2d(x.to("int32"), bp.zeros([4, 3, 3, 3]))).toThrowError(bp.DTypeError);
  });
});
