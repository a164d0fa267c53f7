/**
 * End to end, in headless Chromium: the mode selector's "Recurrent net on
 * sequences" trains an Elman network live; the unrolled view shows T
 * steps; the per-step terms of backpropagation through time add up to the
 * .grad that loss.backward() gave (to the printed digits) and to the
 * central difference; a weight is chosen from the keyboard; the step back
 * through time walks from step T to step 1; the address records the mode.
 * Screenshots go to runs/web/ (and SCREENSHOT_DIR when set).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startPlayground, repo, type Playground } from "./browser.js";
import type {} from "../../web/src/recurrent/recurrentMode.js"; // declares window.playgroundRecurrent
import type {} from "../../web/src/stats.js";

const shots = [join(repo, "runs", "web"), ...(process.env.SCREENSHOT_DIR ? [process.env.SCREENSHOT_DIR] : [])];
let playground: Playground;
let page: Page;

async function screenshot(name: string): Promise<void> {
  for (const dir of shots) {
    mkdirSync(dir, { recursive: true });
    await page.locator("#recurrent-mode").screenshot({ path: join(dir, name) });
  }
}

/** The printed number at the end of a panel line ("... = -0.0123456", "... = 1.23456e-5") and one unit of its last digit. */
function printed(text: string): { value: number; unit: number } {
  const m = /(-?\d+)(?:\.(\d+))?(?:e([+-]?\d+))?\s*$/.exec(text);
  if (!m) throw new Error(`no number at the end of "${text}"`);
  const decimals = m[2]?.length ?? 0;
  return { value: Number(m[0]), unit: 10 ** (Number(m[3] ?? 0) - decimals) };
}

/** Checks the panel: T rows, Σ terms = .grad (to the printed digits), = the finite difference. */
async function expectPanelAddsUp(steps: number): Promise<void> {
  expect(await page.locator("#rnn-unrolled g.rnn-step").count()).toBe(steps);
  expect(await page.locator("#rnn-bptt tr.bptt-step").count()).toBe(steps);
  const terms = await page.$$eval("#rnn-bptt tr.bptt-step", (rows) => rows.map((r) => Number((r as HTMLElement).dataset.term)));
  const sum = Number(await page.getAttribute("#rnn-bptt .sum", "data-value"));
  const grad = Number(await page.getAttribute("#rnn-bptt .backward", "data-value"));
  const fd = Number(await page.getAttribute("#rnn-bptt .finite-difference", "data-value"));
  expect(terms.reduce((a, b) => a + b, 0)).toBeCloseTo(sum, 12);
  // Both float64 (the library's on float64 copies of the weights).
  expect(Math.abs(sum - grad)).toBeLessThan(1e-12 * Math.max(1, Math.abs(grad)));
  expect(Math.abs(fd - sum)).toBeLessThan(1e-7 * Math.max(1, Math.abs(sum)));
  // Printed: the same digits (one unit apart only if the two sums straddle a rounding boundary).
  const shownSum = printed((await page.textContent("#rnn-bptt .sum"))!);
  const shownGrad = printed((await page.textContent("#rnn-bptt .backward"))!);
  expect(Math.abs(shownSum.value - shownGrad.value)).toBeLessThanOrEqual(1.000001 * shownSum.unit);
  expect(await page.textContent("#rnn-bptt .bptt-result")).toContain("✓ equal");
}

beforeAll(async () => {
  playground = await startPlayground("recurrent-e2e-");
  page = await playground.open("#mode=recurrent");
  await page.waitForFunction(() => window.playgroundRecurrent?.explanations > 0);
}, 180_000);

afterAll(async () => {
  await playground?.close();
});

