/**
 * The numeric contract of docs/semantics.md ("Numbers across backends"):
 * which results every backend gives bit for bit, which differ by how many
 * units in the last place, and how accurate a float32 sum is.
 *
 * The cross-backend part runs sizes of thousands of elements, with
 * transposed and broadcast operands, so that every call crosses the real
 * dispatch thresholds (no forcing) and runs the fast backends' own kernels;
 * the JS backend is the reference (itself held to PyTorch by golden.test.ts).
 * The sum accuracy part also runs with forced kernels.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";
import type { Tensor } from "../../src/index.js";
import { BACKEND_MODES, BACKENDS, enterMode, leaveMode } from "../backends.js";

type DType = "float32" | "float64";
type Op = (x: Tensor, y: Tensor, row: Tensor) => Tensor;

/** Distance between a and b in units in the last place of the larger (0 when identical, both NaN included). */
function ulps(a: number, b: number, dtype: DType): number {
  if (Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b))) return 0;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return Infinity;
  const big = Math.max(Math.abs(a), Math.abs(b));
  const bits = dtype === "float32" ? 23 : 52;
  const minUlp = dtype === "float32" ? 2 ** -149 : 2 ** -1074;
  return Math.abs(a - b) / Math.max(2 ** (Math.floor(Math.log2(big)) - bits), minUlp);
}

/** One unit in the last place of v in `dtype`. */
function ulpOf(v: number, dtype: DType): number {
  const bits = dtype === "float32" ? 23 : 52;
  const minUlp = dtype === "float32" ? 2 ** -149 : 2 ** -1074;
  return v === 0 ? minUlp : Math.max(2 ** (Math.floor(Math.log2(Math.abs(v))) - bits), minUlp);
}

function worstUlps(got: ArrayLike<number>, want: ArrayLike<number>, dtype: DType): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, ulps(got[i], want[i], dtype));
  return worst;
}

/** Results on the JS backend and on `name`, for the same inputs. */
async function onBoth(name: string, f: () => Tensor): Promise<[Float32Array | Float64Array, Float32Array | Float64Array]> {
  await bp.setBackend("js");
  const want = f().data() as Float32Array | Float64Array;
  await bp.setBackend(name);
  const got = f().data() as Float32Array | Float64Array;
  return [got, want];
}

/** 96 × 96 inputs (9,216 elements, above every threshold): x spread over ±9, y over ±1, a row to broadcast. */
function inputs(dtype: DType): [Tensor, Tensor, Tensor] {
  const g = new bp.Generator(11);
  const x = bp.randn([96, 96], { dtype, generator: g }).mul(3);
  const y = bp.randn([96, 96], { dtype, generator: g });
  const row = bp.randn([96], { dtype, generator: g }).add(2);
  return [x, y, row];
}

/** Bit-identical on every backend, in both dtypes: one correctly rounded operation, or no arithmetic at all. */
const EXACT: [string, Op][] = [
  ["neg", (x) => x.neg()], ["abs", (x) => x.abs()], ["sqrt", (x) => x.abs().sqrt()], ["square", (x) => x.square()],
  ["reciprocal", (x) => x.reciprocal()], ["relu", (x) => x.relu()], ["leakyRelu", (x) => x.leakyRelu(0.1)],
  ["clamp", (x) => x.clamp(-1, 2)], ["sign", (x) => x.sign()], ["x·2.5 + 1", (x) => x.mul(2.5).add(1)], ["3 − x", (x) => bp.sub(3, x)],
  ["x + yᵀ", (x, y) => x.add(y.T)], ["x − row", (x, _y, row) => x.sub(row)], ["x · row column", (x, _y, row) => x.mul(row.unsqueeze(1))],
  ["x / yᵀ", (x, y) => x.div(y.T)], ["maximum", (x, y) => bp.maximum(x, y)], ["minimum(xᵀ, y)", (x, y) => bp.minimum(x.T, y)],
  ["x > y", (x, y) => x.gt(y).to(x.dtype)], ["where", (x, y) => bp.where(x.gt(0), x, y.T)],
  ["contiguous xᵀ", (x) => x.T.contiguous()], ["permuted copy", (x) => x.reshape([8, 12, 96]).permute([2, 0, 1]).contiguous()],
  ["max over dim 1", (x) => x.max(1)], ["min over dim 0", (x) => x.min(0)], ["argmax", (x) => x.argmax(1).to(x.dtype)],
];

/**
 * The functions of the C library or of our own polynomials: how many ulps a
 * backend may differ from the JS kernels, by dtype (float32 results are
 * computed in double and rounded once on js and native, so they differ only
 * at rare near-ties; wasm evaluates float32 exp and sigmoid in float32 lanes).
 */
