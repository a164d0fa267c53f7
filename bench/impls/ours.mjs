/** backprop itself (the built dist/), on the backend named by the case. */
import * as bp from "../../dist/index.js";
import { backend as currentBackend } from "../../dist/backend/registry.js";
import { fakeData, fakeLabels, measureRate, memoryCheckpoints } from "../lib/timing.mjs";
import { W1, W2, W4, W6, W7 } from "../lib/workloads.mjs";
import { w6Convnet } from "../lib/w6-model.mjs";
import { w7Lstm, w7Transformer } from "../lib/w7-models.mjs";

export async function setup(backendName) {
  await bp.setBackend(backendName);
}

/**
 * A training step as the README writes it: inside bp.tidy, so that the
 * activations it does not return are recycled for the next step (what
 * tf.tidy inside TF.js's optimizer.minimize and jax-js's explicit
 * disposal do for the peers).
 */
function tidied(step) {
  // bench/compare-builds.mjs runs this file against older builds too, which have no bp.tidy.
  if (typeof bp.tidy !== "function") return step;
  return () => bp.tidy(step);
}

function mlp(sizes, Activation) {
  const layers = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(new bp.nn.Linear(sizes[i], sizes[i + 1]));
    if (i + 2 < sizes.length) layers.push(new Activation());
  }
  return new bp.nn.Sequential(...layers);
}

/** One training step function for W1 (returns the loss as a number). */
/** W1: a closure that runs one training step and returns the loss. */
export function w1Step() {
  bp.manualSeed(0);
  const model = mlp(W1.sizes, bp.nn.Sigmoid);
  const x = bp.tensor(fakeData(W1.batch * 8, 1)).reshape([W1.batch, 8]);
  const y = bp.tensor(fakeData(W1.batch, 2)).reshape([W1.batch, 1]);
  const opt = new bp.optim.SGD(model.parameters(), { lr: W1.lr });
  return tidied(() => {
    opt.zeroGrad();
    const loss = bp.F.mseLoss(model.forward(x), y);
    loss.backward();
    opt.step();
    return loss.item();
  });
}

/** W2: a closure that runs one training step and returns the loss; `setToNone` is passed to zeroGrad (undefined: the build's default; false: bench/compare-builds.mjs's W2z). */
export function w2Step(setToNone = undefined) {
  bp.manualSeed(0);
  const model = mlp(W2.sizes, bp.nn.ReLU);
  const x = bp.tensor(fakeData(W2.batch * 784, 3)).reshape([W2.batch, 784]);
  const labels = bp.tensor(fakeLabels(W2.batch, 10, 4), { dtype: "int32" });
  const opt = new bp.optim.Adam(model.parameters(), { lr: W2.lr });
  return tidied(() => {
    opt.zeroGrad(setToNone);
    const loss = bp.F.crossEntropy(model.forward(x), labels);
    loss.backward();
    opt.step();
    return loss.item();
  });
}

/** W6: a closure that runs one convnet training step and returns the loss. */
export function w6Step() {
  bp.manualSeed(0);
  const model = w6Convnet(bp);
  const x = bp.tensor(fakeData(W6.batch * W6.side * W6.side, 7)).reshape([W6.batch, 1, W6.side, W6.side]);
  const labels = bp.tensor(fakeLabels(W6.batch, W6.classes, 8), { dtype: "int32" });
  const opt = new bp.optim.Adam(model.parameters(), { lr: W6.lr });
  return tidied(() => {
    opt.zeroGrad();
    const loss = bp.F.crossEntropy(model.forward(x), labels);
    loss.backward();
    opt.step();
    return loss.item();
  });
}

/** W7's random tokens and next-token targets, [batch, context] int32. */
function w7Data() {
  const shape = [W7.batch, W7.context];
  return [
    bp.tensor(fakeLabels(W7.batch * W7.context, W7.vocab, 40), { dtype: "int32" }).reshape(shape),
    bp.tensor(fakeLabels(W7.batch * W7.context, W7.vocab, 41), { dtype: "int32" }).reshape([-1]),
  ];
}

function w7Train(model, forward) {
  const [tokens, targets] = w7Data();
  const opt = new bp.optim.AdamW(model.parameters(), { lr: W7.lr, weightDecay: W7.weightDecay });
  return tidied(() => {
    opt.zeroGrad();
    const loss = bp.F.crossEntropy(forward(tokens).reshape([-1, W7.vocab]), targets);
    loss.backward();
    opt.step();
    return loss.item();
  });
}

/** W7: a closure that runs one character-transformer training step and returns the loss. */
export function w7Step() {
  bp.manualSeed(0);
  const { model, forward } = w7Transformer(bp);
  return w7Train(model, forward);
}

/** W7L: a closure that runs one character-LSTM training step (hidden W7.lstmHidden) and returns the loss. */
export function w7lStep() {
  bp.manualSeed(0);
  const { model, forward } = w7Lstm(bp);
  return w7Train(model, forward);
}

/** Sets the thread count of large matmuls and waits until that many threads can run. */
export async function useThreads(threads) {
  bp.setNumThreads(threads);
  if (currentBackend.threadsReady) {
    const got = await currentBackend.threadsReady();
    if (got !== threads) throw new Error(`wanted ${threads} threads, ${got} available`);
  }
}

/** W3: one n×n float32 product per call, on `threads` threads. */
export async function gemm(n, threads) {
  await useThreads(threads);
  const a = bp.tensor(fakeData(n * n, 5)).reshape([n, n]);
  const b = bp.tensor(fakeData(n * n, 6)).reshape([n, n]);
  return () => bp.matmul(a, b);
}

/** W4: a chain of `W4.chain` alternating add/mul on a `size`-element tensor, forward and backward. */
export function w4(size = 1) {
  const x = bp.ones([size], { requiresGrad: true });
  const r = measureRate(() => {
    let y = x;
    for (let i = 0; i < W4.chain; i += 2) y = y.mul(1.0001).add(0.0001);
    y.sum().backward();
    x.grad = null;
  }, { repMs: 300 });
  const usPerOp = (rate) => 1e6 / rate / W4.chain;
  return { median: usPerOp(r.median), samples: r.samples.map(usPerOp), unit: "µs/op" };
}

/** W5: memory after W2 training steps (RSS of this process, the backend's pooled bytes). */
export function w5(checkpoints) {
  return memoryCheckpoints(w2Step(), checkpoints, () => bp.memory().pooledBytes, () => bp.memory().liveBytes);
}
