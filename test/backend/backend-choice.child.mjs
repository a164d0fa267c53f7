/**
 * Run by backend-choice.test.ts in a fresh process with BACKPROP_BACKEND
 * (and maybe BACKPROP_FORCE_KERNELS) set: reports the backend named right
 * after import, and which backend's kernels the first ops reach. Prints
 * one JSON line.
 */
const registry = await import(new URL("../../dist/backend/registry.js", import.meta.url).href);
const bp = await import(new URL("../../dist/index.js", import.meta.url).href);

const atImport = bp.getBackend();
const threads = bp.getNumThreads();
// Record every call that reaches the current backend object, before the first op.
const calls = [];
const current = registry.backend;
for (const kernel of ["unary", "binary", "reduce"]) {
  const original = current[kernel];
  current[kernel] = (...args) => { calls.push(`${current.name}.${kernel}`); return original.apply(current, args); };
}
const size = Number(process.argv[2] ?? 4096);
const x = bp.randn([size]);
x.exp().add(x).sum();
console.log(JSON.stringify({ atImport, threads, calls }));
