/**
 * fusedAttentionHeads (src/ops/fused-attention.ts): attention on heads packed
 * in the last dim, as MultiheadAttention's projections hold them. Held to
 * the path it replaced (split into [N, H, ·, D] views, fusedAttention, merge
 * back) bit for bit, output and gradients, on every backend with and
 * without forced kernels, for q, k and v narrowed out of one packed
 * projection (strided rows) and for separate tensors of other lengths and
 * value widths; fusedSelfAttentionHeads (all three in one projection, one
 * gradient) against the three-slice op; gradcheck and gradgradcheck in float64.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";
import {
  canFuseAttentionHeads, canFuseSelfAttentionHeads, fusedAttention, fusedAttentionHeads, fusedSelfAttentionHeads,
} from "../../src/ops/fused-attention.js";
import { Node } from "../../src/graph/node.js";
import { BACKEND_MODES, enterMode, leaveMode } from "../backends.js";

type FloatDType = "float32" | "float64";

function randn(shape: number[], seed: number, dtype: FloatDType): bp.Tensor {
  return bp.randn(shape, { generator: new bp.Generator(seed), dtype });
}

function leaf(t: bp.Tensor): bp.Tensor {
  t.requiresGrad = true;
  return t;
}

/** The reference: split into [N, H, len, D] views, the fused core, merged back to [N, L, H·Dv]. */
function splitMerge(q: bp.Tensor, k: bp.Tensor, v: bp.Tensor, heads: number, scale: number, causal: boolean): bp.Tensor {
  const split = (t: bp.Tensor) => t.reshape([t.shape[0], t.shape[1], heads, t.shape[2] / heads]).transpose(1, 2);
  const out = fusedAttention(split(q), split(k), split(v), scale, causal);
  return out.transpose(1, 2).reshape([q.shape[0], q.shape[1], v.shape[2]]);
}

interface Case {
  name: string;
  heads: number;
  /** The leaves, and q, k, v built from them (narrowed views where they share one tensor). */
  leaves: (dtype: FloatDType) => bp.Tensor[];
  qkv: (leaves: bp.Tensor[]) => [bp.Tensor, bp.Tensor, bp.Tensor];
}

const CASES: Case[] = [
  {
    name: "self-attention narrowed out of one packed projection [2, 5, 3·8], 2 heads",
    heads: 2,
    leaves: (dtype) => [randn([2, 5, 24], 1, dtype)],
    qkv: ([p]) => [p.narrow(-1, 0, 8), p.narrow(-1, 8, 8), p.narrow(-1, 16, 8)],
  },
  {
    name: "cross-attention: q [3, 4, 12], k [3, 6, 12], v [3, 6, 9], 3 heads (D 4, Dv 3)",
    heads: 3,
    leaves: (dtype) => [randn([3, 4, 12], 2, dtype), randn([3, 6, 12], 3, dtype), randn([3, 6, 9], 4, dtype)],
    qkv: ([q, k, v]) => [q, k, v],
  },
  {
    name: "one head, one query, k and v narrowed out of one tensor",
    heads: 1,
    leaves: (dtype) => [randn([2, 1, 4], 5, dtype), randn([2, 3, 8], 6, dtype)],
    qkv: ([q, kv]) => [q, kv.narrow(-1, 0, 4), kv.narrow(-1, 4, 4)],
  },
];

describe.each(BACKEND_MODES)("attention on packed heads on %s", (mode) => {
  beforeAll(async () => { await enterMode(mode); });
  afterAll(async () => { await leaveMode(); });

  for (const dtype of ["float32", "float64"] as const) {
    for (const c of CASES) {
      for (const causal of [false, true]) {
        it(`${dtype}, ${c.name}${causal ? ", causal" : ""}: the split-and-merge path's bits, forward and backward`, () => {
          const scale = 0.37;
          const run = (fused: boolean) => {
            const leaves = c.leaves(dtype).map(leaf);
            const [q, k, v] = c.qkv(leaves);
            expect(canFuseAttentionHeads(q, k, v, c.heads)).toBe(true);
            const out = fused ? fusedAttentionHeads(q, k, v, c.heads, scale, causal) : splitMerge(q, k, v, c.heads, scale, causal);
            out.mul(randn([...out.shape], 9, dtype)).sum().backward();
            return [out.detach(), ...leaves.map((l) => l.grad!)];
          };
          const got = run(true), want = run(false);
          expect(got[0].shape).toEqual(want[0].shape);
          got.forEach((t, i) => expect(Array.from(t.data()), i === 0 ? "output" : `gradient ${i - 1}`).toEqual(Array.from(want[i].data())));
        });
      }
    }
  }
});

