/** A trained model read back from its run directory: config.json plus model.safetensors. */
import * as fs from "node:fs";
import * as path from "node:path";
import { loadWithMetadata } from "../io/index.js";
import type { Sequential } from "../nn/index.js";
import { CliDataError } from "./errors.js";
import { buildNetwork } from "./model.js";
import type { FloatDType } from "./options.js";
import { MODEL_FILE, readConfig, type RunConfig } from "./run-config.js";

export interface SavedModel {
  config: RunConfig;
  net: Sequential;
}

export function loadSavedModel(dir: string, flag: string, dtype?: FloatDType): SavedModel {
  const config = readConfig(dir, flag);
  const file = path.join(dir, MODEL_FILE);
  if (!fs.existsSync(file)) throw new CliDataError(`${flag} ${dir}: no ${MODEL_FILE} there; the run saved no model yet`);
  const { tensors } = loadWithMetadata(file);
  const net = buildNetwork(config.architecture, dtype ?? config.options.dtype);
  try {
    net.loadStateDict(tensors);
  } catch (err) {
    throw new CliDataError(`${file}: does not fit the architecture in config.json (${(err as Error).message.replace(/\s*\n\s*/g, "; ")})`);
  }
  return { config, net };
}
