/**
 * The recycler (src/tensor/recycler.ts): buffers the library knows are dead
 * are reused. Two kinds of checks: training with recycling gives exactly
 * the values it gives without (any stale reference to a recycled buffer
 * would show up as a difference), and a training loop really stops
 * allocating new memory after its first step.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";
import { QUARANTINE_LENGTH, recycle, setRecycleDebug, setRecycling, takeRecycled } from "../../src/tensor/recycler.js";
import { BACKENDS } from "../backends.js";

/** Runs `body` with recycling on or off, restoring the previous setting. */
function withRecycling<T>(on: boolean, body: () => T): T {
  const was = setRecycling(on);
  try {
    return body();
  } finally {
    setRecycling(was);
  }
}

/** New bytes (not reused from the recycler) that `body` allocates. */
function newBytesOf(body: () => void): number {
  const before = bp.memory();
  body();
  const after = bp.memory();
  return (after.allocatedBytes - after.reusedBytes) - (before.allocatedBytes - before.reusedBytes);
}

function lectureModel(): bp.nn.Sequential {
  bp.manualSeed(1);
  return new bp.nn.Sequential(
    new bp.nn.Linear(8, 32), new bp.nn.Sigmoid(), new bp.nn.Linear(32, 32), new bp.nn.Sigmoid(), new bp.nn.Linear(32, 1),
  );
}

function data(rows: number, cols: number, seed: number): bp.Tensor {
  return bp.randn([rows, cols], { generator: new bp.Generator(seed) });
}

/** SGD (lr 0.1) on one fixed batch of 64 × 8 inputs and one target each: `step()` trains once and returns the loss. */
function sgdOnOneBatch(model: bp.nn.Module, setToNone = false): { opt: bp.optim.Optimizer; step: () => number } {
  const opt = new bp.optim.SGD(model.parameters(), { lr: 0.1 });
  const x = data(64, 8, 2);
  const y = data(64, 1, 3);
  return { opt, step: () => lectureStep(model, opt, x, y, setToNone) };
}

/** The lecture's training step: h1 = σ(xW1 + b1), h2 = σ(h1W2 + b2), ŷ = h2W3 + b3, L = mean (y − ŷ)², SGD. */
function lectureStep(model: bp.nn.Module, opt: bp.optim.Optimizer, x: bp.Tensor, y: bp.Tensor, setToNone = false): number {
  opt.zeroGrad(setToNone);
  const loss = bp.F.mseLoss(model.forward(x), y);
  loss.backward();
  opt.step();
  return loss.item();
}

/**
 * W2's network (784-256-128-10, ReLU, cross-entropy, Adam) on a batch of 32, zeroing with
 * zeroGrad(setToNone): the new bytes of a step after two warm-up steps, and the parameters.
 */
function w2NewBytesPerStep(setToNone: boolean): { bytes: number; params: number[][] } {
  bp.manualSeed(4);
  const model = new bp.nn.Sequential(new bp.nn.Linear(784, 256), new bp.nn.ReLU(), new bp.nn.Linear(256, 128), new bp.nn.ReLU(), new bp.nn.Linear(128, 10));
  const opt = new bp.optim.Adam(model.parameters(), { lr: 1e-3 });
  const x = data(32, 784, 5);
  const labels = bp.randint(0, 10, [32], { generator: new bp.Generator(6) });
  const step = () => {
    opt.zeroGrad(setToNone);
    bp.F.crossEntropy(model.forward(x), labels).backward();
    opt.step();
  };
  step();
  step();
  const bytes = newBytesOf(() => { for (let i = 0; i < 5; i++) step(); }) / 5;
  return { bytes, params: model.parameters().map((p) => Array.from(p.data())) };
}

