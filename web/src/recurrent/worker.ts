/// <reference lib="webworker" />
/** The recurrent mode's Web Worker: trains in time slices between the page's messages (../worker/serve.ts). */
import { serveSession } from "../worker/serve.js";
import type { FromRecurrentWorker, ToRecurrentWorker } from "./protocol.js";
import { RecurrentSession } from "./session.js";

const scope = self as unknown as DedicatedWorkerGlobalScope;
serveSession<ToRecurrentWorker>(scope, new RecurrentSession((message: FromRecurrentWorker) => scope.postMessage(message)));
