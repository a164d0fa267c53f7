/**
 * Attention against PyTorch 1.13 (fixtures from test/fixtures/gen_attn.py):
 * tril, triu, maskedFill and scaledDotProductAttention outputs and the
 * gradients of Σ output·cotangent; sizes that reach the wasm and native
 * GEMM kernels; MultiheadAttention, TransformerEncoderLayer,
 * TransformerEncoder and TransformerDecoderLayer loaded from PyTorch state
 * dicts reproducing outputs, attention weights and parameter and input
 * gradients; the gradient of a gradient penalty (second order) through
 * scaledDotProductAttention and MultiheadAttention; on every backend, in
 * float64 and float32.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import * as bp from "../../src/index.js";
import { BACKENDS } from "../backends.js";
import fixture from "../fixtures/attn.json" with { type: "json" };

interface Encoded { shape: number[]; data: number[]; dtype?: "bool" | "float64" }
interface OpCase {
  name: string;
  fn: "tril" | "triu" | "maskedFill" | "scaledDotProductAttention";
  options: Record<string, any>;
  inputs: Record<string, Encoded>;
  masks: Record<string, Encoded>;
  out: Encoded;
  cotangent: number[];
  grads: Record<string, number[]>;
}
interface LargeCase {
  name: string;
  options: Record<string, any>;
  mask: "float" | "bool" | null;
  shapes: { q: number[]; k: number[]; v: number[] };
  outShape: number[];
  step: number;
  out: number[];
  grads: Record<"q" | "k" | "v", number[]>;
}
interface ModuleCase {
  name: string;
  cls: "MultiheadAttention" | "TransformerEncoderLayer" | "TransformerEncoder" | "TransformerDecoderLayer";
  args: [number, number];
  options: Record<string, any>;
  training: boolean;
  forward: Record<string, Encoded | boolean>;
  inputNames: string[];
  numLayers?: number;
  norm?: boolean;
  large?: boolean;
  step?: number;
  inputShapes?: Record<string, number[]>;
  stateShapes?: Record<string, number[]>;
  stateDict?: Record<string, Encoded>;
  inputs?: Record<string, Encoded>;
  outShape?: number[];
  out: Encoded | number[];
  cotangent?: number[];
  weights?: Encoded | null;
  cotWeights?: number[] | null;
  grads: Record<string, number[]>;
  inputGrads: Record<string, number[]>;
}

const ops = fixture.ops as unknown as OpCase[];
const large = fixture.large as unknown as LargeCase[];
const modules = fixture.modules as unknown as ModuleCase[];
interface SecondOrderCase {
  name: string;
  fn: "sdpa" | "mha";
  inputs: Record<string, Encoded>;
  masks: Record<string, Encoded>;
  outShape: number[];
  cotangent: number[];
  grads: Record<string, number[]>;
  stateDict?: Record<string, Encoded>;
  keyPaddingMask?: number[][];
}
const secondOrder = fixture.secondOrder as unknown as SecondOrderCase[];
type FloatDType = "float32" | "float64";

function decode(e: Encoded, dtype: FloatDType, requiresGrad = false): bp.Tensor {
  if (e.dtype === "bool") return bp.tensor(e.data, { dtype: "int32" }).reshape(e.shape).ne(0);
  const t = bp.tensor(e.data, { dtype }).reshape(e.shape);
  t.requiresGrad = requiresGrad;
  return t;
}

/** The fixture's formula: multiples of 1/1024, exact in float32 too. */
function pattern(shape: number[], seed: number, scale: number, dtype: FloatDType, requiresGrad = false): bp.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = (((i * 7919 + seed) % 2049) - 1024) / 1024 * scale;
  const t = bp.tensor(data, { dtype }).reshape(shape);
  t.requiresGrad = requiresGrad;
  return t;
}

/** float64: |ours − ref| ≤ tol·(1 + |ref|); float32: tol times the largest |ref| (GEMMs round every partial sum). */
function expectClose(ours: ArrayLike<number>, ref: readonly number[], tol: number, what: string, scaleByMax = false): void {
  expect(ours.length, what).toBe(ref.length);
  let biggest = 0;
  for (const r of ref) biggest = Math.max(biggest, Math.abs(r));
  for (let i = 0; i < ref.length; i++) {
    const allowed = scaleByMax ? tol * Math.max(1, biggest) : tol * (1 + Math.abs(ref[i]));
    if (!(Math.abs(ours[i] - ref[i]) <= allowed)) {
      expect.fail(`${what}: element ${i} is ${ours[i]}, PyTorch gives ${ref[i]} (tolerance ${allowed})`);
    }
  }
}

function every(data: ArrayLike<number>, step: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < data.length; i += step) out.push(data[i]);
  return out;
}

