/**
 * Attention beyond the PyTorch fixtures: hand-computed values, the mask
 * conventions (true = attend in scaledDotProductAttention, true = ignore in
 * MultiheadAttention and the Transformer layers) checked against each
 * other, dropout, initialisation, TransformerEncoder's copies, and the
 * errors for bad input.
 */
import { describe, expect, test } from "vitest";
import * as bp from "../../src/index.js";

const sdpa = bp.F.scaledDotProductAttention;

function expectAllClose(a: bp.Tensor, b: bp.Tensor, tol = 1e-12): void {
  expect(a.shape).toEqual(b.shape);
  const x = a.data(), y = b.data();
  for (let i = 0; i < x.length; i++) {
    if (!(Math.abs(x[i] - y[i]) <= tol * (1 + Math.abs(y[i])))) expect.fail(`element ${i}: ${x[i]} vs ${y[i]}`);
  }
}

const bool = (rows: number[][]) => bp.tensor(rows, { dtype: "int32" }).ne(0);

describe("tril, triu, maskedFill", () => {
  test("keep the triangles by hand, batched over leading dims, in the input's dtype", () => {
    const x = bp.arange(1, 7, 1, { dtype: "int32" }).reshape([2, 3]);
    expect(x.tril().toArray()).toEqual([[1, 0, 0], [4, 5, 0]]);
    expect(x.triu(1).toArray()).toEqual([[0, 2, 3], [0, 0, 6]]);
    expect(x.tril().dtype).toBe("int32");
    const b = bp.ones([2, 2, 2]).triu();
    expect(b.toArray()).toEqual([[[1, 1], [0, 1]], [[1, 1], [0, 1]]]);
    expect(bp.tril(bp.ones([2, 3]), -1).toArray()).toEqual([[0, 0, 0], [1, 0, 0]]);
  });

  test("maskedFill: the gradient is zero where filled, and -Infinity fills", () => {
    const x = bp.tensor([[1, 2], [3, 4]], { requiresGrad: true });
    const y = x.maskedFill(bool([[1, 0], [0, 1]]), -Infinity);
    expect(y.toArray()).toEqual([[-Infinity, 2], [3, -Infinity]]);
    x.maskedFill(bool([[1, 0], [0, 1]]), 7).mul(bp.tensor([[1, 2], [3, 4]])).sum().backward();
    expect(x.grad!.toArray()).toEqual([[0, 2], [3, 0]]);
    expect(bp.tensor([1, 2, 3], { dtype: "int32" }).maskedFill(bool([[1, 0, 1]]).reshape([3]), 9).toArray()).toEqual([9, 2, 9]);
  });
});

