/**
 * Reading and comparing the PyTorch fixtures' tensors (test/fixtures/*.json):
 * values are numbers or the strings "inf", "-inf" and "nan" (JSON has no
 * non-finite numbers), with a shape and usually a dtype.
 */
import { expect } from "vitest";
import type { Tensor } from "../src/index.js";
import { decode, type FixtureNumber } from "./fixture-numbers.js";

export { decode, type FixtureNumber };

/**
 * Fails on the first element where `actual` is farther from `expected` than
 * atol + rtol·|expected|; equal values (infinities included) and NaN against
 * NaN pass.
 */
export function expectElementsClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number, where: string): void {
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i];
    const a = actual[i];
    if (Number.isNaN(e) ? Number.isNaN(a) : a === e) continue;
    const tol = atol + rtol * Math.abs(e);
    if (!(Math.abs(a - e) <= tol)) {
      expect.fail(`${where}: element ${i} is ${a}, PyTorch gives ${e} (difference ${Math.abs(a - e)}, tolerance ${tol})`);
    }
  }
}

/** Shape, dtype (the fixture's, or `dtype` where it names none) and every element of `actual` against a fixture tensor. */
export function expectMatchesFixture(
  actual: Tensor,
  expected: { shape: number[]; data: FixtureNumber[]; dtype?: string },
  where: string,
  tolerance: { rtol: number; atol: number; dtype?: string },
): void {
  expect(actual.shape, `${where}: shape`).toEqual(expected.shape);
  expect(actual.dtype, `${where}: dtype`).toBe(expected.dtype ?? tolerance.dtype);
  expectElementsClose(actual.data(), expected.data.map(decode), tolerance.rtol, tolerance.atol, where);
}
