/**
 * Finding NaN and ±Infinity in a training step, for `backprop train`'s
 * divergence checks: a cheap test of every gradient at once after each
 * backward, and, under --detect-anomaly, the forward op that first made a
 * non-finite value when the loss itself is NaN or infinite.
 */
import { noGrad } from "../graph/mode.js";
import { tracer } from "../graph/node.js";
import type { Tensor } from "../tensor/tensor.js";

/** The first element of `t` that is NaN or ±Infinity, or null when all are finite. */
export function firstNonFinite(t: Tensor): number | null {
  const d = t.data();
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return Number(d[i]);
  return null;
}

/**
 * The first parameter whose gradient holds NaN or ±Infinity, with that value;
 * null when every gradient is finite. One sum per gradient, run by the
 * backend's reduction kernel, added together: a NaN or an infinity anywhere
 * makes the total non-finite, so the element-by-element search runs only
 * then (finite gradients whose total overflows are found finite there).
 */
export function nonFiniteGradient(named: readonly (readonly [string, Tensor])[]): { name: string; value: number } | null {
  const total = noGrad(() => {
    let t = 0;
    for (const [, p] of named) if (p.grad) t += p.grad.sum().item();
    return t;
  });
  if (Number.isFinite(total)) return null;
  for (const [name, p] of named) {
    const value = p.grad ? firstNonFinite(p.grad) : null;
    if (value !== null) return { name, value };
  }
  return null;
}

/** What `nonFiniteOrigin` found: the op, what it produced, and whether its inputs were all finite. */
export interface NonFiniteOrigin {
  op: string;
  value: number;
  finiteInputs: boolean;
}

/**
 * Runs `forward` (a forward pass whose result was NaN or infinite) again
 * under noGrad, watching every op's output through the export tracer, and
 * returns the first op that produced a NaN or an infinity; null when the
 * rerun stays finite. The forward must be deterministic (it is rerun on the
 * same batch and weights).
 */
export function nonFiniteOrigin(forward: () => unknown): NonFiniteOrigin | null {
  let found: NonFiniteOrigin | null = null;
  const previous = tracer.hook;
  tracer.hook = (out, name, inputs) => {
    if (found !== null) return;
    const value = firstNonFinite(out);
    if (value === null) return;
    found = { op: name, value, finiteInputs: inputs.every((x) => x === null || firstNonFinite(x) === null) };
  };
  try {
    noGrad(forward);
  } finally {
    tracer.hook = previous;
  }
  return found;
}
