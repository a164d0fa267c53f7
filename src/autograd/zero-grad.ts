/** zeroGrad, shared by Module and Optimizer. */
import { recycle } from "../tensor/recycler.js";
import { zerosLike } from "../tensor/creation.js";
import type { Tensor } from "../tensor/tensor.js";

/**
 * Resets each tensor's gradient to null (PyTorch 2's default) or, with
 * setToNone = false, to a new tensor of zeros. A gradient that backward
 * made in a buffer of its own and that nobody read through `.grad` since
 * cannot be referenced anywhere else, so its buffer goes to the recycler:
 * the next backward fills it again instead of allocating.
 */
export function zeroGradOf(tensors: Iterable<Tensor>, setToNone: boolean): void {
  for (const p of tensors) {
    const grad = p._grad;
    if (grad === null) continue;
    if (p._gradUnread) recycle(grad.storage, grad.dtype);
    p.grad = setToNone ? null : zerosLike(grad);
  }
}
