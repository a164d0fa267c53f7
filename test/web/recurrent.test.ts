/**
 * The playground's recurrent mode (web/src/recurrent/): backpropagation
 * through time step by step (bptt.ts) against a T = 2 case worked by hand
 * and against the gradient the library's loss.backward() gives for the
 * same network (rnnTrainer.ts), the central difference, the sequence
 * tasks, and training that actually learns.
 */
import { describe, expect, test } from "vitest";
import { bptt, checkRnnParam, nudgedWeights, rnnFiniteDifference, rnnForward, rnnParamName, stepJacobian, type RnnParamRef, type RnnWeights } from "../../web/src/recurrent/bptt.js";
import { makeSequences, sequenceTarget } from "../../web/src/recurrent/sequenceTask.js";
import { RnnTrainer } from "../../web/src/recurrent/rnnTrainer.js";
import { DEFAULT_RNN_CONFIG, validateRnnConfig } from "../../web/src/recurrent/rnnConfig.js";
import { RecurrentSession } from "../../web/src/recurrent/session.js";
import type { FromRecurrentWorker } from "../../web/src/recurrent/protocol.js";

/** One hidden unit, so every Jacobian is a number. */
const scalar: RnnWeights = { inputs: 1, hidden: 1, wxh: [0.5], whh: [-0.8], b: [0.1], why: [1.5], by: -0.2 };
const x2 = [1, -1];

describe("bptt, T = 2 by hand", () => {
  // h1 = tanh(0.5·1 + 0.1), h2 = tanh(0.5·(−1) − 0.8·h1 + 0.1), ŷ = 1.5·h2 − 0.2, L = (ŷ − 1)²;
  // ∂L/∂h2 = 2(ŷ − 1)·1.5, d2 = ∂L/∂h2·(1 − h2²), d1 = d2·(−0.8)·(1 − h1²) (worked out in float64 by hand/calculator).
  const h1 = 0.5370495669980353;
  const h2 = -0.6802824697975692;
  const output = -1.2204237046963538;
  const loss = 4.930281428377481;

  test("the forward pass", () => {
    const f = rnnForward(scalar, x2, 1);
    expect(f.states.map((s) => s[0])).toEqual([0, expect.closeTo(h1, 14), expect.closeTo(h2, 14)]);
    expect(f.output).toBeCloseTo(output, 14);
    expect(f.loss).toBeCloseTo(loss, 13);
  });

  test("W_hh: step 1 adds nothing (h0 = 0), step 2 adds d2·h1", () => {
    const r = bptt(scalar, x2, 1, { matrix: "whh", row: 0, col: 0 });
    expect(r.paramName).toBe("W_hh[0,0]");
    expect(r.steps.map((s) => s.t)).toEqual([1, 2]);
    expect(r.steps[0].term).toBe(0);
    expect(r.steps[1].term).toBeCloseTo(-1.9218532676306295, 13);
    expect(r.sum).toBeCloseTo(-1.9218532676306295, 13);
    // ∂h2/∂h2 = 1, ∂h2/∂h1 = (1 − h2²)·w_hh.
    expect(r.steps[1].jacobianNorm).toBe(1);
    expect(r.steps[0].jacobianNorm).toBeCloseTo(0.4297726090288954, 14);
  });

  test("W_xh and b: both steps contribute, and the terms sum to the gradient", () => {
    const wx = bptt(scalar, x2, 1, { matrix: "wxh", row: 0, col: 0 });
    expect(wx.steps.map((s) => s.term)).toEqual([expect.closeTo(2.037127493979042, 13), expect.closeTo(3.578539832688591, 13)]);
    expect(wx.sum).toBeCloseTo(5.615667326667634, 12);
    expect(wx.steps.map((s) => s.local)).toEqual([1, -1]);
    const b = bptt(scalar, x2, 1, { matrix: "b", row: 0, col: 0 });
    expect(b.steps.map((s) => s.term)).toEqual([expect.closeTo(2.037127493979042, 13), expect.closeTo(-3.578539832688591, 13)]);
    expect(b.paramName).toBe("b[0]");
  });

  test("the central difference agrees", () => {
    for (const matrix of ["wxh", "whh", "b"] as const) {
      const p = { matrix, row: 0, col: 0 };
      expect(rnnFiniteDifference(scalar, x2, 1, p).value).toBeCloseTo(bptt(scalar, x2, 1, p).sum, 8);
    }
  });
});

