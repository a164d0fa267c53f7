/**
 * The end-to-end tests' browser: builds the playground with Vite into a
 * scratch folder, serves it, and opens it in Debian's Chromium (headless,
 * a fresh profile, flags that keep it quiet and offline), collecting
 * console errors and uncaught exceptions for the tests to assert on.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { build } from "vite";
import { serveFolder } from "./staticServer.js";

export const CHROMIUM = "/usr/bin/chromium";
export const REPO = resolve(import.meta.dirname, "../..");

export interface PlaygroundPage {
  context: BrowserContext;
  page: Page;
  /** The built site. */
  site: string;
  consoleErrors: string[];
  close(): Promise<void>;
}

/** Builds the page into `work`/site and opens it; `work` must be an empty scratch folder. */
export async function openPlayground(work: string, options: { acceptDownloads?: boolean } = {}): Promise<PlaygroundPage> {
  if (!existsSync(join(REPO, "dist", "index.js"))) throw new Error("dist/index.js is missing: run `npm run build` first (npm test does)");
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does`);
  const site = join(work, "site");
  await build({ configFile: join(REPO, "web", "vite.config.ts"), logLevel: "warn", build: { outDir: site, emptyOutDir: true } });
  const server = await serveFolder(site);
  const context = await chromium.launchPersistentContext(join(work, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    acceptDownloads: options.acceptDownloads ?? false,
    viewport: { width: 1280, height: 1100 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleErrors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  await page.goto(server.url);
  return {
    context, page, site, consoleErrors,
    close: async () => {
      await context.close();
      await server.close();
    },
  };
}
