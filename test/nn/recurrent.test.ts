/**
 * RNN, LSTM, GRU and their cells against PyTorch 1.13 (fixtures from
 * test/fixtures/gen_rnn.py): PyTorch's state dicts loaded into our modules
 * reproduce the outputs, final states and the gradients of a scalar loss
 * with respect to the input, the initial states and every parameter, on
 * every backend, in float64 and float32; sizes that reach the wasm and
 * native kernels; gradcheck and gradgradcheck (float64); dropout between
 * layers; the parameter names, init range and input errors.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import * as bp from "../../src/index.node.js";
import { BACKENDS } from "../backends.js";
import fixture from "../fixtures/rnn.json" with { type: "json" };

interface Encoded { shape: number[]; data: number[] }
type ModuleName = "RNN" | "LSTM" | "GRU" | "RNNCell" | "LSTMCell" | "GRUCell";
interface Case {
  name: string;
  cls: ModuleName;
  args: [number, number];
  options: Record<string, any>;
  stateDict: Record<string, Encoded>;
  x: Encoded;
  states: Encoded[];
  out: Encoded | null;
  final: Encoded[];
  cotangents: Record<string, Encoded>;
  grads: Record<string, Encoded>;
}
interface LargeCase {
  name: string;
  cls: ModuleName;
  args: [number, number];
  options: Record<string, any>;
  xShape: number[];
  stateShapes: number[][];
  step: number;
  outShape: number[];
  out: number[];
  final: Encoded[];
  grads: Record<string, number[]>;
}
type FloatDType = "float32" | "float64";

const cases = fixture.cases as unknown as Case[];
const large = fixture.large as unknown as LargeCase[];

const CLASSES = {
  RNN: bp.nn.RNN, LSTM: bp.nn.LSTM, GRU: bp.nn.GRU,
  RNNCell: bp.nn.RNNCell, LSTMCell: bp.nn.LSTMCell, GRUCell: bp.nn.GRUCell,
} as const;

function build(cls: ModuleName, args: [number, number], options: Record<string, any>, dtype: FloatDType): bp.nn.Module {
  const Ctor = CLASSES[cls] as unknown as new (a: number, b: number, o: Record<string, any>) => bp.nn.Module;
  return new Ctor(args[0], args[1], { ...options, dtype });
}

function decode(e: Encoded, dtype: FloatDType, requiresGrad = false): bp.Tensor {
  const t = bp.tensor(e.data, { dtype }).reshape(e.shape);
  t.requiresGrad = requiresGrad;
  return t;
}

function pattern(shape: readonly number[], seed: number, scale: number, dtype: FloatDType, requiresGrad = false): bp.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = ((((i * 7919 + seed) % 2049) - 1024) / 1024) * scale;
  const t = bp.tensor(data, { dtype }).reshape(shape);
  t.requiresGrad = requiresGrad;
  return t;
}

/** Runs any of the six modules; returns the sequence output (null for cells) and the final states. */
function run(cls: ModuleName, m: bp.nn.Module, x: bp.Tensor, states: bp.Tensor[]): { out: bp.Tensor | null; final: bp.Tensor[] } {
  const lstm = cls.startsWith("LSTM");
  const arg = states.length === 0 ? undefined : lstm ? [states[0], states[1]] : states[0];
  const res = m.forward(x, arg);
  if (cls.endsWith("Cell")) return { out: null, final: lstm ? [...res] : [res] };
  return { out: res[0], final: lstm ? [...res[1]] : [res[1]] };
}

function expectClose(ours: ArrayLike<number>, ref: readonly number[], tol: number, what: string): void {
  expect(ours.length, what).toBe(ref.length);
  for (let i = 0; i < ref.length; i++) {
    const allowed = tol * (1 + Math.abs(ref[i]));
    if (!(Math.abs(ours[i] - ref[i]) <= allowed)) {
      expect.fail(`${what}: element ${i} is ${ours[i]}, PyTorch has ${ref[i]} (tolerance ${allowed})`);
    }
  }
}

function every(t: bp.Tensor, step: number): number[] {
  const d = t.contiguous().data();
  const out: number[] = [];
  for (let i = 0; i < d.length; i += step) out.push(d[i]);
  return out;
}

