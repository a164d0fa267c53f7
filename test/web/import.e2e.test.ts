/**
 * End to end, in headless Chromium: importing a run into the playground.
 * The pair comes from the playground's own export (the worker's Session,
 * driven in Node): choosing both files in the import control puts the
 * run's settings into the form and the address, and its weights into the
 * network diagram, without training; a run trained on a CSV file and a
 * corrupt safetensors file are refused with their message on the page; a
 * run of `backprop train --data digits` opens with its accuracy.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { DEFAULT_CONFIG, type PlaygroundConfig } from "../../web/src/config.js";
import { trainTestSplit } from "../../web/src/data/dataset.js";
import { SeededRandom } from "../../web/src/data/random.js";
import { makeSynthetic } from "../../web/src/data/synthetic.js";
import type { ExportResult, Frame, FromWorker } from "../../web/src/protocol.js";
import { Session } from "../../web/src/worker/session.js";
import { repo, startPlayground, type Playground } from "./browser.js";
import type {} from "../../web/src/stats.js"; // declares window.playground
import type {} from "../../web/src/parityStats.js"; // declares window.playgroundParity

const artifacts = join(repo, "runs", "web");
let pg: Playground;

beforeAll(async () => {
  pg = await startPlayground("playground-import-");
  mkdirSync(artifacts, { recursive: true });
}, 120_000);

afterAll(async () => {
  await pg?.close();
});

const CONFIG: PlaygroundConfig = {
  ...DEFAULT_CONFIG, dataset: "xor", noise: 0.1, trainFraction: 0.6, batchSize: 5, learningRate: 0.3, activation: "tanh",
  loss: "cross-entropy", optimizer: "momentum", features: ["x", "y", "xy"], hidden: [4, 3], seed: 42,
};

/** Trains CONFIG for 60 steps in the worker's code and exports: the files and the last frame. */
function exportedRun(): { files: { name: string; mimeType: string; buffer: Buffer }[]; frame: Frame; config: Record<string, any> } {
  const inbox: FromWorker[] = [];
  let t = 0;
  const s = new Session((m) => inbox.push(m), () => t++);
  const data = makeSynthetic("xor", { n: CONFIG.samples, noise: CONFIG.noise, seed: CONFIG.seed });
  s.handle({ type: "reset", config: CONFIG, split: trainTestSplit(data, CONFIG.trainFraction, new SeededRandom(CONFIG.seed + 7).permutation(data.length)), generation: 1 });
  for (let i = 0; i < 60; i++) s.handle({ type: "step" });
  const frame = inbox.pop() as Frame;
  s.handle({ type: "export" });
  const out = inbox.pop() as ExportResult;
  return {
    frame,
    config: out.config,
    files: [
      { name: "config.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(out.config, null, 2)) },
      { name: "model.safetensors", mimeType: "application/octet-stream", buffer: Buffer.from(out.safetensors) },
    ],
  };
}

/** Every weight line of the diagram: [layer, row, col, value]. */
function diagramWeights(page: Page): Promise<[number, number, number, number][]> {
  return page.evaluate(() => Array.from(document.querySelectorAll<SVGLineElement>("#network line[data-layer]"), (l) =>
    [Number(l.dataset.layer), Number(l.dataset.row), Number(l.dataset.col), Number(l.dataset.value)] as [number, number, number, number]));
}

test("an exported pair imports: settings in the form and the address, the weights in the diagram, nothing trained", async () => {
  const run = exportedRun();
  const page = await pg.open();
  // A point drawn on the current data: the imported run shows its own data without it.
  await page.click("#boundary", { position: { x: 60, y: 60 } });
  await page.waitForFunction(() => window.playgroundParity.drawnPoints === 1);
  await page.setInputFiles("#import-files", run.files);
  await page.waitForFunction(() => document.querySelector("#import-status")?.textContent?.startsWith("imported"));
  const parameters = 3 * 4 + 4 + 4 * 3 + 3 + 3 * 2 + 2;
  expect(await page.textContent("#import-status")).toBe(`imported ${parameters} parameters from model.safetensors`);
  expect(await page.inputValue("#dataset")).toBe("xor");
  expect(await page.inputValue("#hidden")).toBe("4,3");
  expect(await page.inputValue("#activation")).toBe("tanh");
  expect(await page.inputValue("#optimizer")).toBe("momentum");
  expect(await page.getAttribute("#feature-xy", "aria-pressed")).toBe("true");
  expect(page.url()).toContain("dataset=xor&problem=classification&noise=0.1&train=0.6&batch=5&lr=0.3&activation=tanh&loss=cross-entropy&optimizer=momentum");
  expect(page.url()).toContain("features=x,y,xy&hidden=4,3&seed=42");

  // The diagram shows the file's weights (once the worker's frame after the load is drawn).
  const first = run.frame.weights[0][0];
  await page.waitForFunction((v) => document.querySelector('#network line[data-layer="0"][data-row="0"][data-col="0"]')?.getAttribute("data-value") === String(v), first);
  const lines = await diagramWeights(page);
  const sizes = run.frame.sizes;
  expect(lines).toHaveLength(parameters - 4 - 3 - 2);
  for (const [layer, row, col, value] of lines) expect(value).toBe(run.frame.weights[layer][row * sizes[layer] + col]);
  // Hovering a weight reads the same value.
  await page.locator('#network line[data-layer="1"][data-row="2"][data-col="1"]').dispatchEvent("mousemove", { clientX: 700, clientY: 400 });
  await page.waitForSelector('#weight-tip[data-param="W2[2,1]"]:not([hidden])');
  expect(await page.textContent("#weight-tip")).toMatch(/^W2\[2,1\] = /);

  // Shown, not trained: step 0, and the exported run's training loss on the same data.
  expect(await page.textContent("#stat-steps")).toBe("0");
  expect(await page.evaluate(() => window.playground.running)).toBe(false);
  expect(await page.evaluate(() => window.playgroundParity.trainLoss)).toBeCloseTo(run.frame.trainLoss, 6);
  expect(await page.evaluate(() => ({ ...window.playgroundParity }))).toMatchObject({ drawnPoints: 0, trainSize: run.frame.trainSize });
  expect(await page.textContent("#import-error")).toBe("");
  await page.locator("header").screenshot({ path: join(artifacts, "import-done.png") });

  // Training goes on from the imported weights.
  await page.click("#step");
  await page.waitForFunction(() => window.playgroundParity.steps === 1);
  await page.close();
  expect(pg.consoleErrors).toEqual([]);
}, 120_000);

test("a run on a CSV file and a corrupt safetensors file are refused on the page, and the network stays", async () => {
  const run = exportedRun();
  const page = await pg.open();
  const before = await diagramWeights(page);
  const csvRun = { ...run.config, options: { ...run.config.options, data: "data/x.csv" } };
  await page.setInputFiles("#import-files", [
    { name: "config.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(csvRun)) },
    run.files[1],
  ]);
  await page.waitForFunction(() => document.querySelector("#import-error")?.textContent !== "");
  expect(await page.textContent("#import-error")).toBe(
    "config.json: trained on data/x.csv; the playground can show only its own datasets (circle, xor, gaussians, spiral, sine, reg-plane, reg-gauss) and the bundled digits",
  );
  await page.locator("header").screenshot({ path: join(artifacts, "import-refused.png") });

  await page.setInputFiles("#import-files", [run.files[0], { name: "model.safetensors", mimeType: "application/octet-stream", buffer: run.files[1].buffer.subarray(0, 20) }]);
  await page.waitForFunction(() => document.querySelector("#import-error")?.textContent?.startsWith("model.safetensors"));
  expect(await page.textContent("#import-error")).toContain("model.safetensors");
  await page.setInputFiles("#import-files", [run.files[0]]);
  await page.waitForFunction(() => document.querySelector("#import-error")?.textContent?.startsWith("import: model.safetensors is missing"));
  expect(await page.textContent("#import-status")).toBe("");
  expect(await page.inputValue("#dataset")).toBe("circle");
  expect(await diagramWeights(page)).toEqual(before);
  await page.close();
  expect(pg.consoleErrors).toEqual([]);
}, 60_000);

test("a `backprop train --data digits` run (the committed fixture) dropped on the page opens on its digits with the run's accuracy", async () => {
  const page = await pg.open();
  // Dropped on the page this time (drag and drop).
  const dir = join(repo, "test", "web", "fixtures", "cli-digits-run");
  const files = ["model.safetensors", "config.json"].map((name) => ({ name, bytes: Array.from(readFileSync(join(dir, name))) }));
  await page.evaluate((list) => {
    const transfer = new DataTransfer();
    for (const f of list) transfer.items.add(new File([new Uint8Array(f.bytes)], f.name));
    document.querySelector("#network")!.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, files);
  await page.waitForFunction(() => document.querySelector("#import-status")?.textContent?.startsWith("imported"));
  expect(await page.textContent("#import-status")).toBe(`imported ${64 * 16 + 16 + 16 * 12 + 12 + 12 * 10 + 10} parameters from model.safetensors`);
  expect(await page.inputValue("#dataset")).toBe("digits");
  expect(await page.inputValue("#hidden")).toBe("16,12");
  expect(page.url()).toContain("dataset=digits&problem=classification");
  // The frame after the load: the run's own accuracy (96% on its validation rows) rather than a fresh network's 10%.
  await page.waitForFunction(() => (window.playground.testAccuracy ?? 0) > 0.9);
  expect(await page.textContent("#stat-steps")).toBe("0");
  expect(await page.textContent("#data-title")).toBe("Test digits and the network's guesses");
  await page.close();
  expect(pg.consoleErrors).toEqual([]);
}, 60_000);
