/**
 * Forward hooks (registerForwardPreHook / registerForwardHook), with
 * PyTorch's semantics: pre-hooks may replace the inputs (a non-array value
 * becomes the single input), forward hooks may replace the output, hooks
 * run in registration order, and handle.remove() is idempotent. Expected
 * values are worked out by hand from the layers' definitions.
 */
import { describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";

const { nn } = bp;

/** A module whose forward is easy to follow by hand: x ↦ 2x + c. */
class Affine extends nn.Module {
  calls = 0;
  constructor(readonly c = 1) { super(); }
  forward(x: bp.Tensor): bp.Tensor {
    this.calls++;
    return x.mul(2).add(this.c);
  }
}

function values(t: unknown): number[] {
  return Array.from((t as bp.Tensor).data());
}

describe("registerForwardHook", () => {
  it("sees the module, the inputs and the output, and leaves the output alone when it returns undefined", () => {
    const m = new Affine();
    const seen: [bp.nn.Module, unknown[], unknown][] = [];
    m.registerForwardHook((mod, inputs, output) => { seen.push([mod, inputs, output]); });
    const x = bp.tensor([1, 2]);
    const y = m.forward(x);
    expect(values(y)).toEqual([3, 5]);
    expect(seen).toHaveLength(1);
    expect(seen[0][0]).toBe(m);
    expect(seen[0][1]).toEqual([x]);
    expect(seen[0][1][0]).toBe(x);
    expect(seen[0][2]).toBe(y);
  });

  it("replaces the output with what it returns; later hooks see the replacement", () => {
    const m = new Affine();
    const order: string[] = [];
    m.registerForwardHook((_m, _i, out: bp.Tensor) => { order.push("a"); return out.mul(10); });
    m.registerForwardHook((_m, _i, out: bp.Tensor) => { order.push(`b:${values(out)}`); return undefined; });
    m.registerForwardHook((_m, _i, out: bp.Tensor) => { order.push("c"); return out.add(1); });
    expect(values(m.forward(bp.tensor([1])))).toEqual([31]); // (2·1 + 1)·10 + 1
    expect(order).toEqual(["a", "b:30", "c"]);
  });

  it("a replaced output carries the gradient of what the hook computed", () => {
    const lin = new nn.Linear(2, 1);
    lin.registerForwardHook((_m, _i, out: bp.Tensor) => out.mul(3));
    const x = bp.tensor([[1, 2]]);
    lin.forward(x).sum().backward();
    // d(3·(xWᵀ + b))/dW = 3x, d/db = 3
    expect(values(lin.weight.grad)).toEqual([3, 6]);
    expect(values(lin.bias!.grad)).toEqual([3]);
  });
});

describe("registerForwardPreHook", () => {
  it("a returned array replaces the inputs; a single value becomes the only input", () => {
    const m = new Affine();
    const h = m.registerForwardPreHook((_m, [x]: bp.Tensor[]) => [x.add(1)]);
    expect(values(m.forward(bp.tensor([1])))).toEqual([5]); // 2·2 + 1
    h.remove();
    m.registerForwardPreHook((_m, [x]: bp.Tensor[]) => x.neg());
    expect(values(m.forward(bp.tensor([1])))).toEqual([-1]); // 2·(−1) + 1
  });

  it("runs before forward, in registration order, each on the previous one's inputs; forward hooks see the replaced inputs", () => {
    const m = new Affine(0);
    const log: string[] = [];
    m.registerForwardPreHook((_m, [x]: bp.Tensor[]) => { log.push(`p1:${values(x)}:${m.calls}`); return [x.add(1)]; });
    m.registerForwardPreHook((_m, [x]: bp.Tensor[]) => { log.push(`p2:${values(x)}`); return undefined; });
    m.registerForwardHook((_m, [x]: bp.Tensor[], out: bp.Tensor) => { log.push(`f:${values(x)}->${values(out)}`); });
    m.forward(bp.tensor([1]));
    expect(log).toEqual(["p1:1:0", "p2:2", "f:2->4"]);
  });

  it("passes every input of a module that takes several", () => {
    const loss = new nn.MSELoss();
    loss.registerForwardPreHook((_m, [input, target]: bp.Tensor[]) => [input, target.mul(0)]);
    expect(loss.forward(bp.tensor([3, 4]), bp.tensor([3, 4])).item()).toBe(12.5); // (9 + 16) / 2
  });
});

describe("hook handles", () => {
  it("remove() stops the hook and is idempotent; other hooks keep running", () => {
    const m = new Affine();
    let a = 0;
    let b = 0;
    const ha = m.registerForwardHook(() => { a++; });
    m.registerForwardHook(() => { b++; });
    m.forward(bp.tensor([1]));
    ha.remove();
    ha.remove();
    m.forward(bp.tensor([1]));
    expect([a, b]).toEqual([1, 2]);
  });

  it("a hook that removes itself still finishes the current call's list", () => {
    const m = new Affine();
    const log: string[] = [];
    const h1 = m.registerForwardHook(() => { log.push("1"); h1.remove(); });
    m.registerForwardHook(() => { log.push("2"); });
    m.forward(bp.tensor([1]));
    m.forward(bp.tensor([1]));
    expect(log).toEqual(["1", "2", "2"]);
  });

  it("rejects a hook that is not a function, naming the method", () => {
    const m = new Affine();
    expect(() => m.registerForwardHook(null as never)).toThrow(/registerForwardHook: the hook must be a function, got null/);
    expect(() => m.registerForwardPreHook(3 as never)).toThrow(/registerForwardPreHook: the hook must be a function, got number/);
  });
});

describe("where hooks run", () => {
  it("on the children of a Sequential, when the user calls the Sequential's forward", () => {
    bp.manualSeed(0);
    const model = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2));
    const captured: [string, bp.Tensor][] = [];
    for (const [name, m] of model.namedModules()) {
      if (name !== "") m.registerForwardHook((_m, _i, out: bp.Tensor) => { captured.push([name, out]); });
    }
    const x = bp.randn([5, 3]);
    const y = model.forward(x);
    expect(captured.map(([n]) => n)).toEqual(["0", "1", "2"]);
    expect(captured[2][1]).toBe(y);
    const [lin0, , lin2] = model.children() as [bp.nn.Linear, bp.nn.ReLU, bp.nn.Linear];
    const z = lin0.weight;
    expect(values(captured[0][1])).toEqual(values(x.matmul(z.T).add(lin0.bias!)));
    expect(values(captured[1][1])).toEqual(values(captured[0][1].relu()));
    expect(values(y)).toEqual(values(captured[1][1].matmul(lin2.weight.T).add(lin2.bias!)));
  });

  it("a child's replaced output is what the next child receives", () => {
    const model = new nn.Sequential(new Affine(0), new Affine(0));
    model.children()[0].registerForwardHook(() => bp.tensor([100]));
    expect(values(model.forward(bp.tensor([1])))).toEqual([200]);
  });

  it("on the Sequential itself, around its children's hooks", () => {
    const model = new nn.Sequential(new Affine(), new Affine());
    const log: string[] = [];
    model.registerForwardPreHook(() => { log.push("seq pre"); });
    model.registerForwardHook(() => { log.push("seq post"); });
    model.children()[1].registerForwardHook(() => { log.push("child 1"); });
    model.forward(bp.tensor([0]));
    expect(log).toEqual(["seq pre", "child 1", "seq post"]);
  });

  it("around a forward assigned to the instance, before or after the first hook", () => {
    const relu = new nn.ReLU();
    relu.forward = (x: bp.Tensor) => x.mul(-1);
    const log: number[][] = [];
    relu.registerForwardHook((_m, _i, out: bp.Tensor) => { log.push(values(out)); });
    expect(values(relu.forward(bp.tensor([2])))).toEqual([-2]);
    relu.forward = (x: bp.Tensor) => x.mul(5);
    expect(values(relu.forward(bp.tensor([2])))).toEqual([10]);
    expect(log).toEqual([[-2], [10]]);
  });

  it("leave the module's parameters, children, state dict and printout unchanged", () => {
    bp.manualSeed(1);
    const model = new nn.Sequential(new nn.Linear(2, 2), new nn.Tanh());
    const before = { names: model.namedParameters().map(([n]) => n), keys: Object.keys(model.stateDict()), text: model.toString(), kids: model.namedChildren().map(([n]) => n) };
    model.registerForwardHook(() => undefined);
    model.children()[0].registerForwardPreHook(() => undefined);
    expect({ names: model.namedParameters().map(([n]) => n), keys: Object.keys(model.stateDict()), text: model.toString(), kids: model.namedChildren().map(([n]) => n) }).toEqual(before);
  });

  it("on a module shared by two places, at each call", () => {
    const shared = new Affine(0);
    const model = new nn.Sequential(shared, shared);
    let calls = 0;
    shared.registerForwardHook(() => { calls++; });
    expect(values(model.forward(bp.tensor([1])))).toEqual([4]);
    expect(calls).toBe(2);
  });
});