describe.each(BACKENDS)("backend %s", (backendName) => {
  beforeAll(async () => { await bp.setBackend(backendName); });
  afterAll(async () => { await bp.setBackend("js"); });

  describe.each(["float64", "float32"] as const)("%s", (dtype) => {
    const tol = dtype === "float64" ? 1e-10 : 2e-5;

    test.each(cases.map((c) => [c.name, c] as const))("%s: outputs and gradients match PyTorch", (_name, c) => {
      const m = build(c.cls, c.args, c.options, dtype);
      const sd: Record<string, bp.Tensor> = {};
      for (const [k, v] of Object.entries(c.stateDict)) sd[k] = decode(v, dtype);
      m.loadStateDict(sd);
      expect(Object.keys(m.stateDict())).toEqual(Object.keys(c.stateDict));
      const x = decode(c.x, dtype, true);
      const states = c.states.map((s) => decode(s, dtype, true));
      const { out, final } = run(c.cls, m, x, states);
      let loss = bp.tensor(0, { dtype });
      if (c.out) {
        expect(out!.shape).toEqual(c.out.shape);
        expectClose(out!.contiguous().data(), c.out.data, tol, `${c.name}: output`);
        loss = loss.add(out!.mul(decode(c.cotangents.out, dtype)).sum());
      }
      final.forEach((f, k) => {
        expect(f.shape, `final state ${k}`).toEqual(c.final[k].shape);
        expectClose(f.contiguous().data(), c.final[k].data, tol, `${c.name}: final state ${k}`);
        loss = loss.add(f.mul(decode(c.cotangents[`final${k}`], dtype)).sum());
      });
      loss.backward();
      expectClose(x.grad!.data(), c.grads.x.data, tol, `${c.name}: grad of the input`);
      states.forEach((s, k) => expectClose(s.grad!.data(), c.grads[`state${k}`].data, tol, `${c.name}: grad of initial state ${k}`));
      for (const [name, p] of m.namedParameters()) {
        expectClose(p.grad!.data(), c.grads[name].data, tol, `${c.name}: grad of ${name}`);
      }
    });

    test.each(large.map((c) => [c.name, c] as const))("%s: reaches the kernels and matches PyTorch", (_name, c) => {
      const m = build(c.cls, c.args, c.options, dtype);
      const scale = 1 / Math.sqrt(c.args[1]);
      const sd: Record<string, bp.Tensor> = {};
      m.namedParameters().forEach(([name, p], k) => { sd[name] = pattern(p.shape, 100 + k, scale, dtype); });
      m.loadStateDict(sd);
      const x = pattern(c.xShape, 1, 1, dtype, true);
      const states = c.stateShapes.map((s, k) => pattern(s, 2 + k, 0.5, dtype, true));
      const { out, final } = run(c.cls, m, x, states);
      expect(out!.shape).toEqual(c.outShape);
      const bigTol = dtype === "float64" ? 1e-10 : 1e-4;
      expectClose(every(out!, c.step), c.out, bigTol, `${c.name}: output`);
      let loss = out!.mul(pattern(out!.shape, 7, 1, dtype)).sum();
      final.forEach((f, k) => {
        expectClose(f.contiguous().data(), c.final[k].data, bigTol, `${c.name}: final state ${k}`);
        loss = loss.add(f.mul(pattern(f.shape, 8 + k, 1, dtype)).sum());
      });
      loss.backward();
      expectClose(every(x.grad!, c.step), c.grads.x, bigTol, `${c.name}: grad of the input`);
      states.forEach((s, k) => expectClose(every(s.grad!, c.step), c.grads[`state${k}`], bigTol, `${c.name}: grad of state ${k}`));
      for (const [name, p] of m.namedParameters()) expectClose(every(p.grad!, c.step), c.grads[name], bigTol, `${c.name}: grad of ${name}`);
    });
  });
});

/** fn(x, ...params) for gradcheck: the checked tensors replace the module's parameters. */
function asFunction(m: bp.nn.Module, call: (x: bp.Tensor, states: bp.Tensor[]) => bp.Tensor[], nStates: number) {
  const names = m.namedParameters().map(([n]) => n);
  return (...inputs: bp.Tensor[]): bp.Tensor[] => {
    const [x, ...rest] = inputs;
    const states = rest.slice(0, nStates);
    names.forEach((n, k) => { (m as unknown as Record<string, bp.Tensor>)[n] = rest[nStates + k]; });
    return call(x, states);
  };
}

