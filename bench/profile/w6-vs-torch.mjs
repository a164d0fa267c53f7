#!/usr/bin/env node
/**
 * Profiling helper (not part of `npm run bench`): W6 on our native backend
 * against PyTorch 1.13 on 1 and 2 threads in the same run, each case in a
 * fresh process, in an order that rotates every round, so that a load that
 * drifts during the run hits every contender alike. Ours runs through
 * bench/compare-builds.mjs's child (its fixed step counts; CPU ms per step
 * too), PyTorch through bench/peers/python_peers.py (time-boxed repetitions).
 * Prints samples/s per round and their medians.
 *
 *   npm run build && node bench/profile/w6-vs-torch.mjs [rounds]
 */
import { spawnSync } from "node:child_process";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const rounds = Number(process.argv[2] ?? 3);
const contenders = [
  { label: "ours native", run: () => node(["bench/compare-builds.mjs", "--child", JSON.stringify({ root, workload: "W6", backend: "native" })]) },
  { label: "PyTorch 1 thread", run: () => python(1) },
  { label: "PyTorch 2 threads", run: () => python(2) },
];
function node(argv) {
  const r = spawnSync(process.execPath, argv, { cwd: root, encoding: "utf8", timeout: 300_000 });
  if (r.status !== 0) throw new Error(r.stderr);
  const out = JSON.parse(r.stdout.trim().split("\n").at(-1));
  return { rate: out.rate, note: `${out.cpuMs.toFixed(1)} CPU ms/step` };
}
function python(threads) {
  const r = spawnSync("/usr/bin/python3", [join(root, "bench/peers/python_peers.py"), "torch", "W6", "1", String(threads)], { encoding: "utf8", timeout: 300_000 });
  if (r.status !== 0) throw new Error(r.stderr);
  return { rate: JSON.parse(r.stdout.trim().split("\n").at(-1)).median, note: "" };
}
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(" ");
console.log(`W6 same-run comparison, ${rounds} rounds; load average ${load()}`);
const rates = new Map(contenders.map((c) => [c.label, []]));
for (let round = 0; round < rounds; round++) {
  for (let i = 0; i < contenders.length; i++) {
    const c = contenders[(i + round) % contenders.length];
    const { rate, note } = c.run();
    rates.get(c.label).push(rate);
    console.log(`  round ${round + 1} ${c.label.padEnd(18)} ${rate.toFixed(1).padStart(7)} samples/s ${note}`);
  }
}
const median = (a) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
const ours = median(rates.get("ours native"));
console.log(`load average after ${load()}`);
for (const [label, r] of rates) console.log(`${label.padEnd(18)} median ${median(r).toFixed(1).padStart(7)} samples/s; ours ÷ this row ${(ours / median(r)).toFixed(2)}×`);
