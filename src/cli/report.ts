/** End-of-run text: a metrics table and a confusion matrix. */

/** Left-aligned first column, right-aligned numbers, a rule under the header. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: readonly string[]) => cells.map((s, c) => (c === 0 ? s.padEnd(widths[c]) : s.padStart(widths[c]))).join("  ");
  return [line(header), widths.map((w) => "─".repeat(w)).join("  "), ...rows.map(line)].join("\n") + "\n";
}

/** counts[actual][predicted]. */
export function confusionCounts(actual: ArrayLike<number>, predicted: ArrayLike<number>, numClasses: number): number[][] {
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < actual.length; i++) m[actual[i]][predicted[i]]++;
  return m;
}

/** Rows are the true classes, columns the predicted ones; the diagonal counts the correct answers. */
export function formatConfusion(counts: readonly (readonly number[])[], labels: readonly string[]): string {
  const header = ["true\\pred", ...labels];
  const rows = counts.map((row, i) => [labels[i], ...row.map(String)]);
  return formatTable(header, rows);
}
