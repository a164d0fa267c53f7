/**
 * The WebGPU kernels (src/backend/webgpu/) in a real browser: a page built
 * by Vite (fixtures/kernels-page/) runs each kernel on random inputs, from
 * one element to a few hundred thousand, broadcast, strided and transposed,
 * and the JS backend's kernel on the same inputs; this test holds every
 * case to the tolerance fixtures/kernels-page/tolerances.ts states for its
 * kind of kernel.
 *
 * The page runs in Chromium with the flags webgpuPage.ts explains: an
 * adapter (SwiftShader here) and synchronous reads.
 */
import { beforeAll, describe, expect, test } from "vitest";
import type { KernelsReport } from "./fixtures/kernels-page/main.js";
import { ADAPTER_FLAGS, runWebGpuPage, SYNC_READ_FLAGS } from "./webgpuPage.js";

let report: KernelsReport;
let pageErrors: string[];

beforeAll(async () => {
  ({ report, consoleProblems: pageErrors } = await runWebGpuPage<KernelsReport>("kernels-page", [...ADAPTER_FLAGS, ...SYNC_READ_FLAGS]));
}, 300_000);

test("Chromium with --enable-unsafe-webgpu offers an adapter and a device", () => {
  // On this machine SwiftShader; on one with a GPU Chromium supports, that GPU.
  expect(report.adapter.vendor.length + report.adapter.architecture.length).toBeGreaterThan(0);
  expect(pageErrors).toEqual([]);
});

describe("every kernel matches the JS kernel within its tolerance", () => {
  test("the page ran every kernel family", () => {
    const names = report.cases.map((c) => c.name.split(" ")[0]);
    for (const family of ["unary", "binary", "reduce", "softmax", "logsoftmax", "matmul", "Adam", "AdamW", "in", "compare", "where", "argmax", "argmin", "indexSelect", "indexAdd", "gather", "scatterAdd", "toFloat", "intSum", "crossEntropy"]) expect(names).toContain(family);
    expect(report.cases.length).toBeGreaterThan(200);
  });

  test.each([
    "unary", "binary", "reduce", "softmax", "logsoftmax", "matmul", "Adam", "AdamW", "in place",
    "compare", "where", "argmax", "argmin", "indexSelect", "indexAdd", "gather", "scatterAdd", "toFloat", "intSum", "crossEntropy",
  ])("%s", (family) => {
    const cases = report.cases.filter((c) => c.name.startsWith(`${family} `) || c.name.startsWith(`${family}:`));
    expect(cases.length).toBeGreaterThan(0);
    const failing = cases.filter((c) => c.violations > 0).map((c) => `${c.name} [${c.kernel}]: ${c.violations} of ${c.elements} outside, worst ${JSON.stringify(c.worst)}`);
    expect(failing).toEqual([]);
  });

  test("the largest cases ran (300,000 elements and more)", () => {
    expect(Math.max(...report.cases.map((c) => c.elements))).toBeGreaterThanOrEqual(300_000);
  });
});

test("a synchronous read returns exactly the bytes mapAsync returns", () => {
  expect(report.syncRead.map((r) => r.elements)).toEqual([1, 3, 255, 256, 257, 65_836, 300_000]);
  for (const r of report.syncRead) expect(r.mismatches, `${r.elements} elements`).toBe(0);
});

test("200 small ops are batched into two submits (128 passes each at most) and a read", () => {
  expect(report.batching.correct).toBe(true);
  expect(report.batching.submits).toBeLessThanOrEqual(3);
});

test("released buffers are reused, and a pipeline is compiled once", () => {
  expect(report.pooling.reusedBuffer).toBe(true);
  expect(report.pooling.pooledBytesAfterRelease).toBeGreaterThanOrEqual(12_345 * 4);
  // exp and add ran before: no new pipeline.
  expect(report.pooling.pipelinesAfter).toBe(report.pooling.pipelinesBefore);
});

test("after the device is lost, a call says so and names the way back", () => {
  expect(report.deviceLost).toMatch(/^GpuDeviceLostError: webgpu: the GPU device was lost \(destroyed/);
  expect(report.deviceLost).toMatch(/bp\.setBackend\("wasm"\)/);
});
