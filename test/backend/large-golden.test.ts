/**
 * PyTorch golden values for operands of thousands of elements, transposed
 * and broadcast (test/fixtures/gen_backend_large.py writes
 * test/fixtures/backend_large.json): large enough that every call crosses
 * the real dispatch thresholds, so each backend runs its own kernels
 * without forcing. float64 to 1e-12 (native's float64 kernels), float32 to
 * float32 precision (wasm's and native's float32 kernels).
 */
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";
import type { Tensor } from "../../src/index.js";
import { BACKENDS } from "../backends.js";

interface Flat { shape: number[]; data: number[] }
interface Case { desc: string; output: Flat; grads: (Flat | null)[] }
const fixture = JSON.parse(readFileSync(new URL("../fixtures/backend_large.json", import.meta.url), "utf8")) as
  { torch: string; M: number; N: number; cases: Case[] };
const { M, N } = fixture;

type DType = "float32" | "float64";

/** The generator's `pattern`: small dyadic fractions, exact in both dtypes. */
function pattern(shape: number[], seed: number, scale: number, dtype: DType): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values: number[] = [];
  for (let i = 0; i < n; i++) values.push(((((i + 1) * 7919 * seed) % 1021) - 510) / scale);
  return bp.tensor(values, { dtype }).reshape(shape);
}

type Fn = (a: Tensor, b: Tensor, row: Tensor, col: Tensor) => Tensor;
const FNS: Record<string, Fn> = {
  "sigmoid((a + bᵀ)·row − col).sum(0)": (a, b, row, col) => a.add(b.T).mul(row).sub(col).sigmoid().sum(0),
  "softmax(a·bᵀ·4, dim 1)": (a, b) => a.mul(b.T).mul(4).softmax(1),
  "logsumexp(tanh(a)·3 − col, dim 1)": (a, _b, _row, col) => a.tanh().mul(3).sub(col).logsumexp(1),
  "exp(a) / (bᵀ² + 1) + row, mean over dim 0": (a, b, row) => a.exp().div(b.T.mul(b.T).add(1)).add(row).mean(0),
  "variance of relu(a)·bᵀ over dim 1": (a, b) => a.relu().mul(b.T).variance(1),
};

const TOLERANCE: Record<DType, { rtol: number; atol: number }> = {
  float64: { rtol: 1e-12, atol: 1e-12 },
  // The float32 result of a float32 computation: a few roundings of 2^-24, relative to the tensor's scale where values cancel.
  float32: { rtol: 2e-5, atol: 2e-6 },
};

function expectClose(actual: Tensor, expected: Flat, dtype: DType, where: string): void {
  expect(actual.shape, where).toEqual(expected.shape);
  expect(actual.dtype, where).toBe(dtype);
  const got = actual.data();
  const scale = expected.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const { rtol, atol } = TOLERANCE[dtype];
  for (let i = 0; i < got.length; i++) {
    const e = expected.data[i];
    const tol = rtol * Math.abs(e) + atol * scale;
    if (!(Math.abs(got[i] - e) <= tol)) expect.fail(`${where}: element ${i} is ${got[i]}, PyTorch gives ${e} (tolerance ${tol})`);
  }
}

it("the fixture covers every case here, from PyTorch 1.13, above the thresholds", () => {
  expect(fixture.torch.startsWith("1.13")).toBe(true);
  expect(fixture.cases.map((c) => c.desc)).toEqual(Object.keys(FNS));
  expect(M * N).toBeGreaterThan(2048);
});

describe.each(BACKENDS)("backend %s", (name) => {
  afterAll(async () => { await bp.setBackend("js"); });

  for (const dtype of ["float64", "float32"] as const) {
    it.each(fixture.cases.map((c) => [c.desc, c] as const))(`${dtype}: %s`, async (desc, c) => {
      await bp.setBackend(name);
      const a = pattern([M, N], 1, 256, dtype), b = pattern([N, M], 2, 256, dtype);
      const row = pattern([N], 3, 512, dtype), col = pattern([M, 1], 4, 512, dtype);
      const leaves = [a, b, row, col];
      for (const t of leaves) t.requiresGrad = true;
      const out = FNS[desc](a, b, row, col);
      expectClose(out, c.output, dtype, `${desc}: output`);
      out.mul(pattern(c.output.shape, 5, 64, dtype)).sum().backward();
      c.grads.forEach((g, i) => {
        if (g === null) expect(leaves[i].grad, `${desc}: input ${i} is unused`).toBeNull();
        else expectClose(leaves[i].grad!, g, dtype, `${desc}: grad of input ${i}`);
      });
    });
  }
});
