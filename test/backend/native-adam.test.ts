/**
 * The native Adam kernel against the JS optimizer loop, bit for bit:
 * bp.optim.Adam/AdamW (src/optim/adam.ts) on the "native" backend, which
 * hands the update to the kernel, against the same on the "js" backend, which
 * runs its own loop. Parameters and the m, v, vMax state after several steps, on every instruction set this CPU has (AVX-512, AVX2, the
 * scalar loop) and on 1 and 2 threads. Sizes straddle the vector widths (16
 * and 8 floats, 8 and 4 doubles) and the size where the update is split
 * across threads; inputs span many magnitudes and include zeros, NaN,
 * infinities, subnormals and gradients whose square overflows float32.
 *
 * The addon is built by `npm install`; this file fails, rather than skips,
 * when it is absent.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import * as bp from "../../src/index.js";
import type { AdamScalars, FloatArray } from "../../src/backend/backend.js";
import * as registry from "../../src/backend/registry.js";
import { loadNativeBackend, thresholds, type NativeBackend } from "../../src/backend/native/index.js";

const native = loadNativeBackend() as NativeBackend;
const addon = native.addon;
const defaultIsa = addon.info().isa;
const defaultThreads = addon.info().threads;
const ISAS = ["avx512", "avx2", "generic"].filter((isa) => addon.setIsa(isa));
addon.setIsa(defaultIsa);

const defaultThresholds = { ...thresholds };

// Small updates normally stay in the JS loop; here every size runs natively.
beforeAll(() => {
  thresholds.elementwiseMin = 0;
});

afterAll(() => {
  Object.assign(thresholds, defaultThresholds);
  addon.setIsa(defaultIsa);
  addon.setThreads(defaultThreads);
  bp.setBackend("js");
});

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;
type DType = "float32" | "float64";
const DTYPES: [DType, Ctor][] = [["float32", Float32Array], ["float64", Float64Array]];

/** A small deterministic generator (mulberry32), so that failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SPECIALS = [0, -0, NaN, Infinity, -Infinity, 1e30, -1e30, 3e38, 1e-40, -1e-45, 1e-30, 65504, 2 ** -126];

/**
 * Values of both signs over magnitudes 2^-40 … 2^40, with a special value
 * (above) in about one slot in `specialEvery` (0: none).
 */
function values(ctor: Ctor, n: number, next: () => number, specialEvery: number): FloatArray {
  const x = new ctor(n);
  for (let i = 0; i < n; i++) {
    if (specialEvery > 0 && next() * specialEvery < 1) x[i] = SPECIALS[Math.floor(next() * SPECIALS.length)];
    else x[i] = (next() - 0.5) * 2 ** Math.floor(next() * 80 - 40);
  }
  return x;
}

/** Same bits, except that any NaN matches any NaN (JS does not fix NaN payloads). */
function expectSameBits(got: FloatArray, want: FloatArray, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i], w = want[i];
    if (!(Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w)))) {
      expect.fail(`${what}: element ${i} is ${g}, the JS loop gives ${w}`);
    }
  }
}

interface Config { label: string; amsgrad: boolean; wd: number; decoupled: boolean }
const CONFIGS: Config[] = [
  { label: "Adam", amsgrad: false, wd: 0, decoupled: false },
  { label: "Adam + L2", amsgrad: false, wd: 0.03, decoupled: false },
  { label: "AdamW", amsgrad: false, wd: 0.05, decoupled: true },
  { label: "Adam amsgrad", amsgrad: true, wd: 0, decoupled: false },
  { label: "AdamW amsgrad", amsgrad: true, wd: 0.01, decoupled: true },
];

// Around the vector widths (4, 8, 16), and past 2^14, where the update is split across threads.
const SIZES = [1, 3, 4, 7, 8, 9, 15, 16, 17, 31, 33, 100, 1001, 16384 + 77];
const STEPS = 4;

/** A float tensor of `values` stored at `offset` in a larger array (a view), so that vector loads are unaligned. */
function at(dtype: DType, ctor: Ctor, x: FloatArray, offset: number): bp.Tensor {
  const storage = new ctor(x.length + offset + 2);
  storage.set(x, offset);
  return bp.fromStorage(storage, [storage.length], dtype).narrow(0, offset, x.length).detach();
}

/**
 * `STEPS` steps of bp.optim on one backend, the parameter and gradients
 * stored at the given offsets; returns the parameter and the state.
 */
