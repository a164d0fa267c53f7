/// <reference lib="webworker" />
/**
 * A worker's training loop, shared by the playground's workers: the page's
 * messages go to the session, and while it is running it trains a slice at
 * a time. Between slices it yields to the event loop through a
 * MessageChannel round trip (which browsers do not throttle the way they
 * throttle nested setTimeout), so the page's messages get through.
 */
export interface SlicedSession<M> {
  readonly isRunning: boolean;
  handle(message: M): void;
  /** Trains one slice (and reports it). */
  tick(): unknown;
}

export function serveSession<M>(scope: DedicatedWorkerGlobalScope, session: SlicedSession<M>): void {
  const channel = new MessageChannel();
  let scheduled = false;
  const schedule = () => {
    if (scheduled || !session.isRunning) return;
    scheduled = true;
    channel.port2.postMessage(null);
  };
  channel.port1.onmessage = () => {
    scheduled = false;
    session.tick();
    schedule();
  };
  scope.onmessage = (event: MessageEvent<M>) => {
    session.handle(event.data);
    schedule();
  };
}
