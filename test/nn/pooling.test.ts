/**
 * Pooling, padding, resampling and channel-dropout layers and functions:
 * module forms, hand-computed values, bad input errors. PyTorch's values for
 * the same ops are checked in pool-reference.test.ts.
 */
import { describe, expect, test } from "vitest";
import * as bp from "../../src/index.js";

const F = bp.F;
const nn = bp.nn;
const arange = (shape: number[]) => bp.arange(shape.reduce((a, b) => a * b, 1), undefined, 1, { dtype: "float64" }).reshape(shape);

describe("pooling layers", () => {
  test("MaxPool2d(kernelSize) with a number: stride defaults to the kernel", () => {
    const y = new nn.MaxPool2d(2).forward(arange([1, 1, 4, 4]));
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expect(Array.from(y.data())).toEqual([5, 7, 13, 15]);
  });

  test("MaxPool2d with options, returnIndices gives [values, int32 flat-per-plane indices]", () => {
    const x = bp.tensor([[[[1, 9, 2], [4, 3, 8], [7, 5, 6]]]], { dtype: "float32" });
    const [values, indices] = new nn.MaxPool2d({ kernelSize: 2, stride: 1, returnIndices: true }).forward(x);
    expect(Array.from(values.data())).toEqual([9, 9, 7, 8]);
    expect(indices.dtype).toBe("int32");
    expect(Array.from(indices.data())).toEqual([1, 1, 6, 5]);
    const same = new nn.MaxPool2d([2, 2], { stride: 1 }).forward(x);
    expect(Array.from(same.data())).toEqual([9, 9, 7, 8]);
  });

  test("MaxPool2d's gradient goes to the argmax element, summed where windows share it", () => {
    const x = bp.tensor([[[[1, 9, 2], [4, 3, 8], [7, 5, 6]]]], { dtype: "float64", requiresGrad: true });
    F.maxPool2d(x, { kernelSize: 2, stride: 1 }).sum().backward();
    expect(Array.from(x.grad!.data())).toEqual([0, 2, 0, 0, 0, 1, 1, 0, 0]);
  });

  test("MaxPool1d pools the last dim; NaN wins a window as in PyTorch", () => {
    const x = bp.tensor([[[3, 1, NaN, 2, 5, 4]]]);
    const [v, i] = F.maxPool1d(x, { kernelSize: 2, returnIndices: true });
    expect(Array.from(v.data())).toEqual([3, NaN, 5]);
    expect(Array.from(i.data())).toEqual([0, 2, 4]);
    expect(new nn.MaxPool1d(3).forward(bp.tensor([[[3, 1, 2, 2, 5, 4]]])).toArray()).toEqual([[[3, 5]]]);
  });

  test("AvgPool2d and AdaptiveAvgPool2d average by hand", () => {
    const x = arange([1, 1, 4, 4]);
    expect(Array.from(new nn.AvgPool2d(2).forward(x).data())).toEqual([2.5, 4.5, 10.5, 12.5]);
    // Padding 1, kernel 3, stride 2: the corner window covers 0,1,4,5 of 9 cells (count_include_pad) or of 4.
    expect(new nn.AvgPool2d({ kernelSize: 3, stride: 2, padding: 1 }).forward(x).data()[0]).toBeCloseTo(10 / 9, 14);
    expect(new nn.AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }).forward(x).data()[0]).toBeCloseTo(2.5, 14);
    // 4 -> 3 adaptive windows: rows [0,2), [1,3), [2,4).
    const a = new nn.AdaptiveAvgPool2d([3, 1]).forward(x);
    expect(a.shape).toEqual([1, 1, 3, 1]);
    expect(Array.from(a.data())).toEqual([5.5, 9.5, 13.5].map((v) => v - 2));
    expect(new nn.AdaptiveAvgPool2d([null, 2]).forward(x).shape).toEqual([1, 1, 4, 2]);
  });

  test("toString shows the settings", () => {
    expect(String(new nn.MaxPool2d(2))).toBe("MaxPool2d(kernelSize=2, stride=2, padding=0, dilation=1, ceilMode=false)");
    expect(String(new nn.AvgPool2d(3, { padding: 1 }))).toBe("AvgPool2d(kernelSize=3, stride=3, padding=1, ceilMode=false, countIncludePad=true)");
    expect(String(new nn.AdaptiveAvgPool2d([2, null]))).toBe("AdaptiveAvgPool2d(outputSize=[2, null])");
  });

  test("bad input is refused, naming the op, the shapes and what would fit", () => {
    expect(() => F.maxPool2d(bp.zeros([1, 1, 2, 2]), { kernelSize: 3 })).toThrowError(
      "maxPool2d: input [1,1,2,2] padded by [0,0] spans 2×2, less than the kernel's extent 3×3 (kernelSize [3,3], dilation [1,1]); the output would be 0×0",
    );
    expect(() => F.maxPool1d(bp.zeros([1, 1, 5]), { kernelSize: 3, dilation: 3 })).toThrowError(
      "maxPool1d: input [1,1,5] padded by 0 spans 5, less than the kernel's extent 7 (kernelSize 3, dilation 3); the output would be 0",
    );
    expect(() => F.maxPool2d(bp.zeros([4, 4]), { kernelSize: 2 })).toThrowError(
      "maxPool2d: expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got shape [4,4]",
    );
    expect(() => new nn.MaxPool1d(2).forward(bp.zeros([2, 2, 2, 2]))).toThrowError(
      "maxPool1d: expected a 2-D [C, L] or 3-D [N, C, L] input, got shape [2,2,2,2]",
    );
    expect(() => F.maxPool2d(bp.zeros([1, 1, 5, 5]), { kernelSize: 3, padding: 2 })).toThrowError(
      "maxPool2d: padding [2,2] must be between 0 and half the kernel size [3,3]",
    );
    expect(() => F.avgPool2d(bp.zeros([1, 1, 5, 5]), { kernelSize: 0 })).toThrowError("avgPool2d: kernelSize must be positive, got [0,0]");
    expect(() => F.avgPool2d(bp.zeros([1, 1, 5, 5]), { kernelSize: 2, stride: [1, 1, 1] as never })).toThrowError(
      "avgPool2d: stride must be an integer or a pair of integers",
    );
    expect(() => F.adaptiveAvgPool2d(bp.zeros([1, 1, 5, 5]), 0)).toThrowError("adaptiveAvgPool2d: outputSize must be a positive integer");
    expect(() => F.maxPool2d(bp.zeros([1, 1, 4, 4], { dtype: "int32" }), { kernelSize: 2 })).toThrowError(bp.DTypeError);
    expect(() => F.maxPool2d(bp.zeros([1, 1, 4, 4]), undefined as never)).toThrowError("maxPool2d: expected options with a kernelSize");
  });
});

