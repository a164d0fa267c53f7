/**
 * End to end, in headless Chromium with WebGPU (issue #19): where the
 * browser has `navigator.gpu` the playground offers the webgpu backend;
 * choosing it switches the worker's library to it (the page then reports
 * webgpu), and the network trains on: its loss falls, to the same value,
 * within float32 rounding, as the same run on the js backend in another tab.
 *
 * Chromium runs with the WebGPU tests' flags (../webgpu/webgpuPage.ts):
 * its SwiftShader adapter, and what the synchronous GPU read needs. At the
 * playground's sizes most kernel calls stay under the webgpu backend's
 * thresholds (src/backend/webgpu/thresholds.ts) and run on its CPU
 * fallback; this test checks the choice, the switch and training on, not
 * GPU speed.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startPlayground, steps, type Playground } from "./browser.js";

let pg: Playground;

beforeAll(async () => {
  pg = await startPlayground("playground-webgpu-", { webgpu: true });
}, 120_000);

afterAll(async () => {
  await pg?.close();
});

/** Adam on two Gaussian blobs: a run whose loss falls clearly within a few steps. */
const RUN = "#dataset=gaussians&optimizer=adam&lr=0.03&loss=cross-entropy&hidden=8&batch=10&seed=3";
const STEPS = 20;

const trainLoss = (page: Page) => page.evaluate(() => window.playgroundParity.trainLoss);

test("choosing webgpu switches the worker to it, and the network trains on: its loss falls as on js", async () => {
  const page = await pg.open(RUN);
  expect(await page.evaluate(() => "gpu" in navigator)).toBe(true);
  expect(await page.locator('#backend option[value="webgpu"]').textContent()).toBe("webgpu (GPU)");
  expect(await page.evaluate(() => window.playground.backend)).toBe("js");

  await page.selectOption("#backend", "webgpu");
  await page.waitForFunction(() => window.playground.backend !== "js" || document.querySelector("#config-error")!.textContent !== "", undefined, { timeout: 60_000 });
  expect(await page.textContent("#config-error")).toBe("");
  expect(await page.evaluate(() => window.playground.backend)).toBe("webgpu");
  expect(await page.textContent("#stat-backend")).toBe("webgpu");
  expect(await page.inputValue("#backend")).toBe("webgpu");

  const before = await trainLoss(page);
  await steps(page, STEPS);
  const after = await trainLoss(page);
  expect(Number.isFinite(before)).toBe(true);
  expect(after).toBeLessThan(0.8 * before);
  // Still on webgpu after training (no lost device, no error).
  expect(await page.evaluate(() => window.playground.backend)).toBe("webgpu");
  expect(await page.textContent("#config-error")).toBe("");

  // The same run on js in a new tab (its own worker): the same initial loss and, within float32 rounding, the same loss after the steps.
  const js = await pg.open(RUN);
  expect(await js.evaluate(() => window.playground.backend)).toBe("js");
  expect(Math.abs((await trainLoss(js)) - before)).toBeLessThanOrEqual(1e-6 * before);
  await steps(js, STEPS);
  const jsAfter = await trainLoss(js);
  console.log(`webgpu playground: train loss ${before} -> ${after} after ${STEPS} steps on webgpu, ${jsAfter} on js`);
  expect(Math.abs(jsAfter - after)).toBeLessThanOrEqual(1e-4 * after);

  await page.close();
  await js.close();
  expect(pg.consoleErrors).toEqual([]);
}, 120_000);
