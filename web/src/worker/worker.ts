/// <reference lib="webworker" />
/**
 * The Web Worker entry: trains off the main thread so the page never
 * freezes. Between training slices it yields to the event loop (a
 * MessageChannel round trip, which browsers do not throttle the way they
 * throttle nested setTimeout) so the page's messages get through.
 */
import type { FromWorker, ToWorker } from "../protocol.js";
import { Session } from "./session.js";

const scope = self as unknown as DedicatedWorkerGlobalScope;
const session = new Session((message: FromWorker, transfer?: Transferable[]) => scope.postMessage(message, transfer ?? []));

const channel = new MessageChannel();
let scheduled = false;

function schedule(): void {
  if (scheduled || !session.isRunning) return;
  scheduled = true;
  channel.port2.postMessage(null);
}

channel.port1.onmessage = () => {
  scheduled = false;
  session.tick();
  schedule();
};

scope.onmessage = (event: MessageEvent<ToWorker>) => {
  session.handle(event.data);
  schedule();
};