describe.each(BACKEND_MODES)("self-attention on one packed projection on %s", (mode) => {
  beforeAll(async () => { await enterMode(mode); });
  afterAll(async () => { await leaveMode(); });

  for (const dtype of ["float32", "float64"] as const) {
    for (const causal of [false, true]) {
      it(`${dtype}, qkv [2, 6, 3·12], 4 heads${causal ? ", causal" : ""}: the three-slice op's bits, output and gradient`, () => {
        const run = (packed: boolean) => {
          const qkv = leaf(randn([2, 6, 36], 21, dtype));
          expect(canFuseSelfAttentionHeads(qkv, 4)).toBe(true);
          const [q, k, v] = [0, 1, 2].map((i) => qkv.narrow(-1, i * 12, 12));
          const out = packed ? fusedSelfAttentionHeads(qkv, 4, 0.3, causal) : fusedAttentionHeads(q, k, v, 4, 0.3, causal);
          out.mul(randn([...out.shape], 22, dtype)).sum().backward();
          return [out.detach(), qkv.grad!];
        };
        const got = run(true), want = run(false);
        expect(Array.from(got[0].data()), "output").toEqual(Array.from(want[0].data()));
        expect(Array.from(got[1].data()), "gradient").toEqual(Array.from(want[1].data()));
      });
    }
  }
});

describe("attention on packed heads: gradients", () => {
  for (const causal of [false, true]) {
    it(`gradcheck and gradgradcheck (float64), self-attention on one packed projection${causal ? ", causal" : ""}`, () => {
      const qkv = leaf(randn([2, 3, 12], 31, "float64"));
      const fn = (x: bp.Tensor) => fusedSelfAttentionHeads(x, 2, 0.5, causal);
      expect(bp.gradcheck(fn, [qkv])).toBe(true);
      expect(bp.gradgradcheck(fn, [qkv])).toBe(true);
    });
  }


  for (const c of CASES) {
    for (const causal of [false, true]) {
      it(`gradcheck and gradgradcheck (float64), ${c.name}${causal ? ", causal" : ""}`, () => {
        const leaves = c.leaves("float64").map(leaf);
        const fn = (...xs: bp.Tensor[]) => {
          const [q, k, v] = c.qkv(xs);
          return fusedAttentionHeads(q, k, v, c.heads, 0.5, causal);
        };
        expect(bp.gradcheck(fn, leaves)).toBe(true);
        expect(bp.gradgradcheck(fn, leaves)).toBe(true);
      });
    }
  }
});

describe("MultiheadAttention runs the packed-heads op", () => {
  it("self-attention without masks: one attention node fed straight from the projection's slices", () => {
    const mha = new bp.nn.MultiheadAttention(8, 2, { batchFirst: true, dropout: 0 });
    const x = randn([2, 5, 8], 11, "float32");
    const [out] = mha.forward(x, x, x, { needWeights: false });
    // out_proj's linear takes the attention output directly: no transpose or reshape in between.
    const linearNode = out.gradFn!;
    const names = (linearNode as Node).next.map((e) => (e === null || e instanceof bp.Tensor ? null : e.name));
    expect(names).toContain("attention");
    // …whose one input is the packed q‖k‖v projection (a linear), not three slices of it.
    const attention = (linearNode as Node).next.find((e): e is Node => e instanceof Node && e.name === "attention")!;
    expect(attention.next.map((e) => (e instanceof Node ? e.name : null))).toEqual(["linear"]);
  });
});
