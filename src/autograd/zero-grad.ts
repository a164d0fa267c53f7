/** Dropping a leaf's .grad: zeroGrad (Module and Optimizer). */
import { zerosLike } from "../tensor/creation.js";
import type { Tensor } from "../tensor/tensor.js";
import { zeroInPlace } from "./grad-in-place.js";

/**
 * Zeroes each tensor's gradient in place, as PyTorch 1.13's zero_grad()
 * (set_to_none=False, its default): the next backward adds into the same
 * buffer, so a training loop allocates no parameter gradients after its
 * first step. JavaScript cannot free a dropped gradient early (no reference
 * counts), so here the in-place default is also the cheap one. A gradient
 * that cannot be written in place (one with a graph, a view) is replaced by
 * new zeros. With setToNone = true (PyTorch 2's default) each gradient is
 * set to null instead, and one that user code holds keeps its values.
 */
export function zeroGradOf(tensors: Iterable<Tensor>, setToNone: boolean): void {
  for (const p of tensors) {
    const grad = p.grad;
    if (grad === null) continue;
    if (setToNone) p.grad = null;
    else if (!zeroInPlace(grad)) p.grad = zerosLike(grad);
  }
}
