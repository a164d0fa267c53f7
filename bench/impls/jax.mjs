/**
 * Peer: jax-js on its WebAssembly device, "jit" (the whole training step
 * compiled with jit) or "eager" (op by op). jax-js frees arrays by
 * reference counting: every argument is consumed, `.ref` keeps a handle.
 */
import { numpy as np, nn, lax, jit, valueAndGrad, grad, tree, init, defaultDevice } from "@jax-js/jax";
import { fakeData, fakeLabels, measureRate, memoryCheckpoints } from "../lib/timing.mjs";
import { W1, W2, W4, W6, W7 } from "../lib/workloads.mjs";

let useJit = true;

export async function setup(variant) {
  await init("wasm");
  defaultDevice("wasm");
  useJit = variant === "jit";
}

function mlpParams(sizes) {
  const params = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const bound = 1 / Math.sqrt(sizes[i]);
    params.push({
      w: np.array(fakeData(sizes[i] * sizes[i + 1], 10 + i, bound)).reshape([sizes[i], sizes[i + 1]]),
      b: np.array(fakeData(sizes[i + 1], 20 + i, bound)),
    });
  }
  return params;
}

function forward(params, x, activation) {
  let h = x;
  params.forEach((p, i) => {
    h = np.matmul(h, p.w).add(p.b);
    if (i + 1 < params.length) h = activation(h);
  });
  return h;
}

function mseLoss(params, x, y) {
  return np.mean(np.square(forward(params, x, nn.sigmoid).sub(y)));
}

function crossEntropy(params, x, onehot) {
  const logp = nn.logSoftmax(forward(params, x, nn.relu), -1);
  return np.mean(np.sum(logp.mul(onehot), -1)).mul(-1);
}

function sgdStep(lossFn, lr) {
  return (params, x, y) => {
    const [loss, grads] = valueAndGrad(lossFn)(tree.ref(params), x, y);
    return [tree.map((p, g) => p.sub(g.mul(lr)), params, grads), loss];
  };
}

/** Adam as torch.optim.Adam computes it (bias corrections folded into the step size). */
function adamStep(lossFn, lr, b1 = 0.9, b2 = 0.999, eps = 1e-8) {
  return (params, m, v, t, x, y) => {
    const [loss, grads] = valueAndGrad(lossFn)(tree.ref(params), x, y);
    const m2 = tree.map((mi, g) => mi.mul(b1).add(g.mul(1 - b1)), m, tree.ref(grads));
    const v2 = tree.map((vi, g) => vi.mul(b2).add(g.ref.mul(g).mul(1 - b2)), v, grads);
    const bc1 = np.exp(t.ref.mul(Math.log(b1))).mul(-1).add(1); // 1 − b1^t
    const bc2 = np.exp(t.mul(Math.log(b2))).mul(-1).add(1);
    const params2 = tree.map(
      (p, mi, vi) => p.sub(mi.div(bc1.ref).mul(lr).div(np.sqrt(vi.div(bc2.ref)).add(eps))),
      params, tree.ref(m2), tree.ref(v2),
    );
    bc1.dispose(); bc2.dispose();
    return [params2, m2, v2, loss];
  };
}

/** W1: a closure that runs one training step and returns the loss. */
export function w1Step() {
  let params = mlpParams(W1.sizes);
  const x = np.array(fakeData(W1.batch * 8, 1)).reshape([W1.batch, 8]);
  const y = np.array(fakeData(W1.batch, 2)).reshape([W1.batch, 1]);
  const step = useJit ? jit(sgdStep(mseLoss, W1.lr)) : sgdStep(mseLoss, W1.lr);
  return () => {
    const [next, loss] = step(params, x.ref, y.ref);
    params = next;
    return loss.dataSync()[0];
  };
}

/** W2: a closure that runs one training step and returns the loss. */
export function w2Step() {
  let params = mlpParams(W2.sizes);
  let m = tree.map((p) => np.zerosLike(p), tree.ref(params));
  let v = tree.map((p) => np.zerosLike(p), tree.ref(params));
  const x = np.array(fakeData(W2.batch * 784, 3)).reshape([W2.batch, 784]);
  const onehot = nn.oneHot(np.array(fakeLabels(W2.batch, 10, 4), { dtype: np.int32 }), 10);
  const step = useJit ? jit(adamStep(crossEntropy, W2.lr)) : adamStep(crossEntropy, W2.lr);
  let t = 0;
  return () => {
    t++;
    const [p2, m2, v2, loss] = step(params, m, v, np.array(new Float32Array([t])), x.ref, onehot.ref);
    params = p2; m = m2; v = v2;
    return loss.dataSync()[0];
  };
}

