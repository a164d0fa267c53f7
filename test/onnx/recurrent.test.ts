/**
 * Recurrent layers and attention with a free batch size: exported from a
 * batch of 2, run by onnxruntime-web on a batch of 5, compared with our
 * forward at 5, for every output (the sequence and the final states). The
 * zero initial states are sized from the example batch in forward; the
 * export builds them from the input's shape at run time instead.
 */
import { describe, expect, it } from "vitest";
import * as bp from "backpropagation";
import { decodeModel } from "../../src/onnx/schema.js";
import { expectClose, runOnnx } from "./runtime.js";

const { nn } = bp;

/** Runs `layer` and returns what `pick` takes from its output, as a list of tensors. */
class Outputs extends nn.Module {
  constructor(readonly layer: bp.nn.Module, private readonly pick: (layer: bp.nn.Module, x: bp.Tensor) => bp.Tensor[]) {
    super();
  }
  forward(x: bp.Tensor): bp.Tensor[] {
    return this.pick(this.layer, x);
  }
}

const LENGTH = 4;

/** [N, L, F] with batchFirst, else [L, N, F]. */
function sequences(batchFirst: boolean, features: number, dtype: "float32" | "float64" = "float32") {
  return (batch: number) => bp.randn(batchFirst ? [batch, LENGTH, features] : [LENGTH, batch, features], { dtype });
}

async function checkFreeBatch(model: bp.nn.Module, input: (batch: number) => bp.Tensor, batchDim: number, atol = 1e-5): Promise<Uint8Array> {
  const bytes = bp.onnx.exportModel(model, input(2), { batchDim });
  const x = input(5);
  model.eval();
  const ours = bp.noGrad(() => model.forward(x)) as bp.Tensor[];
  const result = await runOnnx(bytes, { input: x });
  ours.forEach((t, i) => {
    const name = ours.length === 1 ? "output" : `output${i}`;
    expect(result[name].dims, name).toEqual(t.shape);
    expectClose(result[name].data, t.contiguous().data(), atol, 1e-4);
  });
  return bytes;
}

const lstm = (m: bp.nn.Module, x: bp.Tensor) => {
  const [y, [h, c]] = (m as bp.nn.LSTM).forward(x);
  return [y, h, c];
};
const gruOrRnn = (m: bp.nn.Module, x: bp.Tensor) => {
  const [y, h] = (m as bp.nn.GRU).forward(x);
  return [y, h];
};

describe("onnx.exportModel: recurrent layers with a free batch", () => {
  for (const batchFirst of [true, false]) {
    const layout = batchFirst ? "batch first" : "sequence first";
    const batchDim = batchFirst ? 0 : 1;

    it(`bidirectional 2-layer LSTM, ${layout}`, async () => {
      bp.manualSeed(31);
      const model = new Outputs(new nn.LSTM(3, 5, { numLayers: 2, bidirectional: true, batchFirst }), lstm);
      const bytes = await checkFreeBatch(model, sequences(batchFirst, 3), batchDim);
      // The batch dim of the input and of every output is the symbol, not the example's 2.
      const g = decodeModel(bytes).graph;
      const batchOf = (v: (typeof g.input)[number]) => v.type.tensorType.shape.dim.map((d) => ("dimParam" in d ? d.dimParam : d.dimValue));
      expect(batchOf(g.input[0])).toEqual(batchFirst ? ["batch", LENGTH, 3] : [LENGTH, "batch", 3]);
      expect(g.output.map(batchOf)).toEqual([
        batchFirst ? ["batch", LENGTH, 10] : [LENGTH, "batch", 10], [4, "batch", 5], [4, "batch", 5],
      ]);
    });

    it(`bidirectional 2-layer GRU, ${layout}`, async () => {
      bp.manualSeed(32);
      await checkFreeBatch(new Outputs(new nn.GRU(3, 4, { numLayers: 2, bidirectional: true, batchFirst }), gruOrRnn), sequences(batchFirst, 3), batchDim);
    });

    it(`RNN (relu), ${layout}`, async () => {
      bp.manualSeed(33);
      await checkFreeBatch(new Outputs(new nn.RNN(3, 4, { nonlinearity: "relu", numLayers: 2, batchFirst }), gruOrRnn), sequences(batchFirst, 3), batchDim);
    });
  }

  it("LSTM with a projection (projSize), batch first", async () => {
    bp.manualSeed(34);
    await checkFreeBatch(new Outputs(new nn.LSTM(3, 6, { projSize: 2, batchFirst: true }), lstm), sequences(true, 3), 0);
  });

  it("float64 bidirectional GRU", async () => {
    bp.manualSeed(35);
    const model = new Outputs(new nn.GRU(3, 4, { bidirectional: true, dtype: "float64" }), gruOrRnn);
    await checkFreeBatch(model, sequences(false, 3, "float64"), 1, 1e-12);
  });

  it("an LSTM classifier: embedding, LSTM, last step, linear", async () => {
    class Classifier extends nn.Module {
      readonly embed = new nn.Embedding(12, 4);
      readonly rnn = new nn.LSTM(4, 6, { batchFirst: true });
      readonly head = new nn.Linear(6, 3);
      forward(tokens: bp.Tensor): bp.Tensor[] {
        const [y] = this.rnn.forward(this.embed.forward(tokens));
        return [this.head.forward(y.narrow(1, LENGTH - 1, 1).squeeze(1)).logSoftmax(1)];
      }
    }
    bp.manualSeed(36);
    await checkFreeBatch(new Classifier(), (batch) => bp.randint(0, 12, [batch, LENGTH], { dtype: "int32" }), 0);
  });
});

describe("onnx.exportModel: attention with the batch in dim 1 (sequence first)", () => {
  it("MultiheadAttention, self-attention, batchFirst false", async () => {
    bp.manualSeed(37);
    const model = new Outputs(new nn.MultiheadAttention(8, 2), (m, x) => {
      const [out, weights] = (m as bp.nn.MultiheadAttention).forward(x, x, x);
      return weights === null ? [out] : [out, weights];
    });
    await checkFreeBatch(model, (batch) => bp.randn([5, batch, 8]), 1);
  });

  it("TransformerEncoderLayer, batchFirst false", async () => {
    bp.manualSeed(38);
    const model = new Outputs(new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16 }), (m, x) => [(m as bp.nn.TransformerEncoderLayer).forward(x)]);
    await checkFreeBatch(model, (batch) => bp.randn([5, batch, 8]), 1);
  });
});

describe("onnx.exportModel: batchDim", () => {
  it("rejects a batchDim the inputs do not have", () => {
    expect(() => bp.onnx.exportModel(new nn.ReLU(), bp.randn([2, 3]), { batchDim: 2 })).toThrow(/dynamicBatch needs every example input to have the batch dim 2, got shapes \[2,3\]/);
    expect(() => bp.onnx.exportModel(new nn.ReLU(), bp.randn([2, 3]), { batchDim: -1 })).toThrow(/batchDim must be a non-negative integer, got -1/);
  });
});
