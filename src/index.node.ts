/**
 * backprop for Node: the whole library of src/index.ts, with the file
 * helpers (bp.save, bp.load, bp.data.readCsv and readIdx, the bundled
 * datasets) given Node's file system. The package's "node" export condition
 * and `backpropagation/node` lead here; the types are src/index.ts's.
 */
import "./io/node-file-system.js";

export * from "./index.js";
