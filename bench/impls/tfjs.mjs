/** Peer: TensorFlow.js (tfjs-core with its cpu or wasm backend; wasm runs one thread in Node). */
import { register } from "node:module";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";

register("../lib/tfjs-esm-hook.mjs", import.meta.url);
await import("@tensorflow/tfjs-core/dist/register_all_gradients.js");
import { fakeData, fakeLabels, measureRate, memoryCheckpoints } from "../lib/timing.mjs";
import { W1, W2, W4, W6, W7 } from "../lib/workloads.mjs";

export async function setup(backendName) {
  // tfjs-backend-wasm logs a notice about its platform; keep stdout for the JSON result.
  const log = console.log;
  console.log = (...args) => console.error(...args);
  try {
    if (!(await tf.setBackend(backendName))) throw new Error(`tfjs: backend ${backendName} failed to initialise`);
    await tf.ready();
  } finally {
    console.log = log;
  }
}

/** Weights initialised like torch.nn.Linear (uniform ±1/√fanIn), as tf.variables. */
function mlpVariables(sizes) {
  const vars = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const bound = 1 / Math.sqrt(sizes[i]);
    vars.push(tf.variable(tf.tensor2d(fakeData(sizes[i] * sizes[i + 1], 10 + i, bound), [sizes[i], sizes[i + 1]])));
    vars.push(tf.variable(tf.tensor1d(fakeData(sizes[i + 1], 20 + i, bound))));
  }
  return vars;
}

function forward(vars, x, activation) {
  let h = x;
  for (let i = 0; i < vars.length; i += 2) {
    h = tf.add(tf.matMul(h, vars[i]), vars[i + 1]);
    if (i + 2 < vars.length) h = activation(h);
  }
  return h;
}

function trainStep(opt, lossFn) {
  return () => {
    const loss = opt.minimize(lossFn, true);
    const value = loss.dataSync()[0];
    loss.dispose();
    return value;
  };
}

/** W1: a closure that runs one training step and returns the loss. */
export function w1Step() {
  const vars = mlpVariables(W1.sizes);
  const x = tf.tensor2d(fakeData(W1.batch * 8, 1), [W1.batch, 8]);
  const y = tf.tensor2d(fakeData(W1.batch, 2), [W1.batch, 1]);
  const opt = tf.train.sgd(W1.lr);
  return trainStep(opt, () => tf.mean(tf.square(tf.sub(forward(vars, x, tf.sigmoid), y))));
}

/** W2: a closure that runs one training step and returns the loss. */
export function w2Step() {
  const vars = mlpVariables(W2.sizes);
  const x = tf.tensor2d(fakeData(W2.batch * 784, 3), [W2.batch, 784]);
  const onehot = tf.oneHot(tf.tensor1d(fakeLabels(W2.batch, 10, 4), "int32"), 10);
  const opt = tf.train.adam(W2.lr);
  return trainStep(opt, () => tf.losses.softmaxCrossEntropy(onehot, forward(vars, x, tf.relu)));
}

/**
 * W6: the convnet in NHWC (TF.js's only conv layout), weights [kH, kW, in, out].
 * TF.js's wasm backend registers no Conv2DBackpropFilter kernel, so there it throws.
 */
export function w6Step() {
  const [c0, c1, c2] = W6.channels;
  const k = W6.kernel, side = W6.side / 4;
  const convVar = (cin, cout, seed) => tf.variable(tf.tensor4d(fakeData(k * k * cin * cout, seed, 1 / Math.sqrt(cin * k * k)), [k, k, cin, cout]));
  const vars = [
    convVar(c0, c1, 30), tf.variable(tf.zeros([c1])),
    convVar(c1, c2, 31), tf.variable(tf.zeros([c2])),
    tf.variable(tf.tensor2d(fakeData(c2 * side * side * W6.classes, 32, 1 / Math.sqrt(c2 * side * side)), [c2 * side * side, W6.classes])),
    tf.variable(tf.zeros([W6.classes])),
  ];
  const x = tf.tensor4d(fakeData(W6.batch * W6.side * W6.side, 7), [W6.batch, W6.side, W6.side, 1]);
  const onehot = tf.oneHot(tf.tensor1d(fakeLabels(W6.batch, W6.classes, 8), "int32"), W6.classes);
  const opt = tf.train.adam(W6.lr);
  const block = (h, w, b) => tf.maxPool(tf.relu(tf.add(tf.conv2d(h, w, 1, W6.padding), b)), 2, 2, "valid");
  const step = trainStep(opt, () => {
    const h = block(block(x, vars[0], vars[1]), vars[2], vars[3]);
    const logits = tf.add(tf.matMul(tf.reshape(h, [W6.batch, -1]), vars[4]), vars[5]);
    return tf.losses.softmaxCrossEntropy(onehot, logits);
  });
  step(); // fails here, at setup, where a backend lacks a kernel
  return step;
}

