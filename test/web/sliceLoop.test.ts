/**
 * The slice loop every playground worker runs (web/src/worker/sliceLoop.ts),
 * driven by a fake mode on a fake clock: only the fake's steps and frames
 * move time, by amounts the test sets, so each slice's length, each frame's
 * fields and each measured rate follow by hand.
 */
import { describe, expect, test } from "vitest";
import type { FrameHeader, WorkerError } from "../../web/src/worker/controlProtocol.js";
import { SliceLoop, type LoopHandle, type Pacing, type TrainingMode } from "../../web/src/worker/sliceLoop.js";

interface FakeSettings {
  width: number;
}
interface FakeBody {
  width: number;
  framesBuilt: number;
}
type FakeQuestion = { type: "ask"; edit?: boolean; stop?: boolean } | { type: "break" };

class Clock {
  t = 1000;
  read = (): number => this.t;
}

/** A mode whose step takes `stepMs` of the clock and whose frame takes `frameMs`; losses come from `losses` (1 when it runs out). */
class FakeMode implements TrainingMode<FakeSettings, FakeBody, FakeQuestion> {
  network: { width: number; steps: number } | null = null;
  stepMs = 2;
  frameMs = 0;
  losses: number[] = [];
  framesBuilt = 0;
  answered: FakeQuestion[] = [];

  constructor(private readonly clock: Clock) {}

  get steps(): number {
    return this.require().steps;
  }

  reset(message: { width: number }): void {
    this.network = { width: message.width, steps: 0 };
  }

  step(): number {
    const n = this.require();
    this.clock.t += this.stepMs;
    n.steps++;
    return this.losses.shift() ?? 1;
  }

  frame(): FakeBody {
    this.clock.t += this.frameMs;
    return { width: this.require().width, framesBuilt: ++this.framesBuilt };
  }

  answer(message: FakeQuestion, loop: LoopHandle): void {
    this.answered.push(message);
    if (message.type === "break") throw new TypeError("fake: cannot answer that");
    if (message.stop) loop.stop();
    if (message.edit) loop.sendFrame();
  }

  divergenceAdvice(): string {
    return "try a smaller width";
  }

  private require(): { width: number; steps: number } {
    if (this.network === null) throw new Error("fake: no network yet");
    return this.network;
  }
}

const PACING: Pacing = { frameMs: 20, minSliceMs: 3, rateWindowMs: 1000 };

function setup(pacing: Pacing = PACING) {
  const clock = new Clock();
  const mode = new FakeMode(clock);
  const inbox: ((FrameHeader & FakeBody) | WorkerError)[] = [];
  const loop = new SliceLoop(mode, (m) => inbox.push(m), pacing, clock.read);
  const frames = () => inbox.filter((m): m is FrameHeader & FakeBody => m.type === "frame");
  const last = () => {
    const m = inbox.at(-1);
    if (m?.type !== "frame") throw new Error(`expected a frame, got ${JSON.stringify(m)}`);
    return m;
  };
  return { clock, mode, loop, inbox, frames, last };
}

