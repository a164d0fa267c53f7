/**
 * save / load: safetensors files on disk. The file system comes from Node's
 * entry (src/io/file-system.ts); in a browser these throw an error pointing
 * to serialize / deserialize, which do the same work on bytes.
 */
import { fileSystem } from "./file-system.js";
import { readSafetensors, serialize, type Metadata, type SafetensorsContents, type StateDict } from "./safetensors.js";

const SAVE_IN_A_BROWSER = "use bp.serialize(stateDict) and download or store the bytes";
const LOAD_IN_A_BROWSER = "use bp.deserialize(bytes) on the bytes of a fetched or uploaded file";

/** Writes a state dict to `file` in the safetensors format, atomically (see writeFileAtomic). */
export function save(stateDict: StateDict, file: string, metadata?: Metadata | null): void {
  const fs = fileSystem("bp.save", "writing files", SAVE_IN_A_BROWSER);
  fs.writeFileAtomic(file, serialize(stateDict, metadata), "save");
}

/**
 * Writes `bytes` to `file` atomically: they go to a temporary file in the
 * same folder, are flushed to disk, and the temporary file is renamed over
 * `file`. A crash leaves either the old file or the new one, never half of
 * one; a failure removes the temporary file and throws a DataError.
 */
export function writeFileAtomic(file: string, bytes: Uint8Array, op = "writeFileAtomic"): void {
  fileSystem(op, "writing files", "offer the bytes as a download or store them (IndexedDB, the Origin Private File System)").writeFileAtomic(file, bytes, op);
}

/** Reads a safetensors file into a state dict (name → Tensor). */
export function load(file: string): StateDict {
  return readSafetensors(readLoadFile(file, "bp.load"), `load: ${file}`).tensors;
}

/** Reads a safetensors file: its tensors and its "__metadata__" (null when absent). */
export function loadWithMetadata(file: string): SafetensorsContents {
  return readSafetensors(readLoadFile(file, "loadWithMetadata"), `load: ${file}`);
}

function readLoadFile(file: string, name: string): Uint8Array {
  return fileSystem(name, "reading files", LOAD_IN_A_BROWSER).readFile(file, "load", file);
}
