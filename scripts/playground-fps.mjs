#!/usr/bin/env node
/**
 * Measures the playground in headless Chromium: builds it with Vite (from
 * the built library, so run `npm run build` first), opens it, clicks a
 * weight so that the chain-rule panel is open (it refreshes once a second
 * while training), starts training the default network, and after a warm-up
 * counts, over a measuring window:
 *
 * - animation frames per second (requestAnimationFrame callbacks),
 * - frames the page drew (a new frame from the worker each),
 * - training steps per second (the step counter's growth).
 *
 * Prints one JSON object with the figures, the machine's load average and
 * its core count (the figures depend on both).
 *
 *   node scripts/playground-fps.mjs [--seconds 10] [--warmup 2] [--mode mlp|recurrent] [--chromium /usr/bin/chromium]
 *
 * --mode recurrent measures the recurrent mode instead (its BPTT panel open).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { build, preview } from "vite";

const repo = resolve(import.meta.dirname, "..");
const { values: args } = parseArgs({
  options: {
    seconds: { type: "string", default: "10" },
    warmup: { type: "string", default: "2" },
    mode: { type: "string", default: "mlp" },
    chromium: { type: "string", default: "/usr/bin/chromium" },
  },
});
const seconds = Number(args.seconds);
const warmup = Number(args.warmup);
if (!(seconds > 0) || !(warmup >= 0)) throw new Error(`playground-fps: --seconds must be > 0 and --warmup ≥ 0, got ${args.seconds} and ${args.warmup}`);
if (args.mode !== "mlp" && args.mode !== "recurrent") throw new Error(`playground-fps: --mode must be mlp or recurrent, got "${args.mode}"`);
if (!existsSync(join(repo, "dist", "index.js"))) throw new Error("playground-fps: dist/index.js is missing; run `npm run build` first");
if (!existsSync(args.chromium)) throw new Error(`playground-fps: no Chromium at ${args.chromium} (pass --chromium PATH)`);

const work = mkdtempSync(join(tmpdir(), "playground-fps-"));
const outDir = join(work, "site");
const configFile = join(repo, "web", "vite.config.ts");
await build({ configFile, logLevel: "warn", build: { outDir, emptyOutDir: true } });
const server = await preview({ configFile, logLevel: "warn", build: { outDir }, preview: { port: 0, host: "127.0.0.1", open: false } });
const url = server.resolvedUrls?.local[0];
const browser = await chromium.launch({
  executablePath: args.chromium,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  const recurrent = args.mode === "recurrent";
  await page.goto(`${url}${recurrent ? "#mode=recurrent" : ""}`);
  let read; // the step counter and frames drawn, from the page's stats object
  if (recurrent) {
    await page.waitForFunction(() => window.playgroundRecurrent?.explanations > 0);
    await page.click("#rnn-play");
    read = () => page.evaluate(() => ({ steps: window.playgroundRecurrent.steps, drawn: window.playgroundRecurrent.framesDrawn }));
  } else {
    await page.waitForFunction(() => window.playground?.framesDrawn > 0);
    // The chain-rule panel open on W1[2,1], as a reader would have it.
    await page.locator('#network line[data-layer="0"][data-row="2"][data-col="1"]').dispatchEvent("click");
    await page.waitForSelector("#chain .product");
    await page.click("#play");
    read = () => page.evaluate(() => ({ steps: window.playground.steps, drawn: window.playground.framesDrawn }));
  }
  await page.waitForTimeout(warmup * 1000);
  const before = await read();
  const animation = await page.evaluate(
    (ms) => new Promise((done) => {
      const start = performance.now();
      let frames = 0;
      const tick = (now) => {
        frames++;
        if (now - start < ms) requestAnimationFrame(tick);
        else done({ frames, ms: now - start });
      };
      requestAnimationFrame(tick);
    }),
    seconds * 1000,
  );
  const after = await read();
  const perSecond = (n) => Math.round((n * 10_000) / animation.ms) / 10;
  const report = {
    mode: args.mode,
    seconds: Math.round(animation.ms) / 1000,
    animationFps: perSecond(animation.frames),
    framesDrawnPerSecond: perSecond(after.drawn - before.drawn),
    stepsPerSecond: perSecond(after.steps - before.steps),
    loadAverage: loadavg().map((v) => Math.round(v * 100) / 100),
    cores: cpus().length,
    chromium: browser.version(),
    pageErrors: errors,
  };
  console.log(JSON.stringify(report, null, 2));
} finally {
  await browser.close();
  await new Promise((done) => server.httpServer.close(done));
  rmSync(work, { recursive: true, force: true });
}
