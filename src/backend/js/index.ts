/** The reference backend: plain TypeScript loops on typed arrays. */
import type { Backend } from "../backend.js";
import { attentionScores, softmaxBackward } from "./attention.js";
import { batchNormApply, batchNormBackward, batchNormStats } from "./batch-norm.js";
import { binary, copyStrided, unary, where } from "./elementwise.js";
import { gather, indexAdd, indexSelect, scatterAdd } from "./indexing.js";
import { col2im, im2col } from "./im2col.js";
import { layerNormBackward, layerNormForward } from "./layer-norm.js";
import { matmul } from "./matmul.js";
import { maxPoolIndices } from "./pool.js";
import { reduce, softmax } from "./reduce.js";

export const jsBackend: Backend = {
  name: "js",
  numThreads: () => 1,
  unary, binary, where, copyStrided, reduce, softmax, matmul, gather, scatterAdd, indexSelect, indexAdd,
  im2col, col2im, maxPoolIndices,
  batchNormStats, batchNormApply, batchNormBackward,
  layerNormForward, layerNormBackward,
  attentionScores, softmaxBackward,
};
