/** Dropping a leaf's .grad: zeroGrad (Module and Optimizer) and the clipping utilities. */
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

/**
 * Replaces `p`'s gradient with `grad`, a tensor just computed from it in a
 * new buffer (clipping's scaled or clamped copy). The old buffer is
 * recycled if nobody read it; the new one counts as unread.
 */
export function replaceGrad(p: Tensor, grad: Tensor): void {
  const old = p._grad;
  if (old !== null && p._gradUnread && old.storage !== grad.storage) recycle(old.storage, old.dtype);
  p._grad = grad;
  p._gradUnread = true;
}