describe("scaledDotProductAttention", () => {
  test("matches softmax(q·kᵀ/√E)·v computed by hand", () => {
    const q = bp.tensor([[1, 0]], { dtype: "float64" });
    const k = bp.tensor([[1, 0], [0, 1]], { dtype: "float64" });
    const v = bp.tensor([[1], [3]], { dtype: "float64" });
    const a = Math.exp(1 / Math.SQRT2), b = Math.exp(0);
    expect(sdpa(q, k, v).item()).toBeCloseTo((a * 1 + b * 3) / (a + b), 14);
    const s = 2;
    const a2 = Math.exp(s);
    expect(sdpa(q, k, v, { scale: s }).item()).toBeCloseTo((a2 + 3) / (a2 + 1), 14);
  });

  test("a bool mask (true = attend), the same mask as 0/−∞ floats, and isCausal agree", () => {
    const g = new bp.Generator(3);
    const [q, k, v] = [[2, 4, 3], [2, 4, 3], [2, 4, 5]].map((s) => bp.randn(s, { dtype: "float64", generator: g }));
    const causal = bp.ones([4, 4], { dtype: "int32" }).tril().ne(0);
    const asFloat = bp.zeros([4, 4], { dtype: "float64" }).maskedFill(bp.logicalNot(causal), -Infinity);
    const viaBool = sdpa(q, k, v, { attnMask: causal });
    expectAllClose(sdpa(q, k, v, { attnMask: asFloat }), viaBool);
    expectAllClose(sdpa(q, k, v, { isCausal: true }), viaBool);
    // The first query sees only the first key: its output is v's first row.
    expectAllClose(viaBool.narrow(1, 0, 1), v.narrow(1, 0, 1));
  });

  test("a query row with every key masked gives NaN, as in PyTorch", () => {
    const x = bp.randn([3, 2]);
    const y = sdpa(x, x, x, { attnMask: bool([[1, 1, 1], [0, 0, 0], [1, 0, 0]]) });
    const rows = y.toArray() as number[][];
    expect(rows[1].every(Number.isNaN)).toBe(true);
    expect(rows[0].some(Number.isNaN) || rows[2].some(Number.isNaN)).toBe(false);
  });

  test("dropout: seeded by the generator, zeros everything at p = 1, off at p = 0", () => {
    const g = new bp.Generator(0);
    const [q, k, v] = [0, 1, 2].map(() => bp.randn([2, 5, 4], { generator: g }));
    const plain = sdpa(q, k, v);
    const a = sdpa(q, k, v, { dropoutP: 0.5, generator: new bp.Generator(7) });
    const b = sdpa(q, k, v, { dropoutP: 0.5, generator: new bp.Generator(7) });
    expectAllClose(a, b, 0);
    expect(a.sub(plain).abs().max().item()).toBeGreaterThan(1e-3);
    expect(sdpa(q, k, v, { dropoutP: 1 }).abs().max().item()).toBe(0);
    expectAllClose(sdpa(q, k, v, { dropoutP: 0 }), plain, 0);
  });

  test("bad input names the op, the shapes and what would fit", () => {
    const q = bp.randn([2, 3, 4]), k = bp.randn([2, 5, 4]), v = bp.randn([2, 5, 6]);
    expect(() => sdpa(q, bp.randn([2, 5, 3]), v)).toThrow(/scaledDotProductAttention: query \[2,3,4\] and key \[2,5,3\] must share the last dim.*got 4 and 3/);
    expect(() => sdpa(q, k, bp.randn([2, 4, 6]))).toThrow(/key \[2,5,4\] and value \[2,4,6\] must have the same length S.*got 5 and 4/);
    expect(() => sdpa(q, k, v, { attnMask: bp.zeros([3, 4]) })).toThrow(/attnMask \[3,4\] does not broadcast to the attention scores \[2,3,5\].*L = 3 queries, S = 5 keys/);
    expect(() => sdpa(q, k, v, { attnMask: bp.zeros([3, 5]), isCausal: true })).toThrow(/either attnMask or isCausal/);
    expect(() => sdpa(q, k, v, { attnMask: bp.zeros([3, 5], { dtype: "int32" }) })).toThrow(bp.DTypeError);
    expect(() => sdpa(q, bp.randn([3, 5, 4]), bp.randn([3, 5, 6]))).toThrow(/batch dims .* do not broadcast/);
    expect(() => sdpa(bp.randn([4]), k, v)).toThrow(/query must have at least 2 dims/);
    expect(() => sdpa(q, k, v, { dropoutP: 1.5 })).toThrow(/dropoutP must be between 0 and 1/);
    expect(() => bp.tril(bp.randn([3]))).toThrow(/tril: input must have at least 2 dims.*\[3\]/);
    expect(() => bp.randn([2, 3]).maskedFill(bp.zeros([2, 3]), 1)).toThrow(/maskedFill: the mask must be a bool tensor, got float32/);
    expect(() => bp.randn([3]).maskedFill(bool([[1, 0, 1], [0, 1, 0]]), 1)).toThrow(/maskedFill: mask \[2,3\] does not broadcast to the input's shape \[3\]/);
    expect(() => bp.randn([3]).maskedFill(bool([[1, 0, 1]]).reshape([3]), bp.zeros([2]))).toThrow(/value must be a number or a 0-d tensor/);
  });
});

describe("MultiheadAttention", () => {
  function inputs(batchFirst: boolean, g = new bp.Generator(1)) {
    const shape = (len: number) => (batchFirst ? [2, len, 8] : [len, 2, 8]);
    return [shape(3), shape(5), shape(5)].map((s) => bp.randn(s, { dtype: "float64", generator: g }));
  }

  test("init as PyTorch: xavier_uniform_ in_proj_weight, zero biases, keys in PyTorch's order", () => {
    const m = new bp.nn.MultiheadAttention(16, 4, { generator: new bp.Generator(2) });
    expect(Object.keys(m.stateDict())).toEqual(["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]);
    expect(m.in_proj_weight!.shape).toEqual([48, 16]);
    const bound = Math.sqrt(6 / (16 + 48));
    expect(m.in_proj_weight!.abs().max().item()).toBeLessThanOrEqual(bound);
    expect(m.in_proj_weight!.abs().max().item()).toBeGreaterThan(0.9 * bound);
    expect(m.in_proj_bias!.abs().max().item()).toBe(0);
    expect(m.out_proj.bias!.abs().max().item()).toBe(0);
    const separate = new bp.nn.MultiheadAttention(8, 2, { kdim: 5, vdim: 3, bias: false });
    expect(Object.keys(separate.stateDict())).toEqual(["q_proj_weight", "k_proj_weight", "v_proj_weight", "out_proj.weight"]);
  });

  test("batchFirst only changes the layout", () => {
    const a = new bp.nn.MultiheadAttention(8, 2, { dtype: "float64" });
    const b = new bp.nn.MultiheadAttention(8, 2, { dtype: "float64", batchFirst: true });
    b.loadStateDict(a.stateDict());
    const [q, k, v] = inputs(false);
    const [outA, wA] = a.forward(q, k, v);
    const [outB, wB] = b.forward(q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1));
    expectAllClose(outB.transpose(0, 1), outA);
    expectAllClose(wB!, wA!);
  });

  test("bool masks mark what to ignore; they agree with −∞ float masks and with isCausal; weights sum to 1", () => {
    const m = new bp.nn.MultiheadAttention(8, 2, { dtype: "float64", batchFirst: true });
    const x = bp.randn([2, 4, 8], { dtype: "float64", generator: new bp.Generator(4) });
    const above = bp.ones([4, 4], { dtype: "int32" }).triu(1).ne(0);
    const [byBool, wBool] = m.forward(x, x, x, { attnMask: above, averageAttnWeights: false });
    const [byFloat] = m.forward(x, x, x, { attnMask: bp.zeros([4, 4], { dtype: "float64" }).maskedFill(above, -Infinity) });
    const [byCausal] = m.forward(x, x, x, { isCausal: true });
    expectAllClose(byFloat, byBool);
    expectAllClose(byCausal, byBool);
    expect(wBool!.shape).toEqual([2, 2, 4, 4]);
    expect(wBool!.narrow(3, 1, 3).narrow(2, 0, 1).abs().max().item()).toBe(0); // query 0 sees key 0 only
    expectAllClose(wBool!.sum(-1), bp.ones([2, 2, 4], { dtype: "float64" }));
    const pad = bool([[0, 0, 1, 1], [0, 0, 0, 0]]);
    const [, w] = m.forward(x, x, x, { keyPaddingMask: pad });
    expect(w!.narrow(0, 0, 1).narrow(2, 2, 2).abs().max().item()).toBe(0);
    expect(m.forward(x, x, x, { needWeights: false })[1]).toBeNull();
  });

  test("dropout on the weights in training mode only", () => {
    const m = new bp.nn.MultiheadAttention(8, 2, { dropout: 0.5, dtype: "float64", generator: new bp.Generator(5) });
    const [q, k, v] = inputs(false);
    m.eval();
    const [a] = m.forward(q, k, v);
    expectAllClose(m.forward(q, k, v)[0], a, 0);
    m.train();
    expect(m.forward(q, k, v)[0].sub(a).abs().max().item()).toBeGreaterThan(1e-6);
  });

  test("bad input names the module, the shapes and what would fit", () => {
    expect(() => new bp.nn.MultiheadAttention(10, 3)).toThrow(/MultiheadAttention: embedDim 10 must be divisible by numHeads 3.*1, 2, 5, 10/);
    const m = new bp.nn.MultiheadAttention(8, 2);
    const q = bp.randn([3, 2, 8]), k = bp.randn([5, 2, 8]);
    expect(() => m.forward(bp.randn([3, 2, 6]), k, k)).toThrow(/query \[3,2,6\] has 6 features in its last dim, expected embedDim = 8/);
    expect(() => m.forward(q, bp.randn([5, 2, 8]), bp.randn([4, 2, 8]))).toThrow(/key and value must have the same length/);
    expect(() => m.forward(q, k, k, { attnMask: bp.zeros([3, 4]) })).toThrow(/attnMask \[3,4\] does not fit 3 queries and 5 keys; expected \[3,5\] \(L, S\) or \[4,3,5\]/);
    expect(() => m.forward(q, k, k, { keyPaddingMask: bp.zeros([5, 2]) })).toThrow(/keyPaddingMask \[5,2\] does not fit batch 2 and 5 keys; expected \[2,5\]/);
    // [N, L, E] given to a batchFirst: false module: the batch sizes disagree, and the message says how the inputs were read.
    expect(() => m.forward(bp.randn([2, 3, 8]), bp.randn([2, 5, 8]), bp.randn([2, 5, 8]))).toThrow(/read as \[L, N, E\] \(batchFirst: false.*pass batchFirst: true/);
    expect(() => m.forward(bp.randn([8]), k, k)).toThrow(/query must be batched .* or unbatched \[L, E\], got shape \[8\]/);
    expect(() => m.forward(q, bp.randn([5, 8]), k)).toThrow(/must all be 3-D/);
    expect(() => m.forward(q, k, k, { attnMask: bp.zeros([3, 5], { dtype: "int32" }) })).toThrow(/attnMask must be bool \(true = ignore\) or float/);
  });
});

describe("gradients of the modules pass gradcheck (float64)", () => {
  test("MultiheadAttention: first and second order in query, key, value, with both masks", () => {
    const m = new bp.nn.MultiheadAttention(4, 2, { dtype: "float64", generator: new bp.Generator(6) });
    const g = new bp.Generator(8);
    const [q, k, v] = [[3, 2, 4], [4, 2, 4], [4, 2, 4]].map((s) => bp.randn(s, { dtype: "float64", generator: g, requiresGrad: true }));
    const pad = bool([[0, 0, 0, 1], [1, 0, 0, 0]]);
    const attnMask = bp.randn([3, 4], { dtype: "float64", generator: g });
    const f = (a: bp.Tensor, b: bp.Tensor, c: bp.Tensor) => {
      const [out, w] = m.forward(a, b, c, { keyPaddingMask: pad, attnMask });
      return [out, w!];
    };
    expect(bp.gradcheck(f, [q, k, v])).toBe(true);
    expect(bp.gradgradcheck((a: bp.Tensor, b: bp.Tensor, c: bp.Tensor) => f(a, b, c)[0], [q, k, v])).toBe(true);
  });

  test("TransformerEncoderLayer (pre-norm, gelu) and TransformerDecoderLayer: first order in their inputs", () => {
    const enc = new bp.nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 6, activation: "gelu", normFirst: true, dtype: "float64", generator: new bp.Generator(10) }).eval();
    const dec = new bp.nn.TransformerDecoderLayer(4, 2, { dimFeedforward: 6, dtype: "float64", generator: new bp.Generator(11) }).eval();
    const g = new bp.Generator(12);
    const src = bp.randn([3, 2, 4], { dtype: "float64", generator: g, requiresGrad: true });
    const mem = bp.randn([2, 2, 4], { dtype: "float64", generator: g, requiresGrad: true });
    expect(bp.gradcheck((x: bp.Tensor) => enc.forward(x, { isCausal: true }), [src])).toBe(true);
    expect(bp.gradcheck((x: bp.Tensor, y: bp.Tensor) => dec.forward(x, y, { tgtIsCausal: true }), [src, mem])).toBe(true);
  });
});

describe("Transformer layers", () => {
  test("TransformerEncoder holds independent copies of the layer, in its dtype and mode", () => {
    const layer = new bp.nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0 }).double().eval();
    const enc = new bp.nn.TransformerEncoder(layer, 2);
    const [l0, l1] = [...enc.layers] as bp.nn.TransformerEncoderLayer[];
    expect(l0).not.toBe(layer);
    expect(l0.linear1.weight.dtype).toBe("float64");
    expect(l0.training).toBe(false);
    expectAllClose(l1.linear1.weight, layer.linear1.weight, 0);
    bp.noGrad(() => l0.linear1.weight.add_(1));
    expectAllClose(l1.linear1.weight, layer.linear1.weight, 0);
    const x = bp.randn([3, 2, 8], { dtype: "float64" });
    expectAllClose(enc.forward(x), l1.forward(l0.forward(x)));
    expect(Object.keys(enc.stateDict())[0]).toBe("layers.0.self_attn.in_proj_weight");
  });

  test("bad input names the layer and the layout", () => {
    expect(() => new bp.nn.TransformerEncoderLayer(10, 4)).toThrow(/TransformerEncoderLayer: dModel 10 must be divisible by nhead 4/);
    expect(() => new bp.nn.TransformerEncoderLayer(8, 2, { activation: "tanh" as "relu" })).toThrow(/activation must be "relu", "gelu" or a function/);
    const layer = new bp.nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16 });
    expect(() => layer.forward(bp.randn([3, 2, 6]))).toThrow(/TransformerEncoderLayer: src \[3,2,6\] must be \[L, N, dModel\] \(batchFirst: false; pass batchFirst: true for \[N, L, dModel\]\) or unbatched \[L, dModel\], with dModel = 8/);
    const dec = new bp.nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 16 });
    expect(() => dec.forward(bp.randn([3, 2, 8]), bp.randn([4, 8]))).toThrow(/MultiheadAttention: query \[3,2,8\], key \[4,8\] and value \[4,8\] must all be 3-D/);
    expect(() => new bp.nn.TransformerEncoder(layer, 0)).toThrow(/numLayers must be a positive integer/);
  });

  test("causal hints: tgtIsCausal without a mask equals the explicit causal mask", () => {
    const dec = new bp.nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 16, dtype: "float64" }).eval();
    const g = new bp.Generator(9);
    const tgt = bp.randn([4, 2, 8], { dtype: "float64", generator: g }), memory = bp.randn([5, 2, 8], { dtype: "float64", generator: g });
    const mask = bp.ones([4, 4], { dtype: "int32" }).triu(1).ne(0);
    expectAllClose(dec.forward(tgt, memory, { tgtIsCausal: true }), dec.forward(tgt, memory, { tgtMask: mask }));
  });
});
