/** The workloads' sizes, shared by every implementation. See docs/benchmarks.md. */
export const W1 = { sizes: [8, 32, 32, 1], batch: 64, lr: 0.1 };
export const W2 = { sizes: [784, 256, 128, 10], batch: 128, lr: 1e-3 };
export const W3 = { sizes: [512, 1024, 2048] };
export const W4 = { chain: 10_000, sizes: [1, 16] };
export const W5 = { checkpoints: [100, 2100] };
/**
 * W6: the convnet Conv2d(1,32,5,p2)-ReLU-MaxPool2d(2)-Conv2d(32,64,5,p2)-ReLU-MaxPool2d(2)-
 * Flatten-Linear(3136,10) on [64, 1, 28, 28], cross-entropy, Adam: one training step.
 */
export const W6 = { batch: 64, channels: [1, 32, 64], kernel: 5, padding: 2, classes: 10, side: 28, lr: 1e-3 };
/**
 * W7: a character transformer, one training step: token embedding (vocabulary
 * 28) plus learned positions (context 32), 2 pre-LayerNorm blocks (4 heads of
 * 16, causal self-attention, GELU MLP 64-256-64), a final LayerNorm, a linear
 * head, cross-entropy over every position, AdamW; batch 32. tokens/s =
 * batch·context·steps/s. W7L: the same data through a 1-layer LSTM (hidden 128)
 * after the same token embedding, then a linear head.
 */
export const W7 = { vocab: 28, context: 32, batch: 32, embed: 64, layers: 2, heads: 4, ff: 256, lr: 1e-3, weightDecay: 0.01, lstmHidden: 128 };
/**
 * SOAK: bench/soak.mjs's two loops (lecture MLP with SGD, MNIST-sized MLP with
 * Adam; sizes in bench/lib/soak.mjs) for this many steps: RSS growth from the
 * middle to the end, and peak RSS, ours and PyTorch. The issue's loop lengths:
 * 100,000 lecture steps and 20,000 MNIST steps (shorter MNIST runs end before
 * V8's young generation has grown to its steady size, around step 4,000 on
 * native, and show that as growth). The js backend's MNIST loop takes the
 * longest (about 8 minutes on a quiet 2-core machine).
 */
export const SOAK = { lecture: Number(process.env.SOAK_LECTURE ?? 100_000), mnist: Number(process.env.SOAK_MNIST ?? 20_000) };