describe.each(BACKENDS)("backend %s", (backendName) => {
  // Byte counts assume immediate reuse, also when BACKPROP_DEBUG_RECYCLE=1 quarantines recycled buffers.
  let debugWas = false;
  beforeAll(async () => { debugWas = setRecycleDebug(false); await bp.setBackend(backendName); });
  afterAll(async () => { setRecycleDebug(debugWas); await bp.setBackend("js"); });

  it("a training step of the lecture network reuses the gradient buffers its backward pass used up", () => {
    const later = (on: boolean) => withRecycling(on, () => {
      const { step } = sgdOnOneBatch(lectureModel());
      step();
      step();
      return newBytesOf(() => { for (let i = 0; i < 10; i++) step(); }) / 10;
    });
    const recycled = later(true);
    const plain = later(false);
    // Without recycling a step allocates its activations, every gradient and each VJP's intermediate
    // steps anew (64×32 float32 = 8 KiB each); with it, the backward pass's own gradients and
    // intermediates come back (the activations stay new, as user code may hold them; zeroGrad() zeroes
    // the parameters' .grad in place).
    expect(plain).toBeGreaterThan(60_000);
    expect(recycled).toBeLessThan(plain * 0.65);
  });

  it("W2's network (784-256-128-10, ReLU, cross-entropy, Adam) reuses the gradients inside its backward pass", () => {
    const recycled = withRecycling(true, () => w2NewBytesPerStep(true).bytes);
    const plain = withRecycling(false, () => w2NewBytesPerStep(true).bytes);
    // The gradients of the two hidden layers' outputs and pre-activations (32×256 and 32×128
    // float32: 2 × 32 KiB + 2 × 16 KiB) are the pass's own and come back every step.
    expect(plain - recycled).toBeGreaterThanOrEqual(2 * 32 * 1024 + 2 * 16 * 1024);
  });

  it("W2's network with zeroGrad(false) allocates no parameter gradients after its first step", () => {
    const inPlace = w2NewBytesPerStep(false);
    const dropped = w2NewBytesPerStep(true);
    // Every gradient of at least 512 bytes: weights 256×784, 128×256, 10×128 and biases 256, 128 (float32).
    expect(dropped.bytes - inPlace.bytes).toBeGreaterThanOrEqual(4 * (256 * 784 + 128 * 256 + 10 * 128 + 256 + 128));
    expect(inPlace.params).toEqual(dropped.params);
  });

  it("trains to exactly the same parameters with and without recycling", () => {
    const run = (on: boolean) => withRecycling(on, () => {
      const model = lectureModel();
      const opt = new bp.optim.Adam(model.parameters(), { lr: 0.01 });
      const x = data(64, 8, 2);
      const y = data(64, 1, 3);
      const losses: number[] = [];
      for (let i = 0; i < 20; i++) losses.push(lectureStep(model, opt, x, y));
      return { losses, params: model.parameters().map((p) => Array.from(p.data())) };
    });
    const recycled = run(true);
    const plain = run(false);
    expect(recycled.losses).toEqual(plain.losses);
    expect(recycled.params).toEqual(plain.params);
  });
});

function neverRecycled(): void {
describe("what must never be recycled", () => {
  it("a .grad that user code read keeps its values after zeroGrad(true) and more steps", () => {
    const model = lectureModel();
    const { step } = sgdOnOneBatch(model, true);
    step();
    const w = model.parameters()[2]; // the 32×32 weight: 4 KiB, large enough to recycle
    const kept = w.grad!;
    const values = Array.from(kept.data());
    for (let i = 0; i < 3; i++) step();
    expect(Array.from(kept.data())).toEqual(values);
    expect(w.grad).not.toBe(kept);
  });

  it("zeroGrad(false) zeroes .grad in place, and the next backward adds into that same buffer (PyTorch 1.13)", () => {
    const model = lectureModel();
    const x = data(64, 8, 2);
    const y = data(64, 1, 3);
    const w = model.parameters()[2]; // the 32×32 weight: 4 KiB, large enough to recycle
    const backward = () => bp.F.mseLoss(model.forward(x), y).backward();
    const plus0 = (t: bp.Tensor) => Array.from(t.data(), (v) => v + 0); // 0 + (−0) is +0
    backward();
    const held = w.grad!;
    const values = plus0(held);
    model.zeroGrad(false);
    expect(w.grad).toBe(held);
    expect(plus0(held).every((v) => v === 0)).toBe(true);
    backward(); // the same parameters and batch: the same gradient, added to zeros
    expect(w.grad).toBe(held);
    expect(plus0(held)).toEqual(values);
  });

  it("an activation kept by a user's module in a Sequential keeps its values", () => {
    class Keep extends bp.nn.Module {
      seen: bp.Tensor[] = [];
      forward(x: bp.Tensor): bp.Tensor {
        this.seen.push(x);
        return x.mul(2);
      }
    }
    bp.manualSeed(7);
    const keep = new Keep();
    const model = new bp.nn.Sequential(new bp.nn.Linear(8, 32), new bp.nn.ReLU(), keep, new bp.nn.Tanh(), new bp.nn.Linear(32, 1));
    const { step } = sgdOnOneBatch(model);
    step();
    const first = Array.from(keep.seen[0].data());
    for (let i = 0; i < 3; i++) step();
    expect(Array.from(keep.seen[0].data())).toEqual(first);
  });

  it("an activation kept by a layer whose forward was replaced on the instance keeps its values", () => {
    bp.manualSeed(8);
    const relu = new bp.nn.ReLU();
    const seen: bp.Tensor[] = [];
    relu.forward = (x: bp.Tensor) => { seen.push(x); return x.relu(); };
    const model = new bp.nn.Sequential(new bp.nn.Linear(8, 32), relu, new bp.nn.Linear(32, 1));
    const { step } = sgdOnOneBatch(model);
    step();
    const first = Array.from(seen[0].data());
    for (let i = 0; i < 3; i++) step();
    expect(Array.from(seen[0].data())).toEqual(first);
  });

  it("the output of a Sequential, and gradients a hook or bp.grad handed out, keep their values", () => {
    bp.manualSeed(9);
    // Outputs of 64×16 float32 (4 KiB): large enough to be recycled if the engine let them go.
    const model = new bp.nn.Sequential(new bp.nn.Linear(8, 32), new bp.nn.Sigmoid(), new bp.nn.Linear(32, 16));
    const x = data(64, 8, 2);
    const y = data(64, 16, 3);
    const out = model.forward(x);
    const outValues = Array.from(out.data());
    const hooked: bp.Tensor[] = [];
    out.registerHook((g: bp.Tensor) => { hooked.push(g); });
    const loss = bp.F.mseLoss(out, y);
    const [gOut] = bp.grad([loss], [out], { retainGraph: true });
    const gValues = Array.from(gOut!.data());
    loss.backward();
    const hookValues = Array.from(hooked[0].data());
    const opt = new bp.optim.SGD(model.parameters(), { lr: 0.1 });
    for (let i = 0; i < 3; i++) lectureStep(model, opt, x, y);
    expect(Array.from(out.data())).toEqual(outValues);
    expect(Array.from(gOut!.data())).toEqual(gValues);
    expect(Array.from(hooked[0].data())).toEqual(hookValues);
  });
});
}