describe("pad", () => {
  const x = bp.tensor([[1, 2, 3], [4, 5, 6]]);
  test("constant, reflect and replicate modes by hand (last dim first)", () => {
    expect(F.pad(x, [1, 2], { value: 9 }).toArray()).toEqual([[9, 1, 2, 3, 9, 9], [9, 4, 5, 6, 9, 9]]);
    expect(F.pad(x, [0, 0, 1, 0]).toArray()).toEqual([[0, 0, 0], [1, 2, 3], [4, 5, 6]]);
    expect(F.pad(x, [-1, 0]).toArray()).toEqual([[2, 3], [5, 6]]);
    expect(F.pad(x, [2, 2], { mode: "reflect" }).toArray()).toEqual([[3, 2, 1, 2, 3, 2, 1], [6, 5, 4, 5, 6, 5, 4]]);
    expect(F.pad(x, [2, 1], { mode: "replicate" }).toArray()).toEqual([[1, 1, 1, 2, 3, 3], [4, 4, 4, 5, 6, 6]]);
    expect(F.pad(x, [1, 0, 1, 1], { mode: "replicate" }).toArray()).toEqual([[1, 1, 2, 3], [1, 1, 2, 3], [4, 4, 5, 6], [4, 4, 5, 6]]);
  });

  test("integer tensors pad too", () => {
    expect(F.pad(bp.tensor([1, 2], { dtype: "int32" }), [1, 1], { value: 7 }).toArray()).toEqual([7, 1, 2, 7]);
  });

  test("bad pads are refused", () => {
    expect(() => F.pad(bp.zeros([1, 1, 3, 3]), [3, 3], { mode: "reflect" })).toThrowError(
      'pad: reflect padding (3, 3) of dim 3 must be smaller than its size 3 (input [1,1,3,3]); use at most 2, or mode "replicate"',
    );
    expect(() => F.pad(bp.zeros([3, 3]), [1, 1, 1, 1, 1, 1])).toThrowError("pad: 6 pad amounts cover 3 dims, but input [3,3] has 2");
    expect(() => F.pad(bp.zeros([3, 3]), [1])).toThrowError("pad: pads must be an even-length list of integers");
    expect(() => F.pad(bp.zeros([3, 3]), [-2, -2])).toThrowError("pad: input [3,3] has 3 entries in dim 1; padding it by -2 and -2 leaves -1");
    expect(() => F.pad(bp.zeros([3, 3]), [-1, 0], { mode: "replicate" })).toThrowError("pad: negative padding (-1, 0) is only supported in constant mode");
    expect(() => F.pad(bp.zeros([3, 3]), [1, 1], { mode: "circular" as never })).toThrowError('pad: mode must be "constant", "reflect" or "replicate"');
  });
});

