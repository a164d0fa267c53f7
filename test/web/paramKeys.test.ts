/**
 * Keyboard moves through the network diagram's parameters and their spoken
 * names (web/src/viewmodel/paramKeys.ts): every weight and bias of a
 * network is reachable from the first weight by arrow keys alone.
 */
import { describe, expect, test } from "vitest";
import type { ParamRef } from "../../web/src/viewmodel/chainRule.js";
import { paramName } from "../../web/src/viewmodel/chainRule.js";
import { neuronName, paramAfterKey, paramLabel } from "../../web/src/viewmodel/paramKeys.js";

const sizes = [2, 3, 2, 1];
const w = (layer: number, row: number, col: number): ParamRef => ({ layer, kind: "weight", row, col });
const b = (layer: number, row: number): ParamRef => ({ layer, kind: "bias", row, col: 0 });

describe("paramLabel", () => {
  test("names the neurons a weight joins, and a bias's neuron", () => {
    expect(paramLabel(w(0, 1, 0), sizes)).toBe("weight W1[1,0] from x1 to h1,2");
    expect(paramLabel(w(1, 0, 2), sizes)).toBe("weight W2[0,2] from h1,3 to h2,1");
    expect(paramLabel(w(2, 0, 1), sizes)).toBe("weight W3[0,1] from h2,2 to ŷ");
    expect(paramLabel(b(0, 2), sizes)).toBe("bias b1[2] of h1,3");
    expect(neuronName(2, 1, [2, 4, 3])).toBe("ŷ2");
  });
});

describe("paramAfterKey", () => {
  test("Up/Down step through a column row by row, Home/End go to its ends, and the ends stop", () => {
    expect(paramAfterKey(w(0, 0, 0), "ArrowDown", sizes)).toEqual(w(0, 0, 1));
    expect(paramAfterKey(w(0, 0, 1), "ArrowDown", sizes)).toEqual(w(0, 1, 0));
    expect(paramAfterKey(w(0, 1, 0), "ArrowUp", sizes)).toEqual(w(0, 0, 1));
    expect(paramAfterKey(w(0, 0, 0), "ArrowUp", sizes)).toBeNull();
    expect(paramAfterKey(w(0, 2, 1), "ArrowDown", sizes)).toBeNull();
    expect(paramAfterKey(w(0, 1, 1), "End", sizes)).toEqual(w(0, 2, 1));
    expect(paramAfterKey(b(1, 1), "Home", sizes)).toEqual(b(1, 0));
    expect(paramAfterKey(b(1, 0), "ArrowDown", sizes)).toEqual(b(1, 1));
  });

  test("Left/Right move between columns, staying with the neuron", () => {
    // W1[2,1] feeds h1,3: Right goes to its bias, then to the first weight leaving h1,3.
    expect(paramAfterKey(w(0, 2, 1), "ArrowRight", sizes)).toEqual(b(0, 2));
    expect(paramAfterKey(b(0, 2), "ArrowRight", sizes)).toEqual(w(1, 0, 2));
    expect(paramAfterKey(w(1, 0, 2), "ArrowLeft", sizes)).toEqual(b(0, 2));
    expect(paramAfterKey(b(0, 2), "ArrowLeft", sizes)).toEqual(w(0, 2, 0));
    expect(paramAfterKey(w(0, 0, 0), "ArrowLeft", sizes)).toBeNull();
    expect(paramAfterKey(b(2, 0), "ArrowRight", sizes)).toBeNull(); // the output's bias is the last column
    expect(paramAfterKey(w(0, 0, 0), "Enter", sizes)).toBeNull();
  });

  test("every parameter is reachable from the first weight", () => {
    const key = (p: ParamRef) => paramName(p);
    const seen = new Map<string, ParamRef>([[key(w(0, 0, 0)), w(0, 0, 0)]]);
    const queue = [w(0, 0, 0)];
    while (queue.length > 0) {
      const p = queue.shift()!;
      for (const k of ["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Home", "End"]) {
        const next = paramAfterKey(p, k, sizes);
        if (next && !seen.has(key(next))) {
          seen.set(key(next), next);
          queue.push(next);
        }
      }
    }
    let total = 0;
    for (let k = 0; k + 1 < sizes.length; k++) total += sizes[k + 1] * (sizes[k] + 1);
    expect(seen.size).toBe(total);
  });
});
