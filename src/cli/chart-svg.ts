/**
 * The loss and score curves as a self-contained SVG file (two panels side
 * by side), written into the run directory at the end of training.
 */
import type { Series } from "./chart-terminal.js";

const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"];

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function panel(title: string, series: readonly Series[], x0: number, width: number, height: number): string {
  const left = x0 + 60;
  const top = 40;
  const plotW = width - 80;
  const plotH = height - 100;
  const values = series.flatMap((s) => s.values.filter((v) => Number.isFinite(v)));
  let lo = values.length ? Math.min(...values) : 0;
  let hi = values.length ? Math.max(...values) : 1;
  if (hi === lo) {
    hi += 0.5;
    lo -= 0.5;
  }
  const n = Math.max(1, ...series.map((s) => s.values.length));
  const xOf = (i: number) => left + (n === 1 ? plotW / 2 : (i * plotW) / (n - 1));
  const yOf = (v: number) => top + plotH - ((v - lo) / (hi - lo)) * plotH;
  const parts: string[] = [];
  parts.push(`<text x="${left + plotW / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`);
  parts.push(`<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4;
    const y = yOf(v);
    parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#eee"/>`);
    parts.push(`<text x="${left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end" font-size="11">${Number(v.toPrecision(3))}</text>`);
  }
  parts.push(`<text x="${left}" y="${top + plotH + 18}" font-size="11">1</text>`);
  parts.push(`<text x="${left + plotW}" y="${top + plotH + 18}" text-anchor="end" font-size="11">${n}</text>`);
  parts.push(`<text x="${left + plotW / 2}" y="${top + plotH + 18}" text-anchor="middle" font-size="12">epoch</text>`);
  series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length];
    const pts = s.values.map((v, i) => (Number.isFinite(v) ? `${xOf(i).toFixed(1)},${yOf(v).toFixed(1)}` : null)).filter((p) => p !== null);
    if (pts.length > 0) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(" ")}"/>`);
    const ly = height - 18;
    const lx = left + k * 140;
    parts.push(`<line x1="${lx}" x2="${lx + 20}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
    parts.push(`<text x="${lx + 26}" y="${ly + 4}" font-size="12">${escapeXml(s.name)}</text>`);
  });
  return parts.join("\n");
}

/** Two panels: losses on the left, scores (accuracy or R²) on the right. */
export function curvesSvg(lossSeries: readonly Series[], scoreSeries: readonly Series[], scoreName: string): string {
  const w = 480;
  const h = 320;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * w}" height="${h}" viewBox="0 0 ${2 * w} ${h}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    panel("loss", lossSeries, 0, w, h),
    panel(scoreName, scoreSeries, w, w, h),
    `</svg>`,
    "",
  ].join("\n");
}
