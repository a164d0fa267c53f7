/** Module mechanics: registration and names, stateDict round trips and errors, modes, dtype conversion, repr. */
import { describe, expect, test } from "vitest";
import * as bp from "../../src/index.js";

const { nn } = bp;

class Encoder extends nn.Module {
  encoder = new nn.Sequential(new nn.Linear(4, 3), new nn.ReLU());
  scale = new nn.Parameter(bp.ones([1]));
  head = new nn.Linear(3, 2, { bias: false });
  constructor() {
    super();
    this.registerBuffer("runningMean", bp.zeros([3]));
  }
  forward(x: bp.Tensor): bp.Tensor {
    return this.head.forward(this.encoder.forward(x).mul(this.scale));
  }
}

describe("registration and names", () => {
  test("Sequential(Linear, Sigmoid, Linear) has PyTorch's parameter names and shapes", () => {
    const m = new nn.Sequential(new nn.Linear(2, 3), new nn.Sigmoid(), new nn.Linear(3, 1));
    expect(m.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ["0.weight", [3, 2]], ["0.bias", [3]], ["2.weight", [1, 3]], ["2.bias", [1]],
    ]);
    expect(m.parameters().every((p) => p.requiresGrad && p.isLeaf)).toBe(true);
  });

  test("nested modules give dotted names; own parameters, then buffers, then children in stateDict (as PyTorch)", () => {
    const m = new Encoder();
    expect(m.namedParameters().map(([n]) => n)).toEqual(["scale", "encoder.0.weight", "encoder.0.bias", "head.weight"]);
    expect(Object.keys(m.stateDict())).toEqual(["scale", "runningMean", "encoder.0.weight", "encoder.0.bias", "head.weight"]);
    expect(m.namedBuffers().map(([n]) => n)).toEqual(["runningMean"]);
    expect(m.namedModules().map(([n]) => n)).toEqual(["", "encoder", "encoder.0", "encoder.1", "head"]);
  });

  test("a field holding a tensor that requires grad registers; a plain tensor does not", () => {
    class M extends nn.Module {
      w = bp.randn([2], { requiresGrad: true });
      constant = bp.ones([2]);
      forward(x: bp.Tensor) { return x.mul(this.w).add(this.constant); }
    }
    expect(new M().namedParameters().map(([n]) => n)).toEqual(["w"]);
  });

  test("a shared module's parameters are listed once, but saved and loaded under both names (as PyTorch)", () => {
    const lin = new nn.Linear(2, 2);
    const m = new nn.Sequential(lin, lin);
    expect(m.namedParameters().map(([n]) => n)).toEqual(["0.weight", "0.bias"]);
    expect(m.modules().length).toBe(2);
    expect(Object.keys(m.stateDict())).toEqual(["0.weight", "0.bias", "1.weight", "1.bias"]);
    expect(m.loadStateDict(m.stateDict())).toEqual({ missingKeys: [], unexpectedKeys: [] });
  });

  test("a module that contains itself is refused by stateDict instead of recursing forever", () => {
    const outer = new nn.Sequential(new nn.Linear(1, 1));
    outer.registerModule("self", outer);
    expect(outer.namedModules().map(([n]) => n)).toEqual(["", "0"]);
    expect(() => outer.stateDict()).toThrow('stateDict: the module at "self" contains itself (a cycle of module fields)');
  });

  test("toString follows PyTorch's repr layout", () => {
    const m = new nn.Sequential(new nn.Linear(2, 3), new nn.Sigmoid(), new nn.Sequential(new nn.Dropout(0.25), new nn.LayerNorm(3)));
    expect(m.toString()).toBe(
      "Sequential(\n" +
      "  (0): Linear(inFeatures=2, outFeatures=3, bias=true)\n" +
      "  (1): Sigmoid()\n" +
      "  (2): Sequential(\n" +
      "    (0): Dropout(p=0.25)\n" +
      "    (1): LayerNorm([3], eps=0.00001, elementwiseAffine=true)\n" +
      "  )\n" +
      ")",
    );
  });

  test("ModuleList indexes and iterates; it has no forward", () => {
    const list = new nn.ModuleList([new nn.Linear(1, 1), new nn.Tanh()]);
    list.append(new nn.ReLU());
    expect(list.length).toBe(3);
    expect(list.at(-1)).toBeInstanceOf(nn.ReLU);
    expect([...list].map((m) => m.constructor.name)).toEqual(["Linear", "Tanh", "ReLU"]);
    expect(() => list.at(3)).toThrow("ModuleList.at: index 3 is out of range for 3 modules");
    expect(() => list.forward()).toThrow("ModuleList: a ModuleList has no forward()");
    expect(() => new nn.Sequential(new nn.ReLU(), "relu" as unknown as bp.nn.Module)).toThrow("ModuleList: argument 1 is not a Module (got string)");
  });
});