/** W6: the convnet (NCHW, lax.conv and a reduceWindow max pool), Adam, jit-compiled. */
export function w6Step() {
  const [c0, c1, c2] = W6.channels;
  const k = W6.kernel, side = W6.side / 4, p = W6.padding;
  let params = [
    { w: np.array(fakeData(c1 * c0 * k * k, 30, 1 / Math.sqrt(c0 * k * k))).reshape([c1, c0, k, k]), b: np.zeros([1, c1, 1, 1]) },
    { w: np.array(fakeData(c2 * c1 * k * k, 31, 1 / Math.sqrt(c1 * k * k))).reshape([c2, c1, k, k]), b: np.zeros([1, c2, 1, 1]) },
    { w: np.array(fakeData(c2 * side * side * W6.classes, 32, 1 / Math.sqrt(c2 * side * side))).reshape([c2 * side * side, W6.classes]), b: np.zeros([W6.classes]) },
  ];
  let m = tree.map((q) => np.zerosLike(q), tree.ref(params));
  let v = tree.map((q) => np.zerosLike(q), tree.ref(params));
  const x = np.array(fakeData(W6.batch * W6.side * W6.side, 7)).reshape([W6.batch, 1, W6.side, W6.side]);
  const onehot = nn.oneHot(np.array(fakeLabels(W6.batch, W6.classes, 8), { dtype: np.int32 }), W6.classes);
  const block = (h, q) => lax.reduceWindow(nn.relu(lax.conv(h, q.w, [1, 1], [[p, p], [p, p]]).add(q.b)), (w) => np.max(w), [1, 1, 2, 2], [1, 1, 2, 2]);
  const loss = (ps, xs, ys) => {
    const h = block(block(xs, ps[0]), ps[1]).reshape([W6.batch, -1]);
    const logp = nn.logSoftmax(np.matmul(h, ps[2].w).add(ps[2].b), -1);
    return np.mean(np.sum(logp.mul(ys), -1)).mul(-1);
  };
  const step = useJit ? jit(adamStep(loss, W6.lr)) : adamStep(loss, W6.lr);
  let t = 0;
  const run = () => {
    t++;
    const [p2, m2, v2, l] = step(params, m, v, np.array(new Float32Array([t])), x.ref, onehot.ref);
    params = p2; m = m2; v = v2;
    return l.dataSync()[0];
  };
  // Fails here, at setup, where jax-js cannot express or differentiate a piece.
  const t0 = performance.now();
  run();
  const firstS = (performance.now() - t0) / 1000;
  if (firstS > 30) throw new Error(`jax-js: the first jit-compiled W6 step took ${firstS.toFixed(0)} s; not timed further`);
  return run;
}

/**
 * W7: the character transformer (token embedding as one-hot · table, layer
 * norm by mean and variance, attention by batched matmul, softmax and a
 * constant causal mask (nn.dotProductAttention needs Node 22's iterator
 * helpers), exact
 * GELU), jit-compiled; Adam with the decoupled weight decay of AdamW on every
 * parameter, as torch.optim.AdamW does.
 */
