/**
 * `bp.tidy` (src/autograd/tidy.ts): a training step in a scope releases the
 * activations it did not return, and their buffers feed the next step.
 *
 * Two kinds of checks, on every backend at sizes above the kernels'
 * thresholds: training inside tidy gives exactly the values it gives
 * outside (with the recycler's debug mode on, a stale read of a recycled
 * buffer would show as NaN and a stale write would throw), and what the
 * contract says is released or kept is — a released tensor throws
 * ReleasedTensorError, a kept one holds its values.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";
import { setRecycleDebug } from "../../src/tensor/recycler.js";
import { BACKENDS } from "../backends.js";

/** New bytes (not reused from the recycler) that `body` allocates. */
function newBytesOf(body: () => void): number {
  const before = bp.memory();
  body();
  const after = bp.memory();
  return (after.allocatedBytes - after.reusedBytes) - (before.allocatedBytes - before.reusedBytes);
}

function flatParams(model: bp.nn.Module): number[] {
  return model.parameters().flatMap((p) => Array.from(p.data()));
}

/** One training step: zero the gradients, compute the loss, backward, update; returns the loss. */
function stepOf(opt: bp.optim.Optimizer, computeLoss: () => bp.Tensor): () => number {
  return () => {
    opt.zeroGrad();
    const loss = computeLoss();
    loss.backward();
    opt.step();
    return loss.item();
  };
}

/** An MLP above every backend's dispatch thresholds: [64, 300] → 200 → 100 → 10, cross-entropy, Adam. */
function mlpTask(): { model: bp.nn.Module; step: () => number } {
  bp.manualSeed(3);
  const model = new bp.nn.Sequential(
    new bp.nn.Linear(300, 200), new bp.nn.ReLU(), new bp.nn.Linear(200, 100), new bp.nn.Tanh(), new bp.nn.Linear(100, 10),
  );
  const x = bp.randn([64, 300]);
  const labels = bp.randint(0, 10, [64]);
  const opt = new bp.optim.Adam(model.parameters(), { lr: 1e-3 });
  return { model, step: stepOf(opt, () => bp.F.crossEntropy(model.forward(x), labels)) };
}

/** A convnet with batch norm (running statistics) and dropout (random masks in the graph). */
function convTask(): { model: bp.nn.Module; step: () => number } {
  bp.manualSeed(4);
  const model = new bp.nn.Sequential(
    new bp.nn.Conv2d(1, 8, 3, { padding: 1 }), new bp.nn.BatchNorm2d(8), new bp.nn.ReLU(), new bp.nn.MaxPool2d(2),
    new bp.nn.Flatten(), new bp.nn.Dropout(0.25), new bp.nn.Linear(8 * 8 * 8, 10),
  );
  const x = bp.randn([16, 1, 16, 16]);
  const labels = bp.randint(0, 10, [16]);
  const opt = new bp.optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  return { model, step: stepOf(opt, () => bp.F.crossEntropy(model.forward(x), labels)) };
}

/** A character model: embedding, a pre-norm transformer layer (GELU, causal mask), AdamW. */
function transformerTask(): { model: bp.nn.Module; step: () => number } {
  bp.manualSeed(5);
  const embed = new bp.nn.Embedding(20, 32);
  const layer = new bp.nn.TransformerEncoderLayer(32, 4, { dimFeedforward: 64, dropout: 0, activation: "gelu", normFirst: true, batchFirst: true });
  const head = new bp.nn.Linear(32, 20);
  const model = new bp.nn.ModuleList([embed, layer, head]);
  const tokens = bp.randint(0, 20, [8, 16]);
  const targets = bp.randint(0, 20, [8 * 16]);
  const opt = new bp.optim.AdamW(model.parameters(), { lr: 1e-3 });
  return {
    model,
    step: stepOf(opt, () => bp.F.crossEntropy(head.forward(layer.forward(embed.forward(tokens), { isCausal: true })).reshape([-1, 20]), targets)),
  };
}

const TASKS = { mlp: mlpTask, convnet: convTask, transformer: transformerTask };

describe.each(BACKENDS)("bp.tidy on %s", (backend) => {
  let debugWas = false;
  beforeAll(async () => {
    await bp.setBackend(backend);
    debugWas = setRecycleDebug(true);
  });
  afterAll(async () => {
    setRecycleDebug(debugWas);
    await bp.setBackend("js");
  });

  it.each(Object.keys(TASKS) as (keyof typeof TASKS)[])("%s: steps inside tidy give the losses and parameters of steps outside it", (name) => {
    const plain = TASKS[name]();
    const plainLosses = Array.from({ length: 4 }, () => plain.step());
    const tidied = TASKS[name]();
    const tidiedLosses = Array.from({ length: 4 }, () => bp.tidy(tidied.step));
    expect(tidiedLosses).toEqual(plainLosses);
    expect(flatParams(tidied.model)).toEqual(flatParams(plain.model));
    expect(tidiedLosses.every(Number.isFinite)).toBe(true);
  });
});

