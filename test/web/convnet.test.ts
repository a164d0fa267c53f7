/**
 * The playground's convnet mode (web/src/convnet/): the hand correlation
 * that gives a kernel's gradient, checked on a case worked out by hand,
 * against PyTorch's and against the library's conv2d weight gradient; the trainer's inspection
 * (hooks capture each conv's input and output gradient, and the sum over
 * them equals backward()'s .grad and the float64 finite difference); and
 * training on the bundled digits lowering the test loss.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import * as bp from "backpropagation";
import { trainTestSplit } from "../../web/src/data/dataset.js";
import { parseDigitsCsv } from "../../web/src/data/digits.js";
import { SeededRandom } from "../../web/src/data/random.js";
import { entryIndex, kernelGradient, kernelGradientEquation, kernelGradientTerms, type Feature4d } from "../../web/src/convnet/kernelGradient.js";
import { CONV_BLOCKS, DEFAULT_CONVNET_SETTINGS, STRIP_SIZE, blockSides, describeConvnet } from "../../web/src/convnet/architecture.js";
import { buildConvnet } from "../../web/src/convnet/network.js";
import { ConvnetTrainer } from "../../web/src/convnet/trainer.js";
import { cellOrigin, entryAt, kernelLayoutFor, layoutSize, moveEntry } from "../../web/src/convnet/kernelLayout.js";
import type { ConvnetFrame, FromConvnet } from "../../web/src/convnet/protocol.js";
import { ConvnetSession, FRAME_MS } from "../../web/src/convnet/session.js";
import { agreesWithBackward } from "../../web/src/views/agreement.js";

const digits = parseDigitsCsv(gunzipSync(readFileSync(new URL("../../data/digits.csv.gz", import.meta.url))).toString("utf8"));
const split = trainTestSplit(digits, 0.8, new SeededRandom(8).permutation(digits.length));

describe("kernel gradient by hand", () => {
  // X = 1..9 in a 3×3 image, padding 1, a 3×3 kernel: the output is 3×3 too.
  const x: Feature4d = { data: [1, 2, 3, 4, 5, 6, 7, 8, 9], shape: [1, 1, 3, 3] };
  // ∂L/∂Y nonzero on the diagonal only: 1 at (0,0), 1 at (1,1), 2 at (2,2).
  const dy: Feature4d = { data: [1, 0, 0, 0, 1, 0, 0, 0, 2], shape: [1, 1, 3, 3] };

  test("a 3×3 case worked out on paper", () => {
    // Centre (i=j=1): X under each output position itself: 1·1 + 1·5 + 2·9 = 24.
    expect(kernelGradientTerms(x, dy, [3, 3], 1, { cOut: 0, cIn: 0, i: 1, j: 1 }).sum).toBe(24);
    // Top-left (i=j=0): the pixel up and left of each position: padding 0 at (0,0), X[0,0]=1 at (1,1), X[1,1]=5 at (2,2): 1 + 2·5 = 11.
    const topLeft = kernelGradientTerms(x, dy, [3, 3], 1, { cOut: 0, cIn: 0, i: 0, j: 0 });
    expect(topLeft.sum).toBe(11);
    expect(Array.from(topLeft.window)).toEqual([0, 0, 0, 0, 1, 2, 0, 4, 5]);
    expect(Array.from(topLeft.terms)).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 10]);
    expect(topLeft.count).toBe(9);
    // Bottom-right (i=j=2): X[1,1]=5 at (0,0), X[2,2]=9 at (1,1), padding at (2,2): 14.
    expect(kernelGradientTerms(x, dy, [3, 3], 1, { cOut: 0, cIn: 0, i: 2, j: 2 }).sum).toBe(14);
    // Top-right (i=0, j=2): X[-1,1]=0, X[0,2]=3, X[1,3]=0 → 3.
    expect(kernelGradientTerms(x, dy, [3, 3], 1, { cOut: 0, cIn: 0, i: 0, j: 2 }).sum).toBe(3);
    // Every entry, row by row: (0,1) 2 + 2·6, (1,0) 4 + 2·8, (1,2) 2 + 6, (2,0) 7, (2,1) 4 + 8.
    expect(Array.from(kernelGradient(x, dy, [3, 3], 1))).toEqual([11, 14, 3, 20, 24, 8, 7, 12, 14]);
  });

  test("without padding, a 2×2 kernel on a 3×3 image sums over a 2×2 output", () => {
    const dy2: Feature4d = { data: [1, 2, 3, 4], shape: [1, 1, 2, 2] };
    // ∂L/∂K[0,0,0,1] = 1·X[0,1] + 2·X[0,2] + 3·X[1,1] + 4·X[1,2] = 2 + 6 + 15 + 24 = 47.
    expect(kernelGradientTerms(x, dy2, [2, 2], 0, { cOut: 0, cIn: 0, i: 0, j: 1 }).sum).toBe(47);
  });

  test("equals the library's conv2d weight gradient (several channels, a batch of two)", () => {
    bp.manualSeed(3);
    const input = bp.randn([2, 3, 5, 6]);
    const weight = bp.randn([4, 3, 3, 3], { requiresGrad: true });
    const upstream = bp.randn([2, 4, 5, 6]);
    // L = Σ Y·G, so ∂L/∂Y = G.
    bp.F.conv2d(input, weight, null, { padding: 1 }).mul(upstream).sum().backward();
    const library = weight.grad!.data();
    const byHand = kernelGradient({ data: input.data(), shape: [2, 3, 5, 6] }, { data: upstream.data(), shape: [2, 4, 5, 6] }, [3, 3], 1);
    expect(byHand.length).toBe(library.length);
    for (let k = 0; k < library.length; k++) expect(Math.abs(byHand[k] - library[k])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(library[k])));
  });

  test("equals PyTorch's conv2d weight gradient in float64 (test/web/fixtures/convnet_kernel_grad_torch.py)", () => {
    const fixture = JSON.parse(readFileSync(new URL("./fixtures/convnet_kernel_grad_torch.json", import.meta.url), "utf8")) as {
      cases: { x: Feature4d; dy: Feature4d; kernel: [number, number]; padding: number; grad: number[] }[];
    };
    expect(fixture.cases).toHaveLength(4);
    for (const c of fixture.cases) {
      const byHand = kernelGradient(c.x, c.dy, c.kernel, c.padding);
      expect(byHand.length).toBe(c.grad.length);
      for (let k = 0; k < c.grad.length; k++) expect(Math.abs(byHand[k] - c.grad[k])).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(c.grad[k])));
    }
  });

  test("shapes that do not fit a stride-1 convolution, and entries outside the kernel, are refused by name", () => {
    const bad: Feature4d = { data: new Array(16).fill(0), shape: [1, 1, 4, 4] };
    expect(() => kernelGradient(x, bad, [3, 3], 1)).toThrow("kernelGradient: input [1, 1, 3, 3], output gradient [1, 1, 4, 4], kernel 3×3, padding 1: a stride-1 convolution gives an output [1, ·, 3, 3]");
    expect(() => kernelGradient({ data: [1, 2], shape: [1, 1, 3, 3] }, dy, [3, 3], 1)).toThrow("the input holds 2 values, its shape needs 9");
    expect(() => kernelGradientTerms(x, dy, [3, 3], 1, { cOut: 1, cIn: 0, i: 0, j: 0 })).toThrow("entry [1, 0, 0, 0] is outside the kernel [1, 1, 3, 3]");
    expect(() => kernelGradient(x, dy, [3, 3], -1)).toThrow("padding must be a whole number ≥ 0");
  });

  test("entry indices are row-major in [out, in, kH, kW], and the equation names the entry", () => {
    expect(entryIndex({ cOut: 1, cIn: 2, i: 0, j: 1 }, [4, 3, 3, 3])).toBe(27 + 18 + 1);
    expect(kernelGradientEquation(2).symbols).toBe("∂L/∂K2[c_out,c_in,i,j] = Σ_{x,y} ∂L/∂Y2[c_out,x,y] · X2[c_in,x+i,y+j]");
    expect(kernelGradientEquation(1, { cOut: 3, cIn: 0, i: 2, j: 1 }).symbols).toBe("∂L/∂K1[3,0,2,1] = Σ_{x,y} ∂L/∂Y1[3,x,y] · X1[0,x+2,y+1]");
  });
});

describe("the convnet", () => {
  test("is the brief's small network: 8×8 → 4 maps 8×8 → 4×4 → 8 maps 4×4 → 2×2 → 10 classes", () => {
    const { net, convs } = buildConvnet(1);
    expect(describeConvnet()).toBe("Conv2d(1,4,3×3, pad 1) → ReLU → MaxPool2d(2) → Conv2d(4,8,3×3, pad 1) → ReLU → MaxPool2d(2) → Flatten → Linear(32,10)");
    expect([blockSides(0), blockSides(1)]).toEqual([{ conv: 8, pooled: 4 }, { conv: 4, pooled: 2 }]);
    expect(convs.map((c) => c.weight.shape)).toEqual([[4, 1, 3, 3], [8, 4, 3, 3]]);
    expect(net.namedParameters().map(([n]) => n)).toEqual(["0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias"]);
    expect(net.forward(bp.zeros([5, 1, 8, 8])).shape).toEqual([5, 10]);
    // Seeded: the same seed gives the same weights.
    expect(buildConvnet(1).convs[0].weight.data()).toEqual(convs[0].weight.data());
  });

  test("inspecting an image: hooks capture every block, and the hand sum equals .grad and the finite difference", () => {
    const trainer = new ConvnetTrainer(split);
    for (let s = 0; s < 20; s++) trainer.step();
    const ref = { block: 1, cOut: 5, cIn: 2, i: 0, j: 1 };
    const r = trainer.inspect(3, ref);
    expect(r.label).toBe(split.test.y[3]);
    expect(Array.from(r.pixels)).toEqual(Array.from(split.test.x.subarray(3 * 64, 4 * 64)));
    expect(r.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(r.loss).toBeCloseTo(-Math.log(r.probabilities[r.label]), 4);
    expect(r.blocks.map((b) => [b.inputShape, b.outputGradShape, b.reluShape, b.pooledShape, b.weightShape])).toEqual([
      [[1, 1, 8, 8], [1, 4, 8, 8], [1, 4, 8, 8], [1, 4, 4, 4], [4, 1, 3, 3]],
      [[1, 4, 4, 4], [1, 8, 4, 4], [1, 8, 4, 4], [1, 8, 2, 2], [8, 4, 3, 3]],
    ]);
    // The second block's input is the first block's pooled output, and ReLU maps are ≥ 0.
    expect(Array.from(r.blocks[1].input)).toEqual(Array.from(r.blocks[0].pooled));
    expect(r.blocks.every((b) => b.relu.every((v) => v >= 0))).toBe(true);
    for (const b of r.blocks) {
      const byHand = kernelGradient({ data: b.input, shape: b.inputShape }, { data: b.outputGrad, shape: b.outputGradShape }, [b.weightShape[2], b.weightShape[3]], b.padding);
      for (let k = 0; k < byHand.length; k++) expect(agreesWithBackward(byHand[k], b.weightGrad[k]), `entry ${k}`).toBe(true);
      expect(b.weightGrad.some((g) => g !== 0)).toBe(true);
    }
    const block = r.blocks[1];
    expect(r.check.backward).toBe(block.weightGrad[entryIndex(ref, block.weightShape)]);
    expect(agreesWithBackward(r.check.finiteDifference.value, r.check.backward)).toBe(true);
    // Inspecting leaves no gradient behind for the next training step.
    expect(trainer.modules.net.parameters().every((p) => p.grad === null)).toBe(true);
  });

  test("refuses an image outside the test set and a kernel entry that does not exist", () => {
    const trainer = new ConvnetTrainer(split);
    expect(() => trainer.inspect(split.test.length, { block: 0, cOut: 0, cIn: 0, i: 0, j: 0 })).toThrow(`convnet inspect: image ${split.test.length} is outside the test set (0..${split.test.length - 1})`);
    expect(() => trainer.inspect(0, { block: 0, cOut: 0, cIn: 1, i: 0, j: 0 })).toThrow("convnet: kernel entry K1[0,1,0,0] does not exist; K1 is [4,1,3,3], K2 is [8,4,3,3]");
    expect(() => new ConvnetTrainer({ train: { ...split.train, inputDim: 2 }, test: split.test })).toThrow("the convnet takes 8×8 images (64)");
  });

  test("training on the digits lowers the test loss and beats chance by far", () => {
    const trainer = new ConvnetTrainer(split);
    const before = trainer.evaluate();
    for (let s = 0; s < 150; s++) trainer.step();
    const after = trainer.evaluate();
    expect(trainer.steps).toBe(150);
    expect(trainer.epochs).toBe(3); // 1437 training images, 44 full batches of 32 an epoch
    expect(after.testLoss).toBeLessThan(before.testLoss * 0.6);
    expect(after.testAccuracy).toBeGreaterThan(0.6);
    expect(CONV_BLOCKS.length).toBe(2);
  }, 60_000);
});

describe("the kernel view's layout", () => {
  const l = kernelLayoutFor([8, 4, 3, 3]);

  test("a row of kernels per output channel, a column per input channel, gaps between kernels", () => {
    expect(l).toEqual({ outChannels: 8, inChannels: 4, k: 3, cell: 12, gap: 4 });
    expect(kernelLayoutFor([4, 1, 3, 3]).cell).toBe(16);
    expect(layoutSize(l)).toEqual({ width: 4 * 36 + 3 * 4, height: 8 * 36 + 7 * 4 });
    expect(cellOrigin(l, { cOut: 5, cIn: 2, i: 0, j: 1 })).toEqual({ x: 2 * 40 + 12, y: 5 * 40 });
    // Every entry is found again at its cell's centre, and gaps hold none.
    for (const e of [{ cOut: 0, cIn: 0, i: 0, j: 0 }, { cOut: 5, cIn: 2, i: 0, j: 1 }, { cOut: 7, cIn: 3, i: 2, j: 2 }]) {
      const { x, y } = cellOrigin(l, e);
      expect(entryAt(l, x + 6, y + 6)).toEqual(e);
    }
    expect(entryAt(l, 37, 5)).toBeNull();
    expect(entryAt(l, -1, 5)).toBeNull();
    expect(entryAt(l, 5, layoutSize(l).height + 1)).toBeNull();
  });

  test("the arrow keys walk the whole table, across kernels, and stop at its edges", () => {
    const e = { cOut: 5, cIn: 2, i: 0, j: 2 };
    expect(moveEntry(l, e, "ArrowRight")).toEqual({ cOut: 5, cIn: 3, i: 0, j: 0 });
    expect(moveEntry(l, e, "ArrowUp")).toEqual({ cOut: 4, cIn: 2, i: 2, j: 2 });
    expect(moveEntry(l, { cOut: 0, cIn: 0, i: 0, j: 0 }, "ArrowLeft")).toEqual({ cOut: 0, cIn: 0, i: 0, j: 0 });
    expect(moveEntry(l, e, "End")).toEqual({ cOut: 7, cIn: 3, i: 2, j: 2 });
    expect(moveEntry(l, e, "Home")).toEqual({ cOut: 0, cIn: 0, i: 0, j: 0 });
    expect(moveEntry(l, e, "a")).toBeNull();
  });
});

describe("the convnet worker's session", () => {
  function session() {
    const inbox: FromConvnet[] = [];
    const clock = { t: 0 };
    // A clock that advances 1 ms per reading, so a time slice is a fixed number of steps.
    const s = new ConvnetSession((m) => inbox.push(m), () => clock.t++);
    const frames = () => inbox.filter((m): m is ConvnetFrame => m.type === "frame");
    return { s, inbox, frames };
  }

  test("reset, step, inspect and play answer with frames; a bad entry is an error message, not a throw", () => {
    const { s, inbox, frames } = session();
    s.handle({ type: "step" });
    expect(inbox.pop()).toEqual({ type: "error", message: "Error: convnet worker: no network yet; send a reset message with the digits first" });
    s.handle({ type: "reset", split, settings: DEFAULT_CONVNET_SETTINGS, generation: 3 });
    expect(frames()).toHaveLength(1);
    expect(frames()[0]).toMatchObject({ generation: 3, steps: 0, running: false });
    expect(frames()[0].trainLoss).toBeNaN();
    expect(frames()[0].predictions).toHaveLength(STRIP_SIZE);
    s.handle({ type: "step" });
    const stepped = frames()[1];
    expect(stepped.steps).toBe(1);
    expect(Number.isFinite(stepped.trainLoss)).toBe(true);
    s.handle({ type: "inspect", image: 7, ref: { block: 1, cOut: 2, cIn: 3, i: 2, j: 0 } });
    const inspected = frames()[2];
    expect(inspected.inspection.image).toBe(7);
    expect(inspected.inspection.check.ref).toEqual({ block: 1, cOut: 2, cIn: 3, i: 2, j: 0 });
    expect(inspected.trainLoss).toBe(stepped.trainLoss); // no new steps: the last mean stays on show
    s.handle({ type: "inspect", image: 7, ref: { block: 2, cOut: 0, cIn: 0, i: 0, j: 0 } });
    expect(inbox.pop()).toMatchObject({ type: "error", message: expect.stringContaining("kernel entry K3[0,0,0,0] does not exist") });
    s.handle({ type: "play" });
    expect(s.isRunning).toBe(true);
    s.tick();
    const played = frames().at(-1)!;
    expect(played.running).toBe(true);
    // One reading per step, plus the slice's first: FRAME_MS steps in the slice.
    expect(played.steps).toBe(1 + FRAME_MS);
    s.handle({ type: "pause" });
    expect(s.isRunning).toBe(false);
    expect(frames().at(-1)!.running).toBe(false);
  }, 60_000);
});
