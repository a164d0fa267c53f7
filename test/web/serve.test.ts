/**
 * How a worker runs its session between the page's messages
 * (web/src/worker/serve.ts), with a fake session, a fake worker scope and
 * a fake wake-up channel whose messages the test delivers one at a time:
 * a message to a running session schedules one tick; each tick schedules
 * the next while the session runs; at most one wake-up is pending, however
 * many messages come; nothing is scheduled while it is paused.
 */
import { expect, test } from "vitest";
import { serveSession, type WakeUpChannel } from "../../web/src/worker/serve.js";

type Message = "play" | "pause" | "ping";

/** Runs from "play" to "pause", or until `ticksLeft` runs out (as a failure would stop it). */
class FakeSession {
  isRunning = false;
  ticks = 0;
  handled: Message[] = [];

  constructor(private ticksLeft = Number.POSITIVE_INFINITY) {}

  handle(message: Message): void {
    this.handled.push(message);
    if (message === "play") this.isRunning = true;
    if (message === "pause") this.isRunning = false;
  }

  tick(): void {
    if (!this.isRunning) return;
    this.ticks++;
    if (--this.ticksLeft === 0) this.isRunning = false;
  }
}

function serve(session: FakeSession) {
  const scope: { onmessage: ((event: MessageEvent<Message>) => void) | null } = { onmessage: null };
  let pending = 0;
  const channel: WakeUpChannel = { port1: { onmessage: null }, port2: { postMessage: () => void pending++ } };
  serveSession<Message>(scope as Parameters<typeof serveSession>[0], session, channel);
  return {
    send: (data: Message) => scope.onmessage!({ data } as MessageEvent<Message>),
    pending: () => pending,
    /** Delivers the pending wake-up (the event loop's next turn). */
    wake: () => {
      expect(pending).toBe(1);
      pending--;
      channel.port1.onmessage!({} as MessageEvent);
    },
  };
}

test("a paused session gets its messages and no wake-ups", () => {
  const session = new FakeSession();
  const w = serve(session);
  w.send("ping");
  w.send("pause");
  expect(session.handled).toEqual(["ping", "pause"]);
  expect(w.pending()).toBe(0);
});

test("play schedules one tick, and each tick the next, until the session stops running", () => {
  const session = new FakeSession(3);
  const w = serve(session);
  w.send("play");
  expect(session.ticks).toBe(0); // the slice runs in a later turn, not inside the message handler
  for (let i = 1; i <= 3; i++) {
    w.wake();
    expect(session.ticks).toBe(i);
  }
  expect(session.isRunning).toBe(false);
  expect(w.pending()).toBe(0);
});

test("messages while playing are handled between ticks and never start a second chain", () => {
  const session = new FakeSession();
  const w = serve(session);
  w.send("play");
  for (let i = 0; i < 4; i++) w.send("ping");
  expect(w.pending()).toBe(1);
  w.wake();
  w.send("ping");
  w.send("play");
  expect(w.pending()).toBe(1);
  w.wake();
  expect(session.ticks).toBe(2);
  w.send("pause");
  w.wake(); // the wake-up already on its way finds the session paused: no tick, none after it
  expect(session.ticks).toBe(2);
  expect(w.pending()).toBe(0);
  w.send("play");
  expect(w.pending()).toBe(1);
});
