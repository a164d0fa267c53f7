/**
 * Layers and losses against PyTorch 1.13 (fixtures from test/fixtures/gen_nn.py):
 * outputs, and gradients of Σ output·cotangent with respect to inputs,
 * targets and parameters, in float64 to 1e-12 relative.
 */
import { describe, expect, test } from "vitest";
import * as bp from "../../src/index.js";
import fixture from "../fixtures/nn.json" with { type: "json" };

interface Encoded { shape: number[]; data: number[]; dtype: "int32" | "float64" }
interface Case {
  name: string;
  fn: string;
  options: Record<string, any>;
  inputs: Record<string, Encoded>;
  out: Encoded;
  cotangent: number[] | null;
  grads: Record<string, number[]>;
}

type Inputs = Record<string, bp.Tensor>;
/** Runs a case: the output, and the tensors (by name) whose gradients the fixture records. */
type Runner = (t: Inputs, o: Record<string, any>) => { out: bp.Tensor; tensors: Inputs };

/** Loads the named inputs into a module's parameters, and reports its parameters under those names. */
function withModule(m: bp.nn.Module, t: Inputs, names: string[], forward: () => bp.Tensor): { out: bp.Tensor; tensors: Inputs } {
  const sd: Inputs = {};
  for (const n of names) if (t[n]) sd[n] = t[n];
  m.loadStateDict(sd);
  return { out: forward(), tensors: { ...t, ...Object.fromEntries(m.namedParameters()) } };
}

const F = bp.F;
const runners: Record<string, Runner> = {
  Linear: (t, o) => {
    const m = new bp.nn.Linear(o.inFeatures, o.outFeatures, { bias: o.bias, dtype: "float64" });
    return withModule(m, t, ["weight", "bias"], () => m.forward(t.x));
  },
  LayerNorm: (t, o) => {
    const m = new bp.nn.LayerNorm(o.normalizedShape, { eps: o.eps, elementwiseAffine: o.elementwiseAffine, dtype: "float64" });
    return withModule(m, t, ["weight", "bias"], () => m.forward(t.x));
  },
  Embedding: (t, o) => {
    const m = new bp.nn.Embedding(o.numEmbeddings, o.embeddingDim, { dtype: "float64", paddingIdx: o.paddingIdx });
    return withModule(m, t, ["weight"], () => m.forward(t.indices));
  },
  GELU: (t, o) => ({ out: new bp.nn.GELU(o).forward(t.x), tensors: t }),
  MLP: (t) => {
    const m = new bp.nn.Sequential(new bp.nn.Linear(3, 5), new bp.nn.Sigmoid(), new bp.nn.Linear(5, 2)).to("float64");
    return withModule(m, t, ["0.weight", "0.bias", "2.weight", "2.bias"], () => m.forward(t.x));
  },
  mseLoss: (t, o) => ({ out: F.mseLoss(t.input, t.target, o), tensors: t }),
  l1Loss: (t, o) => ({ out: F.l1Loss(t.input, t.target, o), tensors: t }),
  smoothL1Loss: (t, o) => ({ out: F.smoothL1Loss(t.input, t.target, o), tensors: t }),
  binaryCrossEntropy: (t, o) => ({ out: F.binaryCrossEntropy(t.input, t.target, { ...o, weight: t.weight }), tensors: t }),
  binaryCrossEntropyWithLogits: (t, o) => ({
    out: F.binaryCrossEntropyWithLogits(t.input, t.target, { ...o, weight: t.weight, posWeight: t.posWeight }), tensors: t,
  }),
  crossEntropy: (t, o) => ({ out: F.crossEntropy(t.input, t.target, { ...o, weight: t.weight }), tensors: t }),
  nllLoss: (t, o) => ({ out: F.nllLoss(t.input, t.target, { ...o, weight: t.weight }), tensors: t }),
};

function decode(e: Encoded, requiresGrad: boolean): bp.Tensor {
  const t = bp.tensor(e.data, { dtype: e.dtype }).reshape(e.shape);
  if (requiresGrad && e.dtype === "float64") t.requiresGrad = true;
  return t;
}

function expectClose(ours: ArrayLike<number>, ref: number[], what: string): void {
  expect(ours.length, what).toBe(ref.length);
  let worst = 0;
  for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ours[i] - ref[i]) / (Math.abs(ref[i]) + 1e-6));
  expect(worst, what).toBeLessThan(1e-12);
}

const cases = fixture.cases as unknown as Case[];

describe("layers and losses match PyTorch (output and gradients)", () => {
  for (const c of cases) {
    test(c.name, () => {
      const inputs: Inputs = {};
      for (const [name, e] of Object.entries(c.inputs)) inputs[name] = decode(e, name in c.grads);
      const run = runners[c.fn];
      expect(run, `runner for ${c.fn}`).toBeDefined();
      const { out, tensors } = run(inputs, c.options);
      expect(out.shape).toEqual(c.out.shape);
      expectClose(out.data(), c.out.data, "output");
      if (c.cotangent) out.mul(bp.tensor(c.cotangent, { dtype: "float64" }).reshape(c.out.shape)).sum().backward();
      else out.backward();
      for (const [name, ref] of Object.entries(c.grads)) {
        const t = tensors[name];
        expect(t?.grad, `gradient of ${name}`).toBeTruthy();
        expectClose(t.grad!.data(), ref, `gradient of ${name}`);
      }
    });
  }

  test("the fixture covers every loss with every reduction", () => {
    for (const fn of ["mseLoss", "l1Loss", "smoothL1Loss", "binaryCrossEntropy", "binaryCrossEntropyWithLogits", "crossEntropy", "nllLoss"]) {
      const reductions = new Set(cases.filter((c) => c.fn === fn).map((c) => c.options.reduction));
      expect([...reductions].sort(), fn).toEqual(["mean", "none", "sum"]);
    }
    expect(cases.some((c) => c.fn === "crossEntropy" && c.options.labelSmoothing > 0 && c.inputs.weight)).toBe(true);
  });
});
