/**
 * WGSL for the kernels driven by int32 indices: indexSelect (and so
 * embedding), its reverse indexAdd, and the fused cross-entropy's forward
 * and backward (src/ops/cross-entropy-indices.ts). Index buffers hold raw
 * int32 words (src/backend/device-storage.ts, DeviceKind).
 *
 * WGSL has no float atomics, so indexAdd does not scatter: each output
 * element walks the list of source rows that land on its row (a CSR list
 * the op layer builds from the host indices), in index order, which also
 * adds in the order the CPU kernel does.
 */
import { REDUCE_WORKGROUP } from "./reduce-wgsl.js";
import { FLAT_INDEX, MAP_WORKGROUP, NAN_HELPERS, paramsBlock } from "./wgsl-common.js";

/**
 * indexSelect (`perElement` false: one index per slice along the axis,
 * index[j]) and gather (true: one index per output element, index[e]):
 * out[o, j, i] = x[xOff + (o·xAxis + index)·inner + i] over
 * [outer, count, inner]. Params [n, xAxis, inner, xOff, count].
 */
export function pickWgsl(perElement: boolean): string {
  return `${paramsBlock(5)}${FLAT_INDEX}
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> index: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(${MAP_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = flat_index(gid, groups);
  if (e >= param(0u)) { return; }
  let inner = param(2u);
  let count = param(4u);
  let i = e % inner;
  let o = e / (inner * count);
  out[e] = x[param(3u) + (o * param(1u) + u32(index[${perElement ? "e" : "(e / inner) % count"}])) * inner + i];
}
`;
}

/**
 * The reverses of pickWgsl, as sums of listed sources (no float atomics):
 * out[e] = Σ src[srcOff + source(p)] for p in [starts[l], starts[l + 1]),
 * in increasing p. For indexAdd (`byRow`) the list l is e's row r along
 * the axis, shared by the whole row, and source(p) = (o·count + rows[p])·inner + i;
 * for scatterAdd it is e itself, and source(p) = rows[p].
 * Params [n, outAxis, inner, srcOff, count].
 */
export function sumListedWgsl(byRow: boolean): string {
  return `${paramsBlock(5)}${FLAT_INDEX}
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> starts: array<i32>;
@group(0) @binding(3) var<storage, read> rows: array<i32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(${MAP_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = flat_index(gid, groups);
  if (e >= param(0u)) { return; }
  let outAxis = param(1u);
  let inner = param(2u);
  let i = e % inner;
  let o = e / (inner * outAxis);
  let l = ${byRow ? "(e / inner) % outAxis" : "e"};
  var acc = 0.0;
  for (var p = starts[l]; p < starts[l + 1u]; p = p + 1i) {
    acc = acc + src[param(3u) + ${byRow ? "(o * param(4u) + u32(rows[p])) * inner + i" : "u32(rows[p])"}];
  }
  out[e] = acc;
}
`;
}

/**
 * The cross-entropy loss from log-probabilities [rows, classes]: one
 * workgroup sums −logProb[i, target[i]] over the rows whose target is not
 * −1 (ignored), then divides by `divisor` (the kept count for "mean", 1
 * for "sum"). Params [rows, classes, lpOff, 0, divisor (f32)].
 */
export function crossEntropyLossWgsl(): string {
  return `${paramsBlock(5)}
@group(0) @binding(1) var<storage, read> lp: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
var<workgroup> part: array<f32, ${REDUCE_WORKGROUP}>;
@compute @workgroup_size(${REDUCE_WORKGROUP})
fn main(@builtin(local_invocation_index) lid: u32) {
  let rows = param(0u);
  let classes = param(1u);
  var acc = 0.0;
  for (var r = lid; r < rows; r = r + ${REDUCE_WORKGROUP}u) {
    let t = targets[r];
    if (t >= 0i) { acc = acc - lp[param(2u) + r * classes + u32(t)]; }
  }
  part[lid] = acc;
  workgroupBarrier();
  for (var s = ${REDUCE_WORKGROUP / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { part[lid] = part[lid] + part[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { out[0] = part[0] / bitcast<f32>(param(4u)); }
}
`;
}

/**
 * ∂L/∂x of the fused cross-entropy, as the host version rounds it: with
 * s = atTarget on a kept row and 0 on an ignored one, out = 0 − exp(lp)·s,
 * plus atTarget at the target. Params [n, classes, lpOff, 0, atTarget (f32)].
 */
export function crossEntropyGradWgsl(): string {
  return `${paramsBlock(5)}${NAN_HELPERS}${FLAT_INDEX}
@group(0) @binding(1) var<storage, read> lp: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(${MAP_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = flat_index(gid, groups);
  if (e >= param(0u)) { return; }
  let classes = param(1u);
  let t = targets[e / classes];
  let at_target = paramf(4u);
  let row_sum = select(0.0, at_target, t >= 0i);
  var v = 0.0 - exp(lp[param(2u) + e]) * row_sum;
  if (t >= 0i && u32(t) == e % classes) { v = at_target + v; }
  out[e] = v;
}
`;
}
