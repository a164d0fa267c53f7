/**
 * bp.onnx.exportModel checked against a real ONNX runtime (onnxruntime-web,
 * wasm): every exportable layer alone, a module built from tensor ops, a
 * trained digits MLP and a small convnet. Each model is exported from an
 * example batch of 3 and run by onnxruntime on a batch of 5, which must give
 * our forward's outputs within float32 rounding (and proves the batch dim
 * stayed free).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import * as bp from "backpropagation";
import { decodeModel } from "../../src/onnx/schema.js";
import { expectClose, runOnnx } from "./runtime.js";

const { nn } = bp;

interface Case {
  name: string;
  model: () => bp.nn.Module;
  /** An input of the given batch size. */
  input: (batch: number) => bp.Tensor;
  atol?: number;
}

const feats = (...rest: number[]) => (batch: number) => bp.randn([batch, ...rest]);

/** Exports from a batch of 3, runs a batch of 5 in onnxruntime, compares with our eval forward. */
async function checkAgainstRuntime(model: bp.nn.Module, input: (batch: number) => bp.Tensor, atol = 1e-5): Promise<Uint8Array> {
  const wasTraining = model.training;
  const bytes = bp.onnx.exportModel(model, input(3));
  expect(model.training).toBe(wasTraining);
  const x = input(5);
  model.eval();
  const ours = bp.noGrad(() => model.forward(x)) as bp.Tensor;
  model.train(wasTraining);
  const result = await runOnnx(bytes, { input: x });
  expect(result.output.dims).toEqual(ours.shape);
  expectClose(result.output.data, ours.contiguous().data(), atol, 1e-4);
  return bytes;
}

/** Running statistics that are not 0 and 1, so eval-mode BatchNorm is really tested. */
function warmBatchNorm(model: bp.nn.Module, input: (batch: number) => bp.Tensor): bp.nn.Module {
  model.train();
  bp.noGrad(() => { for (let i = 0; i < 3; i++) model.forward(input(4).mul(2).add(1)); });
  return model;
}

/** A module whose forward is the given function (for functional ops). */
class Lambda extends nn.Module {
  constructor(private readonly fn: (x: bp.Tensor) => bp.Tensor) {
    super();
  }
  forward(x: bp.Tensor): bp.Tensor {
    return this.fn(x);
  }
}

const int32 = (values: number[]) => bp.tensor(values, { dtype: "int32" });

/** A module that applies `fn` to a child (a layer whose forward takes more than one tensor or returns several). */
class Lambda2 extends nn.Module {
  constructor(readonly inner: bp.nn.Module, private readonly fn: (m: bp.nn.Module, x: bp.Tensor) => bp.Tensor) {
    super();
  }
  forward(x: bp.Tensor): bp.Tensor {
    return this.fn(this.inner, x);
  }
}

/** A float mask with −∞ above the diagonal (PyTorch's generate_square_subsequent_mask). */
function causalMask(length: number): bp.Tensor {
  return bp.ones([length, length]).triu(1).mul(-Infinity).maskedFill(bp.ones([length, length]).triu(1).eq(0), 0);
}

