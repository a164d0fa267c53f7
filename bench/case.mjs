/**
 * Runs one benchmark case in a fresh process (so that memory figures and JIT
 * warm-up of one implementation do not leak into another) and prints its
 * result as one JSON line. Usage: node bench/case.mjs '<json spec>'
 * where spec = { impl: "ours" | "tfjs" | "jax", variant, workload, n?, threads? }.
 *
 * Speed cases (W1–W3) instead name several contenders:
 * { workload, n?, contenders: [{ impl, variant, threads? }] } loads them all
 * into this one process and interleaves their repetitions (round-robin), so
 * that a machine whose load drifts treats them alike.
 */
import { W2, W5, W6, W7 } from "./lib/workloads.mjs";
import { interleavedRates } from "./lib/timing.mjs";

const spec = JSON.parse(process.argv[2]);
const modules = { ours: "./impls/ours.mjs", tfjs: "./impls/tfjs.mjs", jax: "./impls/jax.mjs" };

/** Per-step work of each workload, and how a step rate becomes the reported figure. */
const workloads = {
  W1: { unit: "steps/s", scale: () => 1, step: (impl) => impl.w1Step() },
  W2: { unit: "samples/s", scale: () => W2.batch, step: (impl) => impl.w2Step() },
  W6: { unit: "samples/s", scale: () => W6.batch, step: (impl) => impl.w6Step() },
  W7: { unit: "tokens/s", scale: () => W7.batch * W7.context, step: (impl) => impl.w7Step() },
  W7L: { unit: "tokens/s", scale: () => W7.batch * W7.context, step: (impl) => impl.w7lStep() },
  W3: { unit: "GFLOP/s", scale: (n) => (2 * n ** 3) / 1e9, step: (impl, c, n) => impl.gemm(n, c.threads) },
};

/**
 * Loads every contender into this process and interleaves their
 * repetitions. Ours switches backend (and thread count) before each of its
 * repetitions; the other contenders keep one configuration per process.
 */
async function interleaved(workload, n, contenders) {
  const w = workloads[workload];
  const steps = [], before = [];
  for (const c of contenders) {
    const impl = await import(modules[c.impl]);
    await impl.setup(c.variant);
    steps.push(await w.step(impl, c, n));
    before.push(c.impl === "ours" ? async () => {
      await impl.setup(c.variant);
      if (workload === "W3") await impl.useThreads(c.threads);
    } : null);
  }
  const rates = await interleavedRates(steps, before, workload === "W3" ? { repMs: 400, warmupMs: 200 } : workload === "W6" ? { reps: 3, repMs: 1000, warmupMs: 0 } : workload === "W7" || workload === "W7L" ? { reps: 3, repMs: 1000, warmupMs: 500 } : { repMs: workload === "W2" ? 500 : 300 });
  const scale = w.scale(n);
  return contenders.map((c, i) => ({ impl: c.impl, variant: c.variant, threads: c.threads,
    median: rates[i].median * scale, samples: rates[i].samples.map((x) => x * scale), unit: w.unit }));
}

let result;
if (spec.contenders) {
  result = { contenders: await interleaved(spec.workload, spec.n, spec.contenders) };
} else {
  const impl = await import(modules[spec.impl]);
  await impl.setup(spec.variant);
  switch (spec.workload) {
    case "W4": result = await impl.w4(spec.n ?? 1); break;
    case "W5": result = { checkpoints: await impl.w5(W5.checkpoints) }; break;
    default: throw new Error(`bench/case.mjs: unknown workload ${spec.workload}`);
  }
}
process.stdout.write(JSON.stringify(result) + "\n");
process.exit(0);
