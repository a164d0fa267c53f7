/**
 * End to end, in headless Chromium: the playground's convnet mode. The mode
 * selector switches to it (and the address records it); training lowers
 * the loss; the picked digit's feature maps render, one canvas per channel
 * and stage; the kernel entry chosen by a click (and by the arrow keys) is
 * checked on the page, where the sum over ∂L/∂Y · X equals backward()'s
 * .grad to the printed precision; a link restores the mode; no console
 * errors. Screenshots (laptop and phone widths, the kernel panel driven by
 * the keyboard) go to runs/web/.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { repo, startPlayground, type Playground } from "./browser.js";
import { cellOrigin, kernelLayoutFor } from "../../web/src/convnet/kernelLayout.js";
import { CHECK_DIGITS } from "../../web/src/convnet/checkView.js";
import type {} from "../../web/src/convnet/page.js"; // declares window.playgroundConvnet
import type {} from "../../web/src/stats.js"; // declares window.playground

const artifacts = join(repo, "runs", "web");
let pg: Playground;
let page: Page;

beforeAll(async () => {
  pg = await startPlayground("playground-convnet-");
  mkdirSync(artifacts, { recursive: true });
  page = await pg.open();
}, 120_000);

afterAll(async () => {
  await pg?.close();
});

/** Clicks the convnet's "step" n times at once and waits until the worker has taken them all. */
async function steps(n: number): Promise<void> {
  const target = (await page.evaluate(() => window.playgroundConvnet.steps)) + n;
  await page.evaluate((count) => {
    for (let i = 0; i < count; i++) document.querySelector<HTMLButtonElement>("#cn-step")!.click();
  }, n);
  await page.waitForFunction((t) => window.playgroundConvnet.steps === t, target, { timeout: 60_000 });
}

/** The printed precision of the check's numbers (CHECK_DIGITS significant digits): half a unit in the last printed digit. */
function printedHalfUnit(v: number): number {
  return 0.5 * 10 ** (Math.floor(Math.log10(Math.abs(v))) - (CHECK_DIGITS - 1));
}

async function checkedValues(): Promise<{ entry: string; hand: number; backward: number; fd: number; handText: string; backwardText: string; verdict: string }> {
  return page.evaluate(() => {
    const cell = (c: string) => document.querySelector<HTMLElement>(`#cn-check .${c}`)!;
    return {
      entry: document.querySelector<HTMLElement>("#cn-check")!.dataset.entry!,
      hand: Number(cell("hand").dataset.value), backward: Number(cell("backward").dataset.value), fd: Number(cell("fd").dataset.value),
      handText: cell("hand").textContent!, backwardText: cell("backward").textContent!,
      verdict: document.querySelector("#cn-check .cn-verdict")!.textContent!,
    };
  });
}