const LAYERS: Case[] = [
  { name: "Linear", model: () => new nn.Linear(6, 4), input: feats(6) },
  { name: "Linear without bias", model: () => new nn.Linear(6, 4, { bias: false }), input: feats(6) },
  { name: "Linear on a 3-d input", model: () => new nn.Linear(6, 4), input: feats(2, 6) },
  { name: "ReLU", model: () => new nn.ReLU(), input: feats(7) },
  { name: "Sigmoid", model: () => new nn.Sigmoid(), input: feats(7) },
  { name: "Tanh", model: () => new nn.Tanh(), input: feats(7) },
  { name: "LeakyReLU", model: () => new nn.LeakyReLU(0.2), input: feats(7) },
  { name: "GELU", model: () => new nn.GELU(), input: feats(7) },
  { name: "GELU (tanh)", model: () => new nn.GELU({ approximate: "tanh" }), input: feats(7) },
  { name: "Softplus", model: () => new nn.Softplus(), input: (b) => bp.randn([b, 7]).mul(10) },
  { name: "Softplus (beta 2)", model: () => new nn.Softplus(2), input: feats(7) },
  { name: "ELU", model: () => new nn.ELU(0.5), input: feats(7) },
  { name: "SiLU", model: () => new nn.SiLU(), input: feats(7) },
  { name: "Mish", model: () => new nn.Mish(), input: feats(7) },
  { name: "Softmax", model: () => new nn.Softmax(1), input: feats(7) },
  { name: "LogSoftmax", model: () => new nn.LogSoftmax(-1), input: feats(3, 7) },
  { name: "LayerNorm", model: () => new nn.LayerNorm(7), input: feats(7) },
  { name: "LayerNorm over two dims", model: () => new nn.LayerNorm([3, 4]), input: feats(2, 3, 4) },
  { name: "LayerNorm without affine", model: () => new nn.LayerNorm(7, { elementwiseAffine: false }), input: feats(7) },
  { name: "Embedding", model: () => new nn.Embedding(10, 4), input: (b) => bp.randint(0, 10, [b, 6], { dtype: "int32" }) },
  { name: "Dropout", model: () => new nn.Dropout(0.5), input: feats(7) },
  { name: "Dropout2d", model: () => new nn.Dropout2d(0.5), input: feats(2, 3, 3) },
  { name: "Identity", model: () => new nn.Identity(), input: feats(7) },
  { name: "Flatten", model: () => new nn.Flatten(), input: feats(2, 3, 4) },
  { name: "Unflatten", model: () => new nn.Unflatten(1, [3, 4]), input: feats(12) },
  { name: "Conv1d", model: () => new nn.Conv1d(3, 4, 3, { padding: 1, stride: 2 }), input: feats(3, 9) },
  { name: "Conv2d", model: () => new nn.Conv2d(2, 4, 3), input: feats(2, 6, 6) },
  { name: "Conv2d strided, padded, dilated", model: () => new nn.Conv2d(2, 4, [3, 2], { stride: [2, 1], padding: [1, 0], dilation: [1, 2] }), input: feats(2, 7, 6) },
  { name: "Conv2d grouped, same padding", model: () => new nn.Conv2d(4, 4, 4, { groups: 2, padding: "same" }), input: feats(4, 6, 6) },
  { name: "ConvTranspose2d", model: () => new nn.ConvTranspose2d(3, 2, 3, { stride: 2, padding: 1, outputPadding: 1 }), input: feats(3, 4, 4) },
  { name: "MaxPool1d", model: () => new nn.MaxPool1d(2), input: feats(3, 8) },
  { name: "MaxPool2d", model: () => new nn.MaxPool2d(2), input: feats(3, 6, 6) },
  { name: "MaxPool2d padded, ceil mode", model: () => new nn.MaxPool2d(3, { stride: 2, padding: 1, ceilMode: true }), input: feats(2, 6, 6) },
  { name: "AvgPool2d", model: () => new nn.AvgPool2d(2), input: feats(3, 6, 6) },
  { name: "AvgPool2d padded, excluding padding", model: () => new nn.AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }), input: feats(2, 7, 7) },
  { name: "AvgPool2d in ceil mode, windows past the padding", model: () => new nn.AvgPool2d(3, { stride: 2, padding: 1, ceilMode: true }), input: feats(2, 6, 6) },
  { name: "AvgPool2d in ceil mode, excluding padding", model: () => new nn.AvgPool2d(3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }), input: feats(2, 6, 6) },
  { name: "MaxPool2d in ceil mode, a last window PyTorch drops", model: () => new nn.MaxPool2d(3, { stride: 3, padding: 1, ceilMode: true }), input: feats(2, 5, 7) },
  { name: "AdaptiveAvgPool2d to 1", model: () => new nn.AdaptiveAvgPool2d(1), input: feats(3, 5, 5) },
  { name: "AdaptiveAvgPool2d to 2", model: () => new nn.AdaptiveAvgPool2d(2), input: feats(3, 6, 4) },
  { name: "BatchNorm1d", model: () => warmBatchNorm(new nn.BatchNorm1d(5), feats(5)), input: feats(5) },
  { name: "BatchNorm1d on [N, C, L]", model: () => warmBatchNorm(new nn.BatchNorm1d(3), feats(3, 4)), input: feats(3, 4) },
  { name: "BatchNorm2d", model: () => warmBatchNorm(new nn.BatchNorm2d(3), feats(3, 4, 4)), input: feats(3, 4, 4) },
  { name: "Conv2d with reflect padding", model: () => new nn.Conv2d(2, 3, 3, { padding: 1, paddingMode: "reflect" }), input: feats(2, 5, 5) },
  { name: "Conv2d with circular padding", model: () => new nn.Conv2d(2, 3, 3, { padding: [1, 2], paddingMode: "circular" }), input: feats(2, 5, 5) },
  { name: "Conv1d with replicate padding", model: () => new nn.Conv1d(2, 3, 3, { padding: 2, paddingMode: "replicate" }), input: feats(2, 6) },
  { name: "Upsample nearest", model: () => new nn.Upsample({ scaleFactor: 2 }), input: feats(2, 3, 4) },
  { name: "Upsample nearest to a size", model: () => new nn.Upsample({ size: [5, 7] }), input: feats(2, 3, 4) },
  { name: "Upsample bilinear", model: () => new nn.Upsample({ scaleFactor: 2, mode: "bilinear" }), input: feats(2, 3, 4) },
  { name: "Upsample bilinear to a size", model: () => new nn.Upsample({ size: [5, 7], mode: "bilinear" }), input: feats(2, 3, 4) },
  { name: "pad, constant", model: () => new Lambda((x) => bp.F.pad(x, [1, 2, 0, 3], { value: 0.5 })), input: feats(3, 4) },
  { name: "pad, cropping", model: () => new Lambda((x) => bp.F.pad(x, [-1, 2])), input: feats(3, 4) },
  { name: "pad, reflect", model: () => new Lambda((x) => bp.F.pad(x, [2, 1, 1, 1], { mode: "reflect" })), input: feats(2, 3, 4) },
  { name: "pad, replicate", model: () => new Lambda((x) => bp.F.pad(x, [2, 3], { mode: "replicate" })), input: feats(2, 4) },
  { name: "std and variance", model: () => new Lambda((x) => bp.cat([x.std(1, { keepdim: true }), x.std(1, { unbiased: false, keepdim: true }), x.variance(1, { keepdim: true })], 1).add(x.std([1, 2]).unsqueeze(1).unsqueeze(2))), input: feats(3, 4) },
  { name: "indexSelect and stack", model: () => new Lambda((x) => bp.stack([x.indexSelect(1, int32([3, 0, 0])), x.narrow(1, 1, 3)], 2)), input: feats(4) },
  { name: "float64 Linear and Tanh", model: () => new nn.Sequential(new nn.Linear(4, 3, { dtype: "float64" }), new nn.Tanh()), input: (b) => bp.randn([b, 4], { dtype: "float64" }) },
  { name: "BatchNorm2d without affine", model: () => warmBatchNorm(new nn.BatchNorm2d(3, { affine: false }), feats(3, 4, 4)), input: feats(3, 4, 4) },
];