test("the link's mode opens the recurrent view; it trains, and BPTT's per-step terms add up to .grad", async () => {
  expect(await page.isChecked('input[name="mode"][value="recurrent"]')).toBe(true);
  expect(await page.isVisible("#recurrent-mode")).toBe(true);
  expect(await page.isHidden("main")).toBe(true);
  expect(await page.inputValue("#rnn-task")).toBe("first-bit");
  expect(await page.inputValue("#rnn-steps")).toBe("6");
  await expectPanelAddsUp(6);
  expect(await page.getAttribute("#rnn-bptt", "data-param")).toBe("W_hh[0,0]");

  await page.click("#rnn-play");
  await page.waitForFunction(() => window.playgroundRecurrent.testAccuracy > 0.95 && window.playgroundRecurrent.stepsPerSecond > 0, undefined, { timeout: 60_000, polling: 200 });
  await page.click("#rnn-play");
  // The worker may finish a slice of steps after the click: its last frame (not training) has the final count.
  await page.waitForFunction(() => !window.playgroundRecurrent.running && !window.playgroundRecurrent.workerRunning);
  const stats = await page.evaluate(() => ({ ...window.playgroundRecurrent }));
  expect(stats.stepsPerSecond).toBeGreaterThan(0);
  expect(await page.textContent("#rnn-stat-acc")).toMatch(/^\d+\.\d%$/);
  // After the pause the panel explains the trained weights.
  await page.waitForFunction((n) => Number(document.querySelector<HTMLElement>("#rnn-bptt")?.dataset.steps) === n, stats.steps);
  await expectPanelAddsUp(6);
  await screenshot("recurrent-trained.png");
});

test("a weight chosen from the keyboard; a longer sequence; the step back through time", async () => {
  // Tab from W_hh[0,0] to W_hh[1,2] and press Enter.
  await page.focus('#rnn-weights button[data-param="W_hh[0,0]"]');
  const target = '#rnn-weights button[data-param="W_hh[1,2]"]';
  for (let i = 0; i < 5 && !(await page.$eval(target, (b) => b === document.activeElement)); i++) await page.keyboard.press("Tab");
  expect(await page.$eval(target, (b) => b === document.activeElement)).toBe(true);
  expect(await page.getAttribute(target, "aria-label")).toMatch(/^W_hh\[1,2\] = -?\d/);
  // Arrows move within the grid too.
  await page.keyboard.press("ArrowLeft");
  await page.keyboard.press("ArrowUp");
  expect(await page.$eval('#rnn-weights button[data-param="W_hh[0,1]"]', (b) => b === document.activeElement)).toBe(true);
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("ArrowRight"); // past the edge: stays
  expect(await page.$eval(target, (b) => b === document.activeElement)).toBe(true);
  await page.keyboard.press("Enter");
  await page.waitForSelector('#rnn-bptt[data-param="W_hh[1,2]"]');
  expect(await page.getAttribute(target, "aria-pressed")).toBe("true");
  await expectPanelAddsUp(6);

  // T = 12: a new network, unrolled over 12 steps.
  await page.locator("#rnn-steps").fill("12");
  await page.waitForFunction(() => document.querySelectorAll("#rnn-unrolled g.rnn-step").length === 12);
  await page.waitForSelector('#rnn-bptt[data-param="W_hh[1,2]"]');
  await expectPanelAddsUp(12);
  expect(page.url()).toContain("mode=recurrent&rnnTask=first-bit&rnnT=12&rnnHidden=3&rnnLr=0.05&rnnSeed=1");
  // The factor chain's norm: the identity's at t = T (√3 for three units), a product of Jacobians before.
  const norms = await page.$$eval("#rnn-bptt tr.bptt-step", (rows) => rows.map((r) => Number((r as HTMLElement).dataset.norm)));
  expect(norms[0]).toBeCloseTo(Math.sqrt(3), 12); // rows run from T down to 1
  expect(norms.every((n) => Number.isFinite(n) && n >= 0)).toBe(true);
  await screenshot("recurrent-T12.png");

  await page.click("#rnn-step-back");
  await page.waitForSelector('#rnn-bptt tr.bptt-step.current[data-t="12"]');
  expect(await page.locator("#rnn-bptt tr.bptt-step.pending").count()).toBe(11);
  expect(await page.locator('#rnn-unrolled g.rnn-step.current').getAttribute("data-t")).toBe("12");
  await page.waitForSelector('#rnn-bptt tr.bptt-step.current[data-t="10"]', { timeout: 10_000 });
  // Read in one go (the animation moves on): the steps before the current one are still to come.
  const walk = await page.evaluate(() => ({
    current: Number(document.querySelector<HTMLElement>("#rnn-bptt tr.bptt-step.current")?.dataset.t),
    pending: document.querySelectorAll("#rnn-bptt tr.bptt-step.pending").length,
    diagram: Number(document.querySelector<SVGElement>("#rnn-unrolled g.rnn-step.current")?.dataset.t),
  }));
  expect(walk.pending).toBe(walk.current - 1);
  expect(walk.diagram).toBe(walk.current);
  await screenshot("recurrent-step-back.png");
  // It ends with every step shown.
  await page.waitForFunction(() => document.querySelectorAll("#rnn-bptt tr.bptt-step.pending, #rnn-bptt tr.bptt-step.current").length === 0, undefined, { timeout: 20_000 });
});

