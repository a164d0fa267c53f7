/** Entry point of the WebAssembly kernels (compiled by scripts/build-wasm.mjs). */
export { bPieceEnd, bPieces, gemm, gemmChunks, packBytes, packedBBytes, packUnits } from "./gemm";
export { binaryF32, binaryRowsF32, unaryF32, dataEnd } from "./elementwise";
export { sumF32 } from "./reduce";
export { erfTable, erfTableLength, fastErfRows, fastErfTable } from "./gelu";
export { adamF32 } from "./optim";
export { col2imF32, im2colF32 } from "./conv";
export { batchNormApplyF32, batchNormBackwardF32, batchNormStatsF32 } from "./batch-norm";
export { layerNormBackwardF32, layerNormForwardF32 } from "./layer-norm";
export { logSoftmaxOutF32, rowShiftSumsF32, softmaxF32 } from "./softmax";
export { copyStridedF32 } from "./copy";
export { attentionScoresF32, softmaxBackwardF32 } from "./attention";