describe("stateDict and loadStateDict", () => {
  test("round trip into a differently initialised model reproduces the outputs exactly", () => {
    bp.manualSeed(1);
    const a = new Encoder();
    bp.manualSeed(2);
    const b = new Encoder();
    const x = bp.randn([5, 4]);
    expect(b.forward(x).toArray()).not.toEqual(a.forward(x).toArray());
    const result = b.loadStateDict(a.stateDict());
    expect(result).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(b.forward(x).toArray()).toEqual(a.forward(x).toArray());
    // Loading copies: the parameters keep their identity and do not alias the source.
    const w = b.head.weight;
    b.loadStateDict(new Encoder().stateDict());
    expect(b.head.weight).toBe(w);
    expect(b.head.weight.storage).not.toBe(a.head.weight.storage);
  });

  test("stateDict tensors are detached views of the parameters", () => {
    const m = new nn.Linear(2, 2);
    const sd = m.stateDict();
    expect(sd.weight.requiresGrad).toBe(false);
    expect(sd.weight.storage).toBe(m.weight.storage);
  });

  test("one error lists every missing, unexpected and mis-shaped key, and nothing is loaded", () => {
    const m = new nn.Sequential(new nn.Linear(2, 3), new nn.Sigmoid(), new nn.Linear(3, 1));
    const before = m.parameters().map((p) => Array.from(p.data()));
    const sd = {
      "0.weight": bp.zeros([3, 2]),
      "0.bias": bp.zeros([4]),
      "2.weight": bp.zeros([3, 1]),
      "1.weight": bp.zeros([1]),
      "extra": bp.zeros([1]),
    };
    let message = "";
    try {
      m.loadStateDict(sd);
    } catch (e) {
      expect(e).toBeInstanceOf(bp.nn.StateDictError);
      expect(e).toBeInstanceOf(bp.ValueError);
      message = (e as Error).message;
    }
    expect(message).toBe(
      "loadStateDict: 4 problem(s) loading into Sequential:\n" +
      '  "0.bias": shape [4] in the state dict, [3] in the model\n' +
      '  "2.weight": shape [3,1] in the state dict, [1,3] in the model\n' +
      '  missing keys: "2.bias"\n' +
      '  unexpected keys: "1.weight", "extra"',
    );
    expect(m.parameters().map((p) => Array.from(p.data()))).toEqual(before);
  });

  test("strict: false reports missing and unexpected keys and loads the rest; shapes must still fit", () => {
    const m = new nn.Linear(2, 1);
    const r = m.loadStateDict({ weight: bp.tensor([[3, 4]]), other: bp.zeros([1]) }, { strict: false });
    expect(r).toEqual({ missingKeys: ["bias"], unexpectedKeys: ["other"] });
    expect(m.weight.toArray()).toEqual([[3, 4]]);
    expect(() => m.loadStateDict({ weight: bp.zeros([2]) }, { strict: false })).toThrow('"weight": shape [2] in the state dict, [1,2] in the model');
  });

  test("values are converted to the module's dtype", () => {
    const m = new nn.Linear(1, 1, { dtype: "float64" });
    m.loadStateDict({ weight: bp.tensor([[0.1]]), bias: bp.tensor([0.5]) });
    expect(m.weight.dtype).toBe("float64");
    expect(m.weight.item()).toBe(Math.fround(0.1));
  });
});