/**
 * New bytes per warm step of `task` inside tidy and outside it, measured
 * without debug mode (its quarantine holds recycled buffers back on purpose).
 */
function newBytesPerStep(task: { step: () => number }): { inside: number; outside: number } {
  const debugWas = setRecycleDebug(false);
  try {
    for (let i = 0; i < 2; i++) bp.tidy(task.step);
    const inside = newBytesOf(() => { for (let i = 0; i < 3; i++) bp.tidy(task.step); }) / 3;
    const outside = newBytesOf(() => { for (let i = 0; i < 3; i++) task.step(); }) / 3;
    return { inside, outside };
  } finally {
    setRecycleDebug(debugWas);
  }
}

describe.each(BACKENDS)("bp.tidy's memory on %s", (backend) => {
  beforeAll(async () => { await bp.setBackend(backend); });
  afterAll(async () => { await bp.setBackend("js"); });

  it("an MLP step inside tidy allocates almost nothing new once warm; outside it allocates its activations", () => {
    const { inside, outside } = newBytesPerStep(mlpTask());
    // Activations of one step: [64, 200] and [64, 100] float32 (51 KB and 26 KB) at least once each.
    expect(outside).toBeGreaterThan(75_000);
    // What remains: small scalars and biases' gradients.
    expect(inside).toBeLessThan(8_000);
  });

  it("a transformer step inside tidy reuses its activations and the ops' scratch (attention weights and heads, log-probabilities)", () => {
    const { inside, outside } = newBytesPerStep(transformerTask());
    // Outside: every activation, [8, 16, 32..64] float32 tensors by the dozen (over 200 KB);
    // attention's weights [8·4, 16, 16] and heads [8·4, 16, 8] alone are 28 KB.
    expect(outside).toBeGreaterThan(200_000);
    expect(inside).toBeLessThan(outside / 10);
  });
});

