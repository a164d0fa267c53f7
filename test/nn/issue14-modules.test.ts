/**
 * Issue #14's layers (SiLU, ELU, Softplus, Mish) and keyed containers
 * (ModuleDict, ParameterList, ParameterDict): construction forms, errors,
 * the container APIs, and that their parameters train and round-trip
 * through stateDict. PyTorch's values and key names are checked in
 * test/core/ops14.test.ts.
 */
import { describe, expect, test } from "vitest";
import * as bp from "../../src/index.js";

const { nn } = bp;

describe("smooth activation layers", () => {
  test("forward equals the functional form; options by number or object; repr", () => {
    const x = bp.linspace(-3, 3, 7, { dtype: "float64" });
    expect(new nn.SiLU().forward(x).toArray()).toEqual(bp.F.silu(x).toArray());
    expect(new nn.Mish().forward(x).toArray()).toEqual(bp.F.mish(x).toArray());
    expect(new nn.ELU(0.5).forward(x).toArray()).toEqual(bp.F.elu(x, 0.5).toArray());
    expect(new nn.ELU({ alpha: 0.5 }).forward(x).toArray()).toEqual(bp.F.elu(x, 0.5).toArray());
    expect(new nn.Softplus(2, 1).forward(x).toArray()).toEqual(x.softplus(2, 1).toArray());
    expect(new nn.Softplus({ beta: 2, threshold: 1 }).forward(x).toArray()).toEqual(x.softplus(2, 1).toArray());
    expect(new nn.ELU().toString()).toBe("ELU(alpha=1)");
    expect(new nn.Softplus({ beta: 2 }).toString()).toBe("Softplus(beta=2, threshold=20)");
    expect(new nn.SiLU().toString()).toBe("SiLU()");
    expect(new nn.ELU().parameters()).toEqual([]);
  });

  test("hand-checked values: elu(-1) = e⁻¹ − 1, silu(1) = σ(1), mish(0) = 0", () => {
    const y = bp.tensor([-1, 0, 1], { dtype: "float64" });
    expect(y.elu().toArray()).toEqual([Math.exp(-1) - 1, 0, 1]);
    expect((y.silu().toArray() as number[])[2]).toBeCloseTo(1 / (1 + Math.exp(-1)), 15);
    expect((y.mish().toArray() as number[])[1]).toBe(0);
    expect(bp.tensor([1e-10], { dtype: "float64" }).log1p().item()).toBeCloseTo(1e-10 - 5e-21, 25);
  });

  test("int32 inputs give float32, as PyTorch's float ops do", () => {
    const i = bp.tensor([1, 2], { dtype: "int32" });
    for (const t of [i.silu(), i.elu(), i.mish(), i.log1p(), i.expm1()]) expect(t.dtype).toBe("float32");
  });

  test("bad options are errors naming the layer", () => {
    expect(() => new nn.ELU(Number.NaN)).toThrowError("ELU: alpha must be a finite number, got NaN");
    expect(() => new nn.Softplus({ beta: 0 })).toThrowError(/Softplus: beta must not be 0/);
    expect(() => new nn.Softplus("2" as never)).toThrowError("Softplus: beta must be a finite number, got 2");
  });

  test("in a Sequential they train: the loss falls", () => {
    bp.manualSeed(5);
    const model = new nn.Sequential(new nn.Linear(3, 16), new nn.SiLU(), new nn.Linear(16, 16), new nn.Mish(),
      new nn.Linear(16, 16), new nn.ELU(), new nn.Linear(16, 1), new nn.Softplus());
    const x = bp.randn(32, 3);
    const y = x.square().sum({ dim: 1, keepdim: true });
    const opt = new bp.optim.Adam(model.parameters(), { lr: 0.01 });
    const losses: number[] = [];
    for (let i = 0; i < 200; i++) {
      opt.zeroGrad();
      const loss = bp.F.mseLoss(model.forward(x), y);
      loss.backward();
      opt.step();
      losses.push(loss.item());
    }
    expect(losses[199]).toBeLessThan(losses[0] / 10);
  });
});

describe("ModuleDict", () => {
  test("holds modules by key: get, set, has, pop, keys, values, items, size, iteration, update", () => {
    const d = new nn.ModuleDict({ enc: new nn.Linear(2, 3), act: new nn.SiLU() });
    expect(d.keys()).toEqual(["enc", "act"]);
    expect([...d]).toEqual(["enc", "act"]);
    expect(d.get("enc")).toBeInstanceOf(nn.Linear);
    expect(d.get("nope")).toBeUndefined();
    expect([d.has("act"), d.has("forward"), d.size, d.length]).toEqual([true, false, 2, 2]);
    d.set("dec", new nn.Linear(3, 1)).update([["norm", new nn.LayerNorm([3])]]);
    expect(d.items().map(([k, m]) => [k, m.constructor.name])).toEqual([["enc", "Linear"], ["act", "SiLU"], ["dec", "Linear"], ["norm", "LayerNorm"]]);
    expect(d.pop("act")).toBeInstanceOf(nn.SiLU);
    expect(d.delete("act")).toBe(false);
    expect(Object.keys(d.stateDict())).toEqual(["enc.weight", "enc.bias", "dec.weight", "dec.bias", "norm.weight", "norm.bias"]);
    const copy = new nn.ModuleDict(d);
    expect(copy.keys()).toEqual(d.keys());
    expect(copy.get("enc")).toBe(d.get("enc"));
    d.clear();
    expect([d.size, d.parameters().length]).toEqual([0, 0]);
    expect(d.toString()).toBe("ModuleDict()");
  });

  test("replacing a key keeps its place; the repr lists the modules", () => {
    const d = new nn.ModuleDict([["a", new nn.ReLU()], ["b", new nn.Tanh()]]);
    d.set("a", new nn.Mish());
    expect(d.keys()).toEqual(["a", "b"]);
    expect(d.toString()).toBe("ModuleDict(\n  (a): Mish()\n  (b): Tanh()\n)");
  });

  test("rejects keys that would break names or hide the container's own members, and non-modules", () => {
    const d = new nn.ModuleDict();
    expect(() => d.set("forward", new nn.ReLU())).toThrowError('ModuleDict.set: key "forward" is already a property or method of the container; choose another key');
    expect(() => d.set("training", new nn.ReLU())).toThrowError(/key "training" is already/);
    expect(() => d.set("a.b", new nn.ReLU())).toThrowError('ModuleDict.set: key "a.b" contains "."; dots separate the names of nested modules');
    expect(() => d.set("", new nn.ReLU())).toThrowError("ModuleDict.set: a key must not be empty");
    expect(() => d.set("x", bp.ones(2) as never)).toThrowError('ModuleDict.set: the value for "x" is not a Module (got object)');
    expect(() => new nn.ModuleDict([["a"]] as never)).toThrowError("ModuleDict: entry 0 is not a [key, value] pair");
    expect(() => d.pop("x")).toThrowError('ModuleDict.pop: no module under key "x"; the keys are []');
    expect(() => d.forward()).toThrowError(/ModuleDict has no forward/);
  });
});