test("the mode selector switches to the convnet, which trains, shows its feature maps and checks a kernel gradient by hand", async () => {
  // The MLP is the default, and the address says so.
  expect(await page.isChecked('input[name="mode"][value="mlp"]')).toBe(true);
  expect(await page.isVisible("#convnet")).toBe(false);
  await page.waitForFunction(() => location.hash.includes("mode=mlp"));
  const labels = await page.$$eval(".mode-selector label", (ls) => ls.map((l) => l.textContent!.trim()));
  expect(labels).toEqual(["MLP on 2-D points", "Convnet on digits", "Recurrent net on sequences"]);
  expect(await page.textContent(".mode-selector legend")).toBe("Network");

  // With the keyboard: focus the checked radio, arrow to the next one.
  await page.focus('input[name="mode"][value="mlp"]');
  await page.keyboard.press("ArrowRight");
  expect(await page.isChecked('input[name="mode"][value="convnet"]')).toBe(true);
  await page.waitForFunction(() => window.playgroundConvnet?.framesDrawn > 0, undefined, { timeout: 30_000 });
  expect(await page.isVisible("#convnet")).toBe(true);
  expect(await page.isVisible("main")).toBe(false);
  expect(await page.isVisible("#play")).toBe(false); // the MLP's transport belongs to the MLP
  expect(page.url()).toContain("mode=convnet");

  // Feature maps: one canvas per channel, after the ReLU and after the pooling, for both conv blocks.
  const count = (selector: string) => page.locator(selector).count();
  expect(await count('.feature-map[data-block="0"][data-stage="relu"]')).toBe(4);
  expect(await count('.feature-map[data-block="0"][data-stage="pooled"]')).toBe(4);
  expect(await count('.feature-map[data-block="1"][data-stage="relu"]')).toBe(8);
  expect(await count('.feature-map[data-block="1"][data-stage="pooled"]')).toBe(8);
  const sizes = await page.$$eval(".feature-map", (cs) => [...new Set(cs.map((c) => `${(c as HTMLCanvasElement).width}×${(c as HTMLCanvasElement).height}`))]);
  expect(sizes).toEqual(["8×8", "4×4", "2×2"]);
  expect(await count("#cn-probs li")).toBe(10);
  expect(await count('#cn-strip [role="radio"]')).toBe(16);
  // Every control of the mode has a name a screen reader can say, and the keyboard can reach it.
  const controls = await page.$$eval("#convnet button, #convnet [tabindex], #convnet input, #convnet select", (es) =>
    es.map((e) => ({ name: e.getAttribute("aria-label") ?? (e.textContent ?? "").trim(), tabbable: (e as HTMLElement).tabIndex >= 0 || e.getAttribute("role") === "radio" })));
  expect(controls.length).toBe(3 + 16 + 4); // transport, digits, two pictures per conv layer
  expect(controls.filter((c) => c.name === "" || !c.tabbable)).toEqual([]);
  expect(await page.getAttribute("#cn-strip", "aria-labelledby")).toBe("cn-strip-title");

  // Training lowers the loss: a few single steps, then continuous training, paused.
  const untrained = await page.evaluate(() => ({ ...window.playgroundConvnet }));
  expect(untrained.steps).toBe(0);
  await steps(3);
  expect(await page.textContent("#cn-steps")).toBe("3");
  await page.click("#cn-play");
  expect(await page.textContent("#cn-play")).toBe("❚❚ pause");
  await page.waitForFunction(() => window.playgroundConvnet.steps >= 200, undefined, { timeout: 60_000, polling: 100 });
  await page.click("#cn-play");
  await page.waitForFunction(() => !window.playgroundConvnet.running);
  const trained = await page.evaluate(() => ({ ...window.playgroundConvnet }));
  // Measured, not asserted (the machine's load sets it).
  console.log(`convnet: ${await page.textContent("#cn-sps")} steps/s in the worker, test accuracy ${await page.textContent("#cn-test-acc")} after ${trained.steps} steps`);
  expect(trained.testLoss).toBeLessThan(untrained.testLoss * 0.7);
  expect(trained.testAccuracy!).toBeGreaterThan(0.6);
  expect(await page.textContent("#cn-test-acc")).toMatch(/^\d+\.\d%$/);
  // Hovering a feature map shows the value under the pointer (after a ReLU: never negative).
  const map = '.feature-map[data-block="0"][data-stage="relu"][data-channel="1"]';
  await page.hover(map);
  const title = (await page.getAttribute(map, "title"))!;
  expect(title).toMatch(/^conv 1, channel 1, after ReLU \(8×8\): row 4, column 4 = \S+$/);
  expect(Number(title.split("= ")[1])).toBeGreaterThanOrEqual(0);
  const probabilities = await page.$$eval("#cn-probs li", (ls) => ls.map((l) => Number((l as HTMLElement).dataset.value)));
  expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);

  // Pick test digit 5 with a click, then move to 6 with the arrow keys.
  await page.click('#cn-strip [data-index="5"]');
  await page.waitForFunction(() => window.playgroundConvnet.image === 5);
  await page.keyboard.press("ArrowRight");
  await page.waitForFunction(() => window.playgroundConvnet.image === 6);
  expect(await page.getAttribute('#cn-strip [data-index="6"]', "aria-checked")).toBe("true");
  expect(await page.evaluate(() => document.activeElement?.getAttribute("data-index"))).toBe("6");

  // Click K2[5,2,0,1] in the gradient picture: the check panel redoes it by hand.
  const layout = kernelLayoutFor([8, 4, 3, 3]);
  const at = cellOrigin(layout, { cOut: 5, cIn: 2, i: 0, j: 1 });
  const grid = page.locator('.cn-kernel-grid.grad[data-block="1"]');
  const box = (await grid.boundingBox())!;
  const size = await grid.evaluate((c) => ({ w: (c as HTMLCanvasElement).width, h: (c as HTMLCanvasElement).height }));
  const centre = layout.cell / 2;
  await page.mouse.click(box.x + ((at.x + centre) * box.width) / size.w, box.y + ((at.y + centre) * box.height) / size.h);
  await page.waitForFunction(() => window.playgroundConvnet.entry === "K2[5,2,0,1]");
  expect(await page.textContent("#cn-check .cn-instance")).toBe("∂L/∂K2[5,2,0,1] = Σ_{x,y} ∂L/∂Y2[5,x,y] · X2[2,x+0,y+1]");
  let c = await checkedValues();
  expect(c.backward).not.toBe(0);
  expect(c.verdict).toContain("the sum by hand equals backward()'s gradient");
  expect(await page.textContent("#cn-kernel-readout")).toContain("K2[5,2,0,1]");
  await page.screenshot({ path: join(artifacts, "convnet-laptop.png"), fullPage: true });

  // To the printed digits, on a network whose state does not depend on timing: reset (same seed), 30 steps.
  await page.click("#cn-reset");
  await page.waitForFunction(() => window.playgroundConvnet.steps === 0);
  await steps(30);
  expect(await page.evaluate(() => [window.playgroundConvnet.image, window.playgroundConvnet.entry])).toEqual([6, "K2[5,2,0,1]"]);
  c = await checkedValues();
  expect(c.backward).not.toBe(0);
  expect(Math.abs(c.hand - c.backward)).toBeLessThanOrEqual(printedHalfUnit(c.backward));
  expect(Math.abs(Number(c.handText) - c.hand)).toBeLessThanOrEqual(printedHalfUnit(c.hand));
  // Six significant digits, whatever the magnitude.
  expect(c.handText.replace(/e.*$/, "").replace(/[-.]/g, "").replace(/^0+/, "")).toHaveLength(CHECK_DIGITS);

  // The arrow keys move the checked entry: K2[5,2,0,1] → K2[5,2,1,1] → K1 after a click there, and on.
  await grid.focus();
  await page.keyboard.press("ArrowDown");
  await page.waitForFunction(() => window.playgroundConvnet.entry === "K2[5,2,1,1]");
  c = await checkedValues();
  expect(c.backward).not.toBe(0);
  expect(Math.abs(c.hand - c.backward)).toBeLessThanOrEqual(printedHalfUnit(c.backward));
  await page.focus('.cn-kernel-grid.weight[data-block="0"]');
  await page.keyboard.press("ArrowRight");
  await page.waitForFunction(() => window.playgroundConvnet.entry === "K1[0,0,0,1]");
  c = await checkedValues();
  expect(c.backward).not.toBe(0);
  expect(Math.abs(c.hand - c.backward)).toBeLessThanOrEqual(printedHalfUnit(c.backward));
  await page.locator(".cn-kernel-panel").screenshot({ path: join(artifacts, "convnet-kernels-keyboard.png") });
  // The first layer's input is the image itself: the page's sum uses its 64 products.
  expect(await page.textContent("#cn-check .cn-check-table")).toContain("Σ of the 64 products");
  expect(Math.abs(c.fd - c.backward)).toBeLessThanOrEqual(1e-3 * Math.max(Math.abs(c.backward), 1e-4));

  // A phone's width: the page fits without scrolling sideways.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: join(artifacts, "convnet-phone.png"), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 1300 });
  expect(pg.consoleErrors).toEqual([]);
}, 150_000);

test("a link restores the convnet mode, and a link without a mode opens the MLP", async () => {
  const link = page.url();
  const restored = await pg.open(link.slice(link.indexOf("#")));
  await restored.waitForFunction(() => window.playgroundConvnet?.framesDrawn > 0, undefined, { timeout: 30_000 });
  expect(await restored.isChecked('input[name="mode"][value="convnet"]')).toBe(true);
  expect(await restored.isVisible("#convnet")).toBe(true);
  expect(await restored.isVisible("main")).toBe(false);
  // The same tab, a link of old (no mode): back to the MLP.
  await restored.evaluate(() => (location.hash = "#dataset=xor&hidden=3"));
  await restored.waitForFunction(() => document.querySelector<HTMLInputElement>('input[name="mode"][value="mlp"]')!.checked);
  expect(await restored.isVisible("main")).toBe(true);
  expect(await restored.isVisible("#convnet")).toBe(false);
  await restored.waitForFunction(() => location.hash.includes("dataset=xor") && location.hash.includes("mode=mlp"));
  expect(pg.consoleErrors).toEqual([]);
}, 60_000);
