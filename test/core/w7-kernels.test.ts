/**
 * The kernels W7's speed work changed, against PyTorch 1.13 (fixtures from
 * test/fixtures/gen_w7.py): GELU, its first-order gradient (one fused
 * geluBackward kernel) and erf (a table of Taylor polynomials below 2.5) on
 * 4,096 values in [-8, 8); and the fused attention core
 * (src/ops/fused-attention.ts) with and without the causal mask; on every
 * backend with and without its kernels forced, in float32 and float64.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";
import { erf, erfSeries } from "../../src/backend/js/special.js";
import { BACKEND_MODES, enterMode, leaveMode } from "../backends.js";
import { decode, expectElementsClose, type FixtureNumber } from "../fixture-values.js";
import fixture from "../fixtures/w7.json" with { type: "json" };

type FloatDType = "float32" | "float64";

/** fixture_json.pattern: multiples of scale/1024, exact in float32 too. */
function pattern(shape: readonly number[], seed: number, scale: number, dtype: FloatDType): bp.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = ((((i * 7919 + seed) % 2049) - 1024) / 1024) * scale;
  return bp.tensor(data, { dtype }).reshape(shape);
}

const values = (v: FixtureNumber[]) => v.map(decode);

// float32: PyTorch computes 1 + erf(x/√2) in float, which cancels for negative x (ours in double): an absolute floor.
// float64: PyTorch's 1 + erf(x/√2) cancels too (ours takes erfc's digits there), so the floor is ~100 ulps of 1.
const TOLERANCE = { float32: { rtol: 2e-6, atol: 1e-6 }, float64: { rtol: 1e-13, atol: 1e-14 } };

describe.each(BACKEND_MODES)("GELU and erf against PyTorch on %s", (mode) => {
  beforeAll(async () => { await enterMode(mode); });
  afterAll(async () => { await leaveMode(); });

  for (const c of fixture.cases) {
    const dtype = c.dtype as FloatDType;
    const { rtol, atol } = TOLERANCE[dtype];

    it(`${dtype}: gelu, its gradient and erf`, () => {
      const x = pattern(c.shape, c.xSeed, c.xScale, dtype);
      x.requiresGrad = true;
      const w = pattern(c.shape, c.wSeed, c.wScale, dtype);
      const y = x.gelu();
      y.mul(w).sum().backward();
      expectElementsClose(y.data(), values(c.gelu), rtol, atol, `${mode.label} ${dtype} gelu`);
      expectElementsClose(x.grad!.data(), values(c.geluGrad), rtol, atol, `${mode.label} ${dtype} gelu gradient`);
      expectElementsClose(x.detach().erf().data(), values(c.erf), rtol, atol, `${mode.label} ${dtype} erf`);
    });

    it(`${dtype}: the fused gradient matches the composite one that createGraph records`, () => {
      const x = pattern(c.shape, c.xSeed, c.xScale, dtype);
      x.requiresGrad = true;
      const w = pattern(c.shape, c.wSeed, c.wScale, dtype);
      const [fused] = bp.grad(x.gelu().mul(w).sum(), [x]);
      const [composite] = bp.grad(x.gelu().mul(w).sum(), [x], { createGraph: true });
      expectElementsClose(fused!.data(), composite!.detach().data(), dtype === "float32" ? 4e-7 : 1e-14, dtype === "float32" ? 1e-7 : 1e-15, `${mode.label} ${dtype}`);
    });
  }
});

describe.each(BACKEND_MODES)("the fused attention core against PyTorch on %s", (mode) => {
  beforeAll(async () => { await enterMode(mode); });
  afterAll(async () => { await leaveMode(); });

  for (const c of fixture.attention) {
    const dtype = c.dtype as FloatDType;
    it(`${dtype}: q ${JSON.stringify(c.q)}, k ${JSON.stringify(c.k)}, v ${JSON.stringify(c.v)}${c.causal ? ", causal" : ""}: output and gradients`, () => {
      const [qSeed, kSeed, vSeed, wSeed] = c.seeds;
      const inputs = [pattern(c.q, qSeed, 2, dtype), pattern(c.k, kSeed, 2, dtype), pattern(c.v, vSeed, 2, dtype)];
      for (const t of inputs) t.requiresGrad = true;
      const [q, k, v] = inputs;
      const out = bp.F.scaledDotProductAttention(q, k, v, { isCausal: c.causal });
      expect(out.gradFn?.name, "the fused op ran").toBe("attention");
      out.mul(pattern(out.shape, wSeed, 1, dtype)).sum().backward();
      // float32: the products round every partial sum, so relative to the largest value.
      const tol = dtype === "float32" ? 2e-5 : 1e-12;
      const check = (got: ArrayLike<number>, want: FixtureNumber[], what: string) => {
        const w = values(want);
        const biggest = w.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
        expectElementsClose(got, w, dtype === "float32" ? 0 : tol, tol * Math.max(biggest, 1), `${mode.label} ${dtype} ${what}`);
      };
      check(out.data(), c.out, "output");
      ["q", "k", "v"].forEach((name, i) => check(inputs[i].grad!.data(), c.grads[i], `gradient of ${name}`));
    });
  }
});

describe("erf's Taylor table", () => {
  it("agrees with the slow series within a few ulps over [-3, 3], and keeps erfc's digits beyond 2.5", () => {
    let worst = 0;
    for (let i = -30000; i <= 30000; i++) {
      const x = i / 10000 + 1e-7 * Math.sin(i); // off the table's centres too
      const want = erfSeries(x);
      worst = Math.max(worst, Math.abs(erf(x) - want) / (Number.EPSILON * Math.max(Math.abs(want), 2 ** -1022)));
    }
    expect(worst).toBeLessThanOrEqual(16);
    // 1 + erf(−4) = erfc(4) ≈ 1.541725790028002e-8 (glibc): no cancellation below −2.5.
    expect(Math.abs(1 + erf(-4) - 1.541725790028002e-8) / 1.541725790028002e-8).toBeLessThan(1e-8);
  });

  it("keeps erf's special values: ±0, ±1 at ±∞, NaN", () => {
    expect(Object.is(erf(-0), -0)).toBe(true);
    expect(Object.is(erf(0), 0)).toBe(true);
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erf(NaN)).toBeNaN();
    // erf(x) ≈ 2x/√π for tiny x, to the last bit.
    expect(erf(1e-300)).toBe(1e-300 * 1.1283791670955126);
  });
});