export function w7Step() {
  const { vocab, context: T, batch: B, embed: E, heads: H, ff, layers } = W7;
  const D = E / H;
  let seed = 50;
  const matrix = (rows, cols) => np.array(fakeData(rows * cols, seed++, 1 / Math.sqrt(rows))).reshape([rows, cols]);
  let params = {
    tok: np.array(fakeData(vocab * E, seed++)).reshape([vocab, E]),
    pos: np.array(fakeData(T * E, seed++)).reshape([T, E]),
    blocks: Array.from({ length: layers }, () => ({
      g1: np.ones([E]), b1: np.zeros([E]), wq: matrix(E, E), bq: np.zeros([E]), wk: matrix(E, E), bk: np.zeros([E]),
      wv: matrix(E, E), bv: np.zeros([E]), wo: matrix(E, E), bo: np.zeros([E]),
      g2: np.ones([E]), b2: np.zeros([E]), w1: matrix(E, ff), c1: np.zeros([ff]), w2: matrix(ff, E), c2: np.zeros([E]),
    })),
    gf: np.ones([E]), bf: np.zeros([E]), wh: matrix(E, vocab), bh: np.zeros([vocab]),
  };
  let m = tree.map((q) => np.zerosLike(q), tree.ref(params));
  let v = tree.map((q) => np.zerosLike(q), tree.ref(params));
  const inputs = nn.oneHot(np.array(fakeLabels(B * T, vocab, 40), { dtype: np.int32 }), vocab);
  const onehot = nn.oneHot(np.array(fakeLabels(B * T, vocab, 41), { dtype: np.int32 }), vocab);
  // Every use of an array consumes it: `.ref` where one is used twice.
  const layerNorm = (x, g, b) => {
    const c = x.ref.sub(np.mean(x, -1, { keepdims: true }));
    const variance = np.mean(np.square(c.ref), -1, { keepdims: true });
    return c.div(np.sqrt(variance.add(1e-5))).mul(g).add(b);
  };
  const linear = (x, w, b) => np.matmul(x, w).add(b);
  const heads = (x) => x.reshape([B, T, H, D]).transpose([0, 2, 1, 3]); // [B, H, T, D]
  // −1e9 above the diagonal: position t attends to positions ≤ t.
  const causal = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) causal[i * T + j] = -1e9;
  const loss = (ps, xs, ys) => {
    let x = np.matmul(xs, ps.tok).reshape([B, T, E]).add(ps.pos).reshape([B * T, E]);
    for (const p of ps.blocks) {
      const h = layerNorm(x.ref, p.g1, p.b1);
      const q = heads(linear(h.ref, p.wq, p.bq)), k = heads(linear(h.ref, p.wk, p.bk)), val = heads(linear(h, p.wv, p.bv));
      const scores = np.matmul(q, k.transpose([0, 1, 3, 2])).mul(1 / Math.sqrt(D)).add(np.array(causal).reshape([T, T]));
      const attended = np.matmul(nn.softmax(scores, -1), val).transpose([0, 2, 1, 3]).reshape([B * T, E]);
      x = x.add(linear(attended, p.wo, p.bo));
      x = x.ref.add(linear(nn.gelu(linear(layerNorm(x, p.g2, p.b2), p.w1, p.c1), { approximate: false }), p.w2, p.c2));
    }
    const logp = nn.logSoftmax(linear(layerNorm(x, ps.gf, ps.bf), ps.wh, ps.bh), -1);
    return np.mean(np.sum(logp.mul(ys), -1)).mul(-1);
  };
  const adam = adamStep(loss, W7.lr);
  const adamW = (ps, ms, vs, t, xs, ys) => adam(tree.map((q) => q.mul(1 - W7.lr * W7.weightDecay), ps), ms, vs, t, xs, ys);
  const step = useJit ? jit(adamW) : adamW;
  let t = 0;
  const run = () => {
    t++;
    const [p2, m2, v2, l] = step(params, m, v, np.array(new Float32Array([t])), inputs.ref, onehot.ref);
    params = p2; m = m2; v = v2;
    return l.dataSync()[0];
  };
  // Fails here, at setup, where jax-js cannot express or differentiate a piece.
  const t0 = performance.now();
  run();
  const firstS = (performance.now() - t0) / 1000;
  if (firstS > 30) throw new Error(`jax-js: the first jit-compiled W7 step took ${firstS.toFixed(0)} s; not timed further`);
  return run;
}

/** W3: one n×n float32 product per call, jit-compiled (one thread in Node). */
export function gemm(n, threads) {
  if (threads !== 1) throw new Error("jax: one thread only in Node");
  const a = np.array(fakeData(n * n, 5)).reshape([n, n]);
  const b = np.array(fakeData(n * n, 6)).reshape([n, n]);
  const mm = jit((x, y) => np.matmul(x, y));
  return () => mm(a.ref, b.ref).dataSync();
}

/**
 * W4 is an eager-overhead test: the chain runs op by op (jit would fuse it
 * away). jax-js's backward recurses per op, so a 10,000-op chain overflows
 * the stack; then the chain is shortened and the result says so.
 */
export function w4(size = 1) {
  for (const length of [W4.chain, 2000, 500]) {
    const chain = (v) => {
      let y = v;
      for (let i = 0; i < length; i += 2) y = y.mul(1.0001).add(0.0001);
      return np.sum(y);
    };
    const g = grad(chain);
    try {
      g(np.array(new Float32Array(size).fill(1))).dataSync();
    } catch (err) {
      if (err instanceof RangeError) continue;
      throw err;
    }
    const r = measureRate(() => g(np.array(new Float32Array(size).fill(1))).dataSync(), { repMs: 300 });
    const usPerOp = (rate) => 1e6 / rate / length;
    const note = length === W4.chain ? undefined : `chain of ${length}: ${W4.chain} overflows jax-js's recursive backward`;
    return { median: usPerOp(r.median), samples: r.samples.map(usPerOp), unit: "µs/op", note };
  }
  throw new Error("jax: even a 500-op chain overflows the stack");
}

export function w5(checkpoints) {
  return memoryCheckpoints(w2Step(), checkpoints, () => null);
}
