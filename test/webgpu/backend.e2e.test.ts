/**
 * The webgpu backend through the library's API in Chromium
 * (fixtures/backend-page/): `await bp.setBackend("webgpu")` selects it,
 * `bp.getBackend()` names it, an MLP trains on the digits with the JS
 * backend's losses and gradients, and the wasm backend's test accuracy,
 * when every kernel the GPU has is forced onto it, the
 * default thresholds keep small calls on the CPU and send a large matmul to
 * the GPU, bp.memory() reports the GPU pool, and after a lost device the
 * next GPU op says so while setBackend("webgpu") gets a new one. Where synchronous reads do
 * not work (Chromium without the flags webgpuPage.ts lists), setBackend
 * rejects with the reason and the previous backend stays.
 */
import { beforeAll, describe, expect, test } from "vitest";
import type { BackendReport, FailureReport } from "./fixtures/backend-page/main.js";
import { STEPS } from "./fixtures/backend-page/settings.js";
import { ADAPTER_FLAGS, DATA_DIR, runWebGpuPage, SYNC_READ_FLAGS } from "./webgpuPage.js";

describe("in Chromium with an adapter and synchronous reads", () => {
  let report: BackendReport;
  let consoleProblems: string[];

  beforeAll(async () => {
    ({ report, consoleProblems } = await runWebGpuPage<BackendReport>("backend-page", [...ADAPTER_FLAGS, ...SYNC_READ_FLAGS], { publicDir: DATA_DIR }));
  }, 600_000);

  test("webgpu is offered, selected, and named by getBackend", () => {
    expect(report.available).toContain("webgpu");
    expect(report.selected).toBe("webgpu");
    expect(consoleProblems).toEqual([]);
  });

  test("with every GPU kernel forced, the digits MLP's losses are the JS backend's", () => {
    const { js, webgpu } = report.runs;
    expect(webgpu.losses).toHaveLength(STEPS);
    // float32 on both; the GPU sums in another order: relative 1e-5 over the run.
    for (let i = 0; i < STEPS; i++) expect(Math.abs(webgpu.losses[i] - js.losses[i]), `step ${i}`).toBeLessThanOrEqual(1e-5 * Math.abs(js.losses[i]));
    expect(js.losses[STEPS - 1]).toBeLessThan(js.losses[0] / 10);
  });

  test("…and it reaches the wasm backend's test accuracy", () => {
    const { wasm, webgpu } = report.runs;
    expect(wasm.testAccuracy).toBeGreaterThan(0.85);
    // The same predictions, but for at most one of the 397 test images.
    expect(Math.abs(webgpu.testAccuracy - wasm.testAccuracy)).toBeLessThanOrEqual(1 / 397 + 1e-12);
  });

  test("…with no read of GPU memory in a step and one when the loss is read, parameters and gradients staying on the GPU", () => {
    const { webgpu, wasm } = report.runs;
    expect(webgpu.readsPerStep).toHaveLength(STEPS);
    // The fused cross-entropy sums its loss and writes its gradient on the GPU: nothing is read until loss.item().
    expect(webgpu.readsPerStep).toEqual(new Array(STEPS).fill(0));
    expect(webgpu.lossReads).toEqual(new Array(STEPS).fill(1));
    expect(wasm.readsPerStep.every((r) => r === 0)).toBe(true);
    expect(wasm.lossReads.every((r) => r === 0)).toBe(true);
    // argmax runs on the GPU too (int32 indices on the device, converted when read).
    expect(webgpu.predictionsOnGpu).toBe(true);
    expect(wasm.predictionsOnGpu).toBe(false);
    expect(webgpu.parametersOnGpu).toBe(true);
    expect(wasm.parametersOnGpu).toBe(false);
    // 64·32 + 32 + 32·10 + 10 parameters, each with Adam's two moments and a gradient, in float32.
    expect(webgpu.gpuBytes).toBeGreaterThanOrEqual(4 * 4 * (64 * 32 + 32 + 32 * 10 + 10));
  });

  test("an embedding and a linear layer train on the GPU without a read in a step (indexSelect forward, indexAdd backward)", () => {
    expect(report.embedding.readsPerStep).toEqual([0, 0, 0]);
    const [first, , last] = report.embedding.losses;
    expect(last).toBeLessThan(first);
  });

  test("steps in bp.tidy give the steps' losses outside it and release the activations' GPU buffers", () => {
    const { plainLosses, tidyLosses, plainBytesInUse, bytesInUse, releasedError } = report.tidy;
    expect(tidyLosses).toEqual(plainLosses);
    expect(tidyLosses[4]).toBeLessThan(tidyLosses[0]);
    // After the first step (which makes Adam's moments), GPU bytes held per step: outside tidy at least the
    // activations ([256, 128] twice, 262 KB); inside it what cross-entropy keeps in its context (a leaf, which
    // the scope never releases) and a few scalars.
    const perStep = (b: number[]) => (b[4] - b[1]) / 3;
    expect(perStep(plainBytesInUse)).toBeGreaterThanOrEqual(2 * 256 * 128 * 4);
    expect(perStep(bytesInUse)).toBeLessThan(32 * 1024);
    expect(releasedError).toBe("ReleasedTensorError");
  });

  test("await loss.dataAsync() gives what item() gives, on every backend", () => {
    for (const run of Object.values(report.runs)) {
      expect(run.lastLossAsync).toBe(run.lastLossSync);
      expect(run.lastLossSync).toBe(run.losses[STEPS - 1]);
    }
  });

  test("…and the first step's gradients, to float32 sums of 1400 products", () => {
    const { js, webgpu } = report.runs;
    expect(webgpu.firstGrads.map((g) => g.length)).toEqual(js.firstGrads.map((g) => g.length));
    js.firstGrads.forEach((g, p) => {
      const scale = Math.max(...g.map(Math.abs));
      const worst = Math.max(...g.map((v, i) => Math.abs(v - webgpu.firstGrads[p][i])));
      expect(worst, `parameter ${p}`).toBeLessThanOrEqual(1e-5 * scale);
    });
  });

  test("at the default thresholds a small op stays on the CPU and a 256×300·300×200 matmul runs on the GPU", () => {
    expect(report.submitsSmall).toBe(0);
    expect(report.submitsLarge).toBeGreaterThan(0);
    // Entries are sums of 300 products of N(0, 1) numbers (about ±17): float32 sums in another order.
    expect(report.largeMatmulMaxError).toBeLessThan(2e-4);
  });

  test("bp.memory() reports the GPU buffer pool", () => {
    expect(report.pooledBytes).toBeGreaterThan(0);
  });

  test("a lost device: the next GPU op says so and how to go on; setBackend('webgpu') gets a new device that works", () => {
    expect(report.afterLoss.error).toMatch(/^GpuDeviceLostError: webgpu: the GPU device was lost \(destroyed/);
    expect(report.afterLoss.error).toContain('await bp.setBackend("wasm")');
    expect(report.afterLoss.backend).toBe("webgpu");
    expect(report.afterLoss.residentError).toMatch(/^GpuDeviceLostError: webgpu: the GPU device was lost/);
    expect(report.afterLoss.wasmWorks).toBe(true);
    expect(report.afterLoss.recovered).toBe(true);
  });
});

test("without synchronous reads, setBackend('webgpu') rejects with the reason and the flags, and js stays", async () => {
  const { report } = await runWebGpuPage<FailureReport>("backend-page", ADAPTER_FLAGS);
  expect(report.setBackendError).toMatch(/^BackpropError: setBackend\("webgpu"\): reading GPU memory synchronously through a canvas does not work in this browser/);
  expect(report.setBackendError).toContain("--use-angle=swiftshader --enable-features=Vulkan --use-vulkan=swiftshader");
  expect(report.backendAfter).toBe("js");
}, 300_000);