const TRANSCENDENTAL: [string, Op, Record<string, Record<DType, number>>][] = [
  ["exp", (x) => x.exp(), { wasm: { float32: 2, float64: 0 }, native: { float32: 1, float64: 2 } }],
  ["sigmoid", (x) => x.sigmoid(), { wasm: { float32: 2, float64: 0 }, native: { float32: 1, float64: 2 } }],
  ["tanh", (x) => x.tanh(), { wasm: { float32: 0, float64: 0 }, native: { float32: 1, float64: 2 } }],
  ["log", (x) => x.abs().log(), { wasm: { float32: 0, float64: 0 }, native: { float32: 1, float64: 2 } }],
  ["sin", (x) => x.sin(), { wasm: { float32: 0, float64: 0 }, native: { float32: 1, float64: 2 } }],
  ["cos", (x) => x.cos(), { wasm: { float32: 0, float64: 0 }, native: { float32: 1, float64: 2 } }],
  ["softplus", (x) => x.softplus(), { wasm: { float32: 0, float64: 0 }, native: { float32: 1, float64: 2 } }],
  ["pow", (x, y) => x.abs().pow(y), { wasm: { float32: 0, float64: 0 }, native: { float32: 1, float64: 2 } }],
  // Our JS erf (Taylor table and continued fraction) and the C library's differ by up to ~100 ulps in float64.
  ["erf", (x) => x.mul(0.5).erf(), { wasm: { float32: 0, float64: 0 }, native: { float32: 1, float64: 256 } }],
];

describe.each(BACKENDS.filter((b) => b !== "js"))("%s against the JS kernels, above the dispatch thresholds", (name) => {
  afterAll(async () => { await bp.setBackend("js"); });

  for (const dtype of ["float32", "float64"] as const) {
    it(`${dtype}: elementwise arithmetic, copies, comparisons and max/min are bit-identical`, async () => {
      const [x, y, row] = inputs(dtype);
      for (const [label, f] of EXACT) {
        const [got, want] = await onBoth(name, () => f(x, y, row));
        expect(worstUlps(got, want, dtype), label).toBe(0);
      }
    });

    it(`${dtype}: exp, sigmoid, tanh, log, sin, cos, softplus, pow, erf within their ulp bounds`, async () => {
      const [x, y, row] = inputs(dtype);
      for (const [label, f, bound] of TRANSCENDENTAL) {
        const [got, want] = await onBoth(name, () => f(x, y, row));
        expect(worstUlps(got, want, dtype), label).toBeLessThanOrEqual(bound[name][dtype]);
      }
    });

    it(`${dtype}: gelu within erf's bound times |x|/2 (1 + erf(x/√2) cancels for negative x)`, async () => {
      const [x] = inputs(dtype);
      const [got, want] = await onBoth(name, () => x.gelu());
      const xs = x.data();
      // float32: one rounding of the double result (1 ulp); float64: erf's 256 ulps of 1, scaled by |x|/2.
      const unit = dtype === "float32" ? 2 ** -23 : 256 * 2 ** -53;
      for (let i = 0; i < xs.length; i++) {
        const bound = dtype === "float32" ? ulpOf(want[i], dtype) : unit * Math.abs(xs[i]) / 2 + 2 * ulpOf(want[i], dtype);
        expect(Math.abs(got[i] - want[i]), `gelu(${xs[i]})`).toBeLessThanOrEqual(bound);
      }
    });

    it(`${dtype}: sums and means ${dtype === "float64" ? "are bit-identical" : "agree to 1 ulp"}; softmax and logsumexp within a few ulps`, async () => {
      const [x] = inputs(dtype);
      const cases: [string, (t: Tensor) => Tensor][] = [
        ["sum over dim 0", (t) => t.sum(0)], ["sum over dim 1", (t) => t.sum(1)], ["sum of all", (t) => t.sum()],
        ["sum over dim 1 of xᵀ", (t) => t.T.sum(1)], ["mean over dim 0", (t) => t.mean(0)],
        ["sum over dims 0 and 2", (t) => t.reshape([8, 12, 96]).sum([0, 2])],
      ];
      for (const [label, f] of cases) {
        const [got, want] = await onBoth(name, () => f(x));
        // float64: added in the JS kernel's order on every backend. float32: accumulated in
        // float64, in lanes on wasm and native; rounded to float, neighbours at worst.
        expect(worstUlps(got, want, dtype), label).toBeLessThanOrEqual(dtype === "float32" ? 1 : 0);
      }
      for (const [label, f] of [["softmax over dim 1", () => x.softmax(1)], ["softmax over dim 0", () => x.softmax(0)],
        ["logSoftmax over dim 1", () => x.logSoftmax(1)], ["logsumexp over dim 1", () => x.logsumexp(1)]] as const) {
        const [got, want] = await onBoth(name, f);
        // float64: the C library's exp and log against V8's, a few ulps.
        expect(worstUlps(got, want, dtype), label).toBeLessThanOrEqual(dtype === "float32" ? 1 : 8);
      }
    });
  }

  it("float32 gradients through broadcast and transposed operands agree with the JS backend's", async () => {
    const grads = async (backendName: string) => {
      await bp.setBackend(backendName);
      const [x, y, row] = inputs("float32");
      for (const t of [x, y, row]) t.requiresGrad = true;
      x.T.mul(y).add(row).sigmoid().mul(x.tanh()).sum(0).softmax(0).mul(bp.arange(96).to("float32")).sum().backward();
      return [x.grad!.data(), y.grad!.data(), row.grad!.data()];
    };
    const want = await grads("js"), got = await grads(name);
    want.forEach((w, k) => {
      let scale = 0;
      for (let i = 0; i < w.length; i++) scale = Math.max(scale, Math.abs(w[i]));
      for (let i = 0; i < w.length; i++) expect(Math.abs(got[k][i] - w[i]), `input ${k}, element ${i}`).toBeLessThanOrEqual(1e-5 * scale);
    });
  });
});