describe("onnx.exportModel: each layer alone matches onnxruntime on another batch size", () => {
  for (const c of LAYERS) {
    it(c.name, async () => {
      bp.manualSeed(7);
      await checkAgainstRuntime(new nn.Sequential(c.model()), c.input, c.atol);
    });
  }
});

/** A module written with tensor ops rather than layers. */
class TensorOps extends nn.Module {
  readonly w = new nn.Parameter(bp.randn([4, 4]));
  readonly scale = new nn.Parameter(bp.rand([4]).add(0.5));
  forward(x: bp.Tensor): bp.Tensor {
    const a = x.matmul(this.w).add(1).sub(x.mul(0.5)).div(this.scale);          // [N, 4]
    const b = a.abs().add(1).sqrt().log().exp().neg().pow(2).sub(a.pow(this.scale)); // tensor ** tensor
    const c = bp.cat([a, b.clamp(-3, 3)], 1).unsqueeze(1);                            // [N, 1, 8]
    const d = c.transpose(1, 2).squeeze(2).reshape([-1, 2, 4]).permute([0, 2, 1]);   // [N, 4, 2]
    const e = d.narrow(1, 1, 2).sum(2).add(d.mean([1, 2], true).squeeze(2));         // [N, 2]
    const f = e.max(1, true).expand([e.shape[0], 3]).add(x.max(1, true).neg());      // [N, 3]
    return bp.cat([f, e.softmax(1), bp.maximum(e, bp.minimum(e, 0.25)), e.sigmoid().square().reciprocal()], 1);
  }
}

