/// <reference lib="webworker" />
/** The recurrent mode's Web Worker: trains between messages, yielding through a MessageChannel (see ../worker/worker.ts). */
import type { FromRecurrentWorker, ToRecurrentWorker } from "./protocol.js";
import { RecurrentSession } from "./session.js";

const scope = self as unknown as DedicatedWorkerGlobalScope;
const session = new RecurrentSession((message: FromRecurrentWorker) => scope.postMessage(message));

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

scope.onmessage = (event: MessageEvent<ToRecurrentWorker>) => {
  session.handle(event.data);
  schedule();
};
