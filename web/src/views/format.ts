/** Number formatting for the panels: short, fixed width where it matters. */
export function formatValue(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(digits - 1);
  return v.toFixed(digits);
}

export function formatPercent(v: number | null): string {
  return v === null ? "–" : `${(v * 100).toFixed(1)}%`;
}