describe("onnx.exportModel: modules written with tensor ops", () => {
  it("elementwise, matmul, shape and reduction ops", async () => {
    bp.manualSeed(3);
    await checkAgainstRuntime(new TensorOps(), feats(4));
  });

  it("a module returning two outputs, with given input and output names", async () => {
    class TwoHeads extends nn.Module {
      readonly body = new nn.Linear(4, 6);
      forward(x: bp.Tensor): bp.Tensor[] {
        const h = this.body.forward(x).relu();
        return [h.sum(1), h.logSoftmax(1)];
      }
    }
    bp.manualSeed(4);
    const m = new TwoHeads();
    const bytes = bp.onnx.exportModel(m, bp.randn([3, 4]), { inputNames: ["features"], outputNames: ["total", "logProbs"] });
    const x = bp.randn([6, 4]);
    const [total, logProbs] = bp.noGrad(() => m.forward(x));
    const r = await runOnnx(bytes, { features: x });
    expect(r.total.dims).toEqual([6]);
    expectClose(r.total.data, total.data(), 1e-5, 1e-4);
    expectClose(r.logProbs.data, logProbs.data(), 1e-5, 1e-4);
  });

  it("gather with constant indices, at a fixed batch size (the indices' shape holds the batch)", async () => {
    const m = new Lambda((x) => x.gather(1, int32([2, 1, 0, 0, 1, 2]).reshape([2, 3])));
    const x = bp.randn([2, 4]);
    const r = await runOnnx(bp.onnx.exportModel(m, x, { dynamicBatch: false }), { input: x });
    expect(r.output.data).toEqual(Array.from(m.forward(x).data()));
  });

  it("a module taking two inputs, passed as an array", async () => {
    class Pair extends nn.Module {
      readonly lin = new nn.Linear(3, 2);
      forward(a: bp.Tensor, b: bp.Tensor): bp.Tensor {
        return this.lin.forward(a).mul(b.sum(1, true)).tanh();
      }
    }
    bp.manualSeed(6);
    const m = new Pair();
    const bytes = bp.onnx.exportModel(m, [bp.randn([2, 3]), bp.randn([2, 4])]);
    const a = bp.randn([4, 3]), b = bp.randn([4, 4]);
    const r = await runOnnx(bytes, { input0: a, input1: b });
    expectClose(r.output.data, bp.noGrad(() => m.forward(a, b)).data(), 1e-5, 1e-4);
  });

  it("dynamicBatch: false fixes the example's batch size", async () => {
    bp.manualSeed(5);
    const m = new nn.Sequential(new nn.Linear(4, 3), new nn.Flatten(0));
    const x = bp.randn([3, 4]);
    const bytes = bp.onnx.exportModel(m, x, { dynamicBatch: false });
    const r = await runOnnx(bytes, { input: x });
    expectClose(r.output.data, bp.noGrad(() => m.forward(x) as bp.Tensor).data(), 1e-5, 1e-4);
    await expect(runOnnx(bytes, { input: bp.randn([5, 4]) })).rejects.toThrow();
  });
});

