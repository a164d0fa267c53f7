/// <reference lib="webworker" />
/**
 * How a training worker runs its session (a SliceLoop, sliceLoop.ts): the
 * page's messages go to it, and while it is training, one time slice runs
 * after another. Between
 * slices it yields to the event loop (a MessageChannel round trip, which
 * browsers do not throttle the way they throttle nested setTimeout) so the
 * page's messages get through. Used by worker.ts, ../convnet/worker.ts and ../recurrent/worker.ts.
 */
export interface SlicedSession<In> {
  handle(message: In): void;
  /** Trains one slice (and posts a frame). */
  tick(): unknown;
  readonly isRunning: boolean;
}

/** The two ends of the wake-up channel (a test passes a fake, to deliver wake-ups itself). */
export interface WakeUpChannel {
  port1: { onmessage: ((event: MessageEvent) => void) | null };
  port2: { postMessage(message: null): void };
}

export function serveSession<In>(scope: Pick<DedicatedWorkerGlobalScope, "onmessage">, session: SlicedSession<In>, channel: WakeUpChannel = new MessageChannel()): void {
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
  scope.onmessage = (event: MessageEvent<In>) => {
    session.handle(event.data);
    schedule();
  };
}
