/**
 * The max-pooling argmax rule on the windows where a fast scan could go
 * wrong, worked by hand: ties keep the first index, −0 and 0 tie, a window
 * of −∞ answers its first index, NaN wins (the last NaN of the window, as
 * PyTorch's CPU kernel: "take v when v > best or v is NaN"), +∞ and −∞ in
 * one window, and windows shortened by padding and spread by dilation.
 * Indices are flat in the plane: h·W + w.
 */
import { describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";

const F = bp.nn.functional;

function argmax2d(rows: number[][], options: Omit<bp.nn.functional.MaxPool2dOptions, "returnIndices">): { values: number[]; indices: number[] } {
  const [v, i] = F.maxPool2d(bp.tensor([[rows]], { dtype: "float64" }), { ...options, returnIndices: true });
  return { values: Array.from(v.data()), indices: Array.from(i.data()) };
}

describe("maxPool2d argmax, window by window", () => {
  it("ties keep the first index; −0 and 0 tie; all −∞ answers the first; NaN wins, the last NaN of a window", () => {
    const { values, indices } = argmax2d([
      // window 0: ties (5 at 0 and 9)  window 1: −0, 0 tie   window 2: all −∞          window 3: two NaN (3 and 11)
      [5, 1, -0, 0, -Infinity, -Infinity, NaN, 7],
      [2, 5, 0, -0, -Infinity, -Infinity, 1, NaN],
    ], { kernelSize: 2 });
    expect(indices).toEqual([0, 2, 4, 15]);
    expect(values.slice(0, 3)).toEqual([5, -0, -Infinity]);
    expect(Object.is(values[1], -0)).toBe(true);
    expect(values[3]).toBeNaN();
  });

  it("+∞ and −∞ in one window: +∞ wins; a NaN after +∞ still wins", () => {
    const { values, indices } = argmax2d([
      [-Infinity, 3, Infinity, 1],
      [Infinity, 2, -Infinity, NaN],
    ], { kernelSize: 2 });
    expect(indices).toEqual([4, 7]);
    expect(values[0]).toBe(Infinity);
    expect(values[1]).toBeNaN();
  });

  it("padding shortens the edge windows, dilation spreads them", () => {
    // 3×3 windows, stride 2, padding 1 on a 3×4 plane: windows at rows {0,1} / {1,2}, columns {0,1}, {1,2,3}.
    const plane = [
      [1, 9, 2, 4],
      [3, 0, 9, 8],
      [7, 6, 5, 9],
    ];
    expect(argmax2d(plane, { kernelSize: 3, stride: 2, padding: 1 }).indices).toEqual([1, 1, 8, 6]);
    // Dilation 2, 2×2 kernel, stride 1 on 3×4: window (0,0) reads (0,0),(0,2),(2,0),(2,2); window (0,1) reads (0,1),(0,3),(2,1),(2,3): 9 twice, the first.
    expect(argmax2d(plane, { kernelSize: 2, stride: 1, dilation: 2 }).indices).toEqual([8, 1]);
  });
});
