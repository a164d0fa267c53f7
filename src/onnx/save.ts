/** bp.onnx.saveModel: exportModel written to a file (Node only, through src/io's atomic writer). */
import { writeFileAtomic } from "../io/file.js";
import type { Module } from "../nn/module.js";
import type { Tensor } from "../tensor/tensor.js";
import { exportModel, type ExportOptions } from "./export.js";

/** Exports `module` traced on `exampleInputs` and writes the ONNX bytes to `file` atomically; returns the byte count. */
export function saveModel(module: Module, exampleInputs: Tensor | readonly Tensor[], file: string, options: ExportOptions = {}): number {
  const bytes = exportModel(module, exampleInputs, options);
  writeFileAtomic(file, bytes, "onnx.saveModel");
  return bytes.length;
}