describe("onnx.exportModel: recurrent layers and attention", () => {
  const ATTENTION: Case[] = [
    { name: "MultiheadAttention, self-attention", model: () => new Lambda2(new nn.MultiheadAttention(8, 2, { batchFirst: true }), (m, x) => (m as bp.nn.MultiheadAttention).forward(x, x, x)[0]), input: feats(5, 8) },
    { name: "causal TransformerEncoderLayer, pre-norm, GELU", model: () => new Lambda2(new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true, normFirst: true, activation: "gelu" }), (m, x) => (m as bp.nn.TransformerEncoderLayer).forward(x, { srcMask: causalMask(5), isCausal: true })), input: feats(5, 8) },
  ];
  for (const c of ATTENTION) {
    it(`${c.name} (batch free)`, async () => {
      bp.manualSeed(3);
      await checkAgainstRuntime(c.model(), c.input, 1e-5);
    });
  }

  // A fixed batch still works (recurrent.test.ts runs them with the batch free).
  const RECURRENT: Case[] = [
    { name: "LSTM, 2 layers, batch first", model: () => new Lambda2(new nn.LSTM(4, 6, { numLayers: 2, batchFirst: true }), (m, x) => (m as bp.nn.LSTM).forward(x)[0]), input: feats(5, 4) },
    { name: "bidirectional GRU, sequence first", model: () => new Lambda2(new nn.GRU(4, 5, { bidirectional: true }), (m, x) => (m as bp.nn.GRU).forward(x)[0]), input: (b) => bp.randn([5, b, 4]) },
    { name: "RNN (relu), batch first", model: () => new Lambda2(new nn.RNN(4, 5, { nonlinearity: "relu", batchFirst: true }), (m, x) => (m as bp.nn.RNN).forward(x)[0]), input: feats(5, 4) },
  ];
  for (const c of RECURRENT) {
    it(`${c.name} (dynamicBatch: false)`, async () => {
      bp.manualSeed(3);
      const model = c.model();
      const x = c.input(3);
      const bytes = bp.onnx.exportModel(model, x, { dynamicBatch: false });
      const ours = bp.noGrad(() => model.forward(x)) as bp.Tensor;
      const result = await runOnnx(bytes, { input: x });
      expect(result.output.dims).toEqual(ours.shape);
      expectClose(result.output.data, ours.contiguous().data(), 1e-5, 1e-4);
    });
  }
});

describe("onnx.exportModel: trained models", () => {
  it("a digits MLP trained a few steps", async () => {
    bp.manualSeed(11);
    const digits = bp.data.loadDigits();
    const model = new nn.Sequential(new nn.Linear(64, 32), new nn.ReLU(), new nn.Dropout(0.1), new nn.Linear(32, 10));
    const opt = new bp.optim.SGD(model.parameters(), { lr: 0.1 });
    const x = digits.features.narrow(0, 0, 256).div(16);
    const y = digits.target.narrow(0, 0, 256);
    for (let step = 0; step < 20; step++) {
      opt.zeroGrad();
      bp.F.crossEntropy(model.forward(x) as bp.Tensor, y).backward();
      opt.step();
    }
    await checkAgainstRuntime(model, (batch) => digits.features.narrow(0, 300, batch).div(16));
  });

  it("a small convnet with BatchNorm2d and MaxPool2d on digit images", async () => {
    bp.manualSeed(12);
    const digits = bp.data.loadDigits({ images: true });
    const model = new nn.Sequential(
      new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Conv2d(4, 8, 3), new nn.ReLU(), new nn.Flatten(), new nn.Linear(8 * 2 * 2, 10),
    );
    const opt = new bp.optim.SGD(model.parameters(), { lr: 0.05 });
    const x = digits.features.narrow(0, 0, 64).div(16);
    const y = digits.target.narrow(0, 0, 64);
    for (let step = 0; step < 5; step++) {
      opt.zeroGrad();
      bp.F.crossEntropy(model.forward(x) as bp.Tensor, y).backward();
      opt.step();
    }
    expect(model.training).toBe(true);
    await checkAgainstRuntime(model, (batch) => digits.features.narrow(0, 100, batch).div(16));
  });
});

