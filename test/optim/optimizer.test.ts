/** Optimizer behaviour beyond the trajectories: state round trip, zeroGrad, dtype changes, errors. */
import { describe, expect, test } from "vitest";
import * as bp from "../../src/index.js";

function model(seed: number): bp.nn.Sequential {
  bp.manualSeed(seed);
  return new bp.nn.Sequential(new bp.nn.Linear(3, 5), new bp.nn.Tanh(), new bp.nn.Linear(5, 2)).to("float64");
}

function trainSteps(m: bp.nn.Module, opt: bp.optim.Optimizer<any>, n: number, start: number): void {
  const g = new bp.Generator(start);
  for (let i = 0; i < n; i++) {
    const x = bp.randn([4, 3], { dtype: "float64", generator: g });
    const y = bp.randn([4, 2], { dtype: "float64", generator: g });
    opt.zeroGrad();
    bp.F.mseLoss(m.forward(x), y).backward();
    opt.step();
  }
}

const makers: [string, (p: bp.Tensor[]) => bp.optim.Optimizer<any>][] = [
  ["SGD", (p) => new bp.optim.SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true })],
  ["Adam", (p) => new bp.optim.Adam(p, { lr: 0.01, amsgrad: true })],
  ["AdamW", (p) => new bp.optim.AdamW(p, { lr: 0.01 })],
  ["RMSprop", (p) => new bp.optim.RMSprop(p, { centered: true, momentum: 0.5 })],
  ["Adagrad", (p) => new bp.optim.Adagrad(p, { lrDecay: 0.01 })],
];

describe("optimizer stateDict round trip continues identically", () => {
  for (const [name, make] of makers) {
    test(name, () => {
      const a = model(1);
      const optA = make(a.parameters());
      trainSteps(a, optA, 3, 10);
      const modelState = a.stateDict();
      const saved = optA.stateDict();
      const b = model(2); // different initial weights, overwritten below
      b.loadStateDict(modelState);
      const optB = make(b.parameters());
      optB.loadStateDict(saved);
      trainSteps(a, optA, 3, 20);
      trainSteps(b, optB, 3, 20);
      const pa = a.parameters().map((p) => Array.from(p.data()));
      const pb = b.parameters().map((p) => Array.from(p.data()));
      expect(pb).toEqual(pa);
      // The saved dict was a copy: continuing training did not change it.
      expect(optB.stateDict().state[0]).not.toEqual(saved.state[0]);
    });
  }

  test("the state dict uses PyTorch's layout with camelCase keys", () => {
    const m = model(3);
    const opt = new bp.optim.Adam(m.parameters(), { lr: 0.01 });
    trainSteps(m, opt, 2, 5);
    const sd = opt.stateDict();
    expect(Object.keys(sd.state)).toEqual(["0", "1", "2", "3"]);
    expect(Object.keys(sd.state[0])).toEqual(["step", "expAvg", "expAvgSq"]);
    expect(sd.state[0].step).toBe(2);
    expect((sd.state[0].expAvg as bp.Tensor).shape).toEqual([5, 3]);
    expect(sd.paramGroups).toEqual([{ lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, params: [0, 1, 2, 3] }]);
  });

  test("loading a state dict of other shapes is refused, naming the parameter", () => {
    const a = new bp.nn.Linear(3, 2);
    const optA = new bp.optim.Adam(a.parameters());
    bp.F.mseLoss(a.forward(bp.ones([1, 3])), bp.zeros([1, 2])).backward();
    optA.step();
    const b = new bp.nn.Linear(4, 2);
    const optB = new bp.optim.Adam(b.parameters());
    expect(() => optB.loadStateDict(optA.stateDict())).toThrow('Adam.loadStateDict: parameter 0 "expAvg": shape [2,3] in the state dict, parameter shape [2,4]');
  });
});

