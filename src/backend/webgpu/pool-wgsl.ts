/**
 * WGSL for pooling over contiguous [planes, H, W] blocks
 * (src/ops/device-conv-ops.ts), by the rules of the CPU kernels
 * (src/backend/js/pool.ts):
 * - max pooling writes each window's maximum and its in-plane index
 *   (h·W + w, as a float: exact below 2^24), padding skipped, the first on
 *   ties, a NaN winning (the last one); its gradient sums, for each input
 *   pixel, the output gradients of the windows that picked it, in the
 *   order of the windows (as the CPU's scatter-add does);
 * - the window averages read their windows from a small table
 *   (WINDOW_TABLE) that the op layer computes, so that avgPool2d and
 *   adaptiveAvgPool2d share one kernel as on the CPU; their transpose
 *   gathers, per input pixel, from the windows that contain it (a
 *   contiguous range per axis, since windows start and end in order).
 * One thread per element written.
 */
import { FLAT_INDEX, MAP_WORKGROUP, NAN_HELPERS, paramsBlock } from "./wgsl-common.js";

const ENTRY = `@compute @workgroup_size(${MAP_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= param(0u)) { return; }`;

/** Window geometry words shared by the max-pool kernels: params 1 … 12. */
const GEOMETRY = `
  let H = param(1u);
  let W = param(2u);
  let oH = param(3u);
  let oW = param(4u);
  let kH = param(5u);
  let kW = param(6u);
  let sH = param(7u);
  let sW = param(8u);
  let padH = param(9u);
  let padW = param(10u);
  let dH = param(11u);
  let dW = param(12u);`;

/**
 * values[p, oh, ow] and indices[p, oh, ow] (in-plane, as f32). Params:
 * [total outputs, H, W, oH, oW, kH, kW, strideH, strideW, padH, padW, dilationH, dilationW, xOff].
 */
export function maxPoolWgsl(): string {
  return `${paramsBlock(14)}${NAN_HELPERS}${FLAT_INDEX}
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> values: array<f32>;
@group(0) @binding(3) var<storage, read_write> indices: array<f32>;
${ENTRY}${GEOMETRY}
  let ow = i % oW;
  let oh = (i / oW) % oH;
  let base = param(13u) + (i / (oW * oH)) * H * W;
  // The window's first row and column inside the input (padding skipped) and one past its last.
  var r0 = i32(oh * sH) - i32(padH);
  let r1 = min(r0 + i32((kH - 1u) * dH) + 1, i32(H));
  while (r0 < 0) { r0 = r0 + i32(dH); }
  var c0 = i32(ow * sW) - i32(padW);
  let c1 = min(c0 + i32((kW - 1u) * dW) + 1, i32(W));
  while (c0 < 0) { c0 = c0 + i32(dW); }
  var best = u32(r0) * W + u32(c0);
  var bestValue = x[base + best];
  for (var r = r0; r < r1; r = r + i32(dH)) {
    for (var c = c0; c < c1; c = c + i32(dW)) {
      let at = u32(r) * W + u32(c);
      let v = x[base + at];
      if (v > bestValue || is_nan(v)) { best = at; bestValue = v; }
    }
  }
  values[i] = bestValue;
  indices[i] = f32(best);
}
`;
}

/**
 * The max pool's gradient: gx[p, h, w] = Σ gy[p, oh, ow] over the windows
 * whose index is h·W + w. Params: as maxPoolWgsl's with [total inputs, …, gyOff].
 */
export function maxPoolBackwardWgsl(): string {
  return `${paramsBlock(14)}${FLAT_INDEX}
@group(0) @binding(1) var<storage, read> gy: array<f32>;
@group(0) @binding(2) var<storage, read> indices: array<f32>;
@group(0) @binding(3) var<storage, read_write> gx: array<f32>;
${ENTRY}${GEOMETRY}
  let at = i % (H * W);
  let h = i32(at / W);
  let w = i32(at % W);
  let outBase = (i / (H * W)) * oH * oW;
  var acc = 0.0;
  // ki from the last tap down, so that the windows come in increasing order.
  for (var ki = i32(kH) - 1; ki >= 0; ki = ki - 1) {
    let th = h + i32(padH) - ki * i32(dH);
    if (th < 0 || th % i32(sH) != 0 || th / i32(sH) >= i32(oH)) { continue; }
    let oh = u32(th / i32(sH));
    for (var kj = i32(kW) - 1; kj >= 0; kj = kj - 1) {
      let tw = w + i32(padW) - kj * i32(dW);
      if (tw < 0 || tw % i32(sW) != 0 || tw / i32(sW) >= i32(oW)) { continue; }
      let o = outBase + oh * oW + u32(tw / i32(sW));
      if (u32(indices[o]) == at) { acc = acc + gy[param(13u) + o]; }
    }
  }
  gx[i] = acc;
}
`;
}

