/**
 * Runs one benchmark case in a fresh process (so that memory figures and JIT
 * warm-up of one implementation do not leak into another) and prints its
 * result as one JSON line. Usage: node bench/case.mjs '<json spec>'
 * where spec = { impl: "ours" | "tfjs" | "jax", variant, workload, n?, threads? }.
 *
 * W3 is the exception: { workload: "W3", n, contenders: [{ impl, variant, threads }] }
 * loads every contender into this one process and interleaves their
 * repetitions (round-robin), so that a machine whose load drifts treats them
 * alike; GEMM kernels share nothing but the CPU.
 */
import { W5 } from "./lib/workloads.mjs";
import { interleavedRates } from "./lib/timing.mjs";

const spec = JSON.parse(process.argv[2]);
const modules = { ours: "./impls/ours.mjs", tfjs: "./impls/tfjs.mjs", jax: "./impls/jax.mjs" };

async function gemmContenders(n, contenders) {
  const steps = [];
  for (const c of contenders) {
    const impl = await import(modules[c.impl]);
    if (!c.ready) { await impl.setup(c.variant); }
    for (const other of contenders) if (other.impl === c.impl) other.ready = true;
    steps.push(await impl.gemm(n, c.threads));
  }
  // Threads are a process-wide setting of ours: set them before each of ours' repetitions.
  const ours = await import(modules.ours);
  const before = contenders.map((c) => (c.impl === "ours" ? () => ours.useThreads(c.threads) : null));
  const rates = await interleavedRates(steps, before, { repMs: 400, warmupMs: 200 });
  const gflops = (x) => (2 * n ** 3 * x) / 1e9;
  return contenders.map((c, i) => ({ impl: c.impl, variant: c.variant, threads: c.threads,
    median: gflops(rates[i].median), samples: rates[i].samples.map(gflops), unit: "GFLOP/s" }));
}

let result;
if (spec.workload === "W3") {
  result = { contenders: await gemmContenders(spec.n, spec.contenders) };
} else {
  const impl = await import(modules[spec.impl]);
  await impl.setup(spec.variant);
  switch (spec.workload) {
    case "W1": result = await impl.w1(); break;
    case "W2": result = await impl.w2(); break;
    case "W4": result = await impl.w4(); break;
    case "W5": result = { checkpoints: await impl.w5(W5.checkpoints) }; break;
    default: throw new Error(`bench/case.mjs: unknown workload ${spec.workload}`);
  }
}
process.stdout.write(JSON.stringify(result) + "\n");
process.exit(0);
