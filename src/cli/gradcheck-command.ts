/**
 * `backprop gradcheck`: every entry of every parameter, the gradient that
 * backward() computes against central finite differences of the loss, in
 * float64, with a pass/fail verdict.
 */
import { noGrad } from "../graph/mode.js";
import { formatNumber } from "../explain/index.js";
import { makeProbe } from "./probe.js";
import type { Output } from "./progress.js";
import { formatTable } from "./report.js";

/** The same tolerances as bp.gradcheck: |analytic − numeric| ≤ atol + rtol·|numeric|. */
const EPS = 1e-6;
const ATOL = 1e-5;
const RTOL = 1e-3;

/** The entries of a parameter to check: all of them, or `limit` spread evenly (first and last included). */
function entriesToCheck(size: number, limit: number): number[] {
  if (size <= limit) return Array.from({ length: size }, (_, i) => i);
  const picks: number[] = [];
  for (let k = 0; k < limit; k++) picks.push(Math.round((k * (size - 1)) / (limit - 1)));
  return picks;
}

export function gradcheckCommand(opts: { model?: string; batch: number; seed: number; maxEntries: number; data?: string }, out: Output): boolean {
  const probe = makeProbe(opts.model, opts.batch, opts.seed, opts.data);
  const { net, batch } = probe;
  const lossAt = () => noGrad(() => probe.lossOf(net.forward(batch.x)).item());
  net.zeroGrad();
  probe.lossOf(net.forward(batch.x)).backward();
  const rows: string[][] = [];
  let failures = 0;
  let entries = 0;
  let total = 0;
  for (const [name, p] of net.namedParameters()) {
    const picks = entriesToCheck(p.size, opts.maxEntries);
    const analytic = p.grad!.data();
    const s = p.storage;
    let maxAbs = 0;
    let bad = 0;
    for (const i of picks) {
      const at = p.offset + i;
      const orig = s[at];
      s[at] = orig + EPS;
      const plus = lossAt();
      s[at] = orig - EPS;
      const minus = lossAt();
      s[at] = orig;
      const numeric = (plus - minus) / (2 * EPS);
      const err = Math.abs(analytic[i] - numeric);
      if (!(err <= ATOL + RTOL * Math.abs(numeric))) bad++;
      if (err > maxAbs || Number.isNaN(err)) maxAbs = err;
    }
    entries += picks.length;
    total += p.size;
    failures += bad;
    const checked = picks.length === p.size ? String(p.size) : `${picks.length} of ${p.size}`;
    rows.push([name, `[${p.shape.join("×")}]`, checked, formatNumber(maxAbs), bad === 0 ? "pass" : `FAIL (${bad})`]);
  }
  out.write(`gradcheck: ${probe.description}\n`);
  out.write(formatTable(["parameter", "shape", "entries checked", "max |backward − numeric|", "result"], rows));
  out.write(failures === 0
    ? `verdict: PASS: all ${entries}${entries < total ? ` checked gradient entries (of ${total})` : " gradient entries"} match finite differences (eps ${EPS}, atol ${ATOL}, rtol ${RTOL})\n`
    : `verdict: FAIL: ${failures} of ${entries} gradient entries differ from finite differences\n`);
  return failures === 0;
}
