/** Dropping a leaf's .grad: zeroGrad (Module and Optimizer). */
import { zerosLike } from "../tensor/creation.js";
import type { Tensor } from "../tensor/tensor.js";
import { zeroInPlace } from "./grad-in-place.js";

/**
 * Resets each tensor's gradient to null (PyTorch 2's default; a gradient
 * user code holds keeps its values) or, with setToNone = false, to zeros
 * in place, as PyTorch 1.13's zero_grad(set_to_none=False): the next
 * backward then adds into the same buffer. A gradient that cannot be
 * written in place (one with a graph, a view) is replaced by new zeros.
 */
export function zeroGradOf(tensors: Iterable<Tensor>, setToNone: boolean): void {
  for (const p of tensors) {
    const grad = p.grad;
    if (grad === null) continue;
    if (setToNone) p.grad = null;
    else if (!zeroInPlace(grad)) p.grad = zerosLike(grad);
  }
}