describe("introspection", () => {
  it("children(), namedModules() and apply() walk the tree as PyTorch does", () => {
    const inner = new nn.Sequential(new nn.Linear(2, 2), new nn.ReLU());
    const model = new nn.Sequential(inner, new nn.Linear(2, 1));
    expect(model.children()).toEqual([inner, model.children()[1]]);
    expect(model.namedModules().map(([n, m]) => `${n}:${m.constructor.name}`)).toEqual([":Sequential", "0:Sequential", "0.0:Linear", "0.1:ReLU", "1:Linear"]);
    const visited: string[] = [];
    expect(model.apply((m) => { visited.push(m.constructor.name); })).toBe(model);
    // children first, then the module itself
    expect(visited).toEqual(["Linear", "ReLU", "Sequential", "Linear", "Sequential"]);
  });
});

describe("types", () => {
  it("Sequential.forward takes and returns a Tensor", () => {
    const model = new nn.Sequential(new nn.Linear(2, 3));
    const out: bp.Tensor = model.forward(bp.zeros([1, 2]));
    expect(out.shape).toEqual([1, 3]);
    // A hook on a Linear receives it as a Linear.
    const lin = new nn.Linear(2, 3);
    const h = lin.registerForwardHook((m) => { expect(m.weight.shape).toEqual([3, 2]); });
    lin.forward(bp.zeros([1, 2]));
    h.remove();
    const typeChecks = () => {
      // @ts-expect-error: a typo in a method of the output is caught (forward is not `any`)
      model.forward(bp.zeros([1, 2])).sofmax(-1);
      // @ts-expect-error: the input must be a Tensor
      model.forward([1, 2]);
    };
    expect(typeof typeChecks).toBe("function");
  });
});
