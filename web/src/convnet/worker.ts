/// <reference lib="webworker" />
/**
 * The convnet mode's Web Worker: the library and the training loop live
 * here, off the page's thread, as for the MLP's worker.
 */
import type { FromConvnet, ToConvnet } from "./protocol.js";
import { ConvnetSession } from "./session.js";
import { serveSession } from "../worker/serve.js";

const scope = self as unknown as DedicatedWorkerGlobalScope;
serveSession<ToConvnet>(scope, new ConvnetSession((message: FromConvnet) => scope.postMessage(message)));
