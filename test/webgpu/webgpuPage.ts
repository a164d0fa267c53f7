/**
 * The WebGPU end-to-end tests' browser: builds one of fixtures/*-page with
 * Vite into a scratch folder, serves it from 127.0.0.1 (a secure context,
 * as WebGPU requires) and opens it in Debian's Chromium, headless; returns
 * what the page's `window.report` promise resolves to, and the console
 * errors and warnings it printed.
 *
 * Flags (found by trying, Chromium 156, on this machine without a GPU):
 * - --enable-unsafe-webgpu is what gives an adapter at all: without it
 *   navigator.gpu.requestAdapter() resolves to null here; with it Chromium
 *   offers SwiftShader, its software Vulkan device, through Dawn (vendor
 *   "google", architecture "swiftshader", a fallback adapter). Kernels and
 *   mapAsync reads need nothing more; --disable-gpu does not prevent it.
 * - --use-angle=swiftshader --enable-features=Vulkan --use-vulkan=swiftshader
 *   (all three) are what the synchronous canvas read
 *   (src/backend/webgpu/sync-read.ts) needs: without them, drawing a WebGPU
 *   canvas onto a 2D canvas returns zeros and the device is lost ("Device
 *   was destroyed"); any two of the three are not enough.
 * SwiftShader says nothing about speed on a real GPU; the tests only check
 * results.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import { build } from "vite";
import { serveFolder } from "../web/staticServer.js";

const CHROMIUM = "/usr/bin/chromium";
export const ADAPTER_FLAGS = ["--enable-unsafe-webgpu"];
export const SYNC_READ_FLAGS = ["--use-angle=swiftshader", "--enable-features=Vulkan", "--use-vulkan=swiftshader"];

export interface PageRun<T> { report: T; consoleProblems: string[] }

/** The repository's data/ folder, which a page may ask to have served next to it (the digits). */
export const DATA_DIR = resolve(import.meta.dirname, "../../data");

/** Builds fixtures/`fixture`, opens it with `flags` and waits for its report (an `{ error }` report throws). */
export async function runWebGpuPage<T>(fixture: string, flags: readonly string[], options: { publicDir?: string } = {}): Promise<PageRun<T>> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does`);
  const work = mkdtempSync(join(tmpdir(), `webgpu-${fixture}-`));
  const outDir = join(work, "site");
  try {
    await build({ configFile: false, root: resolve(import.meta.dirname, "fixtures", fixture), publicDir: options.publicDir ?? false, logLevel: "warn", build: { outDir, emptyOutDir: true, target: "es2022", chunkSizeWarningLimit: 8192 } }); // the suites page bundles the golden fixtures (about 1 MB)
    const server = await serveFolder(outDir);
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--no-first-run", ...flags] });
    try {
      const page = await browser.newPage();
      const consoleProblems: string[] = [];
      page.on("pageerror", (e) => consoleProblems.push(String(e)));
      page.on("console", (m) => {
        if (m.type() === "error" || m.type() === "warning") consoleProblems.push(m.text());
      });
      await page.goto(server.url);
      await page.waitForFunction(() => "report" in window, undefined, { timeout: 120_000 });
      const report = await page.evaluate(() => (window as unknown as { report: Promise<unknown> }).report);
      if (report !== null && typeof report === "object" && "error" in report) throw new Error(`the page failed: ${String(report.error)}`);
      return { report: report as T, consoleProblems };
    } finally {
      await browser.close();
      await server.close();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
