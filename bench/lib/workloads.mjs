/** The workloads' sizes, shared by every implementation. See docs/benchmarks.md. */
export const W1 = { sizes: [8, 32, 32, 1], batch: 64, lr: 0.1 };
export const W2 = { sizes: [784, 256, 128, 10], batch: 128, lr: 1e-3 };
export const W3 = { sizes: [512, 1024, 2048] };
export const W4 = { chain: 10_000, sizes: [1, 16] };
export const W5 = { checkpoints: [100, 2100] };