function randomLeaf(shape: number[], g: bp.Generator): bp.Tensor {
  const t = bp.randn(shape, { dtype: "float64", generator: g });
  t.requiresGrad = true;
  return t;
}

describe("gradcheck (float64)", () => {
  const g = new bp.Generator(1515);
  const setups: { name: string; m: bp.nn.Module; cls: ModuleName; x: number[]; states: number[][]; gradgrad: boolean }[] = [
    { name: "RNNCell tanh", cls: "RNNCell", m: new bp.nn.RNNCell(3, 2, { dtype: "float64", generator: g }), x: [2, 3], states: [[2, 2]], gradgrad: true },
    { name: "RNNCell relu, unbatched", cls: "RNNCell", m: new bp.nn.RNNCell(2, 3, { nonlinearity: "relu", dtype: "float64", generator: g }), x: [2], states: [[3]], gradgrad: true },
    { name: "LSTMCell", cls: "LSTMCell", m: new bp.nn.LSTMCell(2, 2, { dtype: "float64", generator: g }), x: [2, 2], states: [[2, 2], [2, 2]], gradgrad: true },
    { name: "GRUCell", cls: "GRUCell", m: new bp.nn.GRUCell(2, 3, { dtype: "float64", generator: g }), x: [2, 2], states: [[2, 3]], gradgrad: true },
    { name: "GRUCell no bias", cls: "GRUCell", m: new bp.nn.GRUCell(3, 2, { bias: false, dtype: "float64", generator: g }), x: [1, 3], states: [], gradgrad: true },
    { name: "RNN 2 layers bidirectional", cls: "RNN", m: new bp.nn.RNN(2, 2, { numLayers: 2, bidirectional: true, dtype: "float64", generator: g }), x: [3, 2, 2], states: [[4, 2, 2]], gradgrad: false },
    { name: "LSTM batchFirst bidirectional", cls: "LSTM", m: new bp.nn.LSTM(2, 2, { batchFirst: true, bidirectional: true, dtype: "float64", generator: g }), x: [2, 3, 2], states: [[2, 2, 2], [2, 2, 2]], gradgrad: true },
    { name: "LSTM with projSize", cls: "LSTM", m: new bp.nn.LSTM(2, 3, { projSize: 2, dtype: "float64", generator: g }), x: [2, 1, 2], states: [[1, 1, 2], [1, 1, 3]], gradgrad: false },
    { name: "GRU 2 layers", cls: "GRU", m: new bp.nn.GRU(2, 2, { numLayers: 2, dtype: "float64", generator: g }), x: [3, 1, 2], states: [[2, 1, 2]], gradgrad: false },
  ];
  test.each(setups.map((s) => [s.name, s] as const))("%s", (_name, s) => {
    const fn = asFunction(s.m, (x, states) => {
      const { out, final } = run(s.cls, s.m, x, states);
      return out ? [out, ...final] : final;
    }, s.states.length);
    const inputs = [randomLeaf(s.x, g), ...s.states.map((sh) => randomLeaf(sh, g)), ...s.m.parameters().map((p) => { const c = p.detach().clone(); c.requiresGrad = true; return c; })];
    expect(bp.gradcheck(fn, inputs)).toBe(true);
    if (s.gradgrad) expect(bp.gradgradcheck(fn, inputs)).toBe(true);
  });
});

describe("dropout between layers", () => {
  test("training mode with p=1 feeds zeros to the second layer; eval mode does not drop", () => {
    bp.manualSeed(3);
    const m = new bp.nn.GRU(3, 4, { numLayers: 2, dropout: 1, dtype: "float64" });
    const x = bp.randn([5, 2, 3], { dtype: "float64" });
    const [outTrain] = m.forward(x);
    // The second layer alone, on a zero input, with the same weights
    const second = new bp.nn.GRU(4, 4, { dtype: "float64" });
    second.loadStateDict({
      weight_ih_l0: m.stateDict().weight_ih_l1, weight_hh_l0: m.stateDict().weight_hh_l1,
      bias_ih_l0: m.stateDict().bias_ih_l1, bias_hh_l0: m.stateDict().bias_hh_l1,
    });
    const [expected] = second.forward(bp.zeros([5, 2, 4], { dtype: "float64" }));
    expect(Array.from(outTrain.data())).toEqual(Array.from(expected.data()));
    m.eval();
    const [outEval] = m.forward(x);
    const noDrop = new bp.nn.GRU(3, 4, { numLayers: 2, dtype: "float64" });
    noDrop.loadStateDict(m.stateDict());
    expect(Array.from(outEval.data())).toEqual(Array.from(noDrop.forward(x)[0].data()));
    expect(Array.from(outEval.data())).not.toEqual(Array.from(outTrain.data()));
  });
});

