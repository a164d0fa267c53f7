/**
 * Runs one benchmark case in a fresh process (so that memory figures and JIT
 * warm-up of one implementation do not leak into another) and prints its
 * result as one JSON line. Usage: node bench/case.mjs '<json spec>'
 * where spec = { impl: "ours" | "tfjs" | "jax", variant, workload, n?, threads? }.
 */
import { W5 } from "./lib/workloads.mjs";

const spec = JSON.parse(process.argv[2]);
const modules = { ours: "./impls/ours.mjs", tfjs: "./impls/tfjs.mjs", jax: "./impls/jax.mjs" };
const impl = await import(modules[spec.impl]);
await impl.setup(spec.variant);
let result;
switch (spec.workload) {
  case "W1": result = await impl.w1(); break;
  case "W2": result = await impl.w2(); break;
  case "W3": result = await impl.w3(spec.n, spec.threads ?? 1); break;
  case "W4": result = await impl.w4(); break;
  case "W5": result = { checkpoints: await impl.w5(W5.checkpoints) }; break;
  default: throw new Error(`bench/case.mjs: unknown workload ${spec.workload}`);
}
process.stdout.write(JSON.stringify(result) + "\n");
process.exit(0);
