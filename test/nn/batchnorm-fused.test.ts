/**
 * The fused batch norm (src/ops/batch-norm.ts) against PyTorch 1.13
 * (test/fixtures/gen_batchnorm.py): BatchNorm1d/2d over [N, C], [N, C, L]
 * and [N, C, H, W], float32 and float64, affine on and off, with and
 * without running statistics, three training steps then one eval step; each
 * step's output, input/weight/bias gradients and running statistics. Every
 * backend runs it, unforced and with its kernels forced; the generated
 * cases are above the dispatch thresholds, so the native and wasm kernels
 * run there unforced, which the last tests check.
 */
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import * as bp from "../../src/index.js";
import { jsBackend } from "../../src/backend/js/index.js";
import { BACKEND_MODES, enterMode, leaveMode } from "../backends.js";
import fixture from "../fixtures/batchnorm.json" with { type: "json" };

interface Step {
  mode: "train" | "eval";
  shape: number[];
  x?: number[];
  gy?: number[];
  y?: number[];
  gx?: number[];
  gw?: number[];
  gb?: number[];
  runningMean?: number[];
  runningVar?: number[];
  numBatchesTracked?: number;
}
interface Case {
  name: string;
  layer: "BatchNorm1d" | "BatchNorm2d";
  numFeatures: number;
  dtype: "float32" | "float64";
  affine: boolean;
  trackRunningStats: boolean;
  momentum: number | null;
  eps: number;
  generated: boolean;
  weight?: number[];
  bias?: number[];
  steps: Step[];
}

const cases = fixture.cases as unknown as Case[];

/** gen_batchnorm.py's generated(): x[i] = 2·sin(0.37·i + seed) + 0.5·cos(0.011·i) − 0.25·seed. */
function generated(shape: number[], seed: number, dtype: bp.DType): bp.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = Array.from({ length: n }, (_, i) => 2 * Math.sin(0.37 * i + seed) + 0.5 * Math.cos(0.011 * i) - 0.25 * seed);
  return bp.tensor(data, { dtype }).reshape(shape);
}

/** The same values as a strided (non-contiguous) view: laid out with the dims reversed. */
function stridedView(t: bp.Tensor): bp.Tensor {
  const reversed = Array.from({ length: t.ndim }, (_, i) => t.ndim - 1 - i);
  const view = t.permute(reversed).contiguous().permute(reversed);
  expect(view.isContiguous).toBe(false);
  return view;
}

function expectClose(actual: ArrayLike<number>, expected: readonly number[], tol: number, where: string): void {
  expect(actual.length, where).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= tol * (1 + Math.abs(expected[i])))) {
      expect.fail(`${where}: element ${i} is ${actual[i]}, PyTorch gives ${expected[i]}`);
    }
  }
}

/** Runs a case's steps on the current backend, checking each against PyTorch. */
function runCase(c: Case): void {
  const tol = c.dtype === "float64" ? 1e-10 : 3e-5;
  const Layer = c.layer === "BatchNorm2d" ? bp.nn.BatchNorm2d : bp.nn.BatchNorm1d;
  const layer = new Layer(c.numFeatures, { eps: c.eps, momentum: c.momentum, affine: c.affine, trackRunningStats: c.trackRunningStats, dtype: c.dtype });
  if (c.affine) {
    layer.weight!.storage.set(c.weight!);
    layer.bias!.storage.set(c.bias!);
  }
  c.steps.forEach((s, k) => {
    const where = `${c.name}, step ${k} (${s.mode})`;
    if (s.mode === "train") layer.train();
    else layer.eval();
    let x = c.generated ? generated(s.shape, 2 * k + 1, c.dtype) : bp.tensor(s.x!, { dtype: c.dtype }).reshape(s.shape);
    const gy = c.generated ? generated(s.shape, 2 * k + 2, c.dtype) : bp.tensor(s.gy!, { dtype: c.dtype }).reshape(s.shape);
    x = (k % 2 === 1 ? stridedView(x) : x).detach();
    x.requiresGrad = true;
    layer.zeroGrad();
    const y = layer.forward(x);
    y.mul(gy).sum().backward();
    if (s.y) {
      expectClose(y.data(), s.y, tol, `${where}: y`);
      expectClose(x.grad!.data(), s.gx!, tol, `${where}: grad x`);
    }
    if (c.affine && s.gw) {
      expectClose(layer.weight!.grad!.data(), s.gw, tol, `${where}: grad weight`);
      expectClose(layer.bias!.grad!.data(), s.gb!, tol, `${where}: grad bias`);
    }
    if (c.trackRunningStats) {
      expectClose(layer.running_mean!.data(), s.runningMean!, tol, `${where}: running_mean`);
      expectClose(layer.running_var!.data(), s.runningVar!, tol, `${where}: running_var`);
      expect(layer.num_batches_tracked!.item(), `${where}: num_batches_tracked`).toBe(s.numBatchesTracked);
    } else {
      expect(layer.running_mean).toBeNull();
    }
  });
}

describe.each(BACKEND_MODES)("fused batch norm matches PyTorch 1.13 on $label", (mode) => {
  beforeAll(() => enterMode(mode));
  afterAll(() => leaveMode());
  test.each(cases.map((c) => [c.name, c] as const))("%s", (_, c) => runCase(c));
});

describe.each(BACKEND_MODES.filter((m) => m.name !== "js" && !m.force))("the $label backend's own kernels", (mode) => {
  beforeAll(() => enterMode(mode));
  afterAll(() => leaveMode());
  // The wasm kernels are float32 only (float64 stays on JS there, as for its other kernels).
  const own = cases.filter((c) => c.generated && (mode.name === "native" || c.dtype === "float32"));
  test("run the generated (above-threshold) cases without the JS kernels", () => {
    expect(own.length).toBeGreaterThan(2);
    const spies = [vi.spyOn(jsBackend, "batchNormStats"), vi.spyOn(jsBackend, "batchNormApply"), vi.spyOn(jsBackend, "batchNormBackward")];
    try {
      for (const c of own) runCase(c);
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});

describe.each(BACKEND_MODES.filter((m) => m.name === "native" && !m.force))("the $label kernels split over threads", (mode) => {
  beforeAll(() => enterMode(mode));
  afterAll(() => leaveMode());
  test("give the same bits on one thread as on four", () => {
    const run = (threads: number) => {
      bp.setNumThreads(threads);
      const g = new bp.Generator(7);
      const x = bp.randn([16, 24, 20, 20], { generator: g, requiresGrad: true });
      const w = bp.randn([24], { generator: g, requiresGrad: true }), b = bp.randn([24], { generator: g, requiresGrad: true });
      const y = bp.F.batchNorm(x, bp.zeros([24]), bp.ones([24]), w, b, { training: true });
      y.mul(bp.randn(y.shape, { generator: g })).sum().backward();
      return [y, x.grad!, w.grad!, b.grad!].map((t) => Array.from(t.data()));
    };
    const before = bp.getNumThreads();
    try {
      expect(run(4)).toEqual(run(1));
    } finally {
      bp.setNumThreads(before);
    }
  });
});
