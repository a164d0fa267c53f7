/** bp.nn.utils: gradient clipping, as torch.nn.utils. */
import { noGrad } from "../graph/mode.js";
import { ValueError } from "../errors.js";
import { tensor } from "../tensor/creation.js";
import { Tensor } from "../tensor/tensor.js";

function withGrads(op: string, parameters: Iterable<Tensor> | Tensor): Tensor[] {
  const list = parameters instanceof Tensor ? [parameters] : Array.from(parameters);
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new TypeError(`${op}: parameter ${i} is not a Tensor`);
  });
  return list.filter((p) => p.grad !== null);
}

/**
 * Scales all gradients together so that their combined norm is at most
 * maxNorm (PyTorch's clip_grad_norm_: coefficient maxNorm / (norm + 1e-6),
 * capped at 1). Returns the total norm before clipping, as a 0-d float64
 * tensor. normType may be any p ≥ 1 or Infinity. The gradients are replaced
 * by scaled copies (never scaled in place: a gradient may be a broadcast
 * view whose storage is shared).
 */
export function clipGradNorm_(parameters: Iterable<Tensor> | Tensor, maxNorm: number, normType = 2): Tensor {
  if (!(maxNorm >= 0)) throw new ValueError(`clipGradNorm_: maxNorm must be a non-negative number, got ${maxNorm}`);
  if (!(normType >= 1)) throw new ValueError(`clipGradNorm_: normType must be >= 1 or Infinity, got ${normType}`);
  const params = withGrads("clipGradNorm_", parameters);
  let total = 0;
  for (const p of params) {
    const g = p.grad!.data();
    if (normType === Infinity) for (let i = 0; i < g.length; i++) total = Math.max(total, Math.abs(g[i]));
    else for (let i = 0; i < g.length; i++) total += Math.abs(g[i]) ** normType;
  }
  if (normType !== Infinity) total = total ** (1 / normType);
  const coef = Math.min(maxNorm / (total + 1e-6), 1);
  if (coef < 1) noGrad(() => { for (const p of params) p.grad = p.grad!.mul(coef); });
  return tensor(total, { dtype: "float64" });
}

/** Clamps every gradient element to [−clipValue, clipValue] (PyTorch's clip_grad_value_). */
export function clipGradValue_(parameters: Iterable<Tensor> | Tensor, clipValue: number): void {
  if (!(clipValue >= 0)) throw new ValueError(`clipGradValue_: clipValue must be a non-negative number, got ${clipValue}`);
  const params = withGrads("clipGradValue_", parameters);
  noGrad(() => { for (const p of params) p.grad = p.grad!.clamp(-clipValue, clipValue); });
}
