/**
 * End to end, in Debian's Chromium: the chain-rule panel beyond the matrix
 * product. On the default network, partly trained, the panel's central
 * finite difference prints the same digits as the chain-rule product; the
 * rows of the path-sum table (read from the DOM) add up to backward()'s
 * value; the backward-pass animation rings the network's columns from the
 * outputs back to the inputs, one per step, by mouse and by keyboard; on a
 * deeper network, the listed paths plus the summed rest still add up; the
 * page's frame rate and the worker's steps per second are measured with
 * the panel open and the animation playing (printed and written to
 * runs/web/chain-metrics.json, not asserted: the machine is shared); and
 * screenshots of each view at laptop and phone widths go to runs/web/.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { openPlayground, REPO, type PlaygroundPage } from "./chromiumPage.js";
import type {} from "../../web/src/stats.js"; // declares window.playground

const artifacts = join(REPO, "runs", "web");
const work = mkdtempSync(join(tmpdir(), "chain-e2e-"));

let browser: PlaygroundPage;
let page: Page;
let consoleErrors: string[];

beforeAll(async () => {
  browser = await openPlayground(work);
  ({ page, consoleErrors } = browser);
  mkdirSync(artifacts, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  rmSync(work, { recursive: true, force: true });
});

/** Animation frames the browser gives the page per second, counted over `ms`. */
function animationFramesPerSecond(p: Page, ms: number): Promise<number> {
  return p.evaluate((span) => new Promise<number>((done) => {
    let frames = 0;
    const start = performance.now();
    const tick = (now: number) => {
      frames++;
      if (now - start < span) requestAnimationFrame(tick);
      else done((frames * 1000) / (now - start));
    };
    requestAnimationFrame(tick);
  }), ms);
}

const numberIn = (text: string | null, after: string) => text!.slice(text!.lastIndexOf(after) + after.length).trim().split(/\s/)[0];

