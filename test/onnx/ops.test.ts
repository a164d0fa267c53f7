/**
 * Issue #16's remaining ops checked against onnxruntime-web: reordering
 * (flip, roll, strided slice), running sums, scatter, logsumexp, the index
 * ops (argmax, argmin, argsort, sort, topk, oneHot), comparisons and casts.
 * Each model is exported from a batch of 3 and run on a batch of 5, in
 * float32 and, where onnxruntime has float64 kernels, in float64; indices
 * and bools must match exactly.
 */
import { describe, expect, it } from "vitest";
import * as bp from "backpropagation";
import { expectClose, runOnnx } from "./runtime.js";

const { nn } = bp;

/** A module whose forward is the given function; it may return several tensors. */
class Lambda extends nn.Module {
  constructor(private readonly fn: (x: bp.Tensor) => bp.Tensor | bp.Tensor[]) {
    super();
  }
  forward(x: bp.Tensor): bp.Tensor | bp.Tensor[] {
    return this.fn(x);
  }
}

const int32 = (values: number[]) => bp.tensor(values, { dtype: "int32" });
const asList = (out: bp.Tensor | bp.Tensor[]) => (Array.isArray(out) ? out : [out]);

/** Exports from a batch of 3 (or `exportBatch`), runs a batch of 5 in onnxruntime and compares every output with ours. */
async function roundTrip(fn: (x: bp.Tensor) => bp.Tensor | bp.Tensor[], input: (batch: number) => bp.Tensor, atol = 1e-5): Promise<void> {
  const model = new Lambda(fn);
  const bytes = bp.onnx.exportModel(model, input(3));
  const x = input(5);
  const ours = asList(bp.noGrad(() => model.forward(x)));
  const result = await runOnnx(bytes, { input: x });
  const names = ours.length === 1 ? ["output"] : ours.map((_, i) => `output${i}`);
  ours.forEach((t, i) => {
    const r = result[names[i]];
    expect(r.dims, names[i]).toEqual(t.shape);
    const expected = t.contiguous().data();
    if (t.dtype === "float32" || t.dtype === "float64") expectClose(r.data, expected, atol, 1e-5);
    else expect(r.data, `${names[i]} (${t.dtype})`).toEqual(Array.from(expected, Number));
  });
}

/** Distinct values per row (so sorting has no ties unless a case makes them). */
const rows = (dtype: "float32" | "float64", ...rest: number[]) => (batch: number) => bp.randn([batch, ...rest], { dtype });

interface OpCase {
  name: string;
  fn: (x: bp.Tensor) => bp.Tensor | bp.Tensor[];
  /** Input shape after the batch dim. */
  shape: number[];
  /** Run in float64 too (onnxruntime implements the ONNX ops in float64 as well). */
  float64?: boolean;
}