function runOp(c: OpCase, t: Record<string, bp.Tensor>, masks: Record<string, bp.Tensor>): bp.Tensor {
  switch (c.fn) {
    case "tril": return t.x.tril(c.options.k);
    case "triu": return t.x.triu(c.options.k);
    case "maskedFill": return t.x.maskedFill(masks.mask, t.value ?? c.options.value);
    case "scaledDotProductAttention":
      return bp.F.scaledDotProductAttention(t.q, t.k, t.v, { attnMask: masks.attn_mask ?? null, isCausal: c.options.isCausal, scale: c.options.scale });
  }
}

const TOLERANCE: Record<FloatDType, number> = { float64: 1e-12, float32: 2e-5 };

/** Our module for a fixture case, in `dtype`, with PyTorch's state dict (or the pattern parameters) loaded. */
function buildModule(c: ModuleCase, dtype: FloatDType): bp.nn.Module {
  const [a, b] = c.args;
  const options = { ...c.options, dtype };
  let m: bp.nn.Module;
  if (c.cls === "MultiheadAttention") m = new bp.nn.MultiheadAttention(a, b, options);
  else if (c.cls === "TransformerEncoderLayer") m = new bp.nn.TransformerEncoderLayer(a, b, options);
  else if (c.cls === "TransformerDecoderLayer") m = new bp.nn.TransformerDecoderLayer(a, b, options);
  else {
    const layer = new bp.nn.TransformerEncoderLayer(a, b, options);
    m = new bp.nn.TransformerEncoder(layer, c.numLayers!, { norm: c.norm ? new bp.nn.LayerNorm(a, { dtype }) : null });
  }
  const state: Record<string, bp.Tensor> = {};
  if (c.large) {
    Object.entries(c.stateShapes!).forEach(([k, shape], i) => { state[k] = pattern(shape, 11 + i, 0.25, dtype); });
  } else {
    for (const [k, e] of Object.entries(c.stateDict!)) state[k] = decode(e, dtype);
  }
  m.loadStateDict(state);
  return m.train(c.training);
}

function forwardOptions(c: ModuleCase, dtype: FloatDType): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c.forward)) out[k] = typeof v === "boolean" ? v : decode(v, dtype);
  return out;
}

function runModule(c: ModuleCase, m: bp.nn.Module, inputs: bp.Tensor[], dtype: FloatDType): [bp.Tensor, bp.Tensor | null] {
  const o = forwardOptions(c, dtype);
  if (c.cls === "MultiheadAttention") {
    const [q, k, v] = inputs.length === 1 ? [inputs[0], inputs[0], inputs[0]] : inputs;
    return (m as bp.nn.MultiheadAttention).forward(q, k, v, o);
  }
  if (c.cls === "TransformerDecoderLayer") return [(m as bp.nn.TransformerDecoderLayer).forward(inputs[0], inputs[1], o), null];
  if (c.cls === "TransformerEncoder") return [(m as bp.nn.TransformerEncoder).forward(inputs[0], o), null];
  return [(m as bp.nn.TransformerEncoderLayer).forward(inputs[0], o), null];
}