function recyclingChangesNoResult(): void {
describe("recycling changes no result (property)", () => {
  // Random Sequentials of the library's layers (and a user's module that
  // keeps what it sees), trained with random choices of the things that
  // decide what may be recycled: reading .grad, zeroGrad(false), retainGraph
  // with a second backward, createGraph, a hook, gradient clipping, noGrad
  // inference.
  const layerKinds = ["sigmoid", "tanh", "relu", "leakyrelu", "gelu", "softmax", "dropout", "flatten", "identity", "layernorm", "keep"] as const;
  type Kind = typeof layerKinds[number];
  const planArb = fc.record({
    hidden: fc.array(fc.tuple(fc.constantFrom(...layerKinds), fc.integer({ min: 1, max: 24 })), { minLength: 1, maxLength: 4 }),
    steps: fc.array(fc.record({
      readGrad: fc.boolean(), keepGrad: fc.boolean(), setToNone: fc.boolean(), twice: fc.boolean(),
      createGraph: fc.boolean(), hook: fc.boolean(), infer: fc.boolean(), clip: fc.constantFrom(null, "norm", "value"),
    }), { minLength: 1, maxLength: 4 }),
    batch: fc.integer({ min: 1, max: 40 }),
    loss: fc.constantFrom("mse", "crossEntropy"),
  });

  class Keep extends bp.nn.Module {
    seen: bp.Tensor[] = [];
    forward(x: bp.Tensor): bp.Tensor {
      this.seen.push(x);
      return x.sigmoid();
    }
  }

  function build(hidden: readonly (readonly [Kind, number])[]): { model: bp.nn.Sequential; keeps: Keep[] } {
    const layers: bp.nn.Module[] = [];
    const keeps: Keep[] = [];
    let width = 6;
    for (const [kind, units] of hidden) {
      layers.push(new bp.nn.Linear(width, units));
      width = units;
      if (kind === "sigmoid") layers.push(new bp.nn.Sigmoid());
      else if (kind === "tanh") layers.push(new bp.nn.Tanh());
      else if (kind === "relu") layers.push(new bp.nn.ReLU());
      else if (kind === "leakyrelu") layers.push(new bp.nn.LeakyReLU(0.1));
      else if (kind === "gelu") layers.push(new bp.nn.GELU());
      else if (kind === "softmax") layers.push(new bp.nn.Softmax(1));
      else if (kind === "dropout") layers.push(new bp.nn.Dropout(0.3, { generator: new bp.Generator(units) }));
      else if (kind === "flatten") layers.push(new bp.nn.Flatten());
      else if (kind === "identity") layers.push(new bp.nn.Identity());
      else if (kind === "layernorm") layers.push(new bp.nn.LayerNorm([units]));
      else { const k = new Keep(); keeps.push(k); layers.push(k); }
    }
    layers.push(new bp.nn.Linear(width, 3));
    return { model: new bp.nn.Sequential(...layers), keeps };
  }

  it("random networks and training loops give bit-identical values with recycling on and off", () => {
    fc.assert(fc.property(planArb, (plan) => {
      const run = (on: boolean) => withRecycling(on, () => {
        bp.manualSeed(11);
        const { model, keeps } = build(plan.hidden);
        model.to("float64");
        const opt = new bp.optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
        const x = data(plan.batch, 6, 12).double();
        const xGrad = x.detach();
        xGrad.requiresGrad = true;
        const y = data(plan.batch, 3, 13).double();
        const labels = bp.randint(0, 3, [plan.batch], { generator: new bp.Generator(14) });
        const lossOf = (out: bp.Tensor) => plan.loss === "mse" ? bp.F.mseLoss(out, y) : bp.F.crossEntropy(out, labels);
        const seen: number[][] = [];
        const kept: bp.Tensor[] = [];
        for (const s of plan.steps) {
          opt.zeroGrad(s.setToNone);
          const out = model.forward(s.createGraph ? xGrad : x);
          if (s.hook) out.registerHook((g: bp.Tensor) => { kept.push(g); });
          let loss = lossOf(out);
          if (s.createGraph) {
            // A gradient penalty, L + ‖dL/dx‖²: the graph of dL/dx saves activations
            // of the forward graph, and the next backward frees both graphs at once.
            const [gx] = bp.grad([loss], [xGrad], { createGraph: true });
            loss = loss.add(gx!.square().sum());
          }
          loss.backward(null, { retainGraph: s.twice });
          if (s.twice) loss.backward();
          if (s.readGrad) {
            const g = model.parameters()[0].grad!;
            if (s.keepGrad) kept.push(g);
            seen.push(Array.from(g.data()));
          }
          if (s.clip === "norm") bp.nn.utils.clipGradNorm_(model.parameters(), 0.05);
          if (s.clip === "value") bp.nn.utils.clipGradValue_(model.parameters(), 0.01);
          opt.step();
          if (s.infer) seen.push(Array.from(bp.noGrad(() => model.forward(x)).data()));
        }
        return {
          params: model.parameters().map((p) => Array.from(p.data())),
          seen,
          kept: kept.map((t) => Array.from(t.data())),
          keeps: keeps.map((k) => k.seen.map((t) => Array.from(t.data()))),
        };
      });
      expect(run(true)).toEqual(run(false));
    }), { numRuns: 100 });
  });
});
}