function train(backend: string, dtype: DType, ctor: Ctor, c: Config, start: FloatArray, grads: FloatArray[], pOff: number, gOff: number) {
  bp.setBackend(backend);
  const native = backend === "native" ? vi.spyOn(registry.backend as NativeBackend, "adam") : null;
  const param = at(dtype, ctor, start, pOff);
  param.requiresGrad = true;
  const Opt = c.decoupled ? bp.optim.AdamW : bp.optim.Adam;
  const opt = new Opt([param], { lr: 0.01, betas: [0.8, 0.95], eps: 1e-6, weightDecay: c.wd, amsgrad: c.amsgrad });
  const snapshots: FloatArray[][] = [];
  for (const grad of grads) {
    param.grad = at(dtype, ctor, grad, gOff);
    opt.step();
    const state = opt.state.get(param)!;
    const buffers = [state.expAvg, state.expAvgSq, ...(c.amsgrad ? [state.maxExpAvgSq] : [])] as bp.Tensor[];
    snapshots.push([param, ...buffers].map((t) => new ctor(t.data() as FloatArray)));
  }
  if (native) {
    // The native kernel took every step (it declines only mixed types and small sizes).
    expect(native.mock.results.map((r) => r.value)).toEqual(grads.map(() => true));
    native.mockRestore();
  }
  return snapshots;
}

const NAMES = ["parameter", "expAvg", "expAvgSq", "maxExpAvgSq"];

/** Compares the native backend with the JS backend on `STEPS` steps of random (and special) values. */
function compare(dtype: DType, ctor: Ctor, n: number, c: Config, seed: number, specialEvery: number, what: string): void {
  const next = rng(seed);
  const start = values(ctor, n, next, specialEvery);
  const grads = Array.from({ length: STEPS }, () => values(ctor, n, next, specialEvery));
  const want = train("js", dtype, ctor, c, start, grads, 0, 0);
  const got = train("native", dtype, ctor, c, start, grads, 3, 5);
  got.forEach((arrays, step) =>
    arrays.forEach((x, i) => expectSameBits(x, want[step][i], `${what}, step ${step + 1}: ${NAMES[i]}`)));
}

describe("native Adam: bit-identical to the JS loop", () => {
  it("the CPU offers at least the scalar loop, and setIsa switches the Adam kernel with the GEMM's", () => {
    expect(ISAS).toContain("generic");
    for (const isa of ISAS) {
      expect(addon.setIsa(isa)).toBe(true);
      expect(addon.info().adamIsa).toBe(isa);
    }
    addon.setIsa(defaultIsa);
    expect(addon.info().adamIsa).toBe(defaultIsa);
  });

  for (const isa of ISAS) {
    for (const [dtype, ctor] of DTYPES) {
      for (const c of CONFIGS) {
        it(`${isa} ${dtype} ${c.label}: every size, 1 and 2 threads, ordinary and special values`, () => {
          expect(addon.setIsa(isa)).toBe(true);
          try {
            for (const threads of [1, 2]) {
              addon.setThreads(threads);
              for (const n of SIZES) {
                // Ordinary values (one in a thousand special), then many specials (one in eight).
                compare(dtype, ctor, n, c, 1000 * n + threads, 1000, `${isa}, ${threads} thread(s), n = ${n}`);
                compare(dtype, ctor, n, c, 7000 * n + threads, 8, `${isa}, ${threads} thread(s), n = ${n}, specials`);
              }
            }
          } finally {
            addon.setIsa(defaultIsa);
            addon.setThreads(defaultThreads);
          }
        });
      }
    }
  }

  it("float32 scalars that are not floats take the scalar loop on every instruction set (same bits as it)", () => {
    const n = 1000, next = rng(42);
    const start = values(Float32Array, n, next, 50), grad = values(Float32Array, n, next, 50);
    // Unrounded: 0.9 and 0.1 are not float32 values; the SIMD kernels hold scalars in float lanes.
    const s: AdamScalars = { negStepSize: -0.001, bc2Sqrt: 0.3, beta1: 0.9, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001, eps: 1e-8, l2: 0.01, shrink: 1 };
    const run = (isa: string) => {
      expect(addon.setIsa(isa)).toBe(true);
      const p = new Float32Array(start), m = new Float32Array(n), v = new Float32Array(n), vMax = new Float32Array(n);
      for (let step = 0; step < 3; step++) expect(native.adam(p, 0, grad, 0, m, v, vMax, n, s)).toBe(true);
      return [p, m, v, vMax];
    };
    try {
      const want = run("generic");
      for (const isa of ISAS) {
        run(isa).forEach((got, i) => expectSameBits(got, want[i], `${isa}, array ${i}`));
      }
    } finally {
      addon.setIsa(defaultIsa);
    }
  });
});
