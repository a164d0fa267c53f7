/**
 * WGSL for reductions and softmax along the middle axis of a contiguous
 * [outer, axis, inner] block: one workgroup per output position, whose
 * threads stride the axis and then combine their partial results as a tree
 * in workgroup memory. max/min keep a NaN once seen, as the JS kernels do.
 */
import { FLAT_INDEX, MAP_WORKGROUP, NAN_HELPERS, paramsBlock } from "./wgsl-common.js";

/** Threads per workgroup of the reduction kernels (a power of two). */
export const REDUCE_WORKGROUP = 64;

/** The reductions the device runs; "mean" is the sum divided by the axis length. */
export type GpuReduceOp = "sum" | "mean" | "max" | "min";

const COMBINE = `
fn add_f32(a: f32, b: f32) -> f32 { return a + b; }
fn max_nan(a: f32, b: f32) -> f32 { if (is_nan(a)) { return a; } if (is_nan(b)) { return b; } return select(b, a, a > b); }
fn min_nan(a: f32, b: f32) -> f32 { if (is_nan(a)) { return a; } if (is_nan(b)) { return b; } return select(b, a, a < b); }
`;

/** The row every workgroup works on: params [outer, axis, inner, xOff, …]. */
const ROW = `
@group(0) @binding(1) var<storage, read> x: array<f32>;
var<workgroup> part: array<f32, ${REDUCE_WORKGROUP}>;
fn row_of(wid: vec3<u32>, groups: vec3<u32>) -> u32 { return wid.y * groups.x + wid.x; }
`;

/**
 * The entry point of a workgroup-per-row kernel, as far as `rowStart` (the
 * row's first element, relative to xOff) and `base` (its index in x);
 * workgroups past the last row return (uniformly, before any barrier).
 */
const ROW_MAIN = `@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(${REDUCE_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = row_of(wid, groups);
  let axis = param(1u);
  let inner = param(2u);
  if (row >= param(0u) * inner) { return; }
  let rowStart = (row / inner) * axis * inner + row % inner;
  let base = param(3u) + rowStart;`;

/** Combines part[0..REDUCE_WORKGROUP) into part[0] with `f`; every thread must call it. */
function treeReduce(f: string): string {
  return `
  workgroupBarrier();
  for (var s = ${REDUCE_WORKGROUP / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { part[lid] = ${f}(part[lid], part[lid + s]); }
    workgroupBarrier();
  }`;
}

/**
 * Whether a reduction runs one thread per output (many outputs, or short
 * axes: enough parallel work without cooperation, and no barriers) rather
 * than one workgroup per output.
 */
export function reducePerThread(outputs: number, axis: number): boolean {
  return outputs >= 2048 || axis <= 64;
}

function identityOf(op: GpuReduceOp): string {
  return op === "max" ? "-inf_f32()" : op === "min" ? "inf_f32()" : "0.0";
}

function combineOf(op: GpuReduceOp): string {
  return op === "max" ? "max_nan" : op === "min" ? "min_nan" : "add_f32";
}

/**
 * A one-thread-per-output kernel over a contiguous [outer, axis, inner]
 * block (params [outer, axis, inner, xOff]; x and out of the given element
 * types), as far as `row` (the output) and `base` (its first element in x):
 * the caller's code walks x[base + k·inner] for k < axis.
 */
export function perOutputWgsl(xType: string, outType: string): string {
  return `${paramsBlock(4)}${NAN_HELPERS}${FLAT_INDEX}
@group(0) @binding(1) var<storage, read> x: array<${xType}>;
@group(0) @binding(2) var<storage, read_write> out: array<${outType}>;
@compute @workgroup_size(${MAP_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let row = flat_index(gid, groups);
  let axis = param(1u);
  let inner = param(2u);
  if (row >= param(0u) * inner) { return; }
  let base = param(3u) + (row / inner) * axis * inner + row % inner;`;
}

/** One thread per output, walking its whole axis. Params [outer, axis, inner, xOff]. */
export function reducePerThreadWgsl(op: GpuReduceOp): string {
  return `${COMBINE}${perOutputWgsl("f32", "f32")}
  var acc = ${identityOf(op)};
  for (var k = 0u; k < axis; k = k + 1u) { acc = ${combineOf(op)}(acc, x[base + k * inner]); }
  out[row] = ${op === "mean" ? "acc / f32(axis)" : "acc"};
}
`;
}

/** One workgroup per output: its threads stride the axis, then combine as a tree. */
export function reduceWgsl(op: GpuReduceOp): string {
  const identity = identityOf(op);
  const combine = combineOf(op);
  return `${paramsBlock(4)}${NAN_HELPERS}${COMBINE}${ROW}
${ROW_MAIN}
  var acc = ${identity};
  for (var k = lid; k < axis; k = k + ${REDUCE_WORKGROUP}u) { acc = ${combine}(acc, x[base + k * inner]); }
  part[lid] = acc;
  ${treeReduce(combine)}
  if (lid == 0u) { out[row] = ${op === "mean" ? "part[0] / f32(axis)" : "part[0]"}; }
}
`;
}

/**
 * Softmax (or log-softmax) of each row: the maximum (NaN if any element is
 * NaN; a shift of 0 when it is -∞, as in the JS kernel), the sum of the
 * shifted exponentials, then every output. Params [outer, axis, inner, xOff].
 */
export function softmaxWgsl(log: boolean): string {
  const write = log ? "v - shift - log_sum" : "exp(v - shift) / total";
  return `${paramsBlock(4)}${NAN_HELPERS}${COMBINE}${ROW}
${ROW_MAIN}
  var m = -inf_f32();
  for (var k = lid; k < axis; k = k + ${REDUCE_WORKGROUP}u) { m = max_nan(m, x[base + k * inner]); }
  part[lid] = m;
  ${treeReduce("max_nan")}
  let top = part[0];
  let shift = select(top, 0.0, top == -inf_f32());
  workgroupBarrier();
  var s = 0.0;
  for (var k = lid; k < axis; k = k + ${REDUCE_WORKGROUP}u) { s = s + exp(x[base + k * inner] - shift); }
  part[lid] = s;
  ${treeReduce("add_f32")}
  let total = part[0];
  let log_sum = log(total);
  for (var k = lid; k < axis; k = k + ${REDUCE_WORKGROUP}u) {
    let v = x[base + k * inner];
    out[rowStart + k * inner] = ${write};
  }
}
`;
}