it("float32 sums: wasm and native add in the same order (four float64 lanes), bit for bit", async () => {
  const x = bp.randn([7, 4099], { generator: new bp.Generator(8) }).mul(100);
  const sums = async (name: string) => { await bp.setBackend(name); return [x.sum(1).data(), x.T.sum(0).data(), x.sum(0).data()]; };
  const wasm = await sums("wasm"), native = await sums("native");
  await bp.setBackend("js");
  expect(native).toEqual(wasm);
});

describe.each(BACKEND_MODES.map((m) => [m.label, m] as const))("float32 sums on %s: float64 accumulation, one rounding", (_label, mode) => {
  beforeAll(async () => { await enterMode(mode); });
  afterAll(async () => { await leaveMode(); });

  // Every partial sum k·0.1f is exact in float64 (37 bits), so the result is 4,800·0.1f rounded once.
  const tenth = Math.fround(0.1);
  const exact = Math.fround(4800 * tenth);

  it("sum of 4,800 copies of 0.1f is 4,800·0.1f rounded once (a float32 accumulator is off by ~1e-5)", () => {
    expect(bp.full([4800], 0.1).sum().item()).toBe(exact);
    expect(bp.full([2, 4800], 0.1).sum(1).toArray()).toEqual([exact, exact]);
    expect(bp.full([4800, 3], 0.1).sum(0).toArray()).toEqual([exact, exact, exact]);
    expect(bp.full([3, 4800, 5], 0.1).sum(1).data().every((v) => v === exact)).toBe(true);
    expect(bp.full([4800], 0.1).mean().item()).toBe(Math.fround(exact / 4800));
  });

  it("the gradient of a 0-d tensor multiplied into 4,800 elements is that exact sum", () => {
    const w = bp.tensor(2, { requiresGrad: true });
    w.mul(bp.full([60, 80], 0.1)).sum().backward();
    expect(w.grad!.item()).toBe(exact);
    const bias = bp.zeros([3], { requiresGrad: true });
    bias.add(bp.zeros([1600, 3])).mul(bp.full([1600, 3], 0.1)).sum().backward();
    expect(bias.grad!.toArray()).toEqual(Array(3).fill(Math.fround(1600 * tenth)));
  });

  it("random sums are within half an ulp of the float64 sum, plus float64's own rounding", () => {
    const x = bp.randn([5000, 7], { generator: new bp.Generator(5) });
    const v = x.data();
    for (const [dim, got] of [[0, x.sum(0).data()], [1, x.T.contiguous().sum(1).data()]] as const) {
      for (let i = 0; i < 7; i++) {
        let s = 0, abs = 0;
        for (let k = 0; k < 5000; k++) { s += v[k * 7 + i]; abs += Math.abs(v[k * 7 + i]); }
        expect(Math.abs(got[i] - s), `dim ${dim}, column ${i}`).toBeLessThanOrEqual(ulpOf(s, "float32") / 2 + 5000 * 2 ** -53 * abs);
      }
    }
  });
});