const CASES: OpCase[] = [
  { name: "logsumexp over one dim", fn: (x) => x.logsumexp(1), shape: [6], float64: true },
  { name: "logsumexp over two dims, keepdim", fn: (x) => x.mul(20).logsumexp([1, 2], true), shape: [3, 4], float64: true },
  { name: "flip one dim", fn: (x) => x.flip(1), shape: [4, 3], float64: true },
  { name: "flip the batch dim and another", fn: (x) => x.flip([0, 2]), shape: [2, 3], float64: true },
  { name: "roll two dims", fn: (x) => x.roll([1, -2], [1, 2]), shape: [4, 5], float64: true },
  { name: "roll one dim twice (shifts add up)", fn: (x) => x.roll([2, 5], [1, 1]), shape: [4], float64: true },
  { name: "slice with a step", fn: (x) => x.slice(1, 1, null, 2), shape: [7, 2], float64: true },
  { name: "slice from the end with a step", fn: (x) => x.slice(2, -5, -1, 3), shape: [2, 9], float64: true },
  { name: "cumsum", fn: (x) => x.cumsum(1), shape: [6, 2], float64: true },
  { name: "cumsum of a bool mask (int32)", fn: (x) => x.gt(0).cumsum(1), shape: [6] },
  { name: "scatter at computed indices", fn: (x) => x.scatter(1, x.argsort(1).narrow(1, 0, 2), x.narrow(1, 2, 2).mul(10)), shape: [6], float64: true },
  { name: "scatter of a number", fn: (x) => x.scatter(1, x.argmax(1, true), -1), shape: [6], float64: true },
  { name: "scatter with a src larger than the index", fn: (x) => x.scatter(1, x.argsort(1, true).narrow(1, 0, 2), x.mul(3)), shape: [5], float64: true },
  { name: "scatter into the first row only (constant index)", fn: (x) => x.scatter(1, int32([2, 0]).reshape([1, 2]), 7), shape: [4] },
  { name: "scatterAdd with repeated indices", fn: (x) => x.scatterAdd(1, int32([0, 0, 3, 0]).reshape([1, 4]), x.mul(2)), shape: [4], float64: true },
  { name: "argmax and argmin over a dim", fn: (x) => [x.argmax(1), x.argmin(2, true)], shape: [4, 3], float64: true },
  { name: "argmax of the flattened tensor", fn: (x) => [x.argmax(), x.argmin(null, true)], shape: [4] },
  { name: "argmax over the batch dim", fn: (x) => x.argmax(0), shape: [4], float64: true },
  { name: "argsort ascending and descending", fn: (x) => [x.argsort(1), x.argsort(-1, true)], shape: [3, 5], float64: true },
  { name: "argsort along the batch dim", fn: (x) => x.argsort(0), shape: [4] },
  { name: "argsort keeps ties in index order", fn: (x) => [x.gt(0).to("float32").argsort(1), x.gt(0).to("float32").argsort(1, true)], shape: [12] },
  { name: "sort: values and indices", fn: (x) => { const s = x.sort(1, true); return [s.values, s.indices]; }, shape: [6], float64: true },
  { name: "topk, largest and smallest", fn: (x) => { const a = x.topk(2, 1), b = x.topk(3, 1, false); return [a.values, a.indices, b.values, b.indices]; }, shape: [5], float64: true },
  { name: "topk of a few out of many (the quickselect path)", fn: (x) => { const t = x.topk(2, -1); return [t.values, t.indices]; }, shape: [2, 40] },
  { name: "comparisons and where", fn: (x) => bp.where(x.gt(0), x, x.mul(0.1)).add(x.le(-0.5).to("float32")), shape: [6], float64: true },
  { name: "every comparison, logicalAnd and logicalNot", fn: (x) => [x.eq(x.abs()), x.ne(0), x.ge(0.5), x.lt(x.flip(1)), bp.logicalAnd(x.gt(-1), x.lt(1)), bp.logicalNot(x.gt(0))], shape: [6] },
  { name: "isfinite", fn: (x) => bp.isfinite(x.log()), shape: [6], float64: true },
  { name: "casts without a gradient: bool, int32, float", fn: (x) => [x.mul(3).to("int32"), x.to("bool"), x.mul(3).to("int32").to("float32")], shape: [6] },
  { name: "mixed dtypes in arithmetic (int32 + float32)", fn: (x) => x.mul(3).to("int32").add(x), shape: [6] },
  { name: "oneHot of computed indices", fn: (x) => bp.F.oneHot(x.argmax(1), 4), shape: [4] },
];

describe("onnx.exportModel: issue #16's ops match onnxruntime on another batch size", () => {
  for (const c of CASES) {
    it(c.name, async () => {
      bp.manualSeed(21);
      await roundTrip(c.fn, rows("float32", ...c.shape));
    });
    if (c.float64) {
      it(`${c.name} (float64)`, async () => {
        bp.manualSeed(22);
        await roundTrip(c.fn, rows("float64", ...c.shape), 1e-12);
      });
    }
  }

  it("oneHot of int32 inputs (the graph input itself)", async () => {
    const model = new Lambda((x) => bp.F.oneHot(x, 5));
    const bytes = bp.onnx.exportModel(model, int32([1, 4, 0]));
    const x = int32([3, 0, 2, 2, 4]);
    const r = await runOnnx(bytes, { input: x });
    expect(r.output.data).toEqual(Array.from((model.forward(x) as bp.Tensor).data()));
  });

  it("roll and a strided slice along the batch dim need a fixed batch, and say so", () => {
    expect(() => bp.onnx.exportModel(new Lambda((x) => x.roll(1, 0)), bp.randn([3, 2]))).toThrow(/op "roll" in module \(root\) \(Lambda\): rolls the batch dim 0, which depends on the batch size; export with dynamicBatch: false/);
    expect(() => bp.onnx.exportModel(new Lambda((x) => x.slice(0, 0, null, 2)), bp.randn([3, 2]))).toThrow(/op "slice" .*slices the batch dim 0/);
  });

  it("roll along the batch dim with a fixed batch", async () => {
    const model = new Lambda((x) => x.roll(1, 0));
    const x = bp.randn([3, 2]);
    const r = await runOnnx(bp.onnx.exportModel(model, x, { dynamicBatch: false }), { input: x });
    expect(r.output.data).toEqual(Array.from((model.forward(x) as bp.Tensor).data()));
  });
});
