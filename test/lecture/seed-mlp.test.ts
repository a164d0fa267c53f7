import { describe, expect, it } from "vitest";
import * as bp from "backpropagation";
import {
  PARAM_NAMES, autogradGradients, finiteDifferenceGradients, forward, handGradients, initParams, lossOf, makeData,
} from "../../examples/seed-mlp.js";

describe("the lecture's seed network (examples/seed-mlp.ts)", () => {
  const cases: [number[], number][] = [
    [[8, 3, 5, 1], 1],
    [[8, 16, 16, 1], 7],
    [[8, 32, 32, 1], 64],
    [[8, 7, 2, 1], 33],
  ];
  it.each(cases)("hand-derived chain-rule gradients equal backward()'s to float64 rounding: sizes %j, batch %i", (sizes, batch) => {
    const gen = new bp.Generator(batch * 31 + sizes[1]);
    const { x, y } = makeData(batch, gen);
    const p = initParams(sizes, gen);
    const hand = handGradients(p, x, y);
    const auto = autogradGradients(p, x, y);
    for (const n of PARAM_NAMES) {
      expect(hand[n].shape).toEqual(p[n].shape);
      const scale = Math.max(1, auto[n].abs().max().item());
      expect(hand[n].sub(auto[n]).abs().max().item()).toBeLessThanOrEqual(1e-13 * scale);
    }
  });

  it("finite differences agree with backprop, at 2 forward passes per parameter", () => {
    const gen = new bp.Generator(5);
    const { x, y } = makeData(16, gen);
    const p = initParams([8, 4, 4, 1], gen);
    const fd = finiteDifferenceGradients(p, x, y);
    const count = PARAM_NAMES.reduce((a, n) => a + p[n].size, 0);
    expect(count).toBe(8 * 4 + 4 + 4 * 4 + 4 + 4 + 1);
    expect(fd.forwardPasses).toBe(2 * count);
    const auto = autogradGradients(p, x, y);
    for (const n of PARAM_NAMES) expect(fd.grads[n].sub(auto[n]).abs().max().item()).toBeLessThan(1e-6);
  });

  it("the update rule W ← W − η∇W L lowers the loss", () => {
    const gen = new bp.Generator(11);
    const { x, y } = makeData(64, gen);
    const p = initParams([8, 16, 16, 1], gen);
    const first = lossOf(y, forward(p, x).yHat).item();
    for (let step = 0; step < 500; step++) {
      const g = autogradGradients(p, x, y);
      bp.noGrad(() => {
        for (const n of PARAM_NAMES) {
          const w = p[n].storage, d = g[n].data();
          for (let j = 0; j < w.length; j++) w[j] -= 0.005 * d[j];
        }
      });
    }
    const last = lossOf(y, forward(p, x).yHat).item();
    expect(last).toBeLessThan(0.8 * first);
  });
});
