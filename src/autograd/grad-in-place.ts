/**
 * Writing into a leaf's existing `.grad` instead of replacing it, as
 * PyTorch 1.13 does: its AccumulateGrad adds a new gradient into the
 * existing one in place when backward builds no graph, and
 * `zero_grad(set_to_none=False)` zeroes the gradient in place. A gradient
 * user code holds therefore changes with `.grad`, in both libraries; the
 * training loop that zeroes with `zeroGrad()` (in place, the default) then allocates no new
 * gradient buffers after its first step.
 */
import { backend } from "../backend/registry.js";
import { bumpVersion } from "../graph/versions.js";
import { deviceBinary, deviceZero } from "../ops/device-ops.js";
import { sameShape } from "../tensor/shape.js";
import { storageKey, storageLength, type Tensor } from "../tensor/tensor.js";

/**
 * Whether `grad` may be written in place: a plain tensor (no graph) that
 * fills a contiguous buffer of its own. Anything else (a gradient with a
 * graph from createGraph, a view or expansion a user assigned) is replaced
 * by a new tensor, as before.
 */
export function writableGrad(grad: Tensor): boolean {
  return grad.gradFn === null && !grad._requiresGrad && grad.isContiguous && grad.offset === 0 && storageLength(grad) === grad.size;
}

/** grad ← grad + g when `grad` may be written in place and has g's dtype and shape; false (nothing written) otherwise. */
export function accumulateInPlace(grad: Tensor, g: Tensor): boolean {
  if (grad.dtype !== g.dtype || !sameShape(grad.shape, g.shape) || !writableGrad(grad)) return false;
  // Elementwise, so writing the result over the first operand is safe (the linear op adds its bias the same way).
  // A gradient on the GPU stays there.
  const onDevice = grad._device !== null && deviceBinary("add", grad, grad.strides, g, g.strides, grad.shape, grad.dtype, grad) !== null;
  if (!onDevice) backend.binary("add", grad.storage, 0, grad.strides, g.storage, g.offset, g.strides, grad.storage, grad.shape);
  bumpVersion(onDevice ? storageKey(grad) : grad.storage);
  return true;
}

/** grad ← 0 when `grad` may be written in place; false (nothing written) otherwise. */
export function zeroInPlace(grad: Tensor): boolean {
  if (!writableGrad(grad)) return false;
  if (!deviceZero(grad)) grad.storage.fill(0);
  bumpVersion(storageKey(grad));
  return true;
}
