/**
 * WGSL shared by every kernel: the uniform parameter block (u32 words, read
 * by index, floats and signed ints bit-cast), NaN tests that no compiler may
 * fold away (bit patterns, not `v != v`), and the flat index of an
 * invocation in a grid that may span two dispatch dimensions.
 */

/** Threads per workgroup of the one-thread-per-element kernels. */
export const MAP_WORKGROUP = 256;

/** The uniform block of `words` u32 parameters (rounded up to whole vec4s) at binding 0. */
export function paramsBlock(words: number): string {
  const vec4s = Math.max(1, Math.ceil(words / 4));
  return `
struct Params { v: array<vec4<u32>, ${vec4s}> }
@group(0) @binding(0) var<uniform> params: Params;
fn param(i: u32) -> u32 { return params.v[i >> 2u][i & 3u]; }
fn paramf(i: u32) -> f32 { return bitcast<f32>(param(i)); }
fn parami(i: u32) -> i32 { return bitcast<i32>(param(i)); }
`;
}

export const NAN_HELPERS = `
fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
fn is_finite(v: f32) -> bool { return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u; }
fn nan_f32() -> f32 { var bits = 0x7fc00000u; return bitcast<f32>(bits); }
fn inf_f32() -> f32 { var bits = 0x7f800000u; return bitcast<f32>(bits); }
`;

/** The flat invocation index of a 1-D map dispatched as a (x, y) grid of MAP_WORKGROUP-wide groups. */
export const FLAT_INDEX = `
fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 { return gid.y * groups.x * ${MAP_WORKGROUP}u + gid.x; }
`;

/** Workgroup counts (x, y) covering `groups` groups with x within the per-dimension limit. */
export function grid(groups: number, maxPerDimension: number): [number, number] {
  if (groups <= maxPerDimension) return [Math.max(groups, 1), 1];
  const y = Math.ceil(groups / maxPerDimension);
  return [Math.ceil(groups / y), y];
}

/** Packs parameters (u32, i32 or f32 by tag) into the uniform block's words. */
export function packParams(values: readonly (readonly ["u" | "i" | "f", number])[]): Uint32Array {
  const words = new Uint32Array(Math.max(4, Math.ceil(values.length / 4) * 4));
  const asF32 = new Float32Array(words.buffer);
  const asI32 = new Int32Array(words.buffer);
  values.forEach(([tag, v], i) => {
    if (tag === "f") asF32[i] = v;
    else if (tag === "i") asI32[i] = v;
    else words[i] = v;
  });
  return words;
}