/**
 * W7: the character transformer written with tfjs-core ops (TF.js has no
 * attention or layer-norm layer in core): the token embedding as one-hot ·
 * table (gather's gradient needs UnsortedSegmentSum, which the wasm backend
 * does not register; the product is the same lookup), LayerNorm by
 * moments, attention by batched matMul, softmax and a constant causal mask,
 * exact GELU by erf. TF.js has no AdamW: Adam, then the decoupled weight
 * decay p ← p·(1 − lr·wd) on every variable, as torch.optim.AdamW does.
 */
export function w7Step() {
  const { vocab, context: T, batch: B, embed: E, heads: H, ff, layers } = W7;
  const D = E / H;
  let seed = 50;
  const matrix = (rows, cols) => tf.variable(tf.tensor2d(fakeData(rows * cols, seed++, 1 / Math.sqrt(rows)), [rows, cols]));
  const zeros = (n) => tf.variable(tf.zeros([n]));
  const ones = (n) => tf.variable(tf.ones([n]));
  const tok = tf.variable(tf.tensor2d(fakeData(vocab * E, seed++), [vocab, E]));
  const pos = tf.variable(tf.tensor2d(fakeData(T * E, seed++), [T, E]));
  const blocks = Array.from({ length: layers }, () => ({
    g1: ones(E), b1: zeros(E), wq: matrix(E, E), bq: zeros(E), wk: matrix(E, E), bk: zeros(E), wv: matrix(E, E), bv: zeros(E),
    wo: matrix(E, E), bo: zeros(E), g2: ones(E), b2: zeros(E), w1: matrix(E, ff), c1: zeros(ff), w2: matrix(ff, E), c2: zeros(E),
  }));
  const gf = ones(E), bf = zeros(E), wh = matrix(E, vocab), bh = zeros(vocab);
  const decayed = [tok, pos, gf, bf, wh, bh, ...blocks.flatMap((b) => Object.values(b))];
  const inputs = tf.cast(tf.oneHot(tf.tensor1d(fakeLabels(B * T, vocab, 40), "int32"), vocab), "float32");
  const onehot = tf.oneHot(tf.tensor1d(fakeLabels(B * T, vocab, 41), "int32"), vocab);
  // −1e9 above the diagonal: position t attends to positions ≤ t.
  const causal = tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([T, T]), -1, 0)), -1e9);
  const layerNorm = (x, g, b) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), g), b);
  };
  const linear = (x, w, b) => tf.add(tf.matMul(x, w), b);
  const heads = (x) => tf.transpose(tf.reshape(x, [B, T, H, D]), [0, 2, 1, 3]); // [B·T, E] → [B, H, T, D]
  const gelu = (x) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
  const opt = tf.train.adam(W7.lr);
  const minimize = trainStep(opt, () => {
    let x = tf.add(tf.reshape(tf.matMul(inputs, tok), [B, T, E]), pos); // [B, T, E]
    x = tf.reshape(x, [B * T, E]);
    for (const p of blocks) {
      const h = layerNorm(x, p.g1, p.b1);
      const q = heads(linear(h, p.wq, p.bq)), k = heads(linear(h, p.wk, p.bk)), v = heads(linear(h, p.wv, p.bv));
      const weights = tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(D)), causal));
      const attended = tf.reshape(tf.transpose(tf.matMul(weights, v), [0, 2, 1, 3]), [B * T, E]);
      x = tf.add(x, linear(attended, p.wo, p.bo));
      x = tf.add(x, linear(gelu(linear(layerNorm(x, p.g2, p.b2), p.w1, p.c1)), p.w2, p.c2));
    }
    return tf.losses.softmaxCrossEntropy(onehot, linear(layerNorm(x, gf, bf), wh, bh));
  });
  const step = () => {
    const loss = minimize();
    tf.tidy(() => { for (const w of decayed) w.assign(tf.mul(w, 1 - W7.lr * W7.weightDecay)); });
    return loss;
  };
  step(); // fails here, at setup, where a backend lacks a kernel
  return step;
}

/** W3: one n×n float32 product per call (one thread: TF.js wasm runs one in Node). */
export function gemm(n, threads) {
  if (threads !== 1) throw new Error("tfjs: one thread only in Node");
  const a = tf.tensor2d(fakeData(n * n, 5), [n, n]);
  const b = tf.tensor2d(fakeData(n * n, 6), [n, n]);
  return () => { const c = tf.matMul(a, b); c.dataSync(); c.dispose(); };
}

export function w4(size = 1) {
  const x = tf.ones([size]);
  const chain = (v) => {
    let y = v;
    for (let i = 0; i < W4.chain; i += 2) y = tf.add(tf.mul(y, 1.0001), 0.0001);
    return tf.sum(y);
  };
  const g = tf.grad(chain);
  const r = measureRate(() => { tf.tidy(() => g(x).dataSync()); }, { repMs: 300 });
  const usPerOp = (rate) => 1e6 / rate / W4.chain;
  return { median: usPerOp(r.median), samples: r.samples.map(usPerOp), unit: "µs/op" };
}

export function w5(checkpoints) {
  return memoryCheckpoints(w2Step(), checkpoints, () => tf.memory().numBytes);
}
