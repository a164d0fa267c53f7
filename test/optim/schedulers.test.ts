/** Learning-rate schedulers: lr sequences against PyTorch 1.13 (test/fixtures/gen_optim.py), state round trip, errors. */
import { describe, expect, test } from "vitest";
import * as bp from "../../src/index.js";
import fixture from "../fixtures/optim.json" with { type: "json" };

type SchedulerName = "StepLR" | "ExponentialLR" | "CosineAnnealingLR" | "LinearLR";

/** Two parameter groups with lr 0.1 and 0.05, as in the fixture. */
function twoGroupSGD(): bp.optim.SGD {
  return new bp.optim.SGD([{ params: [bp.zeros([1], { requiresGrad: true })] }, { params: [bp.zeros([1], { requiresGrad: true })], lr: 0.05 }], { lr: 0.1 });
}

function make(name: SchedulerName, opt: bp.optim.SGD, options: Record<string, number>): bp.optim.lrScheduler.LRScheduler {
  const Ctor = bp.optim.lrScheduler[name] as unknown as new (o: bp.optim.SGD, opts: Record<string, number>) => bp.optim.lrScheduler.LRScheduler;
  return new Ctor(opt, options);
}

describe("scheduler lr sequences match PyTorch", () => {
  for (const s of fixture.schedulers) {
    test(`${s.scheduler} ${JSON.stringify(s.options)}`, () => {
      const opt = twoGroupSGD();
      const sched = make(s.scheduler as SchedulerName, opt, s.options as Record<string, number>);
      const ours = [sched.getLastLr()];
      for (let i = 1; i < s.lrs.length; i++) {
        opt.step();
        sched.step();
        ours.push(sched.getLastLr());
      }
      ours.forEach((lrs, k) => lrs.forEach((lr, g) => expect(lr).toBeCloseTo(s.lrs[k][g], 15)));
      // The optimizer's groups carry the scheduled lr.
      expect(opt.paramGroups.map((g) => g.lr)).toEqual(ours[ours.length - 1]);
    });
  }
});

describe("scheduler state", () => {
  test("stateDict/loadStateDict resumes the same sequence", () => {
    const opt = twoGroupSGD();
    const sched = new bp.optim.lrScheduler.CosineAnnealingLR(opt, { tMax: 6, etaMin: 0.001 });
    for (let i = 0; i < 4; i++) sched.step();
    const saved = sched.stateDict();
    const savedOpt = opt.stateDict();
    const expected: number[][] = [];
    for (let i = 0; i < 10; i++) { sched.step(); expected.push(sched.getLastLr()); }

    const opt2 = twoGroupSGD();
    opt2.loadStateDict(savedOpt);
    const sched2 = new bp.optim.lrScheduler.CosineAnnealingLR(opt2, { tMax: 6, etaMin: 0.001 });
    sched2.loadStateDict(saved);
    const got: number[][] = [];
    for (let i = 0; i < 10; i++) { sched2.step(); got.push(sched2.getLastLr()); }
    expect(got).toEqual(expected);
    expect(saved.lastEpoch).toBe(4);
  });

  test("bad arguments are refused with the scheduler's name", () => {
    const opt = twoGroupSGD();
    expect(() => new bp.optim.lrScheduler.StepLR(opt, { stepSize: 0 })).toThrow("StepLR: stepSize must be a positive integer, got 0");
    expect(() => new bp.optim.lrScheduler.CosineAnnealingLR(opt, { tMax: 0 })).toThrow("CosineAnnealingLR: tMax must be a positive integer, got 0");
    expect(() => new bp.optim.lrScheduler.LinearLR(opt, { startFactor: 0 })).toThrow("LinearLR: startFactor must be in (0, 1], got 0");
    expect(() => new bp.optim.lrScheduler.ExponentialLR(opt, { gamma: -1 })).toThrow(bp.ValueError);
    expect(() => new bp.optim.lrScheduler.ExponentialLR(null as unknown as bp.optim.SGD, { gamma: 0.5 })).toThrow("ExponentialLR: the first argument must be an optimizer");
  });
});
