/**
 * A small line chart drawn with characters, for the end of a run: plain
 * dots and box-drawing characters, so it survives any terminal font.
 */
export interface Series {
  name: string;
  values: readonly number[];
}

/** Draws the series on a grid `height` rows tall, x = epoch, each series with its own marker. */
export function terminalChart(title: string, series: readonly Series[], height = 8, width = 50): string {
  const all = series.flatMap((s) => s.values.filter((v) => Number.isFinite(v)));
  if (all.length === 0) return `${title}: no data\n`;
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (hi === lo) {
    hi += 0.5;
    lo -= 0.5;
  }
  const n = Math.max(...series.map((s) => s.values.length));
  // Every chart is `width` columns: a long history is sampled, a short one stretched into steps.
  const cols = width;
  const grid: string[][] = Array.from({ length: height }, () => new Array<string>(cols).fill(" "));
  const markers = ["●", "○", "▲", "△"];
  series.forEach((s, k) => {
    for (let c = 0; c < cols; c++) {
      // Sample the series at this column (the last epoch lands on the last column).
      const i = Math.min(s.values.length - 1, Math.floor((c * s.values.length) / cols));
      const v = s.values[i];
      if (!Number.isFinite(v)) continue;
      const r = height - 1 - Math.round(((v - lo) / (hi - lo)) * (height - 1));
      if (grid[r][c] === " ") grid[r][c] = markers[k % markers.length];
    }
  });
  const label = (v: number) => formatTick(v).padStart(9);
  const lines = [`${title}`];
  for (let r = 0; r < height; r++) {
    const v = hi - ((hi - lo) * r) / (height - 1);
    const tick = r === 0 || r === height - 1 || r === Math.floor(height / 2) ? label(v) : " ".repeat(9);
    lines.push(`${tick} ┤${grid[r].join("")}`);
  }
  lines.push(`${" ".repeat(9)} └${"─".repeat(cols)}`);
  lines.push(`${" ".repeat(11)}epoch 1${" ".repeat(Math.max(1, cols - 7 - String(n).length - 6))}epoch ${n}`);
  lines.push(`${" ".repeat(11)}${series.map((s, k) => `${markers[k % markers.length]} ${s.name}`).join("   ")}`);
  return lines.join("\n") + "\n";
}

function formatTick(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}
