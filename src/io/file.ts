/**
 * save / load: safetensors files on disk (Node only; the only file in
 * src/io/ that touches the file system, so a browser bundle can stub it).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { DataError } from "../errors.js";
import { readSafetensors, serialize, type Metadata, type SafetensorsContents, type StateDict } from "./safetensors.js";

/** Writes a state dict to `file` in the safetensors format, atomically (see writeFileAtomic). */
export function save(stateDict: StateDict, file: string, metadata?: Metadata | null): void {
  writeFileAtomic(file, serialize(stateDict, metadata), "save");
}

/** Makes temporary names unique within this process (the pid separates processes). */
let tempCounter = 0;

/**
 * Fault injection for tests: BACKPROP_TEST_FAIL_WRITE=N makes the Nth
 * atomic write of this process fail as a full disk would (ENOSPC), after
 * part of the data went to the temporary file.
 */
const FAIL_WRITE = Number(process.env.BACKPROP_TEST_FAIL_WRITE ?? 0);
let writeCount = 0;

/**
 * Writes `bytes` to `file` atomically: they go to a temporary file in the
 * same folder, are flushed to disk, and the temporary file is renamed over
 * `file`. A crash leaves either the old file or the new one, never half of
 * one; a failure removes the temporary file and throws a DataError.
 */
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

/** Reads a safetensors file into a state dict (name → Tensor). */
export function load(file: string): StateDict {
  return loadWithMetadata(file).tensors;
}

/** Reads a safetensors file: its tensors and its "__metadata__" (null when absent). */
export function loadWithMetadata(file: string): SafetensorsContents {
  return readSafetensors(readFileBytes(file, "load"), `load: ${file}`);
}

/** A file's bytes, or a DataError "op: name: cannot read it (no such file)" and the like. */
export function readFileBytes(file: string | URL, op: string, name = String(file)): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a folder, not a file" : (e as Error).message;
    throw new DataError(`${op}: ${name}: cannot read it (${why})`);
  }
}