describe("modes, gradients and dtypes", () => {
  test("train()/eval() set the flag on every submodule; Dropout is the identity in eval", () => {
    const m = new nn.Sequential(new nn.Linear(4, 4), new nn.Sequential(new nn.Dropout(0.5)));
    expect(m.modules().every((x) => x.training)).toBe(true);
    m.eval();
    expect(m.modules().some((x) => x.training)).toBe(false);
    const x = bp.randn([3, 4]);
    expect(m.forward(x).toArray()).toEqual(m.forward(x).toArray());
    m.train();
    expect(m.modules().every((x) => x.training)).toBe(true);
  });

  test("zeroGrad() zeroes every gradient; zeroGrad(true) sets every gradient to null", () => {
    const m = new nn.Sequential(new nn.Linear(2, 2), new nn.Linear(2, 1));
    m.forward(bp.ones([1, 2])).sum().backward();
    expect(m.parameters().every((p) => p.grad !== null)).toBe(true);
    m.zeroGrad();
    expect(m.parameters().every((p) => p.grad !== null && p.grad.abs().max().item() === 0)).toBe(true);
    m.zeroGrad(true);
    expect(m.parameters().every((p) => p.grad === null)).toBe(true);
  });

  test("to('float64') converts parameters, buffers and gradients in place, keeping identity", () => {
    const m = new Encoder();
    const params = m.parameters();
    const x = bp.randn([2, 4]);
    const y32 = m.forward(x).data();
    m.forward(x).sum().backward();
    m.to("float64");
    expect(m.parameters()).toEqual(params);
    m.parameters().forEach((p, i) => {
      expect(p).toBe(params[i]);
      expect(p.dtype).toBe("float64");
      expect(p.storage).toBeInstanceOf(Float64Array);
      expect(p.grad!.dtype).toBe("float64");
    });
    expect(m.buffers()[0].dtype).toBe("float64");
    const y64 = m.forward(x.double()).data();
    y64.forEach((v, i) => expect(v).toBeCloseTo(y32[i], 5));
    expect(() => m.to("int32")).toThrow('Module.to: parameters can only be converted to "float32" or "float64", got "int32"');
  });
});

