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
  writeFileAtomic(file, typeof data === "string" ? new TextEncoder().encode(data) : data, "backprop");
}

/** Creates the directory if needed and proves it writable before any training time is spent. */
export function ensureWritableDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    const probe = path.join(dir, `.write-test.${process.pid}`);
    fs.writeFileSync(probe, "");
    fs.rmSync(probe);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "EACCES" || code === "EPERM" ? "permission denied" : code === "EEXIST" || code === "ENOTDIR" ? "a file with that name is in the way" : (err as Error).message;
    throw new CliDataError(`--out ${dir}: the output directory cannot be written (${why}); choose another with --out DIR`);
  }
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
