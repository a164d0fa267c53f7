/**
 * The lecture in one screen.
 *
 *   h1 = σ(x·W1 + b1)      h2 = σ(h1·W2 + b2)      ŷ = h2·W3 + b3
 *   L  = Σᵢ ‖yᵢ − ŷᵢ‖²     W ← W − η ∇W L
 *
 * 1. the gradients by hand with the chain rule, each upstream factor computed
 *    once and reused for the layer below;
 * 2. the same gradients from loss.backward();
 * 3. "without backprop": every gradient by finite differences, one parameter
 *    at a time, and what that costs as the network grows;
 * 4. training by the update rule.
 *
 * Run: npm run example:seed
 */
import * as bp from "backpropagation";

type Tensor = bp.Tensor;
export const PARAM_NAMES = ["W1", "b1", "W2", "b2", "W3", "b3"] as const;
export type Params = Record<(typeof PARAM_NAMES)[number], Tensor>;

/** Weights like the lecture's: x·W with W of shape [in, out]. */
export function initParams(sizes: readonly number[], gen: bp.Generator, dtype: bp.DType = "float64"): Params {
  const [nIn, h1, h2, nOut] = sizes;
  const layer = (fanIn: number, fanOut: number) => {
    const bound = 1 / Math.sqrt(fanIn);
    const w = bp.rand([fanIn, fanOut], { dtype, generator: gen }).mul(2 * bound).sub(bound).detach();
    const b = bp.rand([fanOut], { dtype, generator: gen }).mul(2 * bound).sub(bound).detach();
    w.requiresGrad = true;
    b.requiresGrad = true;
    return [w, b];
  };
  const [W1, b1] = layer(nIn, h1);
  const [W2, b2] = layer(h1, h2);
  const [W3, b3] = layer(h2, nOut);
  return { W1, b1, W2, b2, W3, b3 };
}

/** The forward pass: the lecture's three equations. */
export function forward(p: Params, x: Tensor) {
  const h1 = x.matmul(p.W1).add(p.b1).sigmoid();
  const h2 = h1.matmul(p.W2).add(p.b2).sigmoid();
  const yHat = h2.matmul(p.W3).add(p.b3);
  return { h1, h2, yHat };
}

/** L = Σᵢ ‖yᵢ − ŷᵢ‖² */
export function lossOf(y: Tensor, yHat: Tensor): Tensor {
  return y.sub(yHat).square().sum();
}

/** The chain rule by hand, backwards, in plain tensor arithmetic (no autograd). */
export function handGradients(p: Params, x: Tensor, y: Tensor): Params {
  return bp.noGrad(() => {
    const { h1, h2, yHat } = forward(p, x);
    const dYHat = yHat.sub(y).mul(2); //                    ∂L/∂ŷ
    const dW3 = h2.T.matmul(dYHat); //                      ∂L/∂ŷ · ∂ŷ/∂W3
    const db3 = dYHat.sum(0);
    const dZ2 = dYHat.matmul(p.W3.T).mul(h2.mul(h2.neg().add(1))); // ∂L/∂ŷ · ∂ŷ/∂h2 · σ'   (reused below)
    const dW2 = h1.T.matmul(dZ2); //                        … · ∂h2/∂W2
    const db2 = dZ2.sum(0);
    const dZ1 = dZ2.matmul(p.W2.T).mul(h1.mul(h1.neg().add(1))); // … · ∂h2/∂h1 · σ'
    const dW1 = x.T.matmul(dZ1); //                         … · ∂h1/∂W1
    const db1 = dZ1.sum(0);
    return { W1: dW1, b1: db1, W2: dW2, b2: db2, W3: dW3, b3: db3 };
  });
}

/** The same gradients from one forward and one backward pass. */
export function autogradGradients(p: Params, x: Tensor, y: Tensor): Params {
  for (const name of PARAM_NAMES) p[name].grad = null;
  lossOf(y, forward(p, x).yHat).backward();
  return Object.fromEntries(PARAM_NAMES.map((n) => [n, p[n].grad!])) as Params;
}