describe("parameters and init", () => {
  test("PyTorch's names, shapes and order for a 2-layer bidirectional LSTM", () => {
    const m = new bp.nn.LSTM(3, 5, { numLayers: 2, bidirectional: true });
    const shapes = Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, v.shape]));
    expect(shapes).toEqual({
      weight_ih_l0: [20, 3], weight_hh_l0: [20, 5], bias_ih_l0: [20], bias_hh_l0: [20],
      weight_ih_l0_reverse: [20, 3], weight_hh_l0_reverse: [20, 5], bias_ih_l0_reverse: [20], bias_hh_l0_reverse: [20],
      weight_ih_l1: [20, 10], weight_hh_l1: [20, 5], bias_ih_l1: [20], bias_hh_l1: [20],
      weight_ih_l1_reverse: [20, 10], weight_hh_l1_reverse: [20, 5], bias_ih_l1_reverse: [20], bias_hh_l1_reverse: [20],
    });
    expect(Object.keys(new bp.nn.GRUCell(2, 3, { bias: false }).stateDict())).toEqual(["weight_ih", "weight_hh"]);
  });

  test("every parameter is drawn from U(±1/√hidden) and fills the range", () => {
    bp.manualSeed(0);
    const m = new bp.nn.GRU(30, 16, { numLayers: 2 });
    const all = m.parameters().flatMap((p) => Array.from(p.data()));
    const bound = 1 / Math.sqrt(16);
    expect(Math.max(...all)).toBeLessThanOrEqual(bound);
    expect(Math.min(...all)).toBeGreaterThanOrEqual(-bound);
    expect(Math.max(...all)).toBeGreaterThan(0.95 * bound);
    expect(Math.min(...all)).toBeLessThan(-0.95 * bound);
  });

  test("unbatched input gives unbatched output and states", () => {
    const m = new bp.nn.LSTM(3, 4, { numLayers: 2, bidirectional: true });
    const [out, [h, c]] = m.forward(bp.randn([5, 3]));
    expect(out.shape).toEqual([5, 8]);
    expect(h.shape).toEqual([4, 4]);
    expect(c.shape).toEqual([4, 4]);
  });
});

