/**
 * Builds the playground with Vite, serves it from 127.0.0.1 and opens it in
 * Debian's headless Chromium (playwright-core), collecting console errors
 * from every page of the context.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { build } from "vite";
import { ADAPTER_FLAGS, SYNC_READ_FLAGS } from "../webgpu/webgpuPage.js";
import { serveFolder } from "./staticServer.js";
import type {} from "../../web/src/stats.js"; // declares window.playground
import type {} from "../../web/src/parityStats.js"; // declares window.playgroundParity

export const CHROMIUM = "/usr/bin/chromium";
export const repo = resolve(import.meta.dirname, "../..");

export interface Playground {
  context: BrowserContext;
  url: string;
  consoleErrors: string[];
  /** A new tab at `hash` (e.g. "#dataset=xor"), once the page has drawn its first frame. */
  open(hash?: string): Promise<Page>;
  close(): Promise<void>;
}

/**
 * `webgpu`: Chromium with its software WebGPU adapter and the synchronous
 * GPU read the webgpu backend needs (the flags of ../webgpu/webgpuPage.ts),
 * in place of --disable-gpu, which leaves the adapter but breaks that read.
 */
export async function startPlayground(prefix: string, options: { webgpu?: boolean } = {}): Promise<Playground> {
  if (!existsSync(join(repo, "dist", "index.js"))) throw new Error("dist/index.js is missing: run `npm run build` first (npm test does)");
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does`);
  const work = mkdtempSync(join(tmpdir(), prefix));
  const site = join(work, "site");
  await build({ configFile: join(repo, "web", "vite.config.ts"), logLevel: "warn", build: { outDir: site, emptyOutDir: true } });
  const server = await serveFolder(site);
  const context = await chromium.launchPersistentContext(join(work, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", ...(options.webgpu ? [...ADAPTER_FLAGS, ...SYNC_READ_FLAGS] : ["--disable-gpu"]), "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    viewport: { width: 1280, height: 1300 },
  });
  const consoleErrors: string[] = [];
  const watch = (page: Page) => {
    page.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(m.text());
    });
    page.on("pageerror", (e) => consoleErrors.push(String(e)));
  };
  return {
    context,
    url: server.url,
    consoleErrors,
    async open(hash = "") {
      const page = await context.newPage();
      watch(page);
      await page.goto(server.url + hash);
      await page.waitForFunction(() => window.playground?.framesDrawn > 0);
      return page;
    },
    async close() {
      await context.close();
      await server.close();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** Clicks "step" n times at once and waits until the worker has taken them all. */
export async function steps(page: Page, n: number): Promise<void> {
  const target = (await page.evaluate(() => window.playgroundParity.steps)) + n;
  await page.evaluate((count) => {
    for (let i = 0; i < count; i++) document.querySelector<HTMLButtonElement>("#step")!.click();
  }, n);
  await page.waitForFunction((t) => window.playgroundParity.steps === t, target, { timeout: 60_000 });
}

/** Waits for a fresh network (after a settings change or a reset) to send its first frame. */
export async function freshNetwork(page: Page): Promise<void> {
  await page.waitForFunction(() => window.playgroundParity.steps === 0 && window.playground.framesReceived > 0);
}
