/**
 * The kernels whose outputs the ops allocate without zero-filling
 * (`allocateUninitialized` in src/tensor/dtype.ts: a recycled buffer still
 * holds another tensor's values) must write every output element. Each is
 * run on an output full of NaN and on a zeroed one: the results must have
 * the same bits, on every backend, for the shapes and layouts training uses.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";
import { BINARY_OPS, UNARY_OPS } from "../../src/backend/kernel-ops.js";
import { backend } from "../../src/backend/registry.js";
import { BACKENDS } from "../backends.js";
import { policy } from "../../src/backend/policy.js";
import { thresholds as nativeThresholds } from "../../src/backend/native/index.js";
import { thresholds as wasmThresholds } from "../../src/backend/wasm/index.js";

function random(n: number, seed: number): Float32Array {
  return bp.randn([n], { generator: new bp.Generator(seed) }).data() as Float32Array;
}

/** Runs `kernel` into a zeroed and a NaN-filled output of `n` elements; both must hold the same bits. */
function expectOverwrites(n: number, kernel: (out: Float32Array) => void): void {
  const clean = new Float32Array(n);
  const dirty = new Float32Array(n).fill(NaN);
  kernel(clean);
  kernel(dirty);
  const a = new Int32Array(clean.buffer), b = new Int32Array(dirty.buffer);
  let first = -1;
  for (let i = 0; i < n && first < 0; i++) if (a[i] !== b[i]) first = i;
  expect(first < 0 ? "every element written" : `element ${first} of ${n}: ${dirty[first]} instead of ${clean[first]}`).toBe("every element written");
}

describe.each(BACKENDS)("backend %s", (backendName) => {
  beforeAll(async () => { await bp.setBackend(backendName); });
  afterAll(async () => {
    bp.setNumThreads(2);
    await bp.setBackend("js");
  });

  // [batch, m, k, n, transA, transB]: W2's forward and backward products, odd sizes, a batch, one row or column, large enough to split across threads.
  const shapes: [number, number, number, number, boolean, boolean][] = [
    [1, 128, 784, 256, false, true], [1, 128, 256, 784, false, false], [1, 256, 128, 784, true, false],
    [1, 64, 8, 32, false, true], [1, 33, 17, 5, true, true], [3, 7, 9, 11, false, false],
    [1, 1, 300, 200, false, false], [1, 200, 300, 1, false, false], [1, 512, 512, 512, false, false],
  ];
  for (const threads of [1, 2]) {
    for (const [batch, m, k, n, ta, tb] of shapes) {
      it(`matmul ${batch}×${m}×${k}×${n}${ta ? " Aᵀ" : ""}${tb ? " Bᵀ" : ""}, ${threads} thread(s)`, () => {
        bp.setNumThreads(threads);
        const a = random(batch * m * k, 1), b = random(batch * k * n, 2);
        expectOverwrites(batch * m * n, (out) => backend.matmul(a, 0, m * k, ta, b, 0, k * n, tb, out, batch, m, k, n));
      });
    }
  }

  // Every kernel op with a float result (the others write bool into a Uint8Array).
  const boolResults = new Set<string>(["nonzero", "isfinite", "eq", "ne", "gt", "ge", "lt", "le", "and"]);
  const unaryOps = UNARY_OPS.filter((op) => !boolResults.has(op));
  it("every unary op", () => {
    const x = random(1037, 3);
    for (const op of unaryOps) expectOverwrites(1000, (out) => backend.unary(op, x, 37, out, 1000, op === "clamp" ? -0.5 : 2, op === "clamp" ? 0.5 : 20));
  });

  const binaryOps = BINARY_OPS.filter((op) => !boolResults.has(op));
  it("every float binary op, same shapes and broadcast rows and columns", () => {
    const a = random(64 * 48, 4), b = random(64 * 48, 5);
    for (const op of binaryOps) {
      expectOverwrites(64 * 48, (out) => backend.binary(op, a, 0, [48, 1], b, 0, [48, 1], out, [64, 48]));
      expectOverwrites(64 * 48, (out) => backend.binary(op, a, 0, [48, 1], b, 0, [0, 1], out, [64, 48]));
      expectOverwrites(64 * 48, (out) => backend.binary(op, a, 0, [0, 1], b, 0, [1, 0], out, [64, 48]));
    }
  });

  it("softmax and logSoftmax along rows and along a middle axis", () => {
    const x = random(128 * 10 * 3, 6);
    for (const log of [false, true]) {
      expectOverwrites(128 * 10, (out) => backend.softmax(x, 0, 128, 10, 1, out, log));
      expectOverwrites(4 * 10 * 3, (out) => backend.softmax(x, 5, 4, 10, 3, out, log));
    }
  });

  it("copyStrided of a transpose and of a broadcast", () => {
    const x = random(40 * 30, 7);
    expectOverwrites(40 * 30, (out) => backend.copyStrided(x, 0, [1, 40], [30, 40], out));
    expectOverwrites(40 * 30, (out) => backend.copyStrided(x, 3, [0, 1], [40, 30], out));
  });

  it("copyStrided of attention's heads: split out of [N, L, 3·H·D], merged back, interleaved into q̄‖k̄‖v̄ (src/ops/fused-attention.ts)", () => {
    const [N, L, H, D] = [4, 32, 4, 16], E = H * D;
    const qkv = random(N * L * 3 * E, 8), heads = random(3 * N * H * L * D, 9);
    expectOverwrites(N * L * E, (out) => backend.copyStrided(qkv, E, [L * 3 * E, D, 3 * E, 1], [N, H, L, D], out));
    expectOverwrites(N * L * E, (out) => backend.copyStrided(heads, 0, [H * L * D, D, L * D, 1], [N, L, H, D], out));
    expectOverwrites(L * 3 * E, (out) => backend.copyStrided(heads, H * L * D, [D, N * H * L * D, L * D, 1], [L, 3, H, D], out));
  });

  it("layerNorm's forward and input gradient over W7's [32·32, 64] rows and an odd width (src/ops/layer-norm.ts)", () => {
    for (const [rows, width] of [[1024, 64], [37, 13]]) {
      const n = rows * width, x = random(n, 10), gy = random(n, 11), w = random(width, 12), b = random(width, 13);
      const mean = new Float64Array(rows), rstd = new Float64Array(rows);
      expectOverwrites(n, (out) => backend.layerNormForward(x, 0, rows, width, w, 0, b, 0, 1e-5, out, mean, rstd));
      expectOverwrites(n, (out) => backend.layerNormBackward(gy, 0, x, 0, rows, width, w, 0, mean, rstd, out, null, null));
    }
  });
});

it("the registry's shortcut to the JS kernels under policy.jsBelow elements takes only calls every backend would delegate anyway", () => {
  for (const t of [nativeThresholds, wasmThresholds]) {
    expect(t.elementwiseMin).toBeGreaterThanOrEqual(policy.jsBelow);
    expect(t.transcendentalMin).toBeGreaterThanOrEqual(policy.jsBelow);
  }
});
