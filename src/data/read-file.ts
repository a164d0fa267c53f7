/**
 * Reading data files from disk (Node only: the one file in src/data/ that
 * touches the file system, so a browser bundle can stub it). Gzip-compressed
 * files are recognised by their magic bytes and decompressed, whatever their
 * name.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { DataError } from "../errors.js";
import { readFileBytes } from "../io/file.js";

/** A file's bytes, gunzipped when they are gzip data. `op` names the caller in errors. */
export function readDataFile(file: string | URL, op: string): Uint8Array {
  const name = displayPath(file);
  const bytes = readFileBytes(file, op, name);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return gunzipSync(bytes);
    } catch (e) {
      throw new DataError(`${op}: ${name}: the file starts like gzip data but cannot be decompressed (${(e as Error).message}); is it truncated?`);
    }
  }
  return bytes;
}

/** A file's text (UTF-8, gunzipped when needed, without a byte-order mark). */
export function readTextFile(file: string | URL, op: string): string {
  const text = new TextDecoder("utf-8").decode(readDataFile(file, op));
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** A path for messages: URLs become file-system paths. */
export function displayPath(file: string | URL): string {
  return typeof file === "string" ? file : fileURLToPath(file);
}

export function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

export function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** `dir/name` with the platform's separator. */
export function joinPath(dir: string, name: string): string {
  return path.join(dir, name);
}
