/**
 * WGSL for the fused layer norm (src/ops/layer-norm.ts, on the device
 * through src/ops/device-conv-ops.ts) over `rows` contiguous rows of
 * `width` values, by the formulas of the CPU kernels
 * (src/backend/js/layer-norm.ts):
 * - forward: one workgroup per row sums it as a tree in workgroup memory
 *   (the mean, then the squared deviations), writes the normalised row
 *   with its affine map, and keeps stats [mean (rows), rstd (rows)] for
 *   the backward;
 * - backward: one workgroup per row for x̄ (its two row sums by the tree),
 *   and one thread per column for w̄ and b̄ (the rows in order).
 * Sums in float32, not in double as on the CPU.
 */
import { FLAT_INDEX, MAP_WORKGROUP, paramsBlock } from "./wgsl-common.js";

/** Threads per row (a power of two). */
export const LN_WORKGROUP = 64;

const ROW = `
var<workgroup> part: array<f32, ${LN_WORKGROUP}>;
fn tree(lid: u32) {
  workgroupBarrier();
  for (var s = ${LN_WORKGROUP / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { part[lid] = part[lid] + part[lid + s]; }
    workgroupBarrier();
  }
}
@compute @workgroup_size(${LN_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wid.y * groups.x + wid.x;
  let rows = param(0u);
  let width = param(1u);
  if (r >= rows) { return; }`;

/** Params: [rows, width, xOff, hasWeight, wOff, hasBias, bOff, eps (f32)]. */
export function layerNormForwardWgsl(): string {
  return `${paramsBlock(8)}
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read_write> stats: array<f32>;
${ROW}
  let base = param(2u) + r * width;
  var s = 0.0;
  for (var j = lid; j < width; j = j + ${LN_WORKGROUP}u) { s = s + x[base + j]; }
  part[lid] = s;
  tree(lid);
  let mean = part[0] / f32(width);
  workgroupBarrier();
  var q = 0.0;
  for (var j = lid; j < width; j = j + ${LN_WORKGROUP}u) { let d = x[base + j] - mean; q = q + d * d; }
  part[lid] = q;
  tree(lid);
  let rstd = 1.0 / sqrt(part[0] / f32(width) + paramf(7u));
  for (var j = lid; j < width; j = j + ${LN_WORKGROUP}u) {
    var v = (x[base + j] - mean) * rstd;
    if (param(3u) != 0u) { v = v * weight[param(4u) + j]; }
    if (param(5u) != 0u) { v = v + bias[param(6u) + j]; }
    out[r * width + j] = v;
  }
  if (lid == 0u) {
    stats[r] = mean;
    stats[rows + r] = rstd;
  }
}
`;
}

/** dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), ĝ = gy·weight. Params: [rows, width, gyOff, xOff, hasWeight, wOff]. */
export function layerNormInputGradWgsl(): string {
  return `${paramsBlock(6)}
@group(0) @binding(1) var<storage, read> gy: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> weight: array<f32>;
@group(0) @binding(4) var<storage, read> stats: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
fn scaled(g: f32, j: u32) -> f32 { if (param(4u) != 0u) { return g * weight[param(5u) + j]; } return g; }
${ROW}
  let gBase = param(2u) + r * width;
  let xBase = param(3u) + r * width;
  let mean = stats[r];
  let rstd = stats[rows + r];
  var s = 0.0;
  for (var j = lid; j < width; j = j + ${LN_WORKGROUP}u) { s = s + scaled(gy[gBase + j], j); }
  part[lid] = s;
  tree(lid);
  let meanG = part[0] / f32(width);
  workgroupBarrier();
  var q = 0.0;
  for (var j = lid; j < width; j = j + ${LN_WORKGROUP}u) { q = q + scaled(gy[gBase + j], j) * ((x[xBase + j] - mean) * rstd); }
  part[lid] = q;
  tree(lid);
  let meanGX = part[0] / f32(width);
  for (var j = lid; j < width; j = j + ${LN_WORKGROUP}u) {
    let xhat = (x[xBase + j] - mean) * rstd;
    dx[r * width + j] = rstd * (scaled(gy[gBase + j], j) - meanG - xhat * meanGX);
  }
}
`;
}

/** dw[j] = Σ_r gy·x̂, db[j] = Σ_r gy, one thread per column. Params: [width, rows, gyOff, xOff]. */
export function layerNormParamGradWgsl(): string {
  return `${paramsBlock(4)}${FLAT_INDEX}
@group(0) @binding(1) var<storage, read> gy: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read_write> dw: array<f32>;
@group(0) @binding(5) var<storage, read_write> db: array<f32>;
@compute @workgroup_size(${MAP_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let j = flat_index(gid, groups);
  let width = param(0u);
  if (j >= width) { return; }
  let rows = param(1u);
  var w = 0.0;
  var b = 0.0;
  for (var r = 0u; r < rows; r = r + 1u) {
    let g = gy[param(2u) + r * width + j];
    w = w + g * ((x[param(3u) + r * width + j] - stats[r]) * stats[rows + r]);
    b = b + g;
  }
  dw[j] = w;
  db[j] = b;
}
`;
}
