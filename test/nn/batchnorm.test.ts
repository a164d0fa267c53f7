/**
 * BatchNorm1d/2d as layers: several SGD steps in train mode give PyTorch
 * 1.13's losses, parameters and running statistics (fixtures from
 * test/fixtures/gen_pool.py), eval() then normalises with the running
 * statistics, and a PyTorch-layout state dict loads as is.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import * as bp from "../../src/index.node.js";
import fixture from "../fixtures/pool.json" with { type: "json" };

interface Encoded { shape: number[]; data: number[]; dtype: "int32" | "float64" }
interface TrainingCase {
  name: string;
  initial: Record<string, Encoded>;
  lr: number;
  batches: Encoded[];
  targets: Encoded[];
  losses: number[];
  final: Record<string, Encoded>;
  evalInput: Encoded;
  evalOutput: Encoded;
}

const nn = bp.nn;
/** The same architectures as gen_pool.py's train_case calls, by case name. */
const models: Record<string, () => bp.nn.Module> = {
  "BatchNorm2d(3)": () => new nn.BatchNorm2d(3, { dtype: "float64" }),
  "BatchNorm2d(2, momentum=None) (cumulative average)": () => new nn.BatchNorm2d(2, { momentum: null, dtype: "float64" }),
  "BatchNorm1d(4, affine=False, momentum=0.2) on [N,C,L], then Linear(6,3)": () =>
    new nn.Sequential(new nn.BatchNorm1d(4, { affine: false, momentum: 0.2, dtype: "float64" }), new nn.Linear(6, 3, { dtype: "float64" })),
  "Linear-BatchNorm1d-ReLU-Linear": () =>
    new nn.Sequential(new nn.Linear(4, 3), new nn.BatchNorm1d(3), new nn.ReLU(), new nn.Linear(3, 2)).to("float64"),
  "BatchNorm2d-MaxPool2d-ReLU-AdaptiveAvgPool2d-Flatten-Linear": () =>
    new nn.Sequential(new nn.BatchNorm2d(2), new nn.MaxPool2d(2), new nn.ReLU(), new nn.AdaptiveAvgPool2d(2), new nn.Flatten(), new nn.Linear(8, 3)).to("float64"),
};

const decode = (e: Encoded) => bp.tensor(e.data, { dtype: e.dtype }).reshape(e.shape);
const decodeAll = (sd: Record<string, Encoded>) => Object.fromEntries(Object.entries(sd).map(([k, e]) => [k, decode(e)]));

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, where: string): void {
  expect(actual.length, where).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= tol * (1 + Math.abs(expected[i])))) {
      expect.fail(`${where}: element ${i} is ${actual[i]}, PyTorch gives ${expected[i]}`);
    }
  }
}

const cases = fixture.training as unknown as TrainingCase[];

describe("BatchNorm layers trained with SGD match PyTorch", () => {
  test.each(cases.map((c) => [c.name, c] as const))("%s", (name, c) => {
    const model = models[name]();
    expect(Object.keys(model.stateDict())).toEqual(Object.keys(c.initial));
    model.loadStateDict(decodeAll(c.initial));
    const opt = new bp.optim.SGD(model.parameters(), { lr: c.lr });
    model.train();
    c.batches.forEach((batch, step) => {
      const y = model.forward(decode(batch)) as bp.Tensor;
      const loss = y.sub(decode(c.targets[step])).square().mean();
      expect(loss.item()).toBeCloseTo(c.losses[step], 10);
      opt.zeroGrad();
      loss.backward();
      opt.step();
    });
    const sd = model.stateDict();
    for (const [key, e] of Object.entries(c.final)) {
      expect(sd[key].shape, key).toEqual(e.shape);
      if (e.dtype === "int32") {
        expect(sd[key].dtype, key).toBe("int32");
        expect(Array.from(sd[key].data()), key).toEqual(e.data);
      } else expectClose(sd[key].data(), e.data, 1e-11, key);
    }
    model.eval();
    const out = bp.noGrad(() => model.forward(decode(c.evalInput)) as bp.Tensor);
    expectClose(out.data(), c.evalOutput.data, 1e-11, "eval output");
  });

  test("a trained PyTorch state dict loads as is, and eval() uses its running statistics", () => {
    const c = cases.find((k) => k.name === "BatchNorm2d(3)")!;
    const bn = new nn.BatchNorm2d(3).to("float64");
    bn.loadStateDict(decodeAll(c.final));
    expect(bn.num_batches_tracked!.item()).toBe(c.batches.length);
    bn.eval();
    expectClose(bn.forward(decode(c.evalInput)).data(), c.evalOutput.data, 1e-11, "eval output");
    // eval() does not touch the statistics, train() does.
    const before = Array.from(bn.running_mean!.data());
    bn.forward(decode(c.evalInput));
    expect(Array.from(bn.running_mean!.data())).toEqual(before);
    bn.train().forward(decode(c.evalInput));
    expect(Array.from(bn.running_mean!.data())).not.toEqual(before);
    expect(bn.num_batches_tracked!.item()).toBe(c.batches.length + 1);
  });

  test("a float32 layer loads the float64 state dict and agrees to float32 precision", () => {
    const c = cases.find((k) => k.name === "BatchNorm2d(3)")!;
    const bn = new nn.BatchNorm2d(3);
    bn.loadStateDict(decodeAll(c.final));
    bn.eval();
    const out = bn.forward(decode(c.evalInput).to("float32"));
    expect(out.dtype).toBe("float32");
    expectClose(out.data(), c.evalOutput.data, 1e-5, "eval output");
  });
});