test("the page's own bundle stays without the library (each mode's trainer lives in its worker)", async () => {
  const bundles = await page.evaluate(async () => {
    const main = document.querySelector<HTMLScriptElement>('script[type="module"]')!.src;
    const code = await (await fetch(main)).text();
    const workers = [...code.matchAll(/worker-[\w-]+\.js/g)].map((m) => m[0]);
    const workerCode = await Promise.all(workers.map(async (w) => (await fetch(new URL(`assets/${w}`, location.href))).text()));
    return { main: code, workers: workerCode };
  });
  // "AGFzbQ" is "\0asm" in base64: the library's WebAssembly kernels, embedded in its bundle.
  // Three workers: the MLP's, the convnet's and the recurrent net's.
  expect(bundles.workers.length).toBe(3);
  for (const w of bundles.workers) expect(w).toContain("AGFzbQ");
  expect(bundles.main).not.toContain("AGFzbQ");
});

test("at a phone's width the recurrent mode fits without scrolling sideways", async () => {
  const phone = await playground.open("#mode=recurrent");
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.waitForFunction(() => window.playgroundRecurrent?.explanations > 0);
  expect(await phone.isVisible("#rnn-unrolled")).toBe(true);
  for (const dir of shots) {
    mkdirSync(dir, { recursive: true });
    await phone.screenshot({ path: join(dir, "recurrent-phone.png"), fullPage: true });
  }
  // Nothing reaches past the screen's edge, except inside the BPTT table, which scrolls in its own box.
  const wide = await phone.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLElement>("#recurrent-mode *"))
      .filter((e) => e.getBoundingClientRect().right > 390 && !e.parentElement?.closest(".bptt-table"))
      .map((e) => `${e.tagName}#${e.id}.${e.className}`).slice(0, 8));
  expect(wide).toEqual([]);
  expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await phone.close();
});

test("a link with recurrent settings opens them", async () => {
  const linked = await playground.open("#mode=recurrent&rnnTask=parity&rnnT=4&rnnHidden=2&rnnLr=0.1&rnnSeed=5");
  await linked.waitForFunction(() => window.playgroundRecurrent?.explanations > 0);
  expect(await linked.inputValue("#rnn-task")).toBe("parity");
  expect(await linked.inputValue("#rnn-hidden")).toBe("2");
  expect(await linked.locator("#rnn-unrolled g.rnn-step").count()).toBe(4);
  expect(await linked.locator("#rnn-weights button[data-param]").count()).toBe(2 + 4 + 2);
  expect(linked.url()).toContain("mode=recurrent&rnnTask=parity&rnnT=4&rnnHidden=2&rnnLr=0.1&rnnSeed=5");
  await linked.close();
});

test("back to the MLP: its view returns and the address says mode=mlp without the recurrent settings; no console errors", async () => {
  await page.check('input[name="mode"][value="mlp"]');
  expect(await page.isVisible("main")).toBe(true);
  expect(await page.isHidden("#recurrent-mode")).toBe(true);
  expect(page.url()).toContain("mode=mlp");
  expect(page.url()).not.toContain("rnnT=");
  expect(playground.consoleErrors).toEqual([]);
});
