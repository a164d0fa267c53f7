/**
 * The modules not run elsewhere in test/onnx: recurrent cells, the
 * transformer stack and decoder layer, and the losses (a forward that ends
 * in one). Exported from a batch of 3 (cells: 2) and run on a batch of 5 in
 * onnxruntime-web, so a mean over the batch must divide by the batch size
 * at run time, not by the example's.
 */
import { describe, expect, it } from "vitest";
import * as bp from "backpropagation";
import { expectClose, runOnnx } from "./runtime.js";

const { nn } = bp;

/** Module of a function of several inputs, returning one tensor or several. */
class Fn extends nn.Module {
  constructor(readonly inner: bp.nn.Module | null, private readonly fn: (m: bp.nn.Module | null, ...xs: bp.Tensor[]) => bp.Tensor | bp.Tensor[]) {
    super();
  }
  forward(...xs: bp.Tensor[]): bp.Tensor | bp.Tensor[] {
    return this.fn(this.inner, ...xs);
  }
}

/** Exports from `inputs(exportBatch)`, runs `inputs(5)` in onnxruntime, compares every output. */
async function check(model: bp.nn.Module, inputs: (batch: number) => bp.Tensor[], exportBatch = 3, options: bp.onnx.ExportOptions = {}): Promise<void> {
  const bytes = bp.onnx.exportModel(model, inputs(exportBatch), options);
  const xs = inputs(5);
  model.eval();
  const out = bp.noGrad(() => model.forward(...xs)) as bp.Tensor | bp.Tensor[];
  const ours = Array.isArray(out) ? out : [out];
  const feeds = Object.fromEntries(xs.map((x, i) => [xs.length === 1 ? "input" : `input${i}`, x]));
  const result = await runOnnx(bytes, feeds);
  ours.forEach((t, i) => {
    const name = ours.length === 1 ? "output" : `output${i}`;
    expect(result[name].dims, name).toEqual(t.shape);
    expectClose(result[name].data, t.contiguous().data(), 1e-5, 1e-4);
  });
}

const pair = (...shape: number[]) => (batch: number) => [bp.randn([batch, ...shape]), bp.randn([batch, ...shape])];

describe("onnx.exportModel: recurrent cells with a free batch", () => {
  it("RNNCell, LSTMCell and GRUCell, two steps from zero states", async () => {
    bp.manualSeed(41);
    const cells = new nn.ModuleList([new nn.RNNCell(3, 4), new nn.LSTMCell(3, 4), new nn.GRUCell(3, 4)]);
    const model = new Fn(cells, (m, x) => {
      const [rnn, lstm, gru] = [...(m as bp.nn.ModuleList)] as [bp.nn.RNNCell, bp.nn.LSTMCell, bp.nn.GRUCell];
      const h1 = rnn.forward(x);
      const [h2, c2] = lstm.forward(x);
      const g = gru.forward(x);
      return [rnn.forward(x, h1), ...lstm.forward(x, [h2, c2]), gru.forward(x, g)];
    });
    await check(model, (batch) => [bp.randn([batch, 3])], 2);
  });
});

describe("onnx.exportModel: transformer stack and decoder", () => {
  it("TransformerEncoder of 2 layers with a final LayerNorm, batch first", async () => {
    bp.manualSeed(42);
    const layer = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true });
    const model = new nn.TransformerEncoder(layer, 2, { norm: new nn.LayerNorm(8) });
    await check(model, (batch) => [bp.randn([batch, 4, 8])]);
  });

  it("TransformerDecoderLayer on a target and a memory (two inputs)", async () => {
    bp.manualSeed(43);
    const model = new Fn(new nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true }),
      (m, tgt, memory) => (m as bp.nn.TransformerDecoderLayer).forward(tgt, memory));
    await check(model, (batch) => [bp.randn([batch, 3, 8]), bp.randn([batch, 5, 8])]);
  });
});

describe("onnx.exportModel: losses, divided by the batch size at run time", () => {
  const LOSSES: [string, () => bp.nn.Module, (batch: number) => bp.Tensor[]][] = [
    ["MSELoss", () => new nn.MSELoss(), pair(4)],
    ["L1Loss (sum)", () => new nn.L1Loss({ reduction: "sum" }), pair(4)],
    ["SmoothL1Loss", () => new nn.SmoothL1Loss({ beta: 0.5 }), pair(4)],
    ["BCEWithLogitsLoss", () => new nn.BCEWithLogitsLoss(), (b) => [bp.randn([b, 4]), bp.rand([b, 4])]],
    ["BCELoss", () => new nn.BCELoss(), (b) => [bp.rand([b, 4]).mul(0.9).add(0.05), bp.rand([b, 4])]],
    ["MSELoss without reduction", () => new nn.MSELoss({ reduction: "none" }), pair(2, 3)],
  ];
  for (const [name, make, inputs] of LOSSES) {
    it(name, async () => {
      bp.manualSeed(44);
      await check(make(), inputs);
    });
  }

  it("a mean and a standard deviation over the batch dim", async () => {
    bp.manualSeed(45);
    const model = new Fn(null, (_m, x) => [x.mean(0), x.std(0), x.std([0, 1], { unbiased: false }), x.sub(x.mean(0, true)).div(x.std(0, { keepdim: true }))]);
    await check(model, (batch) => [bp.randn([batch, 3, 2])]);
  });

  it("refuses a number made from the batch size that is not a count", () => {
    const model = new Fn(null, (_m, x) => x.mul(1 / x.shape[0]));
    expect(() => bp.onnx.exportModel(model, bp.randn([4, 2]))).toThrow(/the number 0\.25 in the graph depends on the batch size \(it is 0\.2\d* for a batch of 5\) and is not a count of its elements/);
  });
});