/** "Without backprop": ∂L/∂θ ≈ (L(θ+ε) − L(θ−ε)) / 2ε for every single parameter. */
export function finiteDifferenceGradients(p: Params, x: Tensor, y: Tensor, eps = 1e-6): { grads: Params; forwardPasses: number } {
  let forwardPasses = 0;
  const loss = () => { forwardPasses++; return lossOf(y, forward(p, x).yHat).item(); };
  const grads = bp.noGrad(() =>
    Object.fromEntries(PARAM_NAMES.map((name) => {
      const s = p[name].storage;
      const g = new Float64Array(s.length);
      for (let j = 0; j < s.length; j++) {
        const orig = s[j];
        s[j] = orig + eps; const plus = loss();
        s[j] = orig - eps; const minus = loss();
        s[j] = orig;
        g[j] = (plus - minus) / (2 * eps);
      }
      return [name, bp.fromStorage(g, p[name].shape)];
    })),
  ) as Params;
  return { grads, forwardPasses };
}

export function maxAbsDifference(a: Params, b: Params): number {
  let worst = 0;
  for (const n of PARAM_NAMES) worst = Math.max(worst, a[n].sub(b[n]).abs().max().item());
  return worst;
}

/** A smooth target to fit: y = sin(Σ x) + 0.5·x₀·x₁, on 8 inputs. */
export function makeData(n: number, gen: bp.Generator) {
  const x = bp.randn([n, 8], { dtype: "float64", generator: gen });
  const y = x.sum(1, true).sin().add(x.narrow(1, 0, 1).mul(x.narrow(1, 1, 1)).mul(0.5));
  return { x, y };
}

function main(): void {
  const gen = new bp.Generator(0);
  const { x, y } = makeData(64, gen);
  const p = initParams([8, 32, 32, 1], gen);

  console.log("1-2. The chain rule by hand vs loss.backward()  (batch 64, network 8-32-32-1, float64)");
  const hand = handGradients(p, x, y);
  const auto = autogradGradients(p, x, y);
  for (const n of PARAM_NAMES) console.log(`   ∂L/∂${n.padEnd(2)}  shape [${hand[n].shape}]  |hand − backward|max = ${hand[n].sub(auto[n]).abs().max().item().toExponential(2)}`);
  console.log(`   largest difference over all parameters: ${maxAbsDifference(hand, auto).toExponential(2)}\n`);

  console.log("3. Without backprop: finite differences, parameter by parameter");
  console.log("   hidden  params  forward passes  time (ms)   backprop: passes  time (ms)   speed-up   max |fd − bp|");
  for (const h of [4, 8, 16, 32, 64]) {
    const q = initParams([8, h, h, 1], new bp.Generator(h));
    let t0 = performance.now();
    const fd = finiteDifferenceGradients(q, x, y);
    const tFd = performance.now() - t0;
    // Backprop is fast enough to time as the median of 7 runs (the JIT and GC make single runs noisy).
    const times: number[] = [];
    let bpGrads = autogradGradients(q, x, y);
    for (let r = 0; r < 7; r++) {
      t0 = performance.now();
      bpGrads = autogradGradients(q, x, y);
      times.push(performance.now() - t0);
    }
    const tBp = times.sort((a, b) => a - b)[3];
    const count = PARAM_NAMES.reduce((a, n) => a + q[n].size, 0);
    console.log(
      `   ${String(h).padStart(6)}  ${String(count).padStart(6)}  ${String(fd.forwardPasses).padStart(14)}  ${tFd.toFixed(1).padStart(9)}   ${"1 + 1 backward".padStart(16)}  ${tBp.toFixed(2).padStart(9)}   ${(tFd / tBp).toFixed(0).padStart(7)}×   ${maxAbsDifference(fd.grads, bpGrads).toExponential(1)}`,
    );
  }

  console.log("\n4. Training by the update rule W ← W − η ∇W L  (η = 0.002, full batch)");
  const eta = 0.002;
  for (let step = 0; step <= 2000; step++) {
    const loss = lossOf(y, forward(p, x).yHat);
    for (const n of PARAM_NAMES) p[n].grad = null;
    loss.backward();
    bp.noGrad(() => {
      for (const n of PARAM_NAMES) {
        const w = p[n].storage, g = p[n].grad!.data();
        for (let j = 0; j < w.length; j++) w[j] -= eta * g[j];
      }
    });
    if (step % 250 === 0) console.log(`   step ${String(step).padStart(4)}   L = ${loss.item().toFixed(4)}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
