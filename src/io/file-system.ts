/**
 * The file system behind the helpers that read and write files (bp.save,
 * bp.load, bp.data.readCsv and readIdx, the bundled datasets). The main
 * entry imports no Node built-in, so that it bundles for browsers as it is;
 * Node's entry (src/index.node.ts) and the CLI load src/io/node-file-system.ts,
 * which provides one here. Without it, each helper throws an error that
 * names the helper and what a browser app uses instead.
 */
import { BackpropError } from "../errors.js";

export interface FileSystem {
  /** A file's bytes, or a DataError "op: name: cannot read it (no such file)" and the like. */
  readFile(file: string | URL, op: string, name: string): Uint8Array;
  /** Writes `bytes` to `file` so that a crash leaves the old file or the new one, never half of one. */
  writeFileAtomic(file: string, bytes: Uint8Array, op: string): void;
  /** Decompresses gzip data (throws on damaged data). */
  gunzip(bytes: Uint8Array): Uint8Array;
  isFile(file: string): boolean;
  isDirectory(dir: string): boolean;
  /** `dir/name` with the platform's separator. */
  joinPath(dir: string, name: string): string;
  /** A file: URL as a path of this system. */
  urlToPath(url: URL): string;
}

let provided: FileSystem | null = null;

/** Called once, by src/io/node-file-system.ts as it loads. */
export function provideFileSystem(fileSystem: FileSystem): void {
  provided = fileSystem;
}

/**
 * The file system, for the helper `name` (as users call it: "bp.save"),
 * which does `what` ("writing files"); without one, an error that says what
 * to do `inBrowser` instead.
 */
export function fileSystem(name: string, what: string, inBrowser: string): FileSystem {
  if (provided === null) {
    throw new BackpropError(
      `${name}: ${what} needs Node; in a browser ${inBrowser}. (In Node, import "backpropagation" or "backpropagation/node", which have file access; the browser build has none.)`,
    );
  }
  return provided;
}

/** A path or URL for messages: a file: URL as a path where a file system can say, else as written. */
export function displayPath(file: string | URL): string {
  if (typeof file === "string") return file;
  return provided !== null && file.protocol === "file:" ? provided.urlToPath(file) : file.href;
}