describe("the control messages", () => {
  test("before a reset, play, pause and step answer with the mode's 'no network' error and nothing trains", () => {
    const { loop, inbox, mode } = setup();
    for (const type of ["play", "pause", "step"] as const) loop.handle({ type });
    expect(inbox).toEqual([0, 1, 2].map(() => ({ type: "error", message: "Error: fake: no network yet" })));
    expect(loop.isRunning).toBe(false);
    expect(loop.tick()).toBe(false);
    expect(mode.network).toBeNull();
  });

  test("reset builds the network and answers with a frame of its generation, paused, at step 0", () => {
    const { loop, inbox, mode } = setup();
    loop.handle({ type: "reset", width: 7, generation: 4 });
    expect(inbox).toEqual([{ type: "frame", generation: 4, steps: 0, stepsPerSecond: 0, frameMs: 0, running: false, width: 7, framesBuilt: 1 }]);
    expect(mode.network).toEqual({ width: 7, steps: 0 });
  });

  test("step takes exactly one step and answers with a frame; it also stops a running loop", () => {
    const { loop, last } = setup();
    loop.handle({ type: "reset", width: 1, generation: 1 });
    loop.handle({ type: "step" });
    expect(last()).toMatchObject({ steps: 1, running: false });
    loop.handle({ type: "play" });
    expect(loop.isRunning).toBe(true);
    loop.handle({ type: "step" });
    expect(loop.isRunning).toBe(false);
    expect(last()).toMatchObject({ steps: 2, running: false });
    expect(loop.tick()).toBe(false);
  });

  test("play sends nothing by itself; pause stops and answers with a frame", () => {
    const { loop, inbox, last } = setup();
    loop.handle({ type: "reset", width: 1, generation: 1 });
    loop.handle({ type: "play" });
    expect(inbox).toHaveLength(1);
    expect(loop.tick()).toBe(true);
    expect(last().running).toBe(true);
    loop.handle({ type: "pause" });
    expect(loop.isRunning).toBe(false);
    expect(last().running).toBe(false);
    const count = inbox.length;
    expect(loop.tick()).toBe(false);
    expect(inbox).toHaveLength(count);
  });

  test("a reset while playing stops, starts over at step 0 and tags the frames with the new generation", () => {
    const { loop, last, mode } = setup();
    loop.handle({ type: "reset", width: 1, generation: 1 });
    loop.handle({ type: "play" });
    loop.tick();
    expect(last().generation).toBe(1);
    loop.handle({ type: "reset", width: 3, generation: 2 });
    expect(last()).toMatchObject({ generation: 2, steps: 0, running: false, width: 3 });
    expect(loop.isRunning).toBe(false);
    expect(loop.tick()).toBe(false);
    expect(mode.network).toEqual({ width: 3, steps: 0 });
  });
});

