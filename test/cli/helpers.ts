/**
 * Running the built `backprop` executable as a user would: `node
 * dist/cli/main.js …` in a child process. The build runs once per test run;
 * test files that start at the same time wait on a lock directory instead of
 * compiling the same files concurrently.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const MAIN = path.join(ROOT, "dist/cli/main.js");
const LOCK = path.join(ROOT, "dist", ".cli-test-build.lock");

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

function upToDate(): boolean {
  // tsc rewrites every output, so main.js is as old as the last build (`npm test` builds first).
  return fs.existsSync(MAIN) && fs.statSync(MAIN).mtimeMs >= newestSource(path.join(ROOT, "src"));
}

/** Compiles src/ to dist/ unless dist/ is newer than every source file. */
export async function ensureBuilt(): Promise<void> {
  fs.mkdirSync(path.join(ROOT, "dist"), { recursive: true });
  for (;;) {
    if (upToDate()) return;
    try {
      fs.mkdirSync(LOCK);
    } catch {
      // Another test file is building: wait for it (a lock older than 100 s is stale: its build was killed).
      const lock = fs.statSync(LOCK, { throwIfNoEntry: false });
      if (lock && Date.now() - lock.mtimeMs > 100_000) fs.rmSync(LOCK, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    try {
      // tsc emits even when some other file has a type error; the CLI's own files are what these tests need.
      spawnSync(process.execPath, [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", path.join(ROOT, "tsconfig.build.json")], { cwd: ROOT, stdio: "ignore" });
      if (!fs.existsSync(MAIN)) throw new Error("building dist/ failed: dist/cli/main.js is missing");
      return;
    } finally {
      fs.rmSync(LOCK, { recursive: true, force: true });
    }
  }
}

export interface Result {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `backprop ...args` to completion. */
export function cli(args: string[], options: { cwd?: string; input?: string } = {}): Result {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: options.cwd ?? ROOT, encoding: "utf8", input: options.input, timeout: 120_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `backprop ...args` and resolves when stdout has printed a line matching `pattern`. */
export function startCli(args: string[]): { child: ChildProcess; output: () => string; waitFor: (pattern: RegExp) => Promise<void>; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd: ROOT });
  let out = "";
  let err = "";
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout!.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
    for (const w of [...waiters]) if (w.pattern.test(out)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(); }
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    err += chunk.toString("utf8");
  });
  const exit = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return {
    child,
    output: () => out + err,
    waitFor: (pattern) => new Promise<void>((resolve, reject) => {
      if (pattern.test(out)) return resolve();
      waiters.push({ pattern, resolve });
      exit.then(() => reject(new Error(`backprop exited before printing ${pattern}:\n${out}${err}`)));
    }),
    exit,
  };
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `backprop-cli-${prefix}-`));
}

export function writeFile(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}
