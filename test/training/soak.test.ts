/**
 * A short soak (the long one is `npm run soak`): 2,000 training steps of an
 * MLP with Adam, and the memory the library holds must not grow once the
 * loop is in its steady state. RSS is too noisy for a test; what is asserted
 * is the library's own count of live tensor bytes (after a full garbage
 * collection, so that the collector's lag does not count) and of pooled bytes.
 */
import * as v8 from "node:v8";
import * as vm from "node:vm";
import { describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

/** Live and pooled bytes once the collector has run and its finalizers have been delivered. */
async function settledMemory(): Promise<{ live: number; pooled: number }> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 0));
  }
  const m = bp.memory();
  return { live: m.liveBytes, pooled: m.pooledBytes };
}

describe("soak (short)", () => {
  it("2,000 Adam steps of a 256-128-10 MLP: live and pooled tensor bytes flat from step 1,000 to step 2,000", async () => {
    bp.manualSeed(0);
    const model = new bp.nn.Sequential(new bp.nn.Linear(256, 128), new bp.nn.ReLU(), new bp.nn.Linear(128, 10));
    const g = new bp.Generator(1);
    const x = bp.rand([64, 256], { generator: g });
    const labels = bp.randint(0, 10, [64], { generator: g });
    const opt = new bp.optim.Adam(model.parameters(), { lr: 1e-3 });
    const step = () => {
      opt.zeroGrad();
      const loss = bp.F.crossEntropy(model.forward(x), labels);
      loss.backward();
      opt.step();
      return loss.item();
    };
    const weightBytes = model.parameters().reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1) * 4, 0);
    let first = 0;
    for (let s = 0; s < 1000; s++) {
      const loss = step();
      if (s === 0) first = loss;
    }
    const mid = await settledMemory();
    let last = 0;
    for (let s = 0; s < 1000; s++) last = step();
    const end = await settledMemory();
    expect(last).toBeLessThan(first); // it did train
    // Parameters, gradients and two Adam moments are live (≈ 4× the weights); nothing may pile up on top.
    // The slack is one weight matrix's worth, for a step's transient buffers caught at either measurement.
    const slack = 256 * 128 * 4;
    expect(end.live - mid.live).toBeLessThanOrEqual(slack);
    expect(end.live).toBeLessThanOrEqual(6 * weightBytes + slack);
    expect(end.pooled - mid.pooled).toBeLessThanOrEqual(slack);
    console.log(`soak: live ${mid.live} → ${end.live} bytes, pooled ${mid.pooled} → ${end.pooled} bytes (weights ${weightBytes} bytes)`);
  }, 120_000);

  it("a loop that never yields to the event loop: the live-bytes accounting does not grow V8's heap (no finalizer can run)", () => {
    // Each tensor of ≥ 16 KiB is counted as live until the collector reports it dead, which
    // reaches us only from the event loop; the records of dead tensors must not pile up meanwhile
    // (they did: ~70 bytes each, 4 MB over the 60,000 tensors below).
    const heapAfterFullGc = () => {
      gc();
      return process.memoryUsage().heapUsed;
    };
    for (let i = 0; i < 20_000; i++) bp.zeros([5000]); // 20 KB each
    const before = heapAfterFullGc();
    for (let i = 0; i < 60_000; i++) bp.zeros([5000]);
    const after = heapAfterFullGc();
    expect(after - before).toBeLessThan(1 << 20);
  }, 120_000);
});
