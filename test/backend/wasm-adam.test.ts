/**
 * The wasm backend's fused Adam/AdamW kernel against the optimizer's own
 * float64 loop (the JS backend), bit for bit: random parameters, gradients
 * and moment states spread over many binades (where a float32 operation and
 * a float64 one rounded once would part), sizes that are not a multiple of
 * the kernel's 4 lanes, weight decay in both forms, amsgrad, NaN and ±∞.
 */
import { describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";
import { thresholds } from "../../src/backend/wasm/index.js";
import type { Tensor } from "../../src/tensor/tensor.js";

/** A small seeded generator of its own (xorshift), independent of bp's. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

/**
 * Values of random sign, mantissa and binary exponent in [-lo, hi], with
 * some exact zeros; `specials` scatters NaN and ±∞.
 */
function spread(n: number, seed: number, lo: number, hi: number, positive = false, specials = false): Float32Array {
  const r = rng(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const mag = (1 + r()) * 2 ** Math.floor(r() * (lo + hi + 1) - lo);
    x[i] = r() < 0.02 ? 0 : positive || r() < 0.5 ? mag : -mag;
  }
  if (specials) {
    x[(seed * 7) % n] = NaN;
    x[(seed * 13 + 1) % n] = Infinity;
    x[(seed * 17 + 2) % n] = -Infinity;
  }
  return x;
}

interface Case {
  name: string;
  make: (p: Tensor) => bp.optim.Adam;
  amsgrad: boolean;
}

const cases: Case[] = [
  { name: "Adam", make: (p) => new bp.optim.Adam([p], { lr: 0.003 }), amsgrad: false },
  { name: "Adam with L2 weightDecay", make: (p) => new bp.optim.Adam([p], { lr: 0.01, weightDecay: 0.37 }), amsgrad: false },
  { name: "Adam with amsgrad and weightDecay", make: (p) => new bp.optim.Adam([p], { lr: 0.02, betas: [0.8, 0.95], weightDecay: 1e-3, amsgrad: true }), amsgrad: true },
  { name: "AdamW", make: (p) => new bp.optim.AdamW([p], { lr: 0.05, weightDecay: 0.1 }), amsgrad: false },
  { name: "AdamW with amsgrad", make: (p) => new bp.optim.AdamW([p], { lr: 1e-4, eps: 1e-6, weightDecay: 0.5, amsgrad: true }), amsgrad: true },
];

/**
 * Runs `steps` optimizer steps on one backend from the given starting
 * parameters and moment states; returns parameters and states afterwards.
 */
async function run(backend: string, c: Case, size: number, seed: number, steps: number, specials: boolean): Promise<Float32Array[]> {
  await bp.setBackend(backend);
  const p = bp.tensor(spread(size, seed, 20, 20, false, specials), { requiresGrad: true });
  const opt = c.make(p);
  // A first step creates the state; then overwrite it with wide-ranging moments.
  p.grad = bp.zeros([size]);
  opt.step();
  const state = opt.state.get(p)!;
  (state.expAvg as Tensor).storage.set(spread(size, seed + 1, 30, 10, false, specials));
  (state.expAvgSq as Tensor).storage.set(spread(size, seed + 2, 60, 10, true, specials));
  if (c.amsgrad) (state.maxExpAvgSq as Tensor).storage.set(spread(size, seed + 3, 60, 10, true, specials));
  for (let s = 0; s < steps; s++) {
    p.grad = bp.tensor(spread(size, seed + 10 + s, 30, 30, false, specials));
    opt.step();
  }
  const out = [p.data() as Float32Array, (state.expAvg as Tensor).data() as Float32Array, (state.expAvgSq as Tensor).data() as Float32Array];
  if (c.amsgrad) out.push((state.maxExpAvgSq as Tensor).data() as Float32Array);
  return out;
}

describe("wasm backend: fused Adam, bit for bit against the JS loop", () => {
  const base = thresholds.elementwiseMin;
  for (const c of cases) {
    for (const [size, specials] of [[base + 1, false], [base + 2, true], [base + 3, false], [4 * base, true]] as const) {
      it(`${c.name}, ${size} parameters${specials ? ", with NaN and ±∞" : ""}: parameters and moments identical`, async () => {
        try {
          const seed = size * 31 + c.name.length;
          const js = await run("js", c, size, seed, 3, specials);
          const fast = await run("wasm", c, size, seed, 3, specials);
          expect(fast.length).toBe(js.length);
          for (let k = 0; k < js.length; k++) expect(fast[k]).toEqual(js[k]); // toEqual: NaN equals NaN, 0 and −0 differ
          // The specials did reach the results.
          if (specials) expect(js[0].some(Number.isNaN)).toBe(true);
        } finally {
          await bp.setBackend("js");
        }
      });
    }
  }

  it("an ordinary training step stays identical over many steps", async () => {
    const run2 = async (backend: string): Promise<Float32Array> => {
      await bp.setBackend(backend);
      const p = bp.tensor(spread(base + 5, 3, 4, 2), { requiresGrad: true });
      const opt = new bp.optim.Adam([p], { lr: 0.01 });
      for (let s = 0; s < 25; s++) {
        p.grad = bp.tensor(spread(base + 5, 100 + s, 8, 2));
        opt.step();
      }
      return p.data() as Float32Array;
    };
    try {
      const js = await run2("js");
      const fast = await run2("wasm");
      expect(fast).toEqual(js);
    } finally {
      await bp.setBackend("js");
    }
  });
});
