/**
 * End to end, in headless Chromium: the TensorFlow Playground features of
 * the page. A shared link restores the settings and, with the same seed,
 * the same loss after 100 steps; a hostile link opens a working page with a
 * notice; a feature toggle changes the input layer; L2 shrinks the weights
 * against the same run without it; discretise changes the picture; drawn
 * points join the training data; a weight can be read by hovering and set
 * from the editor; the regression problems train. Screenshots go to runs/web/.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { freshNetwork, repo, startPlayground, steps, type Playground } from "./browser.js";
import type {} from "../../web/src/stats.js"; // declares window.playground
import type {} from "../../web/src/parityStats.js"; // declares window.playgroundParity

const artifacts = join(repo, "runs", "web");
let pg: Playground;

beforeAll(async () => {
  pg = await startPlayground("playground-parity-");
  mkdirSync(artifacts, { recursive: true });
}, 120_000);

afterAll(async () => {
  await pg?.close();
});

const nextPaint = (page: Page) => page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));

test("a shared link restores every setting, and with the same seed the same loss after 100 steps", async () => {
  const hash = "#dataset=xor&noise=0.1&train=0.6&batch=5&lr=0.3&activation=tanh&loss=cross-entropy&optimizer=momentum&reg=l2&regRate=0.001&features=x,y,xy&hidden=4,3&seed=42&discretize=1&showTest=0";
  const a = await pg.open(hash);
  expect(await a.inputValue("#dataset")).toBe("xor");
  expect(await a.inputValue("#hidden")).toBe("4,3");
  expect(await a.inputValue("#activation")).toBe("tanh");
  expect(await a.inputValue("#reg")).toBe("l2");
  expect(await a.inputValue("#reg-rate")).toBe("0.001");
  expect(await a.inputValue("#seed")).toBe("42");
  expect(await a.inputValue("#batch")).toBe("5");
  expect(await a.isChecked("#discretize")).toBe(true);
  expect(await a.isChecked("#show-test")).toBe(false);
  expect(await a.getAttribute("#feature-xy", "aria-pressed")).toBe("true");
  expect(await a.getAttribute("#feature-x2", "aria-pressed")).toBe("false");
  expect(await a.isHidden("#url-notice")).toBe(true);
  expect(await a.locator("#network circle").count()).toBe(3 + 4 + 3 + 2);
  await steps(a, 100);
  const lossA = await a.evaluate(() => window.playgroundParity.trainLoss);
  const shared = a.url();
  expect(shared).toContain("dataset=xor&problem=classification&noise=0.1&train=0.6&batch=5&lr=0.3");
  await a.screenshot({ path: join(artifacts, "parity-shared-link.png"), fullPage: true });

  const b = await pg.open(shared.slice(shared.indexOf("#")));
  expect(await b.evaluate(() => window.playgroundParity.urlNotices)).toEqual([]);
  await steps(b, 100);
  const lossB = await b.evaluate(() => window.playgroundParity.trainLoss);
  expect(Number.isFinite(lossA)).toBe(true);
  expect(lossB).toBe(lossA);
  // Another seed: another loss (so the equality above is not a constant).
  await b.fill("#seed", "43");
  await b.press("#seed", "Tab");
  await freshNetwork(b);
  await steps(b, 100);
  expect(await b.evaluate(() => window.playgroundParity.trainLoss)).not.toBe(lossA);
  await a.close();
  await b.close();
  expect(pg.consoleErrors).toEqual([]);
}, 120_000);

test("a hostile link opens a working page with the defaults and a notice", async () => {
  const page = await pg.open(`#lr=NaN&hidden=999,${"9".repeat(400)}&dataset=%3Cscript%3E&features=&seed=1e400&%E0%A4%A=%&evil=1`);
  const notice = await page.textContent("#url-notice");
  expect(await page.isVisible("#url-notice")).toBe(true);
  expect(notice).toMatch(/^Some settings in the link could not be used: /);
  expect(notice).toContain('lr="NaN" is not a learning rate');
  expect(notice).toContain('dataset="<script>" is not a dataset');
  expect(await page.inputValue("#dataset")).toBe("circle");
  expect(await page.inputValue("#hidden")).toBe("8,8");
  expect(await page.locator("#url-notice script").count()).toBe(0); // shown as text, never as markup
  await steps(page, 10);
  expect(await page.textContent("#config-error")).toBe("");
  await page.screenshot({ path: join(artifacts, "parity-hostile-link.png") });
  // A link pasted into the same tab (a hash change) applies at once; the old notice goes.
  await page.evaluate(() => (location.hash = "#dataset=spiral&hidden=3&features=x,y,sinx,siny"));
  await page.waitForFunction(() => document.querySelectorAll("#network circle").length === 4 + 3 + 2);
  expect(await page.inputValue("#dataset")).toBe("spiral");
  expect(await page.isHidden("#url-notice")).toBe(true);
  // A bad link in the same tab shows its notice; the next change of settings clears it.
  await page.evaluate(() => (location.hash = "#batch=-3"));
  await page.waitForSelector("#url-notice:not([hidden])");
  expect(await page.textContent("#url-notice")).toContain('batch="-3" is not a batch size');
  await page.selectOption("#activation", "relu");
  await page.waitForSelector("#url-notice[hidden]", { state: "attached" });
  await page.close();
  expect(pg.consoleErrors).toEqual([]);
}, 60_000);

test("features, L2, discretise, drawing, weight editing and the regression problems", async () => {
  const page = await pg.open();
  // A feature toggle changes the input layer (and the address).
  expect(await page.locator("#network circle").count()).toBe(2 + 8 + 8 + 2);
  await page.click("#feature-x2");
  await page.waitForFunction(() => document.querySelectorAll("#network circle").length === 3 + 8 + 8 + 2);
  expect(page.url()).toContain("features=x,y,x2");
  // Keyboard: focus the toggle and press Space to take x² out again.
  await page.focus("#feature-x2");
  await page.keyboard.press("Space");
  await page.waitForFunction(() => document.querySelectorAll("#network circle").length === 2 + 8 + 8 + 2);
  await freshNetwork(page);

  // L2 against the same run without it.
  await steps(page, 300);
  const plain = await page.evaluate(() => window.playgroundParity.weightNorm);
  await page.selectOption("#reg", "l2");
  await page.fill("#reg-rate", "0.01");
  await page.press("#reg-rate", "Tab");
  await freshNetwork(page);
  expect(await page.textContent("#equations")).toMatch(/ \+ 0\.01·½ΣW²$/);
  await steps(page, 300);
  const l2 = await page.evaluate(() => ({ ...window.playgroundParity }));
  expect(l2.weightNorm).toBeLessThan(0.9 * plain);
  expect(l2.penalty).toBeGreaterThan(0);
  expect(Number(await page.textContent("#stat-penalty"))).toBeCloseTo(l2.penalty, 3);

  // The neuron maps are drawn inside the neurons.
  const mapPixel = await page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>("#neuron-maps")!;
    const circle = document.querySelector<SVGCircleElement>('#network circle[data-layer="0"][data-row="0"]')!;
    const [x, y] = [Number(circle.getAttribute("cx")), Number(circle.getAttribute("cy"))];
    return Array.from(canvas.getContext("2d")!.getImageData(x, y, 1, 1).data);
  });
  expect(mapPixel[3]).toBe(255);

  // Discretise changes the boundary picture.
  const pixels = () => page.evaluate(() => {
    const c = document.querySelector<HTMLCanvasElement>("#boundary")!;
    return Array.from(c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data);
  });
  await nextPaint(page);
  const smooth = await pixels();
  await page.check("#discretize");
  await nextPaint(page);
  const sharp = await pixels();
  expect(sharp).not.toEqual(smooth);
  expect(page.url()).toContain("discretize=1");
  await page.screenshot({ path: join(artifacts, "parity-discretized.png"), fullPage: true });
  await page.uncheck("#discretize");

  // Drawing points: click (class 1), shift-click (class 0), and Enter from the keyboard.
  const before = await page.evaluate(() => window.playgroundParity.trainSize);
  await page.click("#boundary", { position: { x: 60, y: 60 } });
  await page.click("#boundary", { position: { x: 300, y: 300 }, modifiers: ["Shift"] });
  await page.focus("#boundary");
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("Enter");
  await page.waitForFunction((n) => window.playgroundParity.trainSize === n + 3, before);
  expect(await page.evaluate(() => window.playgroundParity.drawnPoints)).toBe(3);
  expect(await page.textContent("#drawn-count")).toBe("3 drawn");
  await steps(page, 20); // training goes on with them
  await page.screenshot({ path: join(artifacts, "parity-drawn-points.png"), fullPage: true });

  // Hover a neuron (a real mouse move): its bias; a weight (the lines cross, so the event goes to this one): its value.
  await page.hover('#network circle[data-layer="0"][data-row="4"]');
  await page.waitForSelector('#weight-tip[data-param="b1[4]"]:not([hidden])');
  expect(await page.textContent("#weight-tip")).toMatch(/^b1\[4\] = -?\d/);
  const line = '#network line[data-layer="1"][data-row="2"][data-col="5"]';
  await page.locator(line).dispatchEvent("mousemove", { clientX: 700, clientY: 400 });
  await page.waitForSelector('#weight-tip[data-param="W2[2,5]"]:not([hidden])');
  const shownValue = Number(await page.getAttribute(line, "data-value"));
  expect(await page.textContent("#weight-tip")).toMatch(/^W2\[2,5\] = /);
  expect(await page.getAttribute("#weight-tip", "data-param")).toBe("W2[2,5]");
  await page.screenshot({ path: join(artifacts, "parity-weight-tooltip.png"), fullPage: true });
  await page.locator(line).dispatchEvent("click");
  expect(await page.inputValue("#param-name")).toBe("W2[2,5]");
  expect(Number(await page.inputValue("#param-value"))).toBeCloseTo(shownValue, 6);
  await page.fill("#param-value", "1.5");
  await page.press("#param-value", "Enter");
  await page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute("data-value") === "1.5", line);
  // From the keyboard alone: a bias by name; a bad name gets a message.
  await page.fill("#param-name", "b3[1]");
  await page.fill("#param-value", "-2");
  await page.press("#param-value", "Enter");
  await page.waitForFunction(() => document.querySelector('#network circle[data-layer="2"][data-row="1"]')?.getAttribute("data-value") === "-2");
  await page.fill("#param-name", "W9[0,0]");
  await page.press("#param-name", "Enter");
  expect(await page.textContent("#param-error")).toContain('"W9[0,0]" is not a parameter of this network');

  // Regression: the problem type picks the plane; a linear network fits it.
  await page.selectOption("#problem", "regression");
  await freshNetwork(page);
  expect(await page.inputValue("#dataset")).toBe("reg-plane");
  expect(await page.inputValue("#loss")).toBe("mse");
  expect(await page.textContent("#data-title")).toBe("Predicted value");
  await page.selectOption("#activation", "linear");
  await page.selectOption("#optimizer", "adam");
  await page.fill("#lr", "0.02");
  await page.press("#lr", "Tab");
  await freshNetwork(page);
  await steps(page, 400);
  expect(await page.evaluate(() => window.playgroundParity.trainLoss)).toBeLessThan(0.01);
  await page.selectOption("#dataset", "reg-gauss");
  await freshNetwork(page);
  await page.selectOption("#activation", "tanh");
  await freshNetwork(page);
  const untrained = await page.evaluate(() => window.playgroundParity.trainLoss);
  await steps(page, 400);
  expect(await page.evaluate(() => window.playgroundParity.trainLoss)).toBeLessThan(0.7 * untrained);
  await nextPaint(page);
  expect(page.url()).toContain("dataset=reg-gauss&problem=regression");
  expect(await page.textContent("#config-error")).toBe("");
  await page.screenshot({ path: join(artifacts, "parity-regression.png"), fullPage: true });
  await page.locator(".network-stage").screenshot({ path: join(artifacts, "parity-neuron-maps.png") });
  await page.locator(".controls").screenshot({ path: join(artifacts, "parity-controls.png") });

  // Regenerate: a new seed, new data.
  const seed = await page.inputValue("#seed");
  await page.click("#regenerate");
  await freshNetwork(page);
  expect(await page.inputValue("#seed")).not.toBe(seed);
  expect(page.url()).toContain(`seed=${await page.inputValue("#seed")}`);
  await page.close();
  expect(pg.consoleErrors).toEqual([]);
}, 180_000);
