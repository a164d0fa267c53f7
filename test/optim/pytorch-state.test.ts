/**
 * The PyTorch hand-off's optimizer state (issue #16), against PyTorch 1.13
 * fixtures (test/fixtures/gen_handoff.py): a torch state_dict and
 * optimizer.state_dict() saved in the two-file layout (by the hand-off
 * train.py's own writer) load here and the
 * next step gives PyTorch's loss and weights; our state converted to torch's
 * layout equals PyTorch's after the same steps; bad states list every problem.
 */
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import * as bp from "backpropagation";

const DIR = new URL("../fixtures/handoff/", import.meta.url);
const file = (name: string) => new URL(name, DIR).pathname;
const cases = JSON.parse(fs.readFileSync(file("cases.json"), "utf8")).cases as {
  name: string; torch: string; options: Record<string, unknown>; lossesBeforeSteps: number[]; lossAfterNextStep: number;
}[];
const batch = bp.load(file("batch.safetensors"));

function network(): bp.nn.Sequential {
  return new bp.nn.Sequential(new bp.nn.Linear(5, 4), new bp.nn.Tanh(), new bp.nn.Linear(4, 3));
}

function optimizerFor(torchName: string, params: bp.Tensor[], options: Record<string, unknown>): bp.optim.Optimizer<any> {
  switch (torchName) {
    case "SGD": return new bp.optim.SGD(params, options as { lr: number });
    case "Adam": return new bp.optim.Adam(params, options);
    case "AdamW": return new bp.optim.AdamW(params, options);
    case "RMSprop": return new bp.optim.RMSprop(params, options);
    case "Adagrad": return new bp.optim.Adagrad(params, options);
  }
  throw new Error(torchName);
}

function readTorchState(name: string): bp.optim.PyTorchOptimizerState {
  const json = JSON.parse(fs.readFileSync(file(`${name}/optimizer.json`), "utf8"));
  return bp.optim.joinTensors(json, bp.load(file(`${name}/optimizer.safetensors`))) as bp.optim.PyTorchOptimizerState;
}

function stepLoss(net: bp.nn.Sequential, opt: bp.optim.Optimizer<any> | null): number {
  opt?.zeroGrad();
  const loss = bp.nn.functional.mseLoss(net.forward(batch.x) as bp.Tensor, batch.y);
  if (opt) {
    loss.backward();
    opt.step();
  }
  return loss.item();
}

/** Equal to float32 rounding, relative to the tensor's largest entry (centered RMSprop's √(E[g²] − E[g]²) amplifies rounding). */
function expectClose(a: bp.Tensor, b: bp.Tensor, what: string, rtol = 2e-6): void {
  expect(a.shape, what).toEqual(b.shape);
  const x = a.data(), y = b.data();
  const scale = Math.max(1, ...Array.from(y, Math.abs));
  for (let i = 0; i < x.length; i++) expect(Math.abs(x[i] - y[i]), `${what}[${i}]`).toBeLessThanOrEqual(rtol * scale);
}

describe("PyTorch optimizer state → backprop (the hand-off's import)", () => {
  for (const c of cases) {
    it(`${c.name}: torch's state_dict and optimizer state load, and the next step gives torch's loss and weights`, () => {
      const net = network();
      net.loadStateDict(bp.load(file(`${c.name}/model.safetensors`)));
      const opt = optimizerFor(c.torch, net.parameters(), c.options);
      bp.optim.loadPyTorchOptimizerState(opt, readTorchState(c.name));
      const before = stepLoss(net, opt);
      expect(before).toBeCloseTo(c.lossesBeforeSteps[3], 6);
      const after = stepLoss(net, null);
      expect(Math.abs(after - c.lossAfterNextStep)).toBeLessThanOrEqual(1e-6 * Math.abs(c.lossAfterNextStep));
      const next = bp.load(file(`${c.name}/next.safetensors`));
      for (const [k, v] of Object.entries(net.stateDict())) expectClose(v, next[k], `${c.name} ${k}`);
    });
  }
});

describe("backprop optimizer state → PyTorch's layout (the hand-off's export)", () => {
  for (const c of cases) {
    it(`${c.name}: after the same 3 steps, toPyTorchOptimizerState matches torch's optimizer.state_dict()`, () => {
      const net = network();
      net.loadStateDict(bp.load(file("initial.safetensors")));
      const opt = optimizerFor(c.torch, net.parameters(), c.options);
      for (let i = 0; i < 3; i++) expect(stepLoss(net, opt)).toBeCloseTo(c.lossesBeforeSteps[i], 6);
      const ours = bp.optim.toPyTorchOptimizerState(opt);
      const torch = readTorchState(c.name);
      expect(ours.param_groups).toEqual(torch.param_groups);
      expect(Object.keys(ours.state)).toEqual(Object.keys(torch.state));
      for (const [id, s] of Object.entries(torch.state)) {
        expect(Object.keys(ours.state[id]).sort(), `state ${id}`).toEqual(Object.keys(s).sort());
        for (const [k, v] of Object.entries(s)) {
          if (v instanceof bp.Tensor) expectClose(ours.state[id][k] as bp.Tensor, v, `${c.name} state ${id} ${k}`, 2e-5);
          else expect(ours.state[id][k], `${c.name} state ${id} ${k}`).toBe(v);
        }
      }
      // And the JSON + safetensors split round-trips.
      const { json, tensors } = bp.optim.splitTensors(ours);
      const back = bp.optim.joinTensors(JSON.parse(JSON.stringify(json)), bp.deserialize(bp.serialize(tensors))) as bp.optim.PyTorchOptimizerState;
      expect(back.param_groups).toEqual(ours.param_groups);
    });
  }
});

