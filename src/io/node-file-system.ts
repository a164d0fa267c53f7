/**
 * Node's file system for the file helpers (src/io/file-system.ts): the one
 * module of the library that imports Node built-ins to touch files. Node's
 * entry (src/index.node.ts) and the CLI import it, which provides it; the
 * browser entry never does.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { DataError } from "../errors.js";
import { provideFileSystem, type FileSystem } from "./file-system.js";

/** Makes temporary names unique within this process (the pid separates processes). */
let tempCounter = 0;

/**
 * Writes `bytes` to `file` atomically: they go to a temporary file in the
 * same folder, are flushed to disk, and the temporary file is renamed over
 * `file`. A crash leaves either the old file or the new one, never half of
 * one; a failure removes the temporary file and throws a DataError.
 */
/**
 * Fault injection for tests: BACKPROP_TEST_FAIL_WRITE=N makes the Nth
 * atomic write of this process fail as a full disk would (ENOSPC), after
 * part of the data went to the temporary file.
 */
const FAIL_WRITE = Number(process.env.BACKPROP_TEST_FAIL_WRITE ?? 0);
let writeCount = 0;

export function writeFileAtomic(file: string, bytes: Uint8Array, op = "writeFileAtomic"): void {
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir)) throw new DataError(`${op}: ${file}: the folder ${dir} does not exist; create it first`);
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${(tempCounter++).toString(36)}.tmp`);
  let fd: number | null = null;
  try {
    fd = fs.openSync(temp, "wx");
    let written = 0;
    if (FAIL_WRITE > 0 && ++writeCount === FAIL_WRITE) {
      fs.writeSync(fd, bytes, 0, bytes.length >> 1);
      throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    }
    while (written < bytes.length) written += fs.writeSync(fd, bytes, written, bytes.length - written);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    fs.renameSync(temp, file);
  } catch (e) {
    if (fd !== null) fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    const full = (e as NodeJS.ErrnoException).code === "ENOSPC" ? "; the disk is full: free some space (the file's previous version, if any, is kept)" : "";
    throw new DataError(`${op}: ${file}: could not write the file (${(e as Error).message})${full}`);
  }
  syncFolder(dir);
}

/** Makes the rename itself durable; some systems cannot open folders, which is harmless. */
function syncFolder(dir: string): void {
  let fd: number | null = null;
  try {
    fd = fs.openSync(dir, "r");
    fs.fsyncSync(fd);
  } catch {
    // best effort only
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

function readFile(file: string | URL, op: string, name: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a folder, not a file" : (e as Error).message;
    throw new DataError(`${op}: ${name}: cannot read it (${why})`);
  }
}

function isKind(file: string, kind: "isFile" | "isDirectory"): boolean {
  try {
    return fs.statSync(file)[kind]();
  } catch {
    return false;
  }
}

export const nodeFileSystem: FileSystem = {
  readFile,
  writeFileAtomic,
  gunzip: (bytes) => gunzipSync(bytes),
  isFile: (file) => isKind(file, "isFile"),
  isDirectory: (dir) => isKind(dir, "isDirectory"),
  joinPath: (dir, name) => path.join(dir, name),
  urlToPath: (url) => fileURLToPath(url),
};

provideFileSystem(nodeFileSystem);
