/**
 * WGSL for the fused batch norm (src/ops/batch-norm.ts, on the device
 * through src/ops/device-conv-ops.ts) over a contiguous [N, C, S] block:
 * - statistics: one workgroup per channel sums its N·S values as a tree in
 *   workgroup memory (the mean, then the squared deviations from it, as
 *   the CPU's two passes do), and its first thread folds them into the
 *   per-channel table stats [mean, invstd, scale, shift] (each C long),
 *   updating the running statistics as the CPU op does; in eval mode it
 *   reads them instead;
 * - y = x·scale + shift, one thread per element;
 * - the backward's per-channel sums Σȳ (b̄) and Σȳ·(x − mean)·invstd (w̄),
 *   one workgroup per channel, then x̄ one thread per element.
 * The sums run in float32, not in double as on the CPU: the tree keeps
 * their error near log2(N·S) roundings.
 */
import { FLAT_INDEX, MAP_WORKGROUP, paramsBlock } from "./wgsl-common.js";

/** Threads per channel of the reducing kernels (a power of two). */
export const BN_WORKGROUP = 256;

/** Per-channel workgroup: `c` the channel; `element(j)` the index of its j-th value (n = j / S, s = j % S) from `off`. */
const CHANNEL = `
var<workgroup> part: array<f32, ${BN_WORKGROUP}>;
fn element(off: u32, c: u32, j: u32, C: u32, S: u32) -> u32 { return off + (j / S) * C * S + c * S + j % S; }
fn tree(lid: u32) {
  workgroupBarrier();
  for (var s = ${BN_WORKGROUP / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { part[lid] = part[lid] + part[lid + s]; }
    workgroupBarrier();
  }
}`;

const CHANNEL_MAIN = `@compute @workgroup_size(${BN_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let c = wid.y * groups.x + wid.x;
  let C = param(0u);
  if (c >= C) { return; }
  let S = param(2u);
  let count = param(1u) * S;`;

/**
 * Params: [C, N, S, xOff, training, hasWeight, hasBias, hasRunningMean,
 * hasRunningVar, wOff, bOff, eps (f32), momentum (f32), count/(count − 1) (f32)].
 */
export function batchNormStatsWgsl(): string {
  return `${paramsBlock(14)}${FLAT_INDEX}
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> runningMean: array<f32>;
@group(0) @binding(5) var<storage, read_write> runningVar: array<f32>;
@group(0) @binding(6) var<storage, read_write> stats: array<f32>;
${CHANNEL}
${CHANNEL_MAIN}
  let training = param(4u) != 0u;
  var mean = 0.0;
  var variance = 0.0;
  if (training) {
    var s = 0.0;
    for (var j = lid; j < count; j = j + ${BN_WORKGROUP}u) { s = s + x[element(param(3u), c, j, C, S)]; }
    part[lid] = s;
    tree(lid);
    mean = part[0] / f32(count);
    workgroupBarrier();
    var q = 0.0;
    for (var j = lid; j < count; j = j + ${BN_WORKGROUP}u) { let d = x[element(param(3u), c, j, C, S)] - mean; q = q + d * d; }
    part[lid] = q;
    tree(lid);
    variance = part[0] / f32(count);
  } else {
    mean = runningMean[c];
    variance = runningVar[c];
  }
  if (lid != 0u) { return; }
  let invstd = 1.0 / sqrt(variance + paramf(11u));
  var scale = invstd;
  if (param(5u) != 0u) { scale = invstd * weight[param(9u) + c]; }
  var shift = -(mean * scale);
  if (param(6u) != 0u) { shift = bias[param(10u) + c] - mean * scale; }
  stats[c] = mean;
  stats[C + c] = invstd;
  stats[2u * C + c] = scale;
  stats[3u * C + c] = shift;
  let m = paramf(12u);
  if (training && param(7u) != 0u) { runningMean[c] = m * mean + (1.0 - m) * runningMean[c]; }
  if (training && param(8u) != 0u) { runningVar[c] = m * (variance * paramf(13u)) + (1.0 - m) * runningVar[c]; }
}
`;
}

/** out[i] = x[xOff + i]·scale[c] + shift[c]. Params: [total, C, S, xOff]. */
export function batchNormApplyWgsl(): string {
  return `${paramsBlock(4)}${FLAT_INDEX}
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> stats: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(${MAP_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= param(0u)) { return; }
  let C = param(1u);
  let c = (i / param(2u)) % C;
  out[i] = fma(x[param(3u) + i], stats[2u * C + c], stats[3u * C + c]);
}
`;
}

/** biasGrad[c] = Σ gy, weightGrad[c] = Σ gy·(x − mean)·invstd over channel c. Params: [C, N, S, gyOff, xOff]. */
export function batchNormGradSumsWgsl(): string {
  return `${paramsBlock(5)}${FLAT_INDEX}
@group(0) @binding(1) var<storage, read> gy: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read_write> weightGrad: array<f32>;
@group(0) @binding(5) var<storage, read_write> biasGrad: array<f32>;
${CHANNEL}
${CHANNEL_MAIN}
  let mean = stats[c];
  var s = 0.0;
  for (var j = lid; j < count; j = j + ${BN_WORKGROUP}u) { s = s + gy[element(param(3u), c, j, C, S)]; }
  part[lid] = s;
  tree(lid);
  let sumGrad = part[0];
  workgroupBarrier();
  var q = 0.0;
  for (var j = lid; j < count; j = j + ${BN_WORKGROUP}u) {
    q = q + gy[element(param(3u), c, j, C, S)] * (x[element(param(4u), c, j, C, S)] - mean);
  }
  part[lid] = q;
  tree(lid);
  if (lid != 0u) { return; }
  biasGrad[c] = sumGrad;
  weightGrad[c] = part[0] * stats[C + c];
}
`;
}

/**
 * x̄ = (ȳ − Σȳ/M − (x − mean)·w̄·invstd/M)·invstd·w (training, M = N·S) or
 * ȳ·invstd·w (eval). Params: [total, C, S, gyOff, xOff, training, hasWeight, wOff, M (f32)].
 */
export function batchNormInputGradWgsl(): string {
  return `${paramsBlock(9)}${FLAT_INDEX}
@group(0) @binding(1) var<storage, read> gy: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read> weight: array<f32>;
@group(0) @binding(5) var<storage, read> weightGrad: array<f32>;
@group(0) @binding(6) var<storage, read> biasGrad: array<f32>;
@group(0) @binding(7) var<storage, read_write> dx: array<f32>;
@compute @workgroup_size(${MAP_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= param(0u)) { return; }
  let C = param(1u);
  let c = (i / param(2u)) % C;
  let invstd = stats[C + c];
  var a = invstd;
  if (param(6u) != 0u) { a = invstd * weight[param(7u) + c]; }
  let g = gy[param(3u) + i];
  if (param(5u) == 0u) { dx[i] = g * a; return; }
  let M = paramf(8u);
  let k = weightGrad[c] * invstd / M;
  dx[i] = (g - biasGrad[c] / M - (x[param(4u) + i] - stats[c]) * k) * a;
}
`;
}