describe("onnx.exportModel: what it writes", () => {
  it("names weights after the state dict, leaves the batch free and restores training mode", () => {
    bp.manualSeed(1);
    const model = new nn.Sequential(new nn.Linear(3, 2), new nn.BatchNorm1d(2), new nn.Dropout(0.3), new nn.Softmax(1));
    model.train();
    const model2 = decodeModel(bp.onnx.exportModel(model, bp.randn([4, 3])));
    expect(model.training).toBe(true);
    expect(model.modules().every((m) => m.training)).toBe(true);
    expect(model2.irVersion).toBe(8);
    expect(model2.opsetImport).toEqual([{ version: 17 }]); // the default domain "" is not written
    const g = model2.graph;
    expect(g.initializer.map((t) => t.name)).toEqual(["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var"]);
    expect(g.initializer[0].dims).toEqual([2, 3]);
    expect(g.node.map((n) => n.opType)).toEqual(["Gemm", "BatchNormalization", "Softmax"]);
    expect(g.node[1].input).toEqual([g.node[0].output[0], "1.weight", "1.bias", "1.running_mean", "1.running_var"]);
    expect(g.node[2].output).toEqual(["output"]);
    expect(g.input[0].type.tensorType.shape.dim).toEqual([{ dimParam: "batch" }, { dimValue: 3 }]);
    expect(g.output[0].type.tensorType.shape.dim).toEqual([{ dimParam: "batch" }, { dimValue: 2 }]);
  });

  it("writes every weight's values exactly", () => {
    bp.manualSeed(2);
    const lin = new nn.Linear(3, 2);
    const g = decodeModel(bp.onnx.exportModel(new nn.Sequential(lin), bp.randn([2, 3]))).graph;
    const raw = g.initializer[0].rawData;
    const values = new Float32Array(new Uint8Array(raw).buffer);
    expect(Array.from(values)).toEqual(Array.from(lin.weight.data()));
  });
});

describe("onnx.exportModel runs in browsers", () => {
  it("imports no Node module, directly or through src/io (only save.ts writes files)", () => {
    const dir = new URL("../../src/onnx/", import.meta.url);
    const files = fs.readdirSync(dir).filter((f) => f.endsWith(".ts") && f !== "save.ts" && f !== "index.ts");
    expect(files.sort()).toEqual(["export.ts", "graph-builder.ts", "op-table.ts", "schema.ts", "trace.ts"]);
    for (const f of files) {
      const imports = [...fs.readFileSync(new URL(f, dir), "utf8").matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]);
      expect(imports.filter((i) => i.startsWith("node:") || i.includes("/io/") || i.includes("/cli/")), f).toEqual([]);
    }
  });
});

