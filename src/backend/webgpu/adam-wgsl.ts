/**
 * WGSL for the fused Adam/AdamW step: the loop of src/optim/adam.ts in
 * float32, operation for operation in the same order (AdamW's shrink, L2
 * weight decay, AMSGrad's running maximum). A product added to a sum is
 * an fma: the JS loop forms that product exactly (float32 · float32 fits a
 * float64) and rounds once after the addition, which fma does too where
 * the GPU fuses it.
 */
import { FLAT_INDEX, MAP_WORKGROUP, NAN_HELPERS, paramsBlock } from "./wgsl-common.js";

/** Params: [n, pOff, gOff, amsgrad, negStepSize, bc2Sqrt, beta1, 1−beta1, beta2, 1−beta2, eps, l2, shrink]. */
export function adamWgsl(): string {
  return `${paramsBlock(13)}${NAN_HELPERS}${FLAT_INDEX}
@group(0) @binding(1) var<storage, read_write> p: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
@group(0) @binding(5) var<storage, read_write> vmax: array<f32>;
@compute @workgroup_size(${MAP_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= param(0u)) { return; }
  let pi = param(1u) + i;
  let negStepSize = paramf(4u);
  let bc2Sqrt = paramf(5u);
  let beta1 = paramf(6u);
  let oneMinusBeta1 = paramf(7u);
  let beta2 = paramf(8u);
  let oneMinusBeta2 = paramf(9u);
  let eps = paramf(10u);
  let l2 = paramf(11u);
  let shrink = paramf(12u);
  var pv = p[pi];
  if (shrink != 1.0) { pv = pv * shrink; }
  var gi = g[param(2u) + i];
  if (l2 != 0.0) { gi = fma(pv, l2, gi); }
  let mi = fma(gi, oneMinusBeta1, m[i] * beta1);
  m[i] = mi;
  let vi = fma(oneMinusBeta2 * gi, gi, v[i] * beta2);
  v[i] = vi;
  var second = vi;
  if (param(3u) != 0u) {
    if (vmax[i] < second || is_nan(second)) { vmax[i] = second; }
    second = vmax[i];
  }
  let denom = sqrt(second) / bc2Sqrt + eps;
  p[pi] = pv + (negStepSize * mi) / denom;
}
`;
}