describe("a state dict saved by PyTorch as safetensors", () => {
  test("loads into BatchNorm2d as is (num_batches_tracked from I64), and eval() gives PyTorch's output", () => {
    const saved = fixture.safetensors as unknown as { file: string; numBatchesTracked: number; evalInput: Encoded; evalOutput: Encoded };
    const sd = bp.load(fileURLToPath(new URL(`../fixtures/${saved.file}`, import.meta.url)));
    expect(Object.keys(sd).sort()).toEqual(["bias", "num_batches_tracked", "running_mean", "running_var", "weight"]);
    const bn = new nn.BatchNorm2d(3);
    bn.loadStateDict(sd);
    expect(bn.num_batches_tracked!.dtype).toBe("int32");
    expect(bn.num_batches_tracked!.item()).toBe(saved.numBatchesTracked);
    bn.eval();
    const out = bn.forward(decode(saved.evalInput).to("float32"));
    expectClose(out.data(), saved.evalOutput.data, 1e-6, "eval output");
    // And back: what bp.serialize writes loads into a fresh layer with the same result.
    const copy = new nn.BatchNorm2d(3);
    copy.loadStateDict(bp.deserialize(bp.serialize(bn.stateDict())));
    expect(Array.from(copy.eval().forward(decode(saved.evalInput).to("float32")).data())).toEqual(Array.from(out.data()));
  });
});

describe("BatchNorm layers: structure and errors", () => {
  test("parameters, buffers and state-dict keys have PyTorch's names and initial values", () => {
    const bn = new nn.BatchNorm2d(4);
    expect(bn.namedParameters().map(([k]) => k)).toEqual(["weight", "bias"]);
    expect(bn.namedBuffers().map(([k]) => k)).toEqual(["running_mean", "running_var", "num_batches_tracked"]);
    expect(Object.keys(bn.stateDict())).toEqual(["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]);
    expect(Array.from(bn.weight!.data())).toEqual([1, 1, 1, 1]);
    expect(Array.from(bn.bias!.data())).toEqual([0, 0, 0, 0]);
    expect(Array.from(bn.running_mean!.data())).toEqual([0, 0, 0, 0]);
    expect(Array.from(bn.running_var!.data())).toEqual([1, 1, 1, 1]);
    expect(bn.num_batches_tracked!.dtype).toBe("int32");
    expect(bn.num_batches_tracked!.shape).toEqual([]);
    expect(String(bn)).toBe("BatchNorm2d(4, eps=0.00001, momentum=0.1, affine=true, trackRunningStats=true)");
  });

  test("affine: false has no parameters; trackRunningStats: false has no buffers and always uses batch statistics", () => {
    expect(new nn.BatchNorm1d(3, { affine: false }).parameters()).toEqual([]);
    const bn = new nn.BatchNorm1d(2, { trackRunningStats: false, affine: false, dtype: "float64" });
    expect(Object.keys(bn.stateDict())).toEqual([]);
    const x = bp.tensor([[1, 10], [3, 20], [5, 60]], { dtype: "float64" });
    const train = bn.forward(x).data();
    const evalOut = bn.eval().forward(x).data();
    expect(Array.from(evalOut)).toEqual(Array.from(train));
    // Column 0 is 1, 3, 5: mean 3, biased variance 8/3.
    expect(train[0]).toBeCloseTo(-2 / Math.sqrt(8 / 3 + 1e-5), 12);
  });

  test("an input of the wrong rank or channel count is refused, naming the layer and what fits", () => {
    expect(() => new nn.BatchNorm2d(3).forward(bp.zeros([2, 3, 4]))).toThrowError(
      "BatchNorm2d: expected a 4-D [N, C, H, W] input, got shape [2,3,4]",
    );
    expect(() => new nn.BatchNorm1d(3).forward(bp.zeros([2, 3, 4, 4]))).toThrowError(
      "BatchNorm1d: expected a 2-D [N, C] or 3-D [N, C, L] input, got shape [2,3,4,4]",
    );
    expect(() => new nn.BatchNorm2d(4).forward(bp.zeros([2, 3, 5, 5]))).toThrowError(
      "BatchNorm2d: input [2,3,5,5] has 3 channels (dim 1), but the layer was built for numFeatures = 4",
    );
    const single = new nn.BatchNorm1d(3);
    expect(() => single.forward(bp.zeros([1, 3]))).toThrowError(
      "batchNorm: expected more than 1 value per channel when training, got input [1,3]; use a batch of 2 or more, or eval mode",
    );
    expect(single.num_batches_tracked!.item()).toBe(0);
    expect(() => new nn.BatchNorm1d(0)).toThrowError(bp.ValueError);
    expect(() => new nn.BatchNorm1d(2, { momentum: 2 })).toThrowError("BatchNorm1d: momentum must be between 0 and 1");
  });

  test("a state dict with another numFeatures is refused by loadStateDict", () => {
    const bn = new nn.BatchNorm2d(3);
    const other = new nn.BatchNorm2d(4).stateDict();
    expect(() => bn.loadStateDict(other)).toThrowError(/"running_mean": shape \[4\] in the state dict, \[3\] in the model/);
  });
});