describe("onnx.saveModel", () => {
  it("writes exportModel's bytes to a file and returns their count", () => {
    bp.manualSeed(9);
    const model = new nn.Sequential(new nn.Linear(3, 2), new nn.Sigmoid());
    const x = bp.randn([2, 3]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bp-onnx-"));
    const file = path.join(dir, "model.onnx");
    const n = bp.onnx.saveModel(model, x, file, { outputNames: ["probability"] });
    const written = new Uint8Array(fs.readFileSync(file));
    expect(n).toBe(written.length);
    expect(written).toEqual(bp.onnx.exportModel(model, x, { outputNames: ["probability"] }));
    expect(fs.readdirSync(dir)).toEqual(["model.onnx"]);
    fs.rmSync(dir, { recursive: true });
  });

  it("names the file when its folder does not exist", () => {
    const file = path.join(os.tmpdir(), "bp-onnx-no-such-folder", "m.onnx");
    expect(() => bp.onnx.saveModel(new nn.ReLU(), bp.randn([2, 3]), file)).toThrow(/onnx\.saveModel: .*m\.onnx: the folder .* does not exist/);
  });
});

describe("onnx.exportModel: errors", () => {
  /** A module whose forward ends in a loss against fixed targets (crossEntropy has no export). */
  class WithLoss extends nn.Module {
    forward(x: bp.Tensor): bp.Tensor {
      return bp.F.crossEntropy(x, int32(x.shape[0] === 2 ? [0, 2] : [0, 1, 2, 0]));
    }
  }

  it("leaves the module as it was when the export fails", () => {
    const inner = new WithLoss();
    const model = new nn.Sequential(new nn.Linear(3, 3), inner);
    model.train();
    expect(() => bp.onnx.exportModel(model, bp.randn([2, 3]))).toThrow(/crossEntropy/);
    expect(model.modules().every((m) => m.training)).toBe(true);
    expect(Object.prototype.hasOwnProperty.call(inner, "forward")).toBe(false);
    expect(Object.prototype.hasOwnProperty.call(model, "forward")).toBe(false);
    // Ops run afterwards record graphs as usual (no trace left listening).
    const w = bp.randn([3], { requiresGrad: true });
    expect(w.mul(2).sum().gradFn).not.toBeNull();
  });

  it("names an op with no ONNX equivalent, the module that ran it and why", () => {
    const model = new nn.Sequential(new nn.Linear(3, 3), new WithLoss());
    expect(() => bp.onnx.exportModel(model, bp.randn([2, 3]))).toThrow(/op "crossEntropy" in module 1 \(WithLoss\) has no ONNX equivalent: it is a loss whose class targets/);
  });

  it("refuses a tensor computed from the input by an op it cannot see, naming the op that reads it", () => {
    // A mask written by hand from the values records nothing: it would be frozen to the example's.
    const byHand = (x: bp.Tensor) => bp.tensor(Array.from(x.data(), (v) => (v > 0 ? 1 : 0))).reshape(x.shape);
    const model = new nn.Sequential(new nn.Linear(3, 3), new Lambda((x) => x.mul(byHand(x))));
    expect(() => bp.onnx.exportModel(model, bp.randn([4, 3]))).toThrow(/a tensor of shape \[12\] read by reshape in 1 \(Lambda\) depends on the input values, but was made by an op that is not exported \(values written by hand/);
  });

  it("refuses a tensor made from the batch size that is not one value filled in", () => {
    const model = new Lambda((x) => x.add(bp.arange(x.shape[0]).to("float32").unsqueeze(1)));
    expect(() => bp.onnx.exportModel(model, bp.randn([3, 2]))).toThrow(/a tensor of shape \[3\] read by to in \(root\) \(Lambda\) was made in forward from the batch size \(it is \[4\] for a batch of 4\); the graph would fix the batch to 3/);
  });

  it("keeps constants made in forward that do not depend on the input", async () => {
    const model = new Lambda((x) => x.add(bp.tensor([1, 2, 3])).mul(bp.arange(3).to("float32")));
    await checkAgainstRuntime(model, feats(3));
  });

  it("rejects what is not a module", () => {
    expect(() => bp.onnx.exportModel({ forward: (x: bp.Tensor) => x } as unknown as bp.nn.Module, bp.randn([2, 3]))).toThrow(/expected a bp\.nn\.Module to export, got object/);
  });

  it("rejects an opset it does not write", () => {
    expect(() => bp.onnx.exportModel(new nn.ReLU(), bp.randn([2, 3]), { opset: 13 })).toThrow(/opset 13 is not written; supported: 17/);
  });

  it("asks for a batch of 2 or more when the batch is dynamic", () => {
    expect(() => bp.onnx.exportModel(new nn.ReLU(), bp.randn([1, 3]))).toThrow(/example batch of 2 or more/);
  });

  it("rejects names that do not fit the inputs", () => {
    expect(() => bp.onnx.exportModel(new nn.ReLU(), bp.randn([2, 3]), { inputNames: ["a", "b"] })).toThrow(/inputNames must be 1 non-empty string/);
  });

  it("rejects an adaptive pooling whose windows differ in size", () => {
    const model = new nn.Sequential(new nn.AdaptiveAvgPool2d(2));
    expect(() => bp.onnx.exportModel(model, bp.randn([2, 1, 5, 5]))).toThrow(/op "adaptiveAvgPool2d" in module 0 \(AdaptiveAvgPool2d\).*unequal windows/);
  });
});