describe("bp.tidy: what is released and what is kept", () => {
  let debugWas = false;
  beforeAll(() => { debugWas = setRecycleDebug(true); });
  afterAll(() => { setRecycleDebug(debugWas); });

  function smallNet(): { w: bp.Tensor; x: bp.Tensor } {
    bp.manualSeed(7);
    return { w: bp.randn([32, 32], { requiresGrad: true }), x: bp.randn([16, 32]) };
  }

  it("an activation the callback does not return throws ReleasedTensorError afterwards, whatever reads it", () => {
    const { w, x } = smallNet();
    let hidden: bp.Tensor | null = null;
    let detached: bp.Tensor | null = null;
    bp.tidy(() => {
      hidden = x.matmul(w).relu();
      detached = hidden.detach();
      hidden.sum().backward();
    });
    const h = hidden as unknown as bp.Tensor;
    expect(() => h.narrow(0, 0, 1).narrow(1, 0, 1).item()).toThrow(bp.ReleasedTensorError);
    expect(() => h.data()).toThrow(/released when the bp\.tidy\(\) callback that computed it returned/);
    expect(() => h.add(1)).toThrow(bp.ReleasedTensorError);
    expect(() => h.reshape([-1]).data()).toThrow(bp.ReleasedTensorError);
    expect(() => (detached as unknown as bp.Tensor).sum()).toThrow(bp.ReleasedTensorError);
    expect(String(h)).toBe("tensor(<released by bp.tidy>, shape=[16,32], dtype=float32)");
    // Shapes stay readable: they need no buffer.
    expect(h.shape).toEqual([16, 32]);
  });

  it("what the callback returns keeps its values, in arrays and objects too, while later steps reuse the released buffers", () => {
    const { w, x } = smallNet();
    const expected = x.matmul(w).relu().data();
    const { a, list } = bp.tidy(() => {
      const y = x.matmul(w).relu();
      const z = y.mul(2);
      z.sum().backward();
      return { a: y, list: [z, y.reshape([-1])] };
    });
    // Later scopes allocate buffers of the same size.
    for (let i = 0; i < 20; i++) bp.tidy(() => { x.matmul(w).relu().mul(3).sum().backward(); });
    expect(a.data()).toEqual(expected);
    expect(list[1].data()).toEqual(expected);
    expect(Array.from(list[0].data())).toEqual(Array.from(expected, (v) => Math.fround(v * 2)));
  });

  it("a loss returned before backward keeps its graph: backward outside the scope gives the gradient it gives without tidy", () => {
    const { w, x } = smallNet();
    x.matmul(w).tanh().square().mean().backward();
    const expected = w.grad!.data();
    w.grad = null;
    const loss = bp.tidy(() => x.matmul(w).tanh().square().mean());
    for (let i = 0; i < 20; i++) bp.tidy(() => { x.matmul(w).tanh().square().mean().backward(); w.grad = null; });
    loss.backward();
    expect(w.grad!.data()).toEqual(expected);
  });

  it("parameters, their gradients and optimizer state made inside the scope survive it", () => {
    bp.manualSeed(8);
    const x = bp.randn([16, 40]);
    const { model, opt } = bp.tidy(() => {
      const m = new bp.nn.Linear(40, 30);
      const o = new bp.optim.Adam(m.parameters(), { lr: 0.01 });
      o.zeroGrad();
      m.forward(x).square().mean().backward();
      o.step();
      return { model: m, opt: o };
    });
    for (let i = 0; i < 10; i++) bp.tidy(() => { x.matmul(bp.ones([40, 30], { requiresGrad: true })).sum().backward(); });
    expect(model.weight.grad).not.toBeNull();
    expect(Number.isFinite(model.weight.grad!.sum().item())).toBe(true);
    // The second Adam step reads the moments the first one created inside the scope.
    opt.step();
    expect(model.weight.data().every(Number.isFinite)).toBe(true);
  });

  it("a gradient built with createGraph stays a parameter's .grad after the scope", () => {
    const { w, x } = smallNet();
    const run = (tidied: boolean): number[] => {
      w.grad = null;
      // With createGraph the gradient is itself a graph tensor, and .grad shares its buffer.
      const body = () => x.matmul(w).tanh().square().sum().backward({ createGraph: true });
      if (tidied) bp.tidy(body); else body();
      const other = bp.randn([32, 32], { requiresGrad: true });
      for (let i = 0; i < 5; i++) bp.tidy(() => { x.matmul(other).tanh().square().sum().backward({ createGraph: true }); other.grad = null; });
      return Array.from(w.grad!.data());
    };
    const plain = run(false);
    expect(run(true)).toEqual(plain);
  });

  it("a gradient penalty step (bp.grad with createGraph, then backward) inside tidy equals the same step outside", () => {
    const { w, x } = smallNet();
    const run = (tidied: boolean): number[] => {
      w.grad = null;
      const body = () => {
        const y = x.matmul(w).tanh().sum();
        const [g] = bp.grad([y], [w], { createGraph: true });
        y.add(g!.square().sum()).backward();
      };
      if (tidied) bp.tidy(body); else body();
      for (let i = 0; i < 5; i++) bp.tidy(() => { x.matmul(w.detach()).relu().sum(); });
      return Array.from(w.grad!.data());
    };
    const plain = run(false);
    expect(run(true)).toEqual(plain);
  });

  it("a recurrent state returned detached carries over to the next step, as truncated backprop through time does", () => {
    const train = (tidied: boolean): number[] => {
      bp.manualSeed(9);
      const lstm = new bp.nn.LSTM(12, 24, { batchFirst: true });
      const opt = new bp.optim.SGD(lstm.parameters(), { lr: 0.1 });
      const xs = bp.randn([4, 10, 12]);
      let state: [bp.Tensor, bp.Tensor] | undefined;
      const losses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const step = () => {
          opt.zeroGrad();
          const [out, [h, c]] = lstm.forward(xs, state);
          const loss = out.square().mean();
          loss.backward();
          opt.step();
          return { loss: loss.item(), next: [h.detach(), c.detach()] as [bp.Tensor, bp.Tensor] };
        };
        const r = tidied ? bp.tidy(step) : step();
        losses.push(r.loss);
        state = r.next;
      }
      return losses;
    };
    expect(train(true)).toEqual(train(false));
  });

  it("nested scopes: the inner one hands what it keeps to the outer one, which releases it unless returned", () => {
    const { w, x } = smallNet();
    let inner: bp.Tensor | null = null;
    const kept = bp.tidy(() => {
      inner = bp.tidy(() => x.matmul(w).relu());
      const out = inner.mul(2);
      out.sum().backward();
      return out;
    });
    expect(() => (inner as unknown as bp.Tensor).data()).toThrow(bp.ReleasedTensorError);
    expect(kept.data().every(Number.isFinite)).toBe(true);
  });

  it("releases nothing when the callback throws, and the next scope works", () => {
    const { w, x } = smallNet();
    let y: bp.Tensor | null = null;
    expect(() => bp.tidy(() => {
      y = x.matmul(w).relu();
      y.sum().backward();
      throw new Error("boom");
    })).toThrow("boom");
    expect((y as unknown as bp.Tensor).data().length).toBe(16 * 32);
    const z = bp.tidy(() => x.matmul(w).relu());
    expect(z.data()).toEqual((y as unknown as bp.Tensor).data());
  });

  it("under noGrad nothing is a graph tensor, so nothing is released", () => {
    const { w, x } = smallNet();
    let y: bp.Tensor | null = null;
    bp.tidy(() => bp.noGrad(() => { y = x.matmul(w).relu(); }));
    expect((y as unknown as bp.Tensor).data().length).toBe(16 * 32);
  });

  it("rejects a callback that returns a Promise, and a non-function, with what to do instead", () => {
    expect(() => bp.tidy(async () => 1)).toThrow(/tidy: the callback returned a Promise; .*await outside bp\.tidy/);
    expect(() => bp.tidy(42 as unknown as () => number)).toThrow(/tidy: expected a function to run, got number/);
  });

  it("returns the callback's value unchanged", () => {
    expect(bp.tidy(() => 3)).toBe(3);
    const obj = { a: 1 };
    expect(bp.tidy(() => obj)).toBe(obj);
  });
});
