/** `toString()` of a tensor, in the spirit of PyTorch's repr (summarised when large). */
import type { Tensor } from "./tensor.js";
import { readInto } from "./tensor.js";

const EDGE = 3; // elements shown at each end of a summarised dimension
const SUMMARIZE_ABOVE = 1000;

function formatNumber(v: number, dtype: string): string {
  if (dtype === "bool") return v !== 0 ? "true" : "false";
  if (dtype === "int32") return String(v);
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  if (Number.isInteger(v) && Math.abs(v) < 1e8) return `${v}.`;
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-4 || a >= 1e8)) return v.toExponential(4);
  return String(Number(v.toPrecision(dtype === "float64" ? 8 : 5)));
}

export function formatTensor(t: Tensor): string {
  const flat = new Float64Array(t.size);
  readInto(t, flat);
  const summarize = t.size > SUMMARIZE_ABOVE;
  const strides: number[] = [];
  let s = 1;
  for (let i = t.shape.length - 1; i >= 0; i--) { strides[i] = s; s *= t.shape[i]; }
  const build = (dim: number, base: number, indent: string): string => {
    if (dim === t.shape.length) return formatNumber(flat[base], t.dtype);
    const n = t.shape[dim];
    const parts: string[] = [];
    const push = (i: number) => parts.push(build(dim + 1, base + i * strides[dim], indent + " "));
    if (summarize && n > 2 * EDGE) {
      for (let i = 0; i < EDGE; i++) push(i);
      parts.push("...");
      for (let i = n - EDGE; i < n; i++) push(i);
    } else {
      for (let i = 0; i < n; i++) push(i);
    }
    const sep = dim === t.shape.length - 1 ? ", " : `,\n${indent} `;
    return `[${parts.join(sep)}]`;
  };
  const extras: string[] = [];
  if (t.dtype !== "float32") extras.push(`dtype=${t.dtype}`);
  if (t.gradFn) extras.push(`gradFn=${t.gradFn.name}`);
  else if (t.requiresGrad) extras.push("requiresGrad=true");
  const body = build(0, 0, "       ");
  return `tensor(${body}${extras.length ? ", " + extras.join(", ") : ""})`;
}
