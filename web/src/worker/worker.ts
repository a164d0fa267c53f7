/// <reference lib="webworker" />
/**
 * The Web Worker entry: trains off the main thread so the page never
 * freezes, in time slices between the page's messages (serve.ts).
 */
import type { FromWorker, ToWorker } from "../protocol.js";
import { Session } from "./session.js";
import { serveSession } from "./serve.js";

const scope = self as unknown as DedicatedWorkerGlobalScope;
serveSession<ToWorker>(scope, new Session((message: FromWorker, transfer?: Transferable[]) => scope.postMessage(message, transfer ?? [])));
