/** Dropping a leaf's .grad: zeroGrad (Module and Optimizer). */
import { zerosLike } from "../tensor/creation.js";
import type { Tensor } from "../tensor/tensor.js";

/**
 * Resets each tensor's gradient to null (PyTorch 2's default) or, with
 * setToNone = false, to a new tensor of zeros. The old gradient is left
 * as it is: user code may still hold it.
 */
export function zeroGradOf(tensors: Iterable<Tensor>, setToNone: boolean): void {
  for (const p of tensors) {
    const grad = p.grad;
    if (grad === null) continue;
    p.grad = setToNone ? null : zerosLike(grad);
  }
}
