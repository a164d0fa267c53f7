/** A trained model read back from its run directory: config.json plus model.safetensors. */
import * as fs from "node:fs";
import * as path from "node:path";
import { loadWithMetadata } from "../io/index.js";
import type { Sequential } from "../nn/index.js";
import { CliDataError } from "./errors.js";
import { buildNetwork } from "./model.js";
import type { FloatDType } from "./options.js";
import { MODEL_FILE, parameterCount, readConfig, type RunConfig } from "./run-config.js";

export interface SavedModel {
  config: RunConfig;
  net: Sequential;
}

export function loadSavedModel(dir: string, flag: string, dtype?: FloatDType): SavedModel {
  const config = readConfig(dir, flag);
  const file = path.join(dir, MODEL_FILE);
  if (!fs.existsSync(file)) throw new CliDataError(`${flag} ${dir}: no ${MODEL_FILE} there; the run saved no model yet`);
  const { tensors } = loadWithMetadata(file);
  const stored = Object.values(tensors).reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
  const needed = parameterCount(config.architecture);
  // Checked before building: a damaged config.json must not make us allocate layers far larger than the file
  // could fill. A smaller mismatch is built and reported name by name by loadStateDict below.
  if (needed > 4 * stored + 1_000_000) throw new CliDataError(`${file}: holds ${stored} parameter values, but the architecture in config.json needs ${needed}; the two files do not belong together`);
  const net = buildNetwork(config.architecture, dtype ?? config.options.dtype);
  try {
    net.loadStateDict(tensors);
  } catch (err) {
    throw new CliDataError(`${file}: does not fit the architecture in config.json (${(err as Error).message.replace(/\s*\n\s*/g, "; ")})`);
  }
  return { config, net };
}