describe("F.batchNorm", () => {
  test("training normalises with the batch statistics and updates the running ones in place (unbiased variance)", () => {
    const x = bp.tensor([[1, 10], [3, 20], [5, 60]], { dtype: "float64" });
    const rm = bp.zeros([2], { dtype: "float64" });
    const rv = bp.ones([2], { dtype: "float64" });
    const y = F.batchNorm(x, rm, rv, null, null, { training: true, momentum: 0.5, eps: 0 });
    expect(y.data()[0]).toBeCloseTo(-2 / Math.sqrt(8 / 3), 13);
    expect(Array.from(rm.data())).toEqual([1.5, 15]);
    // Column 0: unbiased variance 4, so 0.5·1 + 0.5·4.
    expect(rv.data()[0]).toBeCloseTo(2.5, 13);
  });

  test("eval uses the running statistics and leaves them alone", () => {
    const rm = bp.tensor([1, 2]);
    const rv = bp.tensor([4, 9]);
    const y = F.batchNorm(bp.tensor([[3, 8]]), rm, rv, bp.tensor([2, 1]), bp.tensor([0, 1]), { eps: 0 });
    expect(Array.from(y.data())).toEqual([2, 3]);
    expect(Array.from(rm.data())).toEqual([1, 2]);
  });

  test("mismatched statistics and missing ones in eval are refused", () => {
    expect(() => F.batchNorm(bp.zeros([2, 3]), bp.zeros([4]), bp.ones([4]))).toThrowError(
      "batchNorm: runningMean has shape [4] but input [2,3] has 3 channels (dim 1); expected [3]",
    );
    expect(() => F.batchNorm(bp.zeros([2, 3]), null, null)).toThrowError(
      "batchNorm: eval mode (training false) normalises with runningMean and runningVar, but runningMean is null; pass both, or training: true",
    );
    expect(() => F.batchNorm(bp.zeros([3]), null, null, null, null, { training: true })).toThrowError(
      "batchNorm: expected an input [N, C, ...] with a channel dim 1, got shape [3]",
    );
  });
});

