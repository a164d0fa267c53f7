/**
 * Writes the latest full run's table into docs/benchmarks.md, between the
 * markers `<!-- bench:latest:start -->` and `<!-- bench:latest:end -->`.
 * Usage from a shell: node bench/lib/docs-table.mjs [results.json]
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const DOC = join(root, "docs", "benchmarks.md");
const START = "<!-- bench:latest:start -->";
const END = "<!-- bench:latest:end -->";

export function updateDocs(run) {
  const doc = readFileSync(DOC, "utf8");
  const a = doc.indexOf(START), b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error(`docs-table: ${DOC} lacks the markers ${START} … ${END}`);
  const load = (xs) => xs.map((x) => x.toFixed(2)).join(" ");
  const block = [
    START,
    "",
    `Run of ${run.date.slice(0, 16).replace("T", " ")} UTC on ${run.machine.cpu}, ${run.machine.cores} cores, Node ${run.machine.node}; ` +
      `load average ${load(run.loadAverage.before)} before, ${load(run.loadAverage.after)} after. ` +
      "\"vs peer\" is ours relative to the peer: above 1× ours is faster (W5 and SOAK peak RSS: smaller).",
    "",
    run.markdown,
    "",
    END,
  ].join("\n");
  const next = doc.slice(0, a) + block + doc.slice(b + END.length);
  writeFileSync(DOC + ".tmp", next);
  renameSync(DOC + ".tmp", DOC);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2] ?? join(root, "bench", "results", "latest.json");
  updateDocs(JSON.parse(readFileSync(file, "utf8")));
  console.log(`docs-table: wrote the table of ${file} into docs/benchmarks.md`);
}
