/**
 * The backward pass's buffer ledger (src/autograd/buffer-ledger.ts) on its
 * own: which buffers it hands to the recycler, and which it must not. A
 * buffer it recycles is the next one `takeRecycled` returns for its size,
 * so each case checks identity: recycled exactly when the rules say so.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";
import { BufferLedger } from "../../src/autograd/buffer-ledger.js";
import { recordAllocations } from "../../src/tensor/memory.js";
import { clearRecycled, setRecycleDebug, setRecycling, takeRecycled } from "../../src/tensor/recycler.js";

/** Large enough to be recycled (1 KiB of float32). */
const N = 256;

/** Whether the recycler now holds `t`'s buffer (and takes it back out). */
function wasRecycled(t: bp.Tensor): boolean {
  const got = takeRecycled(t.dtype, t.storage.length, false);
  return got === t.storage;
}

/** Runs `body` as a backward pass would: with a ledger over the buffers allocated inside it. */
function inPass<T>(recycling: boolean, body: (ledger: BufferLedger) => T): T {
  return recordAllocations((fresh) => body(new BufferLedger(fresh, recycling)));
}

let debugWas = false;
beforeEach(() => { debugWas = setRecycleDebug(false); clearRecycled(); });
afterEach(() => { clearRecycled(); setRecycleDebug(debugWas); });

describe("BufferLedger.release", () => {
  it("recycles a fresh gradient once its last holder used it up", () => {
    inPass(true, (ledger) => {
      const g = bp.ones([N]);
      ledger.hold(g);
      ledger.hold(g); // add's VJP hands one tensor to both inputs
      ledger.release(g);
      expect(wasRecycled(g)).toBe(false);
      ledger.release(g);
      expect(wasRecycled(g)).toBe(true);
    });
  });

  it("counts views of one buffer as the same buffer", () => {
    inPass(true, (ledger) => {
      const g = bp.ones([N]);
      const view = g.reshape([16, 16]);
      ledger.hold(g);
      ledger.hold(view);
      ledger.release(view);
      expect(wasRecycled(g)).toBe(false);
      ledger.release(g);
      expect(wasRecycled(g)).toBe(true);
    });
  });

  it("never recycles a buffer allocated before the pass (the root gradient, a parameter)", () => {
    const before = bp.ones([N]);
    inPass(true, (ledger) => {
      ledger.hold(before);
      ledger.release(before);
    });
    expect(wasRecycled(before)).toBe(false);
  });

  it("never recycles a buffer that escaped to user code (a hook, bp.grad's result)", () => {
    inPass(true, (ledger) => {
      const g = bp.ones([N]);
      ledger.hold(g);
      ledger.escape(g.reshape([N, 1]));
      ledger.release(g);
      expect(wasRecycled(g)).toBe(false);
    });
  });

  it("never recycles a buffer a leaf adopted as its .grad", () => {
    inPass(true, (ledger) => {
      const g = bp.ones([N]);
      ledger.hold(g);
      expect(ledger.adopt(g)).toBe(true);
      ledger.release(g);
      expect(wasRecycled(g)).toBe(false);
    });
  });

  it("recycles nothing under createGraph", () => {
    inPass(false, (ledger) => {
      const g = bp.ones([N]);
      ledger.hold(g);
      ledger.release(g);
      expect(wasRecycled(g)).toBe(false);
    });
  });

  it("ignores a gradient it never held, and buffers too small to recycle", () => {
    inPass(true, (ledger) => {
      const never = bp.ones([N]);
      ledger.release(never);
      expect(wasRecycled(never)).toBe(false);
      const small = bp.ones([4]);
      ledger.hold(small);
      ledger.release(small);
      expect(wasRecycled(small)).toBe(false);
    });
  });
});

describe("BufferLedger.adopt", () => {
  it("lets a leaf keep a fresh, whole, contiguous buffer once", () => {
    inPass(true, (ledger) => {
      const g = bp.ones([N]);
      expect(ledger.adopt(g)).toBe(true);
      expect(ledger.adopt(g)).toBe(false); // a second leaf gets a copy
    });
  });

  it("refuses what another tensor may share: an old buffer, an escaped one, a view, a broadcast", () => {
    const old = bp.ones([N]);
    inPass(true, (ledger) => {
      expect(ledger.adopt(old)).toBe(false);
      const seen = bp.ones([N]);
      ledger.escape(seen);
      expect(ledger.adopt(seen)).toBe(false);
      const whole = bp.ones([2, N]);
      expect(ledger.adopt(whole.narrow(0, 1, 1))).toBe(false);
      expect(ledger.adopt(whole.T)).toBe(false);
      expect(ledger.adopt(bp.ones([1, N]).expand([3, N]))).toBe(false);
    });
  });
});