describe("layers", () => {
  test("Linear computes x·Wᵀ + b on 1-D, 2-D and 3-D inputs", () => {
    const m = new nn.Linear(2, 2);
    m.loadStateDict({ weight: bp.tensor([[1, 2], [3, 4]]), bias: bp.tensor([10, 20]) });
    expect(m.forward(bp.tensor([1, 1])).toArray()).toEqual([13, 27]);
    expect(m.forward(bp.tensor([[1, 0], [0, 1]])).toArray()).toEqual([[11, 23], [12, 24]]);
    expect(m.forward(bp.ones([2, 1, 2])).shape).toEqual([2, 1, 2]);
    expect(() => m.forward(bp.ones([3, 5]))).toThrow("linear: input [3,5] does not fit weight [2,2]");
  });

  test("activations, Identity, Flatten, Softmax", () => {
    const x = bp.tensor([[-2, 0, 3]]);
    expect(new nn.ReLU().forward(x).toArray()).toEqual([[0, 0, 3]]);
    expect(new nn.LeakyReLU(0.5).forward(x).toArray()).toEqual([[-1, 0, 3]]);
    expect(new nn.Tanh().forward(x).toArray()).toEqual(x.tanh().toArray());
    expect(new nn.Sigmoid().forward(x).toArray()).toEqual(x.sigmoid().toArray());
    expect(new nn.Identity().forward(x)).toBe(x);
    expect(new nn.Flatten().forward(bp.zeros([2, 3, 4])).shape).toEqual([2, 12]);
    const s = new nn.Softmax(1).forward(x).data();
    expect(s[0] + s[1] + s[2]).toBeCloseTo(1, 6);
  });

  test("Dropout: seeded masks, kept elements scaled by 1/(1 − p), gradient masked the same way", () => {
    const x = bp.ones([2000], { requiresGrad: true });
    const drop = new nn.Dropout(0.25, { generator: new bp.Generator(5) });
    const y = drop.forward(x);
    const values = y.data();
    const zeros = values.filter((v) => v === 0).length;
    expect(values.every((v) => v === 0 || v === Math.fround(1 / 0.75))).toBe(true);
    expect(zeros).toBeGreaterThan(400); // binomial(2000, 0.25): mean 500, sd 19
    expect(zeros).toBeLessThan(600);
    y.sum().backward();
    expect(Array.from(x.grad!.data())).toEqual(Array.from(values));
    const again = new nn.Dropout(0.25, { generator: new bp.Generator(5) }).forward(bp.ones([2000]));
    expect(Array.from(again.data())).toEqual(Array.from(values));
    expect(bp.F.dropout(x, 1).data().every((v) => v === 0)).toBe(true);
    expect(bp.F.dropout(x, { p: 0.5, training: false })).toBe(x);
    expect(() => new nn.Dropout(1.5)).toThrow("Dropout: probability p must be between 0 and 1, got 1.5");
  });

  test("Embedding looks up rows and checks its indices", () => {
    const e = new nn.Embedding(4, 2);
    e.loadStateDict({ weight: bp.tensor([[0, 1], [2, 3], [4, 5], [6, 7]]) });
    expect(e.forward(bp.tensor([[3, 0]], { dtype: "int32" })).toArray()).toEqual([[[6, 7], [0, 1]]]);
    expect(() => e.forward(bp.tensor([4], { dtype: "int32" }))).toThrow("index 4 is out of bounds");
    expect(() => e.forward(bp.tensor([1]))).toThrow("embedding: indices must be an int32 tensor, got float32");
  });

  test("Embedding's paddingIdx row starts at zero; negative paddingIdx counts from the end", () => {
    const e = new nn.Embedding(4, 3, { paddingIdx: -1 });
    expect(e.paddingIdx).toBe(3);
    expect(e.weight.narrow(0, 3, 1).toArray()).toEqual([[0, 0, 0]]);
    expect(e.weight.narrow(0, 0, 1).toArray()).not.toEqual([[0, 0, 0]]);
    expect(e.toString()).toBe("Embedding(4, 3, paddingIdx=3)");
    expect(() => new nn.Embedding(4, 3, { paddingIdx: 4 })).toThrow("embedding: paddingIdx must be an integer in [-4, 4), got 4");
  });

  test("LeakyReLU and GELU take options objects too", () => {
    expect(new nn.LeakyReLU({ negativeSlope: 0.5 }).forward(bp.tensor([-2])).toArray()).toEqual([-1]);
    expect(new nn.GELU({ approximate: "tanh" }).toString()).toBe('GELU(approximate="tanh")');
    expect(() => new nn.GELU({ approximate: "fast" as "tanh" })).toThrow('GELU: approximate must be "none" or "tanh", got "fast"');
  });

  test("LayerNorm checks the trailing shape", () => {
    expect(() => new nn.LayerNorm(3).forward(bp.zeros([2, 4]))).toThrow("layerNorm: input [2,4] must end with the normalized shape [3]");
    expect(new nn.LayerNorm([2, 3], { elementwiseAffine: false }).parameters()).toEqual([]);
  });
});

describe("loss modules", () => {
  test("forward(input, target) equals the functional loss; class weights are buffers", () => {
    const x = bp.tensor([[1, 2, 0.5], [0, -1, 3]]);
    const y = bp.tensor([2, 0], { dtype: "int32" });
    const w = bp.tensor([1, 2, 3]);
    const loss = new nn.CrossEntropyLoss({ weight: w, labelSmoothing: 0.1, reduction: "sum" });
    expect(loss.forward(x, y).item()).toBe(bp.F.crossEntropy(x, y, { weight: w, labelSmoothing: 0.1, reduction: "sum" }).item());
    expect(Object.keys(loss.stateDict())).toEqual(["weight"]);
    expect(loss.toString()).toBe('CrossEntropyLoss(reduction="sum")');
    loss.to("float64");
    expect(loss.options.weight!.dtype).toBe("float64");
    expect(new nn.MSELoss().forward(bp.tensor([1, 2]), bp.tensor([0, 0])).item()).toBe(2.5);
    expect(new nn.BCEWithLogitsLoss({ posWeight: bp.tensor([2]) }).forward(bp.tensor([0]), bp.tensor([1])).item()).toBeCloseTo(2 * Math.log(2), 6);
    expect(new nn.L1Loss({ reduction: "none" }).forward(bp.tensor([1, -2]), bp.tensor([0, 0])).toArray()).toEqual([1, 2]);
  });
});
