/**
 * WGSL for the batched GEMM: out[b] = op(A[b]) · op(B[b]).
 *
 * Each workgroup computes a TILE×TILE block of one batch's output; the
 * shared dimension is walked TILE at a time through two tiles in workgroup
 * memory, so every element of A and B is read from the buffer once per
 * block instead of once per output. Transposes and batch broadcasting are
 * strides in the parameters (element (i, p) of op(A) is
 * a[aOff + b·aBatch + i·aRow + p·aCol]), so one pipeline serves every layout;
 * edges of sizes that are not multiples of TILE are masked.
 */
import { paramsBlock } from "./wgsl-common.js";

export const TILE = 16;

/** Params: [m, k, n, 0, aOff, aBatch, aRow, aCol, bOff, bBatch, bRow, bCol]. */
export function matmulWgsl(): string {
  return `${paramsBlock(12)}
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
var<workgroup> tileA: array<array<f32, ${TILE}>, ${TILE}>;
var<workgroup> tileB: array<array<f32, ${TILE}>, ${TILE}>;
@compute @workgroup_size(${TILE}, ${TILE})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let m = param(0u);
  let k = param(1u);
  let n = param(2u);
  let batch = wid.z;
  let row = wid.y * ${TILE}u + lid.y;
  let col = wid.x * ${TILE}u + lid.x;
  let ao = param(4u) + batch * param(5u);
  let bo = param(8u) + batch * param(9u);
  let aRow = param(6u);
  let aCol = param(7u);
  let bRow = param(10u);
  let bCol = param(11u);
  var acc = 0.0;
  for (var t = 0u; t < k; t = t + ${TILE}u) {
    let pa = t + lid.x;
    var av = 0.0;
    if (row < m && pa < k) { av = a[ao + row * aRow + pa * aCol]; }
    tileA[lid.y][lid.x] = av;
    let pb = t + lid.y;
    var bv = 0.0;
    if (pb < k && col < n) { bv = b[bo + pb * bRow + col * bCol]; }
    tileB[lid.y][lid.x] = bv;
    workgroupBarrier();
    for (var q = 0u; q < ${TILE}u; q = q + 1u) { acc = acc + tileA[lid.y][q] * tileB[q][lid.x]; }
    workgroupBarrier();
  }
  if (row < m && col < n) { out[batch * m * n + row * n + col] = acc; }
}
`;
}
