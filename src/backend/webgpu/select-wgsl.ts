/**
 * WGSL for the kernels whose operands or outputs are not all float32
 * values: comparisons (bool words out), `where` (a condition of any kind),
 * argmax/argmin (int32 words out). Int32 and bool words are raw bits in the
 * pool's buffers (src/backend/device-storage.ts, DeviceKind): the bindings
 * are declared u32 and each operand is read as its kind says, so no value
 * passes through a float on its way.
 */
import { MAX_RANK } from "./elementwise-wgsl.js";
import { perOutputWgsl } from "./reduce-wgsl.js";
import { FLAT_INDEX, MAP_WORKGROUP, NAN_HELPERS, paramsBlock } from "./wgsl-common.js";

/** How a kernel reads an operand's words: float32 values, or int32/bool bits compared as signed integers. */
export type WordKind = "f" | "i";

/** Operands a strided map takes at most (where: condition, a, b). */
const MAX_INPUTS = 3;

/** Parameter words of a strided map: [n, 0, 0, 0, offsets×4, shape×6, strides×6 per input]. */
export const STRIDED_PARAM_WORDS = 8 + MAX_RANK * (1 + MAX_INPUTS);

/**
 * A map over a shape of `rank` dimensions (after merging) whose inputs
 * x0, x1, … (u32 words) are each walked by their own strides; `body`
 * reads them through the indices i0, i1, … and assigns `out[i]`.
 */
function stridedMapWgsl(rank: number, inputs: number, outType: "f32" | "u32" | "i32", body: string, helpers = ""): string {
  let bindings = "";
  let decl = "";
  let step = "";
  for (let k = 0; k < inputs; k++) {
    bindings += `@group(0) @binding(${k + 1}) var<storage, read> x${k}: array<u32>;\n`;
    decl += `  var i${k} = parami(${4 + k}u);\n`;
    step += `    i${k} = i${k} + c * parami(${8 + MAX_RANK * (1 + k)}u + u32(d));\n`;
  }
  return `${paramsBlock(STRIDED_PARAM_WORDS)}${NAN_HELPERS}${FLAT_INDEX}${helpers}
${bindings}@group(0) @binding(${inputs + 1}) var<storage, read_write> out: array<${outType}>;
@compute @workgroup_size(${MAP_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= param(0u)) { return; }
  var rest = i;
${decl}  for (var d = ${rank - 1}i; d >= 0i; d = d - 1i) {
    let size = param(8u + u32(d));
    let c = i32(rest % size);
    rest = rest / size;
${step}  }
${body}
}
`;
}

/** The comparisons the device runs, as the JS kernels define them (a NaN compares unequal to everything). */
export type CompareOp = "eq" | "ne" | "lt" | "le" | "gt" | "ge" | "and";

// WGSL lets a compiler assume floats are never NaN, so the NaN cases are spelled out (`nan`: either operand is NaN, by its bits).
const COMPARE_EXPR: Record<CompareOp, string> = {
  eq: "!nan && x == y", ne: "nan || x != y", lt: "!nan && x < y", le: "!nan && x <= y", gt: "!nan && x > y", ge: "!nan && x >= y",
  and: "nonzero_a && nonzero_b",
};

export function isCompareOp(op: string): op is CompareOp {
  return op in COMPARE_EXPR;
}

/** The expression that reads operand k's word as its kind says. */
function load(k: number, kind: WordKind): string {
  return kind === "f" ? `bitcast<f32>(x${k}[i${k}])` : `bitcast<i32>(x${k}[i${k}])`;
}

/** Whether operand k's word is nonzero: for a float, either zero's sign bit does not count (−0 is zero; NaN is not). */
function nonzero(k: number, kind: WordKind): string {
  return kind === "f" ? `(x${k}[i${k}] & 0x7fffffffu) != 0u` : `x${k}[i${k}] != 0u`;
}

/**
 * out[i] = 1 or 0 (bool words) for `op` on a (x0) and b (x1), both of word
 * kind `kind` (the op layer sends only matching kinds). Strided params.
 */
export function compareWgsl(op: CompareOp, kind: WordKind, rank: number): string {
  const body = `  let x = ${load(0, kind)};
  let y = ${load(1, kind)};
  let nonzero_a = ${nonzero(0, kind)};
  let nonzero_b = ${nonzero(1, kind)};
  let nan = ${kind === "f" ? "is_nan(x) || is_nan(y)" : "false"};
  out[i] = select(0u, 1u, ${COMPARE_EXPR[op]});`;
  return stridedMapWgsl(rank, 2, "u32", body);
}

/** out[i] = cond (x0, of kind `condKind`) nonzero ? a (x1) : b (x2), float32 values; strided params. */
export function whereWgsl(condKind: WordKind, rank: number): string {
  const body = `  out[i] = select(bitcast<f32>(x2[i2]), bitcast<f32>(x1[i1]), ${nonzero(0, condKind)});`;
  return stridedMapWgsl(rank, 3, "f32", body);
}

/**
 * argmax/argmin along the middle axis of a contiguous [outer, axis, inner]
 * float32 block, one thread per output: the first index of the extreme, a
 * NaN winning at its first occurrence (the JS kernel's rule, and PyTorch's).
 * Writes int32 words. Params [outer, axis, inner, xOff].
 */
export function argReduceWgsl(op: "argmax" | "argmin"): string {
  const better = op === "argmax" ? "v > best" : "v < best";
  return `${perOutputWgsl("f32", "i32")}
  var best = x[base];
  var at = 0u;
  if (!is_nan(best)) {
    for (var k = 1u; k < axis; k = k + 1u) {
      let v = x[base + k * inner];
      if (is_nan(v)) { at = k; break; }
      if (${better}) { best = v; at = k; }
    }
  }
  out[row] = i32(at);
}
`;
}

/** int32 or bool words to float32 values: out[i] = f32(x[xOff + i]) for i < n. Params [n, xOff]. */
export function toFloatWgsl(): string {
  return `${paramsBlock(2)}${FLAT_INDEX}
@group(0) @binding(1) var<storage, read> x: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(${MAP_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= param(0u)) { return; }
  out[i] = f32(x[param(1u) + i]);
}
`;
}

/**
 * The int32 sum (wrapping, as the host's store into an Int32Array does) of
 * int32 or bool words along the middle axis of a contiguous [outer, axis,
 * inner] block, one thread per output. Params [outer, axis, inner, xOff].
 */
export function intSumWgsl(): string {
  return `${perOutputWgsl("i32", "i32")}
  var acc = 0i;
  for (var k = 0u; k < axis; k = k + 1u) { acc = acc + x[base + k * inner]; }
  out[row] = acc;
}
`;
}