describe("bad PyTorch states: every offending name is listed", () => {
  it("an optimizer state with missing and mis-shaped entries names each one", () => {
    const net = network();
    const opt = new bp.optim.Adam(net.parameters(), { lr: 0.01 });
    const state = readTorchState("adam");
    delete state.state["0"].exp_avg_sq;
    delete state.state["2"].exp_avg;
    state.state["1"].exp_avg = bp.zeros([7]);
    state.state["3"].exp_avg_sq = bp.zeros([3, 1]);
    delete state.param_groups[0].eps;
    let message = "";
    try {
      bp.optim.loadPyTorchOptimizerState(opt, state);
    } catch (err) {
      message = (err as Error).message;
      expect(err).toBeInstanceOf(bp.StateDictError);
    }
    expect(message).toContain("5 problem(s)");
    expect(message).toContain('missing hyperparameter(s) "eps"');
    expect(message).toContain('state 0: missing "exp_avg_sq"');
    expect(message).toContain('state 2: missing "exp_avg"');
    expect(message).toContain('state 1 "exp_avg": shape [7], parameter 1 of group 0 has shape [4]');
    expect(message).toContain('state 3 "exp_avg_sq": shape [3,1], parameter 3 of group 0 has shape [3]');
    // Nothing was loaded.
    expect(opt.state.size).toBe(0);
  });

  it("a step count kept as a 0-d tensor (as torch keeps Adam's) loads as a number; a step of several numbers is refused", () => {
    const net = network();
    net.loadStateDict(bp.load(file("adam/model.safetensors")));
    const opt = new bp.optim.Adam(net.parameters(), { lr: 0.01 });
    const state = readTorchState("adam");
    for (const s of Object.values(state.state)) s.step = bp.tensor(3);
    bp.optim.loadPyTorchOptimizerState(opt, state);
    expect(opt.stateDict().state[0].step).toBe(3);
    stepLoss(net, opt);
    expect(Math.abs(stepLoss(net, null) - cases.find((c) => c.name === "adam")!.lossAfterNextStep)).toBeLessThanOrEqual(1e-6);
    state.state["1"].step = bp.tensor([3, 3]);
    expect(() => bp.optim.loadPyTorchOptimizerState(opt, state)).toThrow(/state 1 "step": a step count must be one number, got shape \[2\]/);
  });

  it("maximize=True and a wrong parameter count are refused", () => {
    const net = network();
    const opt = new bp.optim.SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
    const state = readTorchState("sgd_momentum");
    state.param_groups[0].maximize = true;
    expect(() => bp.optim.loadPyTorchOptimizerState(opt, state)).toThrow(/maximize=True is not supported/);
    const short = readTorchState("sgd_momentum");
    short.param_groups[0].params = [0, 1, 2];
    expect(() => bp.optim.loadPyTorchOptimizerState(opt, short)).toThrow(/group 0: 3 parameter index\(es\) in the state, 4 parameters here/);
  });

  it("a SGD-with-momentum state without its buffers is refused; plain SGD's None buffers are fine", () => {
    const net = network();
    const momentum = new bp.optim.SGD(net.parameters(), { lr: 0.05, momentum: 0.9 });
    const state = readTorchState("sgd_momentum");
    for (const s of Object.values(state.state)) s.momentum_buffer = null;
    expect(() => bp.optim.loadPyTorchOptimizerState(momentum, state)).toThrow(/state 0: missing "momentum_buffer"[\s\S]*state 3: missing "momentum_buffer"/);
    const plain = new bp.optim.SGD(net.parameters(), { lr: 0.1 });
    bp.optim.loadPyTorchOptimizerState(plain, readTorchState("sgd"));
    expect(plain.stateDict().state).toEqual({ 0: {}, 1: {}, 2: {}, 3: {} }); // what SGD without momentum keeps after a step
  });

  it("a torch state_dict with missing and mis-shaped keys names each one", () => {
    const sd = bp.load(file("adam/model.safetensors"));
    delete sd["0.bias"];
    sd["2.weight"] = bp.zeros([4, 3]);
    sd["4.weight"] = bp.zeros([1]);
    expect(() => network().loadStateDict(sd)).toThrow(/3 problem\(s\)[\s\S]*"2\.weight": shape \[4,3\] in the state dict, \[3,4\] in the model[\s\S]*missing keys: "0\.bias"[\s\S]*unexpected keys: "4\.weight"/);
  });

  it("a placeholder naming a tensor the safetensors file lacks is named", () => {
    const json = JSON.parse(fs.readFileSync(file("adam/optimizer.json"), "utf8"));
    expect(() => bp.optim.joinTensors(json, {}, "adam")).toThrow(/adam: .*"state\.0\.exp_avg", "state\.0\.exp_avg_sq", "state\.1\.exp_avg"/);
  });
});
