#!/usr/bin/env node
/**
 * Profiling helper (not part of `npm run bench`): one W6 training step
 * split by layer. Each layer runs on a detached copy of the previous
 * layer's output, so its forward and its backward can be timed on their
 * own; the first conv's input needs no gradient, as in training. Prints
 * the median CPU time (all threads; steadier than wall time on a shared
 * machine) and wall time of every phase, then the CPU time per step of each
 * backend kernel (matmul, im2col, ...), measured around its calls.
 *
 *   npm run build && node bench/profile/conv-phases.mjs native 20
 */
import * as bp from "../../dist/index.js";
import * as registry from "../../dist/backend/registry.js";

const backend = process.argv[2] ?? "native";
const steps = Number(process.argv[3] ?? 10);
await bp.setBackend(backend);
bp.manualSeed(0);
const conv1 = new bp.nn.Conv2d(1, 32, 5, { padding: 2 }), conv2 = new bp.nn.Conv2d(32, 64, 5, { padding: 2 });
const linear = new bp.nn.Linear(3136, 10);
const x = bp.rand([64, 1, 28, 28]);
const y = bp.randint(0, 10, [64]);
const layers = [
  ["conv1", (t) => conv1.forward(t)],
  ["relu1", (t) => bp.F.relu(t)],
  ["pool1", (t) => bp.F.maxPool2d(t, { kernelSize: 2 })],
  ["conv2", (t) => conv2.forward(t)],
  ["relu2", (t) => bp.F.relu(t)],
  ["pool2", (t) => bp.F.maxPool2d(t, { kernelSize: 2 })],
  ["linear", (t) => linear.forward(t.flatten(1))],
  ["loss", (t) => bp.F.crossEntropy(t, y)],
];
const optimizer = new bp.optim.Adam([...conv1.parameters(), ...conv2.parameters(), ...linear.parameters()], { lr: 1e-3 });

// CPU time of each kernel of the selected backend, outermost calls only (a kernel may hand off to another).
const kernels = new Map();
let inKernel = false;
const selected = registry.backend;
for (const [name, fn] of Object.entries(selected)) {
  if (typeof fn !== "function" || name === "numThreads") continue;
  selected[name] = function (...args) {
    if (inKernel) return fn.apply(this, args);
    inKernel = true;
    const c = process.cpuUsage();
    try {
      return fn.apply(this, args);
    } finally {
      inKernel = false;
      const u = process.cpuUsage(c);
      kernels.set(name, (kernels.get(name) ?? 0) + (u.user + u.system) / 1000);
    }
  };
}

const phases = new Map();
function timed(name, fn) {
  const c = process.cpuUsage(), t = performance.now();
  const r = fn();
  const wall = performance.now() - t, cpu = process.cpuUsage(c);
  if (!phases.has(name)) phases.set(name, { wall: [], cpu: [] });
  phases.get(name).wall.push(wall);
  phases.get(name).cpu.push((cpu.user + cpu.system) / 1000);
  return r;
}

for (let i = 0; i < steps + 2; i++) {
  if (i === 2) { phases.clear(); kernels.clear(); } // warm-up: JIT, buffer pools
  optimizer.zeroGrad();
  const inputs = [], outputs = [];
  let t = x;
  for (const [name, f] of layers) {
    const input = inputs.length === 0 ? t : t.detach();
    if (inputs.length > 0) input.requiresGrad = true;
    inputs.push(input);
    t = timed(`forward ${name}`, () => f(input));
    outputs.push(t);
  }
  t.item();
  let grad;
  for (let l = layers.length - 1; l >= 0; l--) {
    const out = outputs[l];
    timed(`backward ${layers[l][0]}`, () => (grad ? out.backward(grad) : out.backward()));
    grad = inputs[l].grad;
  }
  timed("adam", () => optimizer.step());
}
const median = (a) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
let cpuTotal = 0, wallTotal = 0;
const rows = [...phases].map(([name, { wall, cpu }]) => {
  cpuTotal += median(cpu);
  wallTotal += median(wall);
  return [name, median(cpu), median(wall)];
});
console.log(`${backend}, ${steps} steps, median ms per phase (CPU of all threads / wall)`);
for (const [name, cpu, wall] of rows) {
  console.log(`${name.padEnd(16)} ${cpu.toFixed(1).padStart(7)} ${wall.toFixed(1).padStart(7)}  ${((100 * cpu) / cpuTotal).toFixed(0).padStart(3)}%`);
}
console.log(`${"sum".padEnd(16)} ${cpuTotal.toFixed(1).padStart(7)} ${wallTotal.toFixed(1).padStart(7)}`);
console.log("\nkernel CPU ms per step");
for (const [name, ms] of [...kernels].sort((a, b) => b[1] - a[1])) console.log(`${name.padEnd(16)} ${(ms / steps).toFixed(1).padStart(7)}`);
