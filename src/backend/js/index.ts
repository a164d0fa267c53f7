/** The reference backend: plain TypeScript loops on typed arrays. */
import type { Backend } from "../backend.js";
import { binary, copyStrided, unary, where } from "./elementwise.js";
import { gather, indexAdd, indexSelect, scatterAdd } from "./indexing.js";
import { matmul } from "./matmul.js";
import { reduce, softmax } from "./reduce.js";

export const jsBackend: Backend = {
  name: "js",
  numThreads: () => 1,
  unary, binary, where, copyStrided, reduce, softmax, matmul, gather, scatterAdd, indexSelect, indexAdd,
};