describe("ParameterList and ParameterDict", () => {
  test("ParameterList: append, extend, at, set, iteration; plain tensors become Parameters sharing storage", () => {
    const t = bp.ones(3);
    const l = new nn.ParameterList([t]);
    expect(l.at(0)).toBeInstanceOf(nn.Parameter);
    expect(l.at(0).storage).toBe(t.storage);
    expect(l.at(0).requiresGrad).toBe(true);
    l.append(bp.zeros(2)).extend([new nn.Parameter(bp.zeros(1), false)]);
    expect([l.length, l.at(-1).shape, l.at(-1).requiresGrad]).toEqual([3, [1], false]);
    l.set(1, bp.full([4], 2));
    expect([...l].map((p) => p.shape)).toEqual([[3], [4], [1]]);
    expect(Object.keys(l.stateDict())).toEqual(["0", "1", "2"]);
    expect(l.toString()).toBe("ParameterList((0): Parameter [3] float32\n(1): Parameter [4] float32\n(2): Parameter [1] float32 (requiresGrad=false))");
    expect(() => l.at(3)).toThrowError("ParameterList.at: index 3 is out of range for 3 parameters");
    expect(() => l.append([1, 2] as never)).toThrowError("ParameterList.append: the value is not a Tensor (got object)");
    expect(() => l.append(bp.tensor([1], { dtype: "int32" }))).toThrowError(bp.DTypeError);
  });

  test("ParameterDict: a plain object's keys are sorted (PyTorch), pairs keep their order", () => {
    const d = new nn.ParameterDict({ w: bp.ones(2, 2), b: bp.zeros(2) });
    expect(d.keys()).toEqual(["b", "w"]);
    const m = new nn.ParameterDict(new Map([["w", bp.ones(2, 2)], ["b", bp.zeros(2)]]));
    expect(m.keys()).toEqual(["w", "b"]);
    expect(new nn.ParameterDict(m).keys()).toEqual(["w", "b"]);
    m.set("scale", bp.ones(1));
    expect([m.has("scale"), m.get("scale")!.shape, m.size]).toEqual([true, [1], 3]);
    expect(m.values().map((p) => p.shape)).toEqual([[2, 2], [2], [1]]);
    expect(m.pop("w").shape).toEqual([2, 2]);
    expect(Object.keys(m.stateDict())).toEqual(["b", "scale"]);
    expect(() => m.set("parameters", bp.ones(1))).toThrowError(/key "parameters" is already a property or method/);
    expect(() => m.set("a.b", bp.ones(1))).toThrowError(/contains "\."/);
  });

  test("inside a model their parameters train and round-trip through stateDict", () => {
    class Model extends nn.Module {
      layers = new nn.ModuleDict({ first: new nn.Linear(2, 4), second: new nn.Linear(4, 1) });
      gains = new nn.ParameterList([bp.ones(4)]);
      extra = new nn.ParameterDict({ shift: bp.zeros(1) });
      forward(x: bp.Tensor): bp.Tensor {
        const h = this.layers.get("first")!.forward(x).silu().mul(this.gains.at(0));
        return this.layers.get("second")!.forward(h).add(this.extra.get("shift")!);
      }
    }
    bp.manualSeed(1);
    const model = new Model();
    expect(model.namedParameters().map(([n]) => n)).toEqual([
      "layers.first.weight", "layers.first.bias", "layers.second.weight", "layers.second.bias", "gains.0", "extra.shift",
    ]);
    const x = bp.randn(8, 2);
    const y = x.sum({ dim: 1, keepdim: true });
    const opt = new bp.optim.SGD(model.parameters(), { lr: 0.1 });
    const before = model.gains.at(0).data().slice();
    for (let i = 0; i < 5; i++) {
      opt.zeroGrad();
      bp.F.mseLoss(model.forward(x), y).backward();
      opt.step();
    }
    expect(Array.from(model.gains.at(0).data())).not.toEqual(Array.from(before));
    expect(model.extra.get("shift")!.item()).not.toBe(0);
    const copy = new Model();
    copy.loadStateDict(model.stateDict());
    expect(copy.forward(x).toArray()).toEqual(model.forward(x).toArray());
  });
});
