/**
 * Files the CLI writes and reads. Every write is atomic (io's
 * writeFileAtomic: temporary file, flush, rename), so a crash leaves either
 * the old file or the new one, never half of one.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { writeFileAtomic } from "../io/node-file-system.js";
import { CliDataError } from "./errors.js";

export function atomicWrite(file: string, data: Uint8Array | string): void {
  writeFileAtomic(file, typeof data === "string" ? new TextEncoder().encode(data) : data, "save");
}

/**
 * Kernel pseudo-filesystems: nothing written there is a file, and Node's
 * recursive mkdir spins forever under /proc (it never gets a clear error).
 */
const PSEUDO_FILESYSTEMS = ["/proc", "/sys", "/dev"];

/**
 * Checks an output directory without creating anything, before any work:
 * not inside a pseudo-filesystem, and the nearest existing folder on its
 * path is a folder we may write into (or the directory itself, writable).
 */
export function checkOutputDir(dir: string, flag: string): void {
  const absolute = path.resolve(dir);
  const pseudo = PSEUDO_FILESYSTEMS.find((p) => absolute === p || absolute.startsWith(p + path.sep));
  if (pseudo) throw new CliDataError(`${flag} ${dir}: the output directory cannot be written (${pseudo} is a kernel pseudo-filesystem, not a place for files); choose another with ${flag} DIR`);
  let existing = absolute;
  while (!fs.existsSync(existing)) {
    const parent = path.dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  let stat: fs.Stats;
  try {
    stat = fs.statSync(existing);
  } catch (err) {
    throw new CliDataError(`${flag} ${dir}: the output directory cannot be written (cannot look at ${existing}: ${(err as Error).message}); choose another with ${flag} DIR`);
  }
  if (!stat.isDirectory()) throw new CliDataError(`${flag} ${dir}: the output directory cannot be written (${existing} is a file, not a directory); choose another with ${flag} DIR`);
  try {
    fs.accessSync(existing, fs.constants.W_OK | fs.constants.X_OK);
  } catch {
    throw new CliDataError(`${flag} ${dir}: the output directory cannot be written (permission denied${existing === absolute ? "" : ` in ${existing}`}); choose another with ${flag} DIR`);
  }
}

/** Creates the directory if needed and proves it writable before any training time is spent. */
export function ensureWritableDir(dir: string): void {
  checkOutputDir(dir, "--out");
  try {
    makeDirs(path.resolve(dir));
    const probe = path.join(dir, `.write-test.${process.pid}`);
    fs.writeFileSync(probe, "");
    fs.rmSync(probe);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "EACCES" || code === "EPERM" ? "permission denied" : code === "EEXIST" || code === "ENOTDIR" ? "a file with that name is in the way" : (err as Error).message;
    throw new CliDataError(`--out ${dir}: the output directory cannot be written (${why}); choose another with --out DIR`);
  }
}

/** mkdir -p one level at a time, so that every failure surfaces as an error (never a loop). */
function makeDirs(absolute: string): void {
  if (fs.existsSync(absolute)) return;
  const parent = path.dirname(absolute);
  if (parent !== absolute) makeDirs(parent);
  try {
    fs.mkdirSync(absolute);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
}

/** The file that marks a run directory as in use by a training process (it holds the PID). */
export const LOCK_FILE = "train.lock";

export interface RunLock {
  file: string;
  release(): void;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, owned by someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the run directory's lock so that two trainings cannot write into
 * the same directory. A lock held by a live process is refused, naming the
 * file and the PID; one left by a killed process is taken over with a notice.
 * Returns null when the directory does not exist yet (unless createDir).
 */
export function acquireRunLock(dir: string, notice: { write(text: string): unknown }, options: { createDir: boolean }): RunLock | null {
  if (!fs.existsSync(dir)) {
    if (!options.createDir) return null;
    ensureWritableDir(dir);
  }
  const file = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: "wx" });
      return lockHandle(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw new CliDataError(`${dir}: cannot create the lock file ${file} (${(err as Error).message})`);
    }
    let text = "";
    try {
      text = fs.readFileSync(file, "utf8");
    } catch {
      continue; // removed meanwhile: try again
    }
    const pid = Number.parseInt(text.trim(), 10);
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
      throw new CliDataError(`${dir}: another training (PID ${pid}) is using this run directory (lock file ${file}); wait for it to finish or stop it, or choose another --out`);
    }
    if (pid !== process.pid) notice.write(`note: taking over the stale lock ${file} (${Number.isSafeInteger(pid) && pid > 0 ? `PID ${pid} is no longer running` : "it names no PID"})\n`);
    fs.rmSync(file, { force: true });
  }
  throw new CliDataError(`${dir}: cannot take the lock file ${file}: other processes keep creating it`);
}

function lockHandle(file: string): RunLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off("exit", release);
    try {
      // Only our own lock: a takeover by another process is not ours to remove.
      if (fs.readFileSync(file, "utf8").trim() === String(process.pid)) fs.rmSync(file, { force: true });
    } catch {
      // already gone
    }
  };
  process.on("exit", release);
  return { file, release };
}

/** Reads a file the user named, with a one-line error for a missing file, a directory, or an empty file. */
export function readUserFile(file: string, what: string): Buffer {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new CliDataError(`${what} ${file}: no such file`);
  }
  if (stat.isDirectory()) throw new CliDataError(`${what} ${file}: is a directory, expected a file`);
  const bytes = fs.readFileSync(file);
  if (bytes.length === 0) throw new CliDataError(`${what} ${file}: the file is empty`);
  return bytes;
}

/** Parses a JSON file the CLI wrote, naming the file when it is missing or damaged. */
export function readJsonFile(file: string, what: string): unknown {
  const text = readUserFile(file, what).toString("utf8");
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliDataError(`${what} ${file}: not valid JSON (${(err as Error).message}); the file is damaged, retrain or restore it`);
  }
}
