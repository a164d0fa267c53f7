/**
 * explain: the chain rule and the computation graph of a recorded forward
 * pass, as plain data and as text/DOT/SVG. No Node.js or terminal code, so
 * the browser playground can use it too.
 */
export { explainChain } from "./chain.js";
export type { ChainLayer, ChainParam, ChainOptions, Factor, FiniteDifferenceCheck, ParamChain } from "./chain.js";
export { recordGraph } from "./graph.js";
export type { Graph, GraphNode, GraphRecorder } from "./graph.js";
export { toDot, toSvg, nodeLines } from "./render.js";
export { summarize, summarizeArray, formatNumber, formatShape, formatSummary, norm } from "./summary.js";
export type { Summary } from "./summary.js";