describe("errors name the module, the shapes and what fits", () => {
  test("wrong input size", () => {
    expect(() => new bp.nn.LSTM(3, 4).forward(bp.randn([5, 2, 7]))).toThrow(/LSTM: input \[5,2,7\] has 7 features .*inputSize=3/);
    expect(() => new bp.nn.GRUCell(3, 4).forward(bp.randn([2, 5]))).toThrow(/GRUCell: input \[2,5\] .*inputSize=3/);
  });

  test("a 1-D or 4-D input", () => {
    expect(() => new bp.nn.RNN(3, 4).forward(bp.randn([3]))).toThrow(/RNN: expected a batched input \[L, N, H_in\] .*got \[3\].*RNNCell/);
    expect(() => new bp.nn.RNN(3, 4, { batchFirst: true }).forward(bp.randn([1, 2, 2, 3]))).toThrow(/\[N, L, H_in\] \(batchFirst: true\)/);
    expect(() => new bp.nn.LSTMCell(3, 4).forward(bp.randn([2, 2, 3]))).toThrow(/LSTMCell: expected the input to be \[N, 3\] or unbatched \[3\].*for sequences use LSTM/);
  });

  test("h0 of the wrong shape, with a hint when the layout looks swapped", () => {
    const m = new bp.nn.GRU(3, 4, { numLayers: 2 });
    expect(() => m.forward(bp.randn([5, 2, 3]), bp.randn([1, 2, 4]))).toThrow(/GRU: h0 is \[1,2,4\], but input \[5,2,3\] needs h0 \[2,2,4\] \(\[numLayers·numDirections=2, N=2, hiddenSize=4\]\)/);
    // batch-first data given to a sequence-first module: h0's batch matches dim 0
    expect(() => m.forward(bp.randn([2, 5, 3]), bp.randn([2, 2, 4]))).toThrow(/pass batchFirst: true/);
    expect(() => m.forward(bp.randn([5, 3]), bp.randn([2, 1, 4]))).toThrow(/unbatched 2-D input takes 2-D states/);
    const lstm = new bp.nn.LSTM(3, 4, { bidirectional: true });
    expect(() => lstm.forward(bp.randn([5, 2, 3]), [bp.randn([2, 2, 4]), bp.randn([1, 2, 4])])).toThrow(/LSTM: c0 is \[1,2,4\].*needs c0 \[2,2,4\]/);
    expect(() => lstm.forward(bp.randn([5, 2, 3]), bp.randn([2, 2, 4]) as any)).toThrow(/pair \[h0, c0\]/);
  });

  test("dtype mismatch and bad options", () => {
    expect(() => new bp.nn.RNN(3, 4).forward(bp.randn([5, 2, 3], { dtype: "float64" }))).toThrow(/RNN: input is float64 but the weights are float32/);
    expect(() => new bp.nn.RNN(3, 4, { nonlinearity: "sigmoid" as any })).toThrow(/nonlinearity must be "tanh" or "relu"/);
    expect(() => new bp.nn.LSTM(3, 0)).toThrow(/LSTM: hiddenSize must be an integer ≥ 1/);
    expect(() => new bp.nn.GRU(3, 4, { dropout: 1.5 })).toThrow(/dropout must be a probability/);
    expect(() => new bp.nn.LSTM(3, 4).forward(bp.randn([0, 2, 3]))).toThrow(/sequence length of 0/);
    expect(() => new bp.nn.LSTM(3, 4, { projSize: 4 })).toThrow(/LSTM: projSize must be smaller than hiddenSize=4, got 4/);
    expect(() => new bp.nn.GRU(3, 4, { projSize: 2 } as any)).toThrow(/GRU: projSize is only supported by LSTM/);
  });

  test("with projSize, h0 has projSize features and c0 hiddenSize", () => {
    const m = new bp.nn.LSTM(3, 4, { projSize: 2 });
    const [out, [h, c]] = m.forward(bp.randn([5, 2, 3]));
    expect([out.shape, h.shape, c.shape]).toEqual([[5, 2, 2], [1, 2, 2], [1, 2, 4]]);
    expect(m.stateDict().weight_hr_l0.shape).toEqual([2, 4]);
    expect(() => m.forward(bp.randn([5, 2, 3]), [bp.randn([1, 2, 4]), bp.randn([1, 2, 4])])).toThrow(/h0 is \[1,2,4\].*needs h0 \[1,2,2\] .*projSize=2/);
  });
});

describe("training end to end", () => {
  test("an Embedding → LSTM → Linear character model lowers its loss on bundled words", () => {
    bp.manualSeed(15);
    const words = bp.data.loadWords().filter((_, i) => i % 250 === 0); // 64 words spread over the alphabet
    const vocab = bp.data.CharVocabulary.fromTexts(words);
    const { inputs, targets } = bp.data.charSequences(words, vocab);
    const embed = new bp.nn.Embedding(vocab.size, 12);
    const lstm = new bp.nn.LSTM(12, 32, { batchFirst: true });
    const head = new bp.nn.Linear(32, vocab.size);
    const opt = new bp.optim.Adam([...embed.parameters(), ...lstm.parameters(), ...head.parameters()], { lr: 0.02 });
    const lossNow = (): bp.Tensor => {
      const [out] = lstm.forward(embed.forward(inputs));
      const logits = head.forward(out);
      return bp.F.crossEntropy(logits.reshape([-1, vocab.size]), targets.reshape([-1]));
    };
    const first = lossNow().item();
    expect(first).toBeGreaterThan(Math.log(vocab.size) - 0.3); // about uniform at the start
    for (let step = 0; step < 40; step++) {
      opt.zeroGrad();
      const loss = lossNow();
      loss.backward();
      opt.step();
    }
    const last = lossNow().item();
    expect(last).toBeLessThan(first - 1); // 3.26 → 1.48 with this seed
  });
});
