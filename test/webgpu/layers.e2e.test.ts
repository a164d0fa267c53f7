/**
 * Convolution, pooling, batch norm, layer norm and attention on the webgpu
 * backend in Chromium (fixtures/layers-page/): with their inputs on the
 * GPU and every GPU kernel forced, each case's output and input gradients
 * match the JS backend's within float32 rounding, stay on the GPU, and
 * cost no read of GPU memory (but where the caller asks for the argmax);
 * a small convnet and a transformer layer train with the JS backend's
 * losses, their parameters staying on the GPU.
 */
import { beforeAll, describe, expect, test } from "vitest";
import type { CaseRun, LayersReport } from "./fixtures/layers-page/main.js";
import { ADAPTER_FLAGS, runWebGpuPage, SYNC_READ_FLAGS } from "./webgpuPage.js";

let report: LayersReport;
let consoleProblems: string[];

beforeAll(async () => {
  ({ report, consoleProblems } = await runWebGpuPage<LayersReport>("layers-page", [...ADAPTER_FLAGS, ...SYNC_READ_FLAGS]));
}, 600_000);

/** The largest difference relative to the reference's largest magnitude (1 at least): float32 sums in another order. */
function worst(actual: readonly number[], expected: readonly number[]): number {
  expect(actual.length).toBe(expected.length);
  const scale = Math.max(1, ...expected.map(Math.abs));
  let w = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Number.isNaN(expected[i]) ? (Number.isNaN(actual[i]) ? 0 : Infinity) : Math.abs(actual[i] - expected[i]);
    w = Math.max(w, d / scale);
  }
  return w;
}

// Sums of at most a few hundred float32 products, and WGSL's sqrt and exp (a few ulp).
const TOLERANCE = 2e-5;

test("the page ran without console errors", () => {
  expect(consoleProblems).toEqual([]);
  expect(report.cases.length).toBeGreaterThanOrEqual(26);
});

describe("each case on the GPU: the JS backend's values, resident, without reads", () => {
  test.each(Array.from({ length: 26 }, (_, i) => i))("case %i", (i) => {
    const c = report.cases[i];
    expect(c.error, c.name).toBeUndefined();
    const js = c.js as CaseRun, gpu = c.webgpu as CaseRun;
    expect(gpu.shape, c.name).toEqual(js.shape);
    expect(worst(gpu.y, js.y), `${c.name}: output`).toBeLessThanOrEqual(TOLERANCE);
    js.grads.forEach((g, j) => expect(worst(gpu.grads[j], g), `${c.name}: gradient ${j}`).toBeLessThanOrEqual(TOLERANCE));
    js.extra.forEach((e, j) => expect(worst(gpu.extra[j], e), `${c.name}: extra ${j}`).toBeLessThanOrEqual(TOLERANCE));
    expect(gpu.onDevice.y, `${c.name}: output on the GPU`).toBe(true);
    expect(gpu.onDevice.grads.every(Boolean), `${c.name}: gradients on the GPU`).toBe(true);
    expect(gpu.reads, `${c.name}: reads of GPU memory`).toBe(c.allowedReads);
    expect(js.reads).toBe(0);
  });

  test("the argmax indices are the CPU's exactly (ties and padding alike)", () => {
    const c = report.cases.find((r) => r.name === "maxPool2d returnIndices")!;
    expect(c.webgpu!.extra[0]).toEqual(c.js!.extra[0]);
  });

  test("batch norm's running statistics are updated on the GPU as on the CPU", () => {
    const c = report.cases.find((r) => r.name.startsWith("batchNorm training [4, 3, 5, 6]"))!;
    expect(c.webgpu!.onDevice.extra).toEqual([true, true]);
    c.js!.extra.forEach((e, j) => expect(worst(c.webgpu!.extra[j], e)).toBeLessThanOrEqual(1e-6));
  });
});

describe("a small convnet (conv, batch norm, max pool, grouped strided conv, average pools, linear) trains on the GPU", () => {
  test("with the JS backend's losses and first gradients", () => {
    const { js, webgpu } = report.convnet;
    expect(webgpu.losses).toHaveLength(js.losses.length);
    js.losses.forEach((l, i) => expect(Math.abs(webgpu.losses[i] - l), `step ${i}`).toBeLessThanOrEqual(1e-5 * Math.abs(l)));
    expect(js.losses[js.losses.length - 1]).toBeLessThan(js.losses[0]);
    js.firstGrads.forEach((g, p) => expect(worst(webgpu.firstGrads[p], g), `parameter ${p}`).toBeLessThanOrEqual(TOLERANCE));
  });

  test("…resident: parameters on the GPU, no read in a training step (the fused cross-entropy runs there too)", () => {
    const { js, webgpu } = report.convnet;
    expect(webgpu.parametersOnGpu).toBe(true);
    expect(js.parametersOnGpu).toBe(false);
    expect(webgpu.readsPerStep).toEqual(webgpu.losses.map(() => 0));
  });
});

describe("at the default thresholds, with x on the GPU and the broadcast host gradient of a sum", () => {
  // x̄ stays on the GPU where its VJP reads something there (the argmax, x, the statistics); the average pool's and
  // the conv's VJPs read only the host gradient (and the host weight), under the threshold: the CPU runs them, reading nothing.
  test.each([
    ["maxPool2d", true], ["avgPool2d", false], ["conv2d", false], ["batchNorm", true], ["layerNorm", true],
  ] as const)("%s runs on the GPU and differentiates without a read, as the CPU does (x̄ on the GPU: %s)", (name, gradOnDevice) => {
    const c = report.defaults.find((d) => d.name === name)!;
    expect(c.yOnDevice).toBe(true);
    expect(c.gradOnDevice).toBe(gradOnDevice);
    expect(c.reads).toBe(0);
    expect(c.worst).toBeLessThanOrEqual(TOLERANCE);
  });
});

describe("a causal TransformerEncoderLayer with a linear head trains on the GPU", () => {
  test("with the JS backend's losses and first gradients, resident, without a read until loss.item()", () => {
    const { js, webgpu } = report.transformer;
    js.losses.forEach((l, i) => expect(Math.abs(webgpu.losses[i] - l), `step ${i}`).toBeLessThanOrEqual(1e-5 * Math.abs(l)));
    expect(js.losses[js.losses.length - 1]).toBeLessThan(js.losses[0]);
    js.firstGrads.forEach((g, p) => expect(worst(webgpu.firstGrads[p], g), `parameter ${p}`).toBeLessThanOrEqual(TOLERANCE));
    expect(webgpu.parametersOnGpu).toBe(true);
    expect(webgpu.readsPerStep).toEqual(webgpu.losses.map(() => 0));
  });
});