neverRecycled();
recyclingChangesNoResult();

// The same checks again under the debug mode: every recycled buffer is
// filled with NaN and waits behind QUARANTINE_LENGTH others before reuse,
// so a stale read shows NaN and a stale write throws.
describe("under BACKPROP_DEBUG_RECYCLE", () => {
  let was = false;
  beforeAll(() => { was = setRecycleDebug(true); });
  afterAll(() => { setRecycleDebug(was); });
  neverRecycled();
  recyclingChangesNoResult();

  it("a buffer recycled by mistake reads as NaN, and a write to it throws when it leaves the quarantine", () => {
    const t = bp.ones([256]);
    recycle(t.storage, t.dtype); // a wrong proof: t is still in use
    expect(Array.from(t.data()).every((v) => Number.isNaN(v))).toBe(true);
    (t.storage as Float32Array)[3] = 1; // as a kernel writing into t would
    // (each dead buffer below pushes one more buffer through the quarantine)
    expect(() => { for (let i = 0; i < QUARANTINE_LENGTH; i++) recycle(new Float32Array(256), "float32"); })
      .toThrow(/a recycled float32 buffer of 256 elements was written to \(element 3 = 1\)/);
  });

  it("a recycled buffer is not handed out again before QUARANTINE_LENGTH others were recycled after it", () => {
    const first = new Float32Array(300);
    recycle(first, "float32");
    expect(takeRecycled("float32", 300, true)).toBeNull();
    for (let i = 0; i < QUARANTINE_LENGTH - 1; i++) recycle(new Float32Array(200), "float32");
    expect(takeRecycled("float32", 300, true)).toBeNull();
    recycle(new Float32Array(200), "float32");
    const again = takeRecycled("float32", 300, true);
    expect(again).toBe(first);
    expect(Array.from(again!).every((v) => v === 0)).toBe(true);
  });
});

describe(".grad", () => {
  it("is a plain data field on each tensor: reading it runs no code", () => {
    const w = bp.ones([4]);
    w.requiresGrad = true;
    w.mul(3).sum().backward();
    const field = Object.getOwnPropertyDescriptor(w, "grad");
    expect(field).toMatchObject({ writable: true, enumerable: true });
    expect(field!.get).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(bp.Tensor.prototype, "grad")).toBeUndefined();
    expect(Array.from(field!.value.data())).toEqual([3, 3, 3, 3]);
  });
});
