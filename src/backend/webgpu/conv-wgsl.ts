/**
 * WGSL for convolution by im2col + GEMM (src/ops/device-conv-ops.ts): the
 * column matrix and its adjoint, and the two layout changes around the
 * GEMM, in the layouts of the CPU kernels (src/backend/js/im2col.ts):
 *   cols [C·kH·kW, count, oH·oW]   row (c·kH + ki)·kW + kj, images n0 … n0 + count
 *   GEMM operands and products      [channels, count, oH·oW]
 * One thread per element written. col2im gathers instead of scattering
 * (WGSL has no float atomics): each input pixel sums the column entries
 * that read it, in the CPU kernel's order (ki, then kj), so that the sums
 * round alike. Also the copy of one part of a concatenation (cat, and
 * narrow's gradient, which pads with zeros by cat).
 */
import { FLAT_INDEX, MAP_WORKGROUP, paramsBlock } from "./wgsl-common.js";

const ENTRY = `@compute @workgroup_size(${MAP_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= param(0u)) { return; }`;

/**
 * Params: [total, plane, count, oW, kH, kW, strideH, strideW, padTop, padLeft,
 * dilationH, dilationW, H, W, n0, xOff (i32), sN, sC, sH, sW (i32)].
 */
export function im2colWgsl(): string {
  return `${paramsBlock(20)}${FLAT_INDEX}
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> cols: array<f32>;
${ENTRY}
  let plane = param(1u);
  let count = param(2u);
  let l = i % plane;
  let t = i / plane;
  let n = t % count;
  let row = t / count;
  let kj = row % param(5u);
  let t2 = row / param(5u);
  let ki = t2 % param(4u);
  let c = t2 / param(4u);
  let oh = l / param(3u);
  let ow = l % param(3u);
  let h = i32(oh * param(6u) + ki * param(10u)) - i32(param(8u));
  let w = i32(ow * param(7u) + kj * param(11u)) - i32(param(9u));
  var v = 0.0;
  if (h >= 0 && h < i32(param(12u)) && w >= 0 && w < i32(param(13u))) {
    v = x[u32(parami(15u) + i32(param(14u) + n) * parami(16u) + i32(c) * parami(17u) + h * parami(18u) + w * parami(19u))];
  }
  cols[i] = v;
}
`;
}

/**
 * Images n0 … n0 + count of out [N, C, H, W] from cols, plus bias[c] when
 * hasBias. Params: [total (count·C·H·W), C, H, W, kH, kW, strideH, strideW,
 * padTop, padLeft, dilationH, dilationW, oH, oW, n0, count, hasBias, biasOff].
 */
export function col2imWgsl(): string {
  return `${paramsBlock(18)}${FLAT_INDEX}
@group(0) @binding(1) var<storage, read> cols: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
${ENTRY}
  let C = param(1u);
  let H = param(2u);
  let W = param(3u);
  let kH = param(4u);
  let kW = param(5u);
  let sH = i32(param(6u));
  let sW = i32(param(7u));
  let oH = i32(param(12u));
  let oW = i32(param(13u));
  let count = param(15u);
  let w = i32(i % W);
  let h = i32((i / W) % H);
  let c = (i / (W * H)) % C;
  let n = i / (W * H * C);
  let plane = u32(oH * oW);
  var acc = 0.0;
  for (var ki = 0u; ki < kH; ki = ki + 1u) {
    let th = h + i32(param(8u)) - i32(ki * param(10u));
    if (th < 0 || th % sH != 0 || th / sH >= oH) { continue; }
    let oh = th / sH;
    for (var kj = 0u; kj < kW; kj = kj + 1u) {
      let tw = w + i32(param(9u)) - i32(kj * param(11u));
      if (tw < 0 || tw % sW != 0 || tw / sW >= oW) { continue; }
      let row = (c * kH + ki) * kW + kj;
      acc = acc + cols[(row * count + n) * plane + u32(oh * oW + tw / sW)];
    }
  }
  if (param(16u) != 0u) { acc = acc + bias[param(17u) + c]; }
  out[param(14u) * C * H * W + i] = acc;
}
`;
}

/**
 * out[n0 + n, o, l] = src[o, n, l] (+ bias[o]): a GEMM product laid out as
 * images. Params: [total (count·O·plane), O, count, plane, n0, hasBias, biasOff].
 */
export function channelsToImagesWgsl(): string {
  return `${paramsBlock(7)}${FLAT_INDEX}
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
${ENTRY}
  let O = param(1u);
  let count = param(2u);
  let plane = param(3u);
  let l = i % plane;
  let o = (i / plane) % O;
  let n = i / (plane * O);
  var v = src[(o * count + n) * plane + l];
  if (param(5u) != 0u) { v = v + bias[param(6u) + o]; }
  out[param(4u) * O * plane + i] = v;
}
`;
}

/**
 * out[o, n, l] = gy[n0 + n, o, l] for a strided gy: the output gradient as
 * a GEMM operand. Params: [total (O·count·plane), count, plane, oW, n0,
 * gyOff (i32), sN, sC, sH, sW (i32)].
 */
export function imagesToChannelsWgsl(): string {
  return `${paramsBlock(10)}${FLAT_INDEX}
@group(0) @binding(1) var<storage, read> gy: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
${ENTRY}
  let count = param(1u);
  let plane = param(2u);
  let l = i % plane;
  let n = (i / plane) % count;
  let o = i / (plane * count);
  let oh = l / param(3u);
  let ow = l % param(3u);
  out[i] = gy[u32(parami(5u) + i32(param(4u) + n) * parami(6u) + i32(o) * parami(7u) + i32(oh) * parami(8u) + i32(ow) * parami(9u))];
}
`;
}

/**
 * One part of a concatenation: out[o·row + pos + q] = src[srcOff + o·chunk + q]
 * for q < chunk (src contiguous [outer, chunk]). Params: [total, chunk, row, pos, srcOff].
 */
export function catPartWgsl(): string {
  return `${paramsBlock(5)}${FLAT_INDEX}
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
${ENTRY}
  let chunk = param(1u);
  out[(i / chunk) * param(2u) + param(3u) + i % chunk] = src[param(4u) + i];
}
`;
}