describe("time slices", () => {
  test("a slice trains for frameMs minus the previous frame's cost: 2 ms steps, frames of 0, 8 and 19 ms", () => {
    const { loop, mode, last } = setup();
    loop.handle({ type: "reset", width: 1, generation: 1 }); // this frame costs 0 ms
    loop.handle({ type: "play" });
    loop.tick(); // 20 ms of 2 ms steps
    expect(last().steps).toBe(10);
    mode.frameMs = 8;
    loop.tick(); // still a 20 ms slice (the previous frame took 0 ms); this frame takes 8
    expect(last()).toMatchObject({ steps: 20, frameMs: 0 });
    loop.tick(); // 20 - 8 = 12 ms: 6 steps
    expect(last()).toMatchObject({ steps: 26, frameMs: 8 });
    mode.frameMs = 19;
    loop.tick(); // 12 ms again, and a 19 ms frame
    loop.tick(); // at least minSliceMs = 3 ms: two 2 ms steps (2 < 3, 4 ≥ 3)
    expect(last()).toMatchObject({ steps: 26 + 6 + 2, frameMs: 19 });
  });

  test("every slice takes at least one step, however long a step takes", () => {
    const { loop, mode, last } = setup();
    loop.handle({ type: "reset", width: 1, generation: 1 });
    mode.stepMs = 500;
    loop.handle({ type: "play" });
    loop.tick();
    expect(last().steps).toBe(1);
  });

  test("minSliceMs equal to frameMs makes every slice the same length, whatever frames cost", () => {
    const { loop, mode, last } = setup({ frameMs: 10, minSliceMs: 10, rateWindowMs: 1000 });
    loop.handle({ type: "reset", width: 1, generation: 1 });
    mode.frameMs = 9;
    loop.handle({ type: "play" });
    const steps: number[] = [];
    for (let i = 0; i < 3; i++) {
      loop.tick();
      steps.push(last().steps);
    }
    expect(steps).toEqual([5, 10, 15]);
  });

  test("one frame per slice: n ticks while playing post n frames, each built once", () => {
    const { loop, frames } = setup();
    loop.handle({ type: "reset", width: 1, generation: 1 });
    loop.handle({ type: "play" });
    for (let i = 0; i < 5; i++) expect(loop.tick()).toBe(true);
    expect(frames().map((f) => f.framesBuilt)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(frames().map((f) => f.steps)).toEqual([0, 10, 20, 30, 40, 50]);
  });
});

describe("steps per second", () => {
  test("measured once a window of rateWindowMs is over, shown until the next one is", () => {
    const { loop, last } = setup({ frameMs: 20, minSliceMs: 3, rateWindowMs: 100 });
    loop.handle({ type: "reset", width: 1, generation: 1 });
    loop.handle({ type: "play" });
    // 20 ms slices of ten 2 ms steps, frames cost nothing: the window closes on the fifth slice.
    const shown: number[] = [];
    for (let i = 0; i < 10; i++) {
      loop.tick();
      shown.push(last().stepsPerSecond);
    }
    expect(shown).toEqual([0, 0, 0, 0, 500, 500, 500, 500, 500, 500]);
  });

  test("the window counts from play, not from the reset; a pause keeps the last rate; a reset clears it", () => {
    const { clock, loop, mode, last } = setup({ frameMs: 20, minSliceMs: 3, rateWindowMs: 100 });
    loop.handle({ type: "reset", width: 1, generation: 1 });
    clock.t += 5000; // idle time before play does not count
    loop.handle({ type: "play" });
    for (let i = 0; i < 5; i++) loop.tick();
    expect(last().stepsPerSecond).toBe(500);
    loop.handle({ type: "pause" });
    expect(last().stepsPerSecond).toBe(500);
    clock.t += 5000;
    mode.stepMs = 4; // slower now: 5 steps per 20 ms slice
    loop.handle({ type: "play" });
    for (let i = 0; i < 4; i++) loop.tick();
    expect(last().stepsPerSecond).toBe(500); // the new window is not over yet
    loop.tick();
    expect(last().stepsPerSecond).toBe(250);
    loop.handle({ type: "reset", width: 1, generation: 2 });
    expect(last().stepsPerSecond).toBe(0);
  });
});

describe("failures", () => {
  test("a loss that is not a number stops training with an error naming the step and the mode's advice", () => {
    const { loop, mode, inbox } = setup();
    loop.handle({ type: "reset", width: 1, generation: 1 });
    mode.losses = [0.5, 0.4, Number.NaN];
    loop.handle({ type: "play" });
    expect(loop.tick()).toBe(true);
    expect(loop.isRunning).toBe(false);
    expect(inbox.at(-1)).toEqual({ type: "error", message: "RangeError: training diverged at step 3: the batch loss became NaN; try a smaller width" });
    expect(loop.tick()).toBe(false);
  });

  test("an infinite loss from a single step is refused the same way", () => {
    const { loop, mode, inbox } = setup();
    loop.handle({ type: "reset", width: 1, generation: 1 });
    mode.losses = [Number.POSITIVE_INFINITY];
    loop.handle({ type: "step" });
    expect(inbox.at(-1)).toEqual({ type: "error", message: "RangeError: training diverged at step 1: the batch loss became Infinity; try a smaller width" });
  });
});

describe("the mode's own messages", () => {
  test("go to its answer with the loop, which it may stop or ask for a frame; a throw becomes an error and stops training", () => {
    const { loop, mode, inbox, last } = setup();
    loop.handle({ type: "reset", width: 1, generation: 1 });
    loop.handle({ type: "play" });
    loop.handle({ type: "ask", edit: true });
    expect(mode.answered).toEqual([{ type: "ask", edit: true }]);
    expect(last()).toMatchObject({ running: true, framesBuilt: 2 });
    loop.handle({ type: "ask", stop: true });
    expect(loop.isRunning).toBe(false);
    loop.handle({ type: "play" });
    loop.handle({ type: "break" });
    expect(inbox.at(-1)).toEqual({ type: "error", message: "TypeError: fake: cannot answer that" });
    expect(loop.isRunning).toBe(false);
  });
});