describe("bptt against the library", () => {
  const trainer = new RnnTrainer({ task: "first-bit", steps: 7, hidden: 4, learningRate: 0.05, seed: 3 });
  for (let i = 0; i < 20; i++) trainer.step();
  const w = trainer.weights();
  const params: RnnParamRef[] = [];
  for (let j = 0; j < 4; j++) {
    params.push({ matrix: "wxh", row: 0, col: j }, { matrix: "b", row: 0, col: j });
    for (let i = 0; i < 4; i++) params.push({ matrix: "whh", row: i, col: j });
  }

  test("every shared parameter: the per-step terms sum to loss.backward()'s .grad on that sequence", () => {
    for (const example of [0, 5, 63]) {
      const { x, y } = trainer.sequence(example);
      for (const p of params) {
        const r = bptt(w, x, y, p);
        expect(r.steps).toHaveLength(7);
        const { grad, loss } = trainer.exampleGradient(example, p);
        expect(loss).toBeCloseTo(r.loss, 5);
        // Both in float64: only the order of the additions differs.
        expect(Math.abs(r.sum - grad), `${rnnParamName(p)} on #${example}`).toBeLessThan(1e-12 * Math.max(1, Math.abs(grad)));
        expect(rnnFiniteDifference(w, x, y, p).value).toBeCloseTo(r.sum, 7);
      }
    }
  });

  test("∂h_T/∂h_t is the product of the step Jacobians, and ∂L/∂h_t = ∂L/∂h_T·∂h_T/∂h_t", () => {
    const { x, y } = trainer.sequence(2);
    const r = bptt(w, x, y, { matrix: "whh", row: 1, col: 2 });
    const H = 4;
    // Multiply J_T ⋯ J_{t+1} by hand for t = T − 2.
    const T = 7;
    const jT = stepJacobian(w, r.steps[T - 1].h);
    const jT1 = stepJacobian(w, r.steps[T - 2].h);
    for (let a = 0; a < H; a++) for (let c = 0; c < H; c++) {
      let s = 0;
      for (let k = 0; k < H; k++) s += jT[a * H + k] * jT1[k * H + c];
      expect(r.steps[T - 3].jacobian[a * H + c]).toBeCloseTo(s, 14);
    }
    for (const s of r.steps) {
      for (let c = 0; c < H; c++) {
        let v = 0;
        for (let a = 0; a < H; a++) v += r.gradOutput[a] * s.jacobian[a * H + c];
        expect(s.gradH[c]).toBeCloseTo(v, 14);
      }
    }
    expect(r.steps[T - 1].jacobianNorm).toBeCloseTo(2, 14); // the 4×4 identity
  });

  test("a parameter the network does not have is refused with what would fit", () => {
    expect(() => checkRnnParam({ matrix: "whh", row: 4, col: 0 }, w)).toThrow("use W_xh[0..0, 0..3], W_hh[0..3, 0..3] or b[0..3]");
    expect(() => bptt(w, [1, -1], 1, { matrix: "wxh", row: 1, col: 0 })).toThrow("bptt: ");
    expect(nudgedWeights(w, { matrix: "b", row: 0, col: 1 }, 0.5).b[1]).toBeCloseTo(w.b[1] + 0.5, 12);
  });
});

describe("sequences and training", () => {
  test("targets: first bit, last bit, parity", () => {
    expect(sequenceTarget("first-bit", [-1, 1, 1])).toBe(-1);
    expect(sequenceTarget("last-bit", [-1, 1, 1])).toBe(1);
    expect(sequenceTarget("parity", [-1, 1, 1])).toBe(-1);
    expect(sequenceTarget("parity", [1, -1, -1])).toBe(1);
    const d = makeSequences("first-bit", 5, 40, 9);
    expect(d.x).toHaveLength(200);
    for (let i = 0; i < 40; i++) expect(d.y[i]).toBe(d.x[i * 5]);
    expect(new Set(d.x)).toEqual(new Set([-1, 1]));
    expect(makeSequences("first-bit", 5, 40, 9).x).toEqual(d.x); // seeded
    expect(() => makeSequences("first-bit", 21, 4, 1)).toThrow("makeSequences: the sequence length must be a whole number 2..20, got 21");
  });

  test("bad settings are named", () => {
    expect(validateRnnConfig(DEFAULT_RNN_CONFIG)).toEqual([]);
    expect(validateRnnConfig({ ...DEFAULT_RNN_CONFIG, steps: 1, hidden: 9 })).toEqual([
      "sequence length T must be a whole number 2..20, got 1",
      "hidden units must be a whole number 1..8, got 9",
    ]);
    expect(() => new RnnTrainer({ ...DEFAULT_RNN_CONFIG, learningRate: 0 })).toThrow("RnnTrainer: learning rate must be in (0, 10], got 0");
  });

  test("the default network learns to remember the first bit", () => {
    const t = new RnnTrainer(DEFAULT_RNN_CONFIG);
    const before = t.evaluate();
    for (let i = 0; i < 300; i++) t.step();
    const after = t.evaluate();
    expect(after.trainLoss).toBeLessThan(before.trainLoss / 4);
    expect(after.testAccuracy).toBeGreaterThan(0.95);
  });

  test("the worker's session answers reset, step and explain", () => {
    const got: FromRecurrentWorker[] = [];
    const s = new RecurrentSession((m) => got.push(m));
    s.handle({ type: "reset", config: { ...DEFAULT_RNN_CONFIG, steps: 4 }, generation: 2 });
    s.handle({ type: "step" });
    s.handle({ type: "explain", param: { matrix: "whh", row: 0, col: 1 }, example: 3 });
    s.handle({ type: "explain", param: { matrix: "whh", row: 0, col: 1 }, example: 64 });
    expect(got.map((m) => m.type)).toEqual(["frame", "frame", "explain", "error"]);
    const e = got[2];
    if (e.type !== "explain") throw new Error("not an explanation");
    expect(e.generation).toBe(2);
    expect(e.steps).toBe(1);
    expect(e.bptt.steps).toHaveLength(4);
    expect(Math.abs(e.bptt.sum - e.backward)).toBeLessThan(1e-12 * Math.max(1, Math.abs(e.backward)));
    expect(got[3]).toEqual({ type: "error", message: "RangeError: sequence: example 64 is outside the training set (0..63)" });
  });
});