describe("interpolate and Upsample", () => {
  test("nearest doubling repeats each pixel; bilinear doubling by hand", () => {
    const x = bp.tensor([[[[1, 2], [3, 4]]]]);
    expect(new nn.Upsample({ scaleFactor: 2 }).forward(x).toArray()).toEqual([[[[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]]]);
    const b = F.interpolate(bp.tensor([[[[0, 4]]]], { dtype: "float64" }), { size: [1, 4], mode: "bilinear" });
    // Source positions max(0.5·(o + 0.5) − 0.5, 0) = 0, 0.25, 0.75, 1.25 (clamped to the last pixel).
    expect(Array.from(b.data())).toEqual([0, 1, 3, 4]);
    expect(String(new nn.Upsample({ size: [4, 4], mode: "bilinear" }))).toBe("Upsample(size=[4,4], mode=bilinear)");
  });

  test("bad options are refused", () => {
    expect(() => F.interpolate(bp.zeros([1, 1, 3]), { size: 5, mode: "bilinear" })).toThrowError(
      "interpolate: bilinear mode expects a 4-D [N, C, H, W] input, got shape [1,1,3]",
    );
    expect(() => F.interpolate(bp.zeros([1, 1, 3, 3]), { size: 5, scaleFactor: 2 })).toThrowError("interpolate: give exactly one of size and scaleFactor");
    expect(() => F.interpolate(bp.zeros([1, 1, 3, 3]), { scaleFactor: 0.2 })).toThrowError(
      "interpolate: the output size would be 0×0 for input [1,1,3,3]; every spatial size must be a positive integer",
    );
    expect(() => F.interpolate(bp.zeros([1, 1, 3, 3]), { size: [2, 2, 2] })).toThrowError("interpolate: size has 3 entries but input [1,1,3,3] has 2 spatial dim(s)");
    expect(() => new nn.Upsample({})).toThrowError("Upsample: give exactly one of size and scaleFactor");
  });
});

describe("Dropout2d", () => {
  test("zeroes whole channels and scales the rest by 1/(1-p); seeded masks repeat", () => {
    const x = bp.ones([8, 16, 3, 3]);
    const y = F.dropout2d(x, { p: 0.25, generator: new bp.Generator(11) });
    const v = y.data();
    let dropped = 0;
    for (let c = 0; c < 8 * 16; c++) {
      const channel = Array.from(v.subarray(c * 9, c * 9 + 9));
      expect(new Set(channel).size, `channel ${c} is all kept or all dropped`).toBe(1);
      expect([0, Math.fround(1 / 0.75)]).toContain(channel[0]);
      if (channel[0] === 0) dropped++;
    }
    expect(dropped).toBeGreaterThan(0);
    expect(dropped).toBeLessThan(128);
    const again = F.dropout2d(x, { p: 0.25, generator: new bp.Generator(11) });
    expect(Array.from(again.data())).toEqual(Array.from(v));
  });

  test("eval() and p=0 are the identity; p=1 zeroes everything", () => {
    const x = bp.randn([2, 3, 2, 2]);
    const layer = new nn.Dropout2d(0.5);
    expect(layer.eval().forward(x)).toBe(x);
    expect(F.dropout2d(x, { p: 0 })).toBe(x);
    expect(Array.from(F.dropout2d(x, { p: 1 }).data()).every((v) => v === 0)).toBe(true);
    expect(() => new nn.Dropout2d(1.5)).toThrowError("Dropout2d: probability p must be between 0 and 1, got 1.5");
    expect(() => F.dropout2d(bp.zeros([3, 3]))).toThrowError("dropout2d: expected a 4-D [N, C, H, W] (or 3-D [N, C, L]) input, got shape [3,3]");
  });

  test("the global generator (bp.manualSeed) makes the mask reproducible", () => {
    const x = bp.ones([4, 6, 2, 2]);
    bp.manualSeed(5);
    const a = F.dropout2d(x).data();
    bp.manualSeed(5);
    expect(Array.from(F.dropout2d(x).data())).toEqual(Array.from(a));
  });
});

describe("Unflatten", () => {
  test("splits one dim, the reverse of Flatten, with one size inferred", () => {
    const x = bp.zeros([2, 784]);
    expect(new nn.Unflatten(1, [1, 28, 28]).forward(x).shape).toEqual([2, 1, 28, 28]);
    expect(new nn.Unflatten(-1, [-1, 28]).forward(x).shape).toEqual([2, 28, 28]);
    expect(() => new nn.Unflatten(1, [2, 5]).forward(bp.zeros([2, 12]))).toThrowError(
      "Unflatten: dim 1 of input [2,12] has size 12, which does not split into [2,5]",
    );
  });
});
