/**
 * The WebGPU kernels (src/backend/webgpu/) in a real browser: a page built
 * by Vite (fixtures/kernels-page/) runs each kernel on random inputs, from
 * one element to a few hundred thousand, broadcast, strided and transposed,
 * and the JS backend's kernel on the same inputs; this test holds every
 * case to the tolerance fixtures/kernels-page/tolerances.ts states for its
 * kind of kernel.
 *
 * The browser is Debian's Chromium, headless, on a page served from
 * 127.0.0.1 (a secure context, as WebGPU requires), on this machine without
 * a GPU. Flags (found by trying, Chromium 156):
 * - --enable-unsafe-webgpu is what gives an adapter at all: without it
 *   navigator.gpu.requestAdapter() resolves to null here; with it Chromium
 *   offers SwiftShader, its software Vulkan device, through Dawn (vendor
 *   "google", architecture "swiftshader", a fallback adapter). The kernels
 *   and mapAsync reads need nothing more.
 * - --use-angle=swiftshader --enable-features=Vulkan --use-vulkan=swiftshader
 *   (all three) are what the synchronous canvas read needs: without them,
 *   drawing a WebGPU canvas onto a 2D canvas returns zeros and the device is
 *   lost ("Device was destroyed"); any two of the three are not enough.
 * SwiftShader says nothing about speed on a real GPU; the test only checks
 * results.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { KernelsReport } from "./fixtures/kernels-page/main.js";
import { serveFolder } from "../web/staticServer.js";

const CHROMIUM = "/usr/bin/chromium";
/** What Chromium needs for WebGPU here, synchronous reads included (see above). */
const WEBGPU_FLAGS = ["--enable-unsafe-webgpu", "--use-angle=swiftshader", "--enable-features=Vulkan", "--use-vulkan=swiftshader"];

const work = mkdtempSync(join(tmpdir(), "webgpu-kernels-"));
let browser: Browser;
let report: KernelsReport;
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does`);
  const outDir = join(work, "site");
  await build({ configFile: false, root: resolve(import.meta.dirname, "fixtures/kernels-page"), logLevel: "warn", build: { outDir, emptyOutDir: true, target: "es2022" } });
  const server = await serveFolder(outDir);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--no-first-run", ...WEBGPU_FLAGS] });
  try {
    const page = await browser.newPage();
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") pageErrors.push(m.text());
    });
    await page.goto(server.url);
    await page.waitForFunction(() => "report" in window);
    const result = await page.evaluate(() => (window as unknown as { report: Promise<KernelsReport | { error: string }> }).report);
    if ("error" in result) throw new Error(`the page failed: ${result.error}`);
    report = result;
  } finally {
    await server.close();
  }
}, 300_000);

afterAll(async () => {
  await browser?.close();
  rmSync(work, { recursive: true, force: true });
});

test("Chromium with --enable-unsafe-webgpu offers an adapter and a device", () => {
  // On this machine SwiftShader; on one with a GPU Chromium supports, that GPU.
  expect(report.adapter.vendor.length + report.adapter.architecture.length).toBeGreaterThan(0);
  expect(pageErrors).toEqual([]);
});

describe("every kernel matches the JS kernel within its tolerance", () => {
  test("the page ran every kernel family", () => {
    const names = report.cases.map((c) => c.name.split(" ")[0]);
    for (const family of ["unary", "binary", "reduce", "softmax", "logsoftmax", "matmul", "Adam", "AdamW", "in"]) expect(names).toContain(family);
    expect(report.cases.length).toBeGreaterThan(200);
  });

  test.each([
    "unary", "binary", "reduce", "softmax", "logsoftmax", "matmul", "Adam", "AdamW", "in place",
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
