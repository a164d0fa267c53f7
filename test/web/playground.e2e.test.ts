/**
 * End to end: build the playground, open it in a real (headless) Chromium,
 * train the default network on the circle data to over 90% test accuracy,
 * click a weight and check the chain-rule panel against the gradient the
 * library computes here in Node from the exported model, export the model,
 * run `backprop predict` on it, and keep a screenshot and the measured
 * frames/steps per second under runs/web/.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import * as bp from "backpropagation";
import { openPlayground, REPO as repo, type PlaygroundPage } from "./chromiumPage.js";
import type {} from "../../web/src/stats.js"; // declares window.playground

const artifacts = join(repo, "runs", "web");
const work = mkdtempSync(join(tmpdir(), "playground-e2e-"));
const site = join(work, "site");

let browser: PlaygroundPage;
let page: Page;
let consoleErrors: string[];

beforeAll(async () => {
  browser = await openPlayground(work, { acceptDownloads: true });
  ({ page, consoleErrors } = browser);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  rmSync(work, { recursive: true, force: true });
});

test("the static build is relative and imports no Node built-ins", () => {
  const html = readFileSync(join(site, "index.html"), "utf8");
  expect(html).toMatch(/src="\.\/assets\/index-[\w-]+\.js"/);
  const scripts = readdirSync(join(site, "assets")).filter((f) => f.endsWith(".js"));
  expect(scripts.some((f) => f.startsWith("worker-"))).toBe(true);
  for (const f of scripts) {
    const code = readFileSync(join(site, "assets", f), "utf8");
    expect(code, f).not.toMatch(/(from|import)\s*\(?\s*["']node:/);
  }
});

test("trains the default network on the circle, explains a gradient, exports a model predict can use", async () => {
  // The default is the lecture's network.
  expect(await page.inputValue("#dataset")).toBe("circle");
  expect(await page.inputValue("#hidden")).toBe("8,8");
  expect(await page.inputValue("#activation")).toBe("sigmoid");
  expect(await page.inputValue("#loss")).toBe("mse");
  expect(await page.inputValue("#optimizer")).toBe("sgd");
  await page.waitForFunction(() => document.querySelector("#equations")?.textContent !== "");
  expect(await page.textContent("#equations")).toBe("h1 = σ(W1·x + b1),   h2 = σ(W2·h1 + b2),   ŷ = σ(W3·h2 + b3),   L = mean((ŷ − y)²)");

  await page.waitForFunction(() => window.playground.framesDrawn > 0);
  await page.click("#play");
  await page.waitForFunction(() => (window.playground.testAccuracy ?? 0) > 0.9, undefined, { timeout: 45_000, polling: 100 });
  // Measure over two more seconds of training.
  await page.waitForTimeout(2100);
  const running = await page.evaluate(() => ({ ...window.playground }));
  await page.click("#play"); // pause
  await page.waitForFunction(() => !window.playground.running);
  expect(running.testAccuracy).toBeGreaterThan(0.9);
  expect(running.fps).toBeGreaterThan(0);
  expect(running.stepsPerSecond).toBeGreaterThan(0);
  // The status line shows the same figures the stats object holds.
  expect(await page.textContent("#stat-test-acc")).toMatch(/^\d+\.\d%$/);

  // Click W1[2,1] (input 1 → first hidden unit 2): the panel shows the chain.
  await page.locator('#network line[data-layer="0"][data-row="2"][data-col="1"]').dispatchEvent("click");
  await page.waitForSelector('#chain[data-param="W1[2,1]"] .product');
  const equation = await page.textContent("#chain .equation");
  expect(equation).toBe("∂L/∂W1[2,1] = ∂L/∂ŷ · ∂ŷ/∂h2 · ∂h2/∂h1 · ∂h1/∂W1[2,1]");
  expect(await page.locator("#chain .factor").count()).toBe(4);
  const product = Number(await page.getAttribute("#chain .product", "data-value"));
  const shownBackward = Number(await page.getAttribute("#chain .backward", "data-value"));
  const x = JSON.parse((await page.getAttribute("#chain", "data-x"))!) as number[];
  const label = Number(await page.getAttribute("#chain", "data-label"));
  expect(await page.textContent("#chain .ok")).toContain("equal");
  expect(Math.abs(product)).toBeGreaterThan(0);

  // A real mouse click on a neuron explains its bias.
  await page.click('#network circle[data-layer="1"][data-row="0"]');
  await page.waitForSelector('#chain[data-param="b2[0]"] .ok');
  expect(await page.textContent("#chain .equation")).toBe("∂L/∂b2[0] = ∂L/∂ŷ · ∂ŷ/∂h2 · ∂h2/∂b2[0]");

  // Export: two downloads.
  const downloads: Record<string, string> = {};
  const runDir = join(work, "run");
  mkdirSync(runDir);
  const waitTwo = new Promise<void>((done) => {
    page.on("download", async (d) => {
      const file = join(runDir, d.suggestedFilename());
      await d.saveAs(file);
      downloads[d.suggestedFilename()] = file;
      if (Object.keys(downloads).length === 2) done();
    });
  });
  await page.click("#export");
  await waitTwo;
  expect(Object.keys(downloads).sort()).toEqual(["config.json", "model.safetensors"]);

  // The gradient of the same example's loss w.r.t. W1[2,1], computed here by the library from the exported weights.
  const sd = bp.deserialize(new Uint8Array(readFileSync(downloads["model.safetensors"])));
  expect(Object.keys(sd).sort()).toEqual(["0.bias", "0.weight", "2.bias", "2.weight", "4.bias", "4.weight"]);
  for (const t of Object.values(sd)) t.requiresGrad = true;
  const h1 = bp.tensor([x]).matmul(sd["0.weight"].T).add(sd["0.bias"]).sigmoid();
  const h2 = h1.matmul(sd["2.weight"].T).add(sd["2.bias"]).sigmoid();
  const yHat = h2.matmul(sd["4.weight"].T).add(sd["4.bias"]).sigmoid();
  const oneHot = bp.tensor([[label === 0 ? 1 : 0, label === 1 ? 1 : 0]]);
  bp.F.mseLoss(yHat, oneHot).backward();
  const expected = (sd["0.weight"].grad!.toArray() as number[][])[2][1];
  const tolerance = 1e-4 * Math.max(Math.abs(expected), 1e-6);
  expect(Math.abs(product - expected)).toBeLessThanOrEqual(tolerance);
  expect(Math.abs(shownBackward - expected)).toBeLessThanOrEqual(tolerance);

  // `backprop predict` reads the exported run directory.
  const config = JSON.parse(readFileSync(downloads["config.json"], "utf8"));
  expect(config.architecture).toEqual({ inputs: 2, hidden: [8, 8], outputs: 2, activation: "sigmoid", outputActivation: "sigmoid" });
  const points = join(work, "points.csv");
  writeFileSync(points, "x1,x2\n0,0\n0.2,-0.3\n2.8,0.4\n-0.5,-2.7\n");
  const predicted = execFileSync(process.execPath, [join(repo, "dist", "cli", "main.js"), "predict", "--model", runDir, points], { encoding: "utf8" });
  const rows = predicted.trim().split("\n").slice(1).map((line) => Number(line.split(",")[0]));
  expect(rows).toEqual([1, 1, 0, 0]); // inside the disc: class 1; on the ring: class 0

  // The computation graph of one step.
  await page.click("#graph-refresh");
  await page.waitForSelector("#graph .graph-node");
  const ops = await page.$$eval("#graph .graph-node", (nodes) => nodes.map((n) => (n as SVGGElement).dataset.op));
  expect(ops).toEqual(expect.arrayContaining(["linear", "sigmoid", "0.weight", "4.bias"]));

  // The network view shows gradients on request: the line for W1[2,1] then carries the last step's gradient.
  const line = '#network line[data-layer="0"][data-row="2"][data-col="1"]';
  const value = Number(await page.getAttribute(line, "data-value"));
  expect(value).toBeCloseTo((sd["0.weight"].toArray() as number[][])[2][1], 6);
  await page.check("#show-grads");
  const gradient = Number(await page.getAttribute(line, "data-value"));
  expect(gradient).not.toBe(value);
  expect(Math.abs(gradient)).toBeLessThan(1); // a late-training gradient, not a weight
  await page.uncheck("#show-grads");

  mkdirSync(artifacts, { recursive: true });
  const screenshot = join(artifacts, "playground.png");
  await page.screenshot({ path: screenshot, fullPage: true });
  const metrics = {
    fps: running.fps, animationFps: running.animationFps, stepsPerSecond: running.stepsPerSecond, steps: running.steps, testAccuracy: running.testAccuracy,
    workerFrameMs: running.workerFrameMs, drawMs: running.drawMs, loadAverage: loadavg()[0], cpus: cpus().length, screenshot,
  };
  writeFileSync(join(artifacts, "playground-metrics.json"), JSON.stringify(metrics, null, 2) + "\n");
  console.log(`playground: ${metrics.fps.toFixed(1)} frames/s (browser animation frames ${metrics.animationFps.toFixed(1)}/s), ${metrics.stepsPerSecond.toFixed(0)} steps/s, test accuracy ${(metrics.testAccuracy! * 100).toFixed(1)}% after ${metrics.steps} steps; worker frame ${metrics.workerFrameMs.toFixed(1)} ms, draw ${metrics.drawMs.toFixed(1)} ms; load average ${metrics.loadAverage.toFixed(1)} on ${metrics.cpus} cores; screenshot ${screenshot}`);

  expect(consoleErrors).toEqual([]);
}, 90_000);

test("trains on the bundled digits, inflated in the browser, with the WebAssembly backend", async () => {
  await page.selectOption("#backend", "wasm");
  await page.waitForFunction(() => window.playground.backend === "wasm", undefined, { timeout: 20_000 });
  expect(await page.textContent("#stat-backend")).toBe("wasm");
  await page.selectOption("#dataset", "digits");
  await page.selectOption("#loss", "cross-entropy");
  await page.selectOption("#optimizer", "adam");
  await page.fill("#lr", "0.01");
  await page.fill("#hidden", "16");
  await page.press("#hidden", "Tab");
  await page.waitForFunction(() => document.querySelectorAll("#network circle").length === 64 + 16 + 10);
  expect(await page.textContent("#data-title")).toBe("Test digits and the network's guesses");
  await page.click("#play");
  await page.waitForFunction(() => (window.playground.testAccuracy ?? 0) > 0.8, undefined, { timeout: 30_000, polling: 200 });
  await page.click("#play");
  expect(await page.textContent("#config-error")).toBe("");
  expect(consoleErrors).toEqual([]);
}, 60_000);