describe("BufferLedger.releaseTemporaries", () => {
  it("recycles what was allocated since the mark except what was returned (or a view of it)", () => {
    inPass(true, (ledger) => {
      const mark = ledger.mark();
      const temp = bp.ones([N]);
      const returned = bp.ones([N]).mul(2);
      const viewOf = bp.ones([N]);
      ledger.releaseTemporaries(mark, [returned, null, viewOf.reshape([16, 16])]);
      const got = [takeRecycled("float32", N, false), takeRecycled("float32", N, false), takeRecycled("float32", N, false)];
      // temp, and the ones() that mul(2) read, are dead; the two returned buffers are not.
      expect(got).toContain(temp.storage);
      expect(got).not.toContain(returned.storage);
      expect(got).not.toContain(viewOf.storage);
      expect(got.filter((b) => b !== null)).toHaveLength(2);
    });
  });

  it("recycles nothing under createGraph (the new graph saves the intermediates)", () => {
    inPass(false, (ledger) => {
      const mark = ledger.mark();
      const temp = bp.ones([N]);
      ledger.releaseTemporaries(mark, []);
      expect(wasRecycled(temp)).toBe(false);
    });
  });
});

describe("BufferLedger.discard", () => {
  it("recycles a gradient added into one already waiting, unless a waiting gradient shares it or it left the pass", () => {
    inPass(true, (ledger) => {
      const added = bp.ones([N]);
      ledger.discard(added);
      expect(wasRecycled(added)).toBe(true);

      const shared = bp.ones([N]); // a VJP result handed to two inputs: one holds it, the other added it in
      ledger.hold(shared);
      ledger.discard(shared);
      expect(wasRecycled(shared)).toBe(false);

      const seen = bp.ones([N]);
      ledger.escape(seen);
      ledger.discard(seen);
      expect(wasRecycled(seen)).toBe(false);
    });
    const before = bp.ones([N]);
    inPass(true, (ledger) => {
      ledger.discard(before);
      expect(wasRecycled(before)).toBe(false);
    });
    inPass(false, (ledger) => {
      const underCreateGraph = bp.ones([N]);
      ledger.discard(underCreateGraph);
      expect(wasRecycled(underCreateGraph)).toBe(false);
    });
  });

  it("discarding the same buffer twice recycles it once", () => {
    inPass(true, (ledger) => {
      const twice = bp.ones([N]);
      ledger.discard(twice);
      ledger.discard(twice.reshape([16, 16]));
      expect(takeRecycled("float32", N, false)).toBe(twice.storage);
      expect(takeRecycled("float32", N, false)).toBe(null);
    });
  });
});

describe("the backward pass recycles a gradient added into one already waiting", () => {
  it("a residual connection's second gradient is reused, and the gradients are those without recycling", () => {
    bp.manualSeed(11);
    const w = bp.randn([64, 64], { requiresGrad: true });
    const x = bp.randn([32, 64]);
    // h reaches the loss twice: its node receives two [32, 64] gradients (8 KB), the second added into the first.
    const residual = () => bp.tidy(() => { const h = x.matmul(w); h.tanh().add(h.sigmoid()).sum().backward(); });
    const was = setRecycling(false);
    residual();
    setRecycling(was);
    const expected = Array.from(w.grad!.data());
    w.grad!.zero_();
    residual();
    expect(Array.from(w.grad!.data())).toEqual(expected);
    // Warm, with .grad zeroed in place and the activations recycled by tidy, a step allocates nothing new
    // of that size: the added-in gradient goes back to the recycler (without discard: 8 KB a step).
    for (let i = 0; i < 2; i++) { w.grad!.zero_(); residual(); }
    const before = bp.memory();
    for (let i = 0; i < 3; i++) { w.grad!.zero_(); residual(); }
    const after = bp.memory();
    const newBytesPerStep = ((after.allocatedBytes - after.reusedBytes) - (before.allocatedBytes - before.reusedBytes)) / 3;
    expect(newBytesPerStep).toBeLessThan(4096);
  });
});