/** out[p, o] = src[srcOff + p·plane + indices[p, o]]: the max pool's values taken from another tensor. Params: [total, plane, outPerPlane, srcOff]. */
export function maxPoolTakeWgsl(): string {
  return `${paramsBlock(4)}${FLAT_INDEX}
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> indices: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
${ENTRY}
  out[i] = src[param(3u) + (i / param(2u)) * param(1u) + u32(indices[i])];
}
`;
}

/**
 * The window table's layout (i32): start, end and divisor per output row,
 * then per output column, then, per input row and column, the first and
 * one past the last window containing it.
 */
export const WINDOW_TABLE = "[hStart(oH), hEnd(oH), hDiv(oH), wStart(oW), wEnd(oW), wDiv(oW), hFirst(H), hLast(H), wFirst(W), wLast(W)]";

const TABLE = `
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> win: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
fn h_start(o: u32) -> i32 { return win[o]; }
fn h_end(o: u32) -> i32 { return win[param(3u) + o]; }
fn h_div(o: u32) -> i32 { return win[2u * param(3u) + o]; }
fn w_start(o: u32) -> i32 { return win[3u * param(3u) + o]; }
fn w_end(o: u32) -> i32 { return win[3u * param(3u) + param(4u) + o]; }
fn w_div(o: u32) -> i32 { return win[3u * param(3u) + 2u * param(4u) + o]; }
fn h_first(h: u32) -> i32 { return win[3u * (param(3u) + param(4u)) + h]; }
fn h_last(h: u32) -> i32 { return win[3u * (param(3u) + param(4u)) + param(1u) + h]; }
fn w_first(w: u32) -> i32 { return win[3u * (param(3u) + param(4u)) + 2u * param(1u) + w]; }
fn w_last(w: u32) -> i32 { return win[3u * (param(3u) + param(4u)) + 2u * param(1u) + param(2u) + w]; }
`;

/** out[p, oh, ow] = Σ over the window / its divisor (0 for an empty one). Params: [total outputs, H, W, oH, oW, srcOff]. */
export function windowAverageWgsl(): string {
  return `${paramsBlock(6)}${FLAT_INDEX}${TABLE}
${ENTRY}
  let W = param(2u);
  let oW = param(4u);
  let ow = i % oW;
  let oh = (i / oW) % param(3u);
  let base = param(5u) + (i / (oW * param(3u))) * param(1u) * W;
  var sum = 0.0;
  for (var h = h_start(oh); h < h_end(oh); h = h + 1) {
    for (var w = w_start(ow); w < w_end(ow); w = w + 1) { sum = sum + src[base + u32(h) * W + u32(w)]; }
  }
  let divisor = h_div(oh) * w_div(ow);
  out[i] = select(sum / f32(divisor), 0.0, divisor == 0);
}
`;
}

/** The transpose: out[p, h, w] = Σ g[p, oh, ow] / divisor over the windows containing (h, w). Params: [total inputs, H, W, oH, oW, gOff]. */
export function windowAverageTransposeWgsl(): string {
  return `${paramsBlock(6)}${FLAT_INDEX}${TABLE}
${ENTRY}
  let H = param(1u);
  let W = param(2u);
  let oH = param(3u);
  let oW = param(4u);
  let w = i % W;
  let h = (i / W) % H;
  let base = param(5u) + (i / (W * H)) * oH * oW;
  var acc = 0.0;
  for (var oh = h_first(h); oh < h_last(h); oh = oh + 1) {
    for (var ow = w_first(w); ow < w_last(w); ow = ow + 1) {
      let divisor = h_div(u32(oh)) * w_div(u32(ow));
      if (divisor != 0) { acc = acc + src[base + u32(oh) * oW + u32(ow)] / f32(divisor); }
    }
  }
  out[i] = acc;
}
`;
}
