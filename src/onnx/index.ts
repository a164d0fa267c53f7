/** ONNX export: a traced module as an ONNX model (opset 17), as bytes anywhere or as a file in Node. */
export { exportModel } from "./export.js";
export type { ExportOptions } from "./export.js";
export { saveModel } from "./save.js";