describe("optimizer mechanics", () => {
  test("zeroGrad zeroes gradients, zeroGrad(true) sets them to null, and step skips parameters without one", () => {
    const w = bp.tensor([1, 2], { dtype: "float64", requiresGrad: true });
    const v = bp.tensor([3], { dtype: "float64", requiresGrad: true });
    const opt = new bp.optim.SGD([w, v], { lr: 0.5 });
    w.mul(w).sum().backward();
    opt.step();
    expect(w.toArray()).toEqual([0, 0]); // w − 0.5·2w
    expect(v.toArray()).toEqual([3]);
    opt.zeroGrad();
    expect(w.grad!.toArray()).toEqual([0, 0]);
    opt.zeroGrad(true);
    expect(w.grad).toBeNull();
  });

  test("lr written into paramGroups takes effect, per group", () => {
    const a = bp.tensor([1], { dtype: "float64", requiresGrad: true });
    const b = bp.tensor([1], { dtype: "float64", requiresGrad: true });
    const opt = new bp.optim.SGD([{ params: [a] }, { params: [b], lr: 0.25 }], { lr: 0.5 });
    opt.paramGroups[0].lr = 0.125;
    a.add(b).sum().backward();
    opt.step();
    expect([a.item(), b.item()]).toEqual([0.875, 0.75]);
  });

  test("Module.to after construction keeps the optimizer valid and state follows the dtype", () => {
    bp.manualSeed(7);
    const m = new bp.nn.Linear(2, 1);
    const opt = new bp.optim.Adam(m.parameters(), { lr: 0.1 });
    const loss = () => bp.F.mseLoss(m.forward(bp.ones([1, 2], { dtype: m.weight.dtype })), bp.zeros([1, 1], { dtype: m.weight.dtype }));
    loss().backward();
    opt.step();
    m.to("float64");
    opt.zeroGrad();
    loss().backward();
    opt.step();
    expect(m.weight.dtype).toBe("float64");
    expect((opt.state.get(m.weight)!.expAvg as bp.Tensor).dtype).toBe("float64");
  });

  test("a 1000-parameter Adam step changes every element in place (storage identity kept)", () => {
    const p = bp.randn([1000], { requiresGrad: true });
    const storage = p.storage;
    const before = Array.from(p.data());
    const opt = new bp.optim.Adam([p], { lr: 0.01 });
    p.sum().backward();
    opt.step();
    expect(p.storage).toBe(storage);
    // First Adam step with grad 1 moves each element by lr·1/(1 + eps·…) ≈ lr, in float32.
    p.data().forEach((v, i) => expect(v).toBeCloseTo(before[i] - 0.01, 6));
  });
});

describe("optimizer argument errors", () => {
  const p = () => [bp.zeros([2], { requiresGrad: true })];
  test.each([
    ["SGD: got an empty parameter list", () => new bp.optim.SGD([], { lr: 0.1 })],
    ["SGD: invalid learning rate -0.1; it must be a number >= 0", () => new bp.optim.SGD(p(), { lr: -0.1 })],
    ["SGD: lr is required", () => new bp.optim.SGD(p(), {} as { lr: number })],
    ["SGD: nesterov requires momentum > 0 and dampening = 0, got momentum=0, dampening=0", () => new bp.optim.SGD(p(), { lr: 0.1, nesterov: true })],
    ["SGD: invalid momentum -1", () => new bp.optim.SGD(p(), { lr: 0.1, momentum: -1 })],
    ["Adam: invalid beta1 (betas[0]) 1; it must be a number in [0, 1)", () => new bp.optim.Adam(p(), { betas: [1, 0.999] })],
    ["AdamW: invalid beta2 (betas[1]) -0.1", () => new bp.optim.AdamW(p(), { betas: [0.9, -0.1] })],
    ["Adam: invalid eps -1", () => new bp.optim.Adam(p(), { eps: -1 })],
    ["RMSprop: invalid alpha -0.5", () => new bp.optim.RMSprop(p(), { alpha: -0.5 })],
    ["Adagrad: invalid lrDecay -1", () => new bp.optim.Adagrad(p(), { lrDecay: -1 })],
    ["Adam: parameter 0 is int32", () => new bp.optim.Adam([bp.zeros([2], { dtype: "int32" })])],
    ['Adam: parameter 0 is not a leaf tensor (it was computed by "mul")', () => new bp.optim.Adam([bp.ones([2], { requiresGrad: true }).mul(2)])],
  ])("%s", (message, make) => {
    expect(make).toThrow(message as string);
  });

  test("the same parameter twice is refused", () => {
    const w = bp.zeros([2], { requiresGrad: true });
    expect(() => new bp.optim.SGD([{ params: [w] }, { params: [w] }], { lr: 1 })).toThrow("SGD: parameter 0 appears in more than one parameter group");
  });
});