test("finite differences, the sum over paths and the animated backward pass, on the live network", async () => {
  await page.waitForFunction(() => window.playground.framesDrawn > 0);
  expect(await page.isHidden("#backward-pass")).toBe(true);

  // Train for a while with no parameter selected: the baseline frame rate.
  await page.click("#play");
  await page.waitForFunction(() => window.playground.steps > 300, undefined, { timeout: 30_000 });
  const baselineRaf = await animationFramesPerSecond(page, 3000);
  const baseline = await page.evaluate(() => ({ ...window.playground }));

  // Select W1[2,1] while training: the panel follows the weights live; play the backward pass at the same time.
  await page.locator('#network line[data-layer="0"][data-row="2"][data-col="1"]').dispatchEvent("click");
  await page.waitForSelector('#chain[data-param="W1[2,1]"] .path-total');
  await page.click("#bp-play");
  const panelRaf = await animationFramesPerSecond(page, 3000);
  const withPanel = await page.evaluate(() => ({ ...window.playground }));
  const steps = Number(await page.getAttribute("#chain", "data-steps"));
  await page.click("#play"); // pause: the panel is explained once more at the final weights
  await page.waitForFunction(() => !window.playground.running);
  const finalSteps = await page.evaluate(() => new Promise<number>((done) => setTimeout(() => done(window.playground.steps), 300)));
  await page.waitForSelector(`#chain[data-steps="${finalSteps}"]`);
  expect(steps).toBeGreaterThan(300); // the panel was refreshed while training ran

  // Finite differences print the same digits as the chain-rule product, and agree in float64 far beyond them.
  const productText = await page.textContent("#chain .product");
  const fdText = await page.textContent("#chain .finite-difference");
  expect(numberIn(fdText, ":")).toBe(numberIn(productText, "="));
  expect(await page.textContent("#chain .finite-difference + .ok")).toContain("same digits");
  const product = Number(await page.getAttribute("#chain .product", "data-value"));
  const fd = Number(await page.getAttribute("#chain .finite-difference", "data-value"));
  const backward = Number(await page.getAttribute("#chain .backward", "data-value"));
  expect(Math.abs(fd - product)).toBeLessThanOrEqual(1e-8 * Math.max(Math.abs(product), 1e-3));
  expect(Math.abs(product)).toBeGreaterThan(0);

  // The sum over paths: W1[2,1] reaches L through 8 units of h2 and 2 outputs, 16 paths; the rows add up to backward().
  expect(await page.textContent("#chain details.paths summary")).toBe("Sum over paths: 16 paths from W1[2,1] to L");
  const rows = await page.$$eval("#chain .path-term, #chain .path-rest", (trs) => trs.map((tr) => Number((tr as HTMLElement).dataset.value)));
  expect(rows.length).toBe(16);
  expect(await page.textContent("#chain .path-term td:nth-child(2)")).toMatch(/^W1\[2,1\] → h1\[2\] → h2\[\d\] → ŷ\[[01]\] → L$/);
  const pathSum = rows.reduce((a, b) => a + b, 0);
  expect(Math.abs(pathSum - backward)).toBeLessThanOrEqual(1e-4 * Math.max(Math.abs(backward), 1e-6));
  expect(Math.abs(pathSum - product)).toBeLessThanOrEqual(1e-12 + 1e-9 * Math.abs(product));
  expect(await page.textContent("#chain details.paths .ok")).toContain("equal");

  // Without backprop: 2 × 114 parameters of 2→8→8→2.
  expect(await page.getAttribute("#chain .cost", "data-forwards")).toBe("228");
  expect(await page.textContent("#chain .cost")).toContain("central differences need 2 × 114 parameters = 228 forward passes");

  // The animation, step by step: columns 3 (outputs), 2, 1, 0 (inputs) light up in that order and stay lit.
  await page.click("#bp-first"); // also stops the play started above, if it is still running
  expect(await page.textContent("#bp-play")).toBe("▶ play");
  expect(await page.getAttribute("#backward-pass", "data-step")).toBe("-1");
  expect(await page.locator("#network .backward-overlay circle.lit").count()).toBe(0);
  const litColumns = () => page.$$eval("#network .backward-overlay circle.lit", (cs) => [...new Set(cs.map((c) => Number((c as SVGElement).dataset.column)))].sort());
  const currentColumns = () => page.$$eval("#network .backward-overlay circle.current", (cs) => [...new Set(cs.map((c) => Number((c as SVGElement).dataset.column)))]);
  const expected = [[3], [2, 3], [1, 2, 3], [0, 1, 2, 3]];
  const widths = [2, 8, 8, 2];
  for (let i = 0; i < 4; i++) {
    await page.click("#bp-next");
    expect(await page.getAttribute("#backward-pass", "data-step")).toBe(String(i));
    expect(await litColumns()).toEqual(expected[i]);
    expect(await currentColumns()).toEqual([3 - i]);
    expect(await page.locator("#network .backward-overlay circle.current").count()).toBe(widths[3 - i]);
    // The weights into the current column all reuse its δ: 2×8, 8×8, 8×2 lines, none at the inputs.
    expect(await page.locator("#network line.bp-reuse").count()).toBe([16, 64, 16, 0][i]);
    if (i === 1) {
      await page.locator(".panel.network").screenshot({ path: join(artifacts, "chain-backward-pass.png") });
      expect(await page.textContent("#bp-status")).toContain("δ of layer 2 reused by all 64 weights of layer 2");
    }
    if (i === 2) expect(await page.textContent(".bp-values")).toContain("the selected parameter: ∂L/∂W1[2,1] = δ1[2] · x[1]");
  }
  expect(await page.getAttribute("#bp-next", "aria-disabled")).toBe("true");
  expect(await page.textContent("#bp-status")).toContain("Step 4 of 4: ∂L/∂x = W1ᵀ·δ1 reaches the 2 inputs");

  // By keyboard: Home, then the arrow keys on the toolbar.
  await page.focus("#bp-back");
  await page.keyboard.press("Home");
  expect(await page.getAttribute("#backward-pass", "data-step")).toBe("-1");
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("ArrowRight");
  expect(await page.getAttribute("#backward-pass", "data-step")).toBe("1");
  expect(await litColumns()).toEqual([2, 3]);
  await page.keyboard.press("ArrowLeft");
  expect(await page.getAttribute("#backward-pass", "data-step")).toBe("0");
  await page.focus("#bp-next");
  await page.keyboard.press("Enter");
  expect(await page.getAttribute("#backward-pass", "data-step")).toBe("1");

  // Play: the steps arrive in order, 0, 1, 2, 3, and stop at the inputs.
  await page.click("#bp-first");
  await page.evaluate(() => {
    const box = document.querySelector<HTMLElement>("#backward-pass")!;
    const seen: string[] = [];
    (window as unknown as { seenSteps: string[] }).seenSteps = seen;
    new MutationObserver(() => {
      const s = box.dataset.step!;
      if (seen[seen.length - 1] !== s) seen.push(s);
    }).observe(box, { attributes: true, attributeFilter: ["data-step"] });
  });
  await page.click("#bp-play");
  await page.waitForFunction(() => document.querySelector<HTMLElement>("#backward-pass")!.dataset.step === "3", undefined, { timeout: 10_000 });
  await page.waitForFunction(() => document.querySelector("#bp-play")!.textContent === "▶ play", undefined, { timeout: 5_000 });
  expect(await page.evaluate(() => (window as unknown as { seenSteps: string[] }).seenSteps)).toEqual(["0", "1", "2", "3"]);

  // Every control added has a label.
  const unlabeled = await page.$$eval("#backward-pass button", (bs) => bs.filter((b) => !b.getAttribute("aria-label")).map((b) => b.id));
  expect(unlabeled).toEqual([]);
  expect(await page.getAttribute("#backward-pass [role=toolbar]", "aria-labelledby")).toBe("backward-pass-title");

  // A bias deeper in: b2[0] reaches L through the 2 outputs.
  await page.click('#network circle[data-layer="1"][data-row="0"]');
  await page.waitForSelector('#chain[data-param="b2[0]"] .path-total');
  expect(await page.textContent("#chain details.paths summary")).toBe("Sum over paths: 2 paths from b2[0] to L");
  const biasRows = await page.$$eval("#chain .path-term", (trs) => trs.map((tr) => Number((tr as HTMLElement).dataset.value)));
  const biasBackward = Number(await page.getAttribute("#chain .backward", "data-value"));
  expect(Math.abs(biasRows[0] + biasRows[1] - biasBackward)).toBeLessThanOrEqual(1e-4 * Math.max(Math.abs(biasBackward), 1e-6));

  // Screenshots: the panel at laptop width, then the page at a phone's.
  await page.locator('#network line[data-layer="0"][data-row="2"][data-col="1"]').dispatchEvent("click");
  await page.waitForSelector('#chain[data-param="W1[2,1]"] .path-total');
  await page.locator(".panel.network").screenshot({ path: join(artifacts, "chain-panel.png") });
  await page.locator("#chain details.paths").screenshot({ path: join(artifacts, "chain-paths.png") });
  await page.locator("#chain .cost").screenshot({ path: join(artifacts, "chain-cost.png") });
  // A laptop screen: the panel sits beside the others without sideways scrolling.
  await page.setViewportSize({ width: 1366, height: 768 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
  await page.locator("#network").scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(artifacts, "chain-laptop.png") });
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.$eval(".panel.network", (p) => p.getBoundingClientRect().right - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0); // the panel fits the phone's width
  await page.locator(".panel.network").screenshot({ path: join(artifacts, "chain-phone.png") });
  await page.setViewportSize({ width: 1280, height: 1100 });

  const panelMs = await page.evaluate(() => performance.getEntriesByName("chain-panel").map((e) => e.duration));
  expect(panelMs.length).toBeGreaterThan(3);
  const metrics = {
    chainPanelRenderMs: { renders: panelMs.length, median: panelMs.slice().sort((a, b) => a - b)[panelMs.length >> 1], max: Math.max(...panelMs) },
    baseline: { animationFramesPerSecond: baselineRaf, framesDrawnPerSecond: baseline.fps, stepsPerSecond: baseline.stepsPerSecond },
    panelOpenAnimationPlaying: { animationFramesPerSecond: panelRaf, framesDrawnPerSecond: withPanel.fps, stepsPerSecond: withPanel.stepsPerSecond },
    loadAverage: loadavg()[0], cpus: cpus().length,
  };
  writeFileSync(join(artifacts, "chain-metrics.json"), JSON.stringify(metrics, null, 2) + "\n");
  console.log(`chain panel: animation frames ${baselineRaf.toFixed(1)}/s without the panel, ${panelRaf.toFixed(1)}/s with it open and the backward pass playing; frames drawn ${baseline.fps.toFixed(1)} → ${withPanel.fps.toFixed(1)}/s; steps/s ${baseline.stepsPerSecond.toFixed(0)} → ${withPanel.stepsPerSecond.toFixed(0)}; panel render median ${metrics.chainPanelRenderMs.median.toFixed(1)} ms (max ${metrics.chainPanelRenderMs.max.toFixed(1)}, ${panelMs.length} renders); load average ${metrics.loadAverage.toFixed(1)} on ${metrics.cpus} cores`);

  // A deeper network: W1[0,0] of 2→8→8→8→2 has 8·8·2 = 128 paths; 31 are listed and the rest summed in one line.
  await page.fill("#hidden", "8,8,8");
  await page.press("#hidden", "Tab");
  await page.waitForFunction(() => document.querySelectorAll("#network circle[data-kind]").length === 8 + 8 + 8 + 2);
  for (let i = 0; i < 5; i++) await page.click("#step");
  await page.waitForFunction(() => window.playground.steps === 5);
  await page.locator('#network line[data-layer="0"][data-row="0"][data-col="0"]').dispatchEvent("click");
  await page.waitForSelector('#chain[data-param="W1[0,0]"][data-steps="5"] .path-total');
  expect(await page.textContent("#chain details.paths summary")).toBe("Sum over paths: 128 paths from W1[0,0] to L");
  expect(await page.locator("#chain .path-term").count()).toBe(31);
  expect(await page.textContent("#chain .path-rest")).toContain("the other 97 paths");
  const deepRows = await page.$$eval("#chain .path-term, #chain .path-rest", (trs) => trs.map((tr) => Number((tr as HTMLElement).dataset.value)));
  const deepBackward = Number(await page.getAttribute("#chain .backward", "data-value"));
  const deepSum = deepRows.reduce((a, b) => a + b, 0);
  expect(Math.abs(deepSum - deepBackward)).toBeLessThanOrEqual(1e-4 * Math.max(Math.abs(deepBackward), 1e-6));
  expect(await page.locator("#network .backward-overlay circle").count()).toBe(2 + 8 + 8 + 8 + 2);

  expect(consoleErrors).toEqual([]);
}, 120_000);