describe.each(BACKENDS)("backend %s", (backendName) => {
  beforeAll(async () => { await bp.setBackend(backendName); });
  afterAll(async () => { await bp.setBackend("js"); });

  describe.each(["float64", "float32"] as const)("%s", (dtype) => {
    const tol = TOLERANCE[dtype];
    const f32 = dtype === "float32";

    test.each(ops.map((c) => [c.name, c] as const))("%s: output and gradients match PyTorch", (_name, c) => {
      const t: Record<string, bp.Tensor> = {};
      for (const [k, e] of Object.entries(c.inputs)) t[k] = decode(e, dtype, true);
      const masks: Record<string, bp.Tensor> = {};
      for (const [k, e] of Object.entries(c.masks)) masks[k] = decode(e, dtype);
      const y = runOp(c, t, masks);
      expect(y.dtype).toBe(dtype);
      expect(y.shape).toEqual(c.out.shape);
      expectClose(y.data(), c.out.data, tol, "output", f32);
      y.backward(bp.tensor(c.cotangent, { dtype }).reshape(c.out.shape));
      for (const [k, g] of Object.entries(c.grads)) expectClose(t[k].grad!.data(), g, tol, `gradient of ${k}`, f32);
    });

    test.each(large.map((c) => [c.name, c] as const))("large scaledDotProductAttention %s: output and gradients match PyTorch", (_name, c) => {
      const q = pattern(c.shapes.q, 1, 1, dtype, true);
      const k = pattern(c.shapes.k, 2, 1, dtype, true);
      const v = pattern(c.shapes.v, 3, 1, dtype, true);
      const L = c.shapes.q[c.shapes.q.length - 2], S = c.shapes.k[c.shapes.k.length - 2];
      const attnMask = c.mask === "float" ? pattern([L, S], 4, 2, dtype) : c.mask === "bool" ? pattern([L, S], 5, 1, "float64").gt(-0.6) : null;
      const y = bp.F.scaledDotProductAttention(q, k, v, { ...c.options, attnMask });
      expect(y.shape).toEqual(c.outShape);
      const big = f32 ? 1e-4 : 1e-10;
      expectClose(every(y.data(), c.step), c.out, big, "output", f32);
      y.backward(pattern(c.outShape, 6, 1, dtype));
      for (const [name, t] of [["q", q], ["k", k], ["v", v]] as const) expectClose(every(t.grad!.data(), c.step), c.grads[name], big, `gradient of ${name}`, f32);
    });

    test.each(secondOrder.map((c) => [c.name, c] as const))("second order, %s: the gradient of a gradient penalty matches PyTorch", (_name, c) => {
      const t: Record<string, bp.Tensor> = {};
      for (const [k, e] of Object.entries(c.inputs)) t[k] = decode(e, dtype, true);
      let out: bp.Tensor;
      if (c.fn === "sdpa") {
        out = bp.F.scaledDotProductAttention(t.q, t.k, t.v, { attnMask: decode(c.masks.attn_mask, dtype) });
      } else {
        const m = new bp.nn.MultiheadAttention(4, 2, { dtype });
        m.loadStateDict(Object.fromEntries(Object.entries(c.stateDict!).map(([k, e]) => [k, decode(e, dtype)])));
        const pad = bp.tensor(c.keyPaddingMask!, { dtype: "int32" }).ne(0);
        out = m.forward(t.query, t.key, t.value, { keyPaddingMask: pad })[0];
      }
      const first = Object.values(t)[0];
      const cot = bp.tensor(c.cotangent, { dtype }).reshape(c.outShape);
      const [g] = bp.grad(out.tanh().mul(cot).sum(), [first], { createGraph: true });
      g!.square().sum().backward();
      const second = f32 ? 1e-4 : 1e-10;
      for (const [k, ref] of Object.entries(c.grads)) expectClose(t[k].grad!.data(), ref, second, `second-order gradient of ${k}`, f32);
    });

    test.each(modules.map((c) => [c.name, c] as const))("%s: output and gradients match PyTorch", (_name, c) => {
      const m = buildModule(c, dtype);
      const inputs = c.large
        ? c.inputNames.map((n, i) => pattern(c.inputShapes![n], c.cls === "MultiheadAttention" ? 21 : 22 + i, 1, dtype, true))
        : c.inputNames.map((n) => decode(c.inputs![n], dtype, true));
      const [out, weights] = runModule(c, m, inputs, dtype);
      const params = Object.fromEntries(m.namedParameters());
      const big = c.large ? (f32 ? 1e-4 : 1e-10) : tol;
      if (c.large) {
        expect(out.shape).toEqual(c.outShape);
        expectClose(every(out.data(), c.step!), c.out as number[], big, "output", f32);
        out.backward(pattern(c.outShape!, 7, 1, dtype));
        for (const [k, g] of Object.entries(c.grads)) expectClose(every(params[k].grad!.data(), c.step!), g, big, `gradient of ${k}`, f32);
        c.inputNames.forEach((n, i) => expectClose(every(inputs[i].grad!.data(), c.step!), c.inputGrads[n], big, `gradient of input ${n}`, f32));
        return;
      }
      const ref = c.out as Encoded;
      expect(out.shape).toEqual(ref.shape);
      expectClose(out.data(), ref.data, tol, "output", f32);
      let loss = out.mul(bp.tensor(c.cotangent!, { dtype }).reshape(ref.shape)).sum();
      if (c.weights) {
        expect(weights, "attention weights").not.toBeNull();
        expect(weights!.shape).toEqual(c.weights.shape);
        expectClose(weights!.data(), c.weights.data, tol, "attention weights", f32);
        loss = loss.add(weights!.mul(bp.tensor(c.cotWeights!, { dtype }).reshape(c.weights.shape)).sum());
      } else {
        expect(weights).toBeNull();
      }
      loss.backward();
      expect(Object.keys(params).sort()).toEqual(Object.keys(c.grads).sort());
      for (const [k, g] of Object.entries(c.grads)) expectClose(params[k].grad!.data(), g, tol, `gradient of ${k}`, f32);
      c.inputNames.forEach((n, i) => expectClose(inputs[i].grad!.data(), c.inputGrads[n], tol, `gradient of input ${n}`, f32));
    });
  });
});
