/**
 * The package in a browser app, as a user gets it: a fresh app folder whose
 * node_modules/backpropagation links to this repository (so package.json's
 * `exports` conditions choose the entry, as for an installed package) is
 * built by Vite with no configuration beyond its root and output folder.
 * The build must print no warning (no Node built-in to stub, nothing a
 * bundler has to guess), and the bundle, run in Chromium, must train a tiny
 * network exactly as Node does, load the wasm backend, and answer bp.save
 * with the error that points to bp.serialize.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { build, createLogger, type Logger } from "vite";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { BundleAppReport } from "./fixtures/bundle-app/main.js";
import { STEPS, trainTinyNetwork } from "./fixtures/bundle-app/tiny-network.js";
import { serveFolder } from "./staticServer.js";

const CHROMIUM = "/usr/bin/chromium";
const repo = resolve(import.meta.dirname, "../..");
const work = mkdtempSync(join(tmpdir(), "bundle-app-"));
const app = join(work, "app");
const outDir = join(app, "dist");

/** Everything Vite's logger was asked to print, by level. */
const logged: Record<"info" | "warn" | "error", string[]> = { info: [], warn: [], error: [] };
let browser: Browser;
let report: BundleAppReport;

/** A logger that records what Vite prints (the build's only non-default setting, and not one that changes the build). */
function recordingLogger(): Logger {
  const logger = createLogger("info");
  return {
    ...logger,
    info: (msg) => void logged.info.push(msg),
    warn: (msg) => void logged.warn.push(msg),
    warnOnce: (msg) => void logged.warn.push(msg),
    error: (msg) => void logged.error.push(msg),
  };
}

/**
 * Runs `body` with NODE_ENV=production, as `vite build` sees it from a
 * shell. Vitest sets "test", and Vite keeps a NODE_ENV it finds: it would
 * build for development, which, among other things, does not warn about
 * Node built-ins it stubs for the browser.
 */
async function buildForProduction(body: () => Promise<unknown>): Promise<void> {
  const saved = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    await body();
  } finally {
    if (saved === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = saved;
  }
}

/** `promise`, or an error naming `stage` after `ms`: a stage that hangs says which it was (the hook's own timeout names none). */
function within<T>(stage: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`bundle test: ${stage} took more than ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Chromium, launched with a bounded wait and up to three tries: on a loaded
 * machine (the whole suite runs several browsers at once) a launch has hung
 * until the hook's timeout, once in several full runs.
 */
async function launchChromium(): Promise<Browser> {
  const errors: string[] = [];
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return await chromium.launch({ executablePath: CHROMIUM, headless: true, timeout: 60_000, args: ["--no-sandbox", "--disable-gpu", "--no-first-run"] });
    } catch (e) {
      errors.push(`try ${attempt}: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  throw new Error(`bundle test: Chromium did not start (${errors.join("; ")})`);
}

beforeAll(async () => {
  if (!existsSync(join(repo, "dist", "index.js"))) throw new Error("dist/index.js is missing: run `npm run build` first (npm test does)");
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does`);
  cpSync(join(import.meta.dirname, "fixtures", "bundle-app"), app, { recursive: true });
  mkdirSync(join(app, "node_modules"));
  symlinkSync(repo, join(app, "node_modules", "backpropagation"), "dir");
  await within("Vite's build", 120_000, buildForProduction(() => build({ configFile: false, root: app, customLogger: recordingLogger(), build: { outDir } })));

  // Every stage bounded and named: a hang in a full run (seen once) then says where it was.
  const server = await within("serving the built app", 15_000, serveFolder(outDir));
  browser = await within("Chromium's launch", 200_000, launchChromium());
  try {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    page.on("console", (m) => {
      if (m.type() === "error") pageErrors.push(m.text());
    });
    await within("loading the page", 30_000, page.goto(server.url));
    await within("the page's script", 30_000, page.waitForFunction(() => "report" in window));
    report = await within("the bundled app's report", 60_000, page.evaluate(() => (window as unknown as { report: Promise<BundleAppReport> }).report));
    expect(pageErrors).toEqual([]);
  } finally {
    await server.close();
  }
}, 480_000);

afterAll(async () => {
  await browser?.close();
  rmSync(work, { recursive: true, force: true });
});

test("Vite bundles the package with no configuration and prints no warning", () => {
  expect(logged.warn).toEqual([]);
  expect(logged.error).toEqual([]);
  // It did build (the logger saw the output listing), and the bundle imports no Node built-in.
  expect(logged.info.join("\n")).toMatch(/built in/);
  const scripts = readdirSync(join(outDir, "assets")).filter((f) => f.endsWith(".js"));
  expect(scripts.length).toBeGreaterThan(0);
  for (const f of scripts) expect(readFileSync(join(outDir, "assets", f), "utf8"), f).not.toMatch(/(from|import)\s*\(?\s*["']node:/);
});

test("the browser build picks the browser entry: bp.save throws the error that points to bp.serialize", () => {
  expect(report.saveError).toMatch(/^BackpropError: bp\.save: writing files needs Node; in a browser use bp\.serialize\(stateDict\)/);
  expect(report.roundTrip).toEqual([1, 2, 3]);
});

test("error names survive minification", () => {
  expect(report.shapeError).toMatch(/^ShapeError: matmul: /);
});

test("the bundle trains a tiny network in Chromium, with Node's losses", async () => {
  const inNode = await trainTinyNetwork(await import("backpropagation"));
  expect(report.losses).toHaveLength(STEPS);
  // The same float32 computation on the same JS kernels: equal to float32 rounding.
  for (let i = 0; i < STEPS; i++) expect(report.losses[i], `step ${i}`).toBeCloseTo(inNode[i], 6);
  // …and it learned XOR.
  expect(report.losses[STEPS - 1]).toBeLessThan(report.losses[0] / 20);
});

test("the wasm backend loads from the bundle", () => {
  expect(report.wasmMatmul).toEqual([17, 39]);
});
