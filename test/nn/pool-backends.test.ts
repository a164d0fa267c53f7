/**
 * Every backend from bp.availableBackends() runs pooling, batch norm,
 * padding and resampling at sizes of thousands of elements (where the
 * faster backends take over gather, scatter-add, reductions and elementwise
 * maps), forward and backward, and agrees with the JS reference backend.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import * as bp from "../../src/index.js";
import { BACKENDS } from "../backends.js";

const F = bp.F;

interface Result { out: Float32Array; grads: Float32Array[] }

/** Each case: input shapes, and the function of float32 leaves to evaluate. */
const cases: [string, number[][], (...xs: bp.Tensor[]) => bp.Tensor][] = [
  ["maxPool2d k=3 stride 2 padding 1", [[4, 8, 32, 32]], (x) => F.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 })],
  ["maxPool2d k=2 dilation 2 ceilMode", [[2, 16, 31, 29]], (x) => F.maxPool2d(x, { kernelSize: 2, dilation: 2, ceilMode: true })],
  ["maxPool1d k=4 stride 3", [[8, 16, 257]], (x) => F.maxPool1d(x, { kernelSize: 4, stride: 3 })],
  ["avgPool2d k=3 stride 2 padding 1 ceilMode", [[4, 8, 33, 30]], (x) => F.avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false })],
  ["adaptiveAvgPool2d -> [5,7]", [[4, 8, 32, 30]], (x) => F.adaptiveAvgPool2d(x, [5, 7])],
  ["pad reflect", [[4, 8, 30, 30]], (x) => F.pad(x, [3, 2, 1, 4], { mode: "reflect" })],
  ["pad replicate", [[4, 8, 30, 30]], (x) => F.pad(x, [5, 0, 2, 2], { mode: "replicate" })],
  ["pad constant", [[4, 8, 30, 30]], (x) => F.pad(x, [1, 1, -2, 3], { value: 0.25 })],
  ["batchNorm training", [[16, 12, 16, 16], [12], [12]], (x, w, b) =>
    F.batchNorm(x, bp.zeros([12]), bp.ones([12]), w, b, { training: true })],
  ["batchNorm eval", [[16, 12, 16, 16], [12], [12]], (x, w, b) =>
    F.batchNorm(x, bp.linspace(-1, 1, 12), bp.linspace(0.5, 2, 12), w, b)],
  ["interpolate nearest x2", [[4, 8, 24, 24]], (x) => F.interpolate(x, { scaleFactor: 2 })],
  ["interpolate bilinear -> [37,29]", [[4, 8, 24, 24]], (x) => F.interpolate(x, { size: [37, 29], mode: "bilinear" })],
  ["dropout2d seeded", [[8, 32, 16, 16]], (x) => F.dropout2d(x, { p: 0.3, generator: new bp.Generator(9) })],
];

function evaluate(shapes: number[][], fn: (...xs: bp.Tensor[]) => bp.Tensor): Result {
  const g = new bp.Generator(42);
  const leaves = shapes.map((s) => bp.randn(s, { generator: g, requiresGrad: true }));
  const out = fn(...leaves);
  out.mul(bp.randn(out.shape, { generator: g })).sum().backward();
  return { out: out.data() as Float32Array, grads: leaves.map((l) => l.grad!.data() as Float32Array) };
}

function expectClose(actual: Float32Array, expected: Float32Array, where: string): void {
  expect(actual.length, where).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= 1e-4 * (1 + Math.abs(expected[i])))) {
      expect.fail(`${where}: element ${i} is ${actual[i]}, the JS backend gives ${expected[i]}`);
    }
  }
}

const reference = new Map<string, Result>();
beforeAll(async () => {
  // The import may have picked a faster backend; the reference is the JS one.
  await bp.setBackend("js");
  for (const [name, shapes, fn] of cases) reference.set(name, evaluate(shapes, fn));
});
afterAll(async () => { await bp.setBackend("js"); });

describe.each(BACKENDS)("backend %s agrees with js", (backendName) => {
  test.each(cases)("%s", async (name, shapes, fn) => {
    await bp.setBackend(backendName);
    const r = evaluate(shapes, fn);
    await bp.setBackend("js");
    const ref = reference.get(name)!;
    expect(r.out.length).toBeGreaterThan(1000);
    expectClose(r.out, ref.out, `${name} output`);
    r.grads.forEach((g, i) => expectClose(g, ref.grads[i], `${name} grad of input ${i}`));
  });
});
