/**
 * Reading data files, through the file system that Node's entry provides
 * (src/io/file-system.ts): in a browser the readers throw, saying what to
 * use instead. Gzip-compressed files are recognised by their magic bytes
 * and decompressed, whatever their name.
 */
import { DataError } from "../errors.js";
import { displayPath, fileSystem, type FileSystem } from "../io/file-system.js";

export { displayPath };

/** How a reader is named in the browser's error, and what a browser app does instead. */
export interface WithoutFiles {
  name: string;
  inBrowser: string;
}

function files(op: string, without: WithoutFiles | undefined): FileSystem {
  return fileSystem(without?.name ?? op, "reading files", without?.inBrowser ?? "fetch the file or take it from a file input, and pass its contents");
}

/** A file's bytes, gunzipped when they are gzip data. `op` names the caller in errors. */
export function readDataFile(file: string | URL, op: string, without?: WithoutFiles): Uint8Array {
  const fs = files(op, without);
  const name = displayPath(file);
  const bytes = fs.readFile(file, op, name);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return fs.gunzip(bytes);
    } catch (e) {
      throw new DataError(`${op}: ${name}: the file starts like gzip data but cannot be decompressed (${(e as Error).message}); is it truncated?`);
    }
  }
  return bytes;
}

/** A file's text (UTF-8, gunzipped when needed, without a byte-order mark). */
export function readTextFile(file: string | URL, op: string, without?: WithoutFiles): string {
  const text = new TextDecoder("utf-8").decode(readDataFile(file, op, without));
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
