/** Files: state dicts in the safetensors format, as bytes (anywhere) or files (Node). */
export { serialize, deserialize, readSafetensors } from "./safetensors.js";
export type { StateDict, Metadata, SafetensorsContents } from "./safetensors.js";
export { save, load, loadWithMetadata, writeFileAtomic } from "./file.js";
