/**
 * crossEntropy's most common case as one op: raw scores [N, C] against
 * int32 class indices [N], without class weights or label smoothing,
 * averaged or summed. Composed from tensor ops (logSoftmax, gather, neg,
 * sum, div and their VJPs) it costs about ten op dispatches each way; here
 * the forward is one log-softmax kernel and one pass over the N targets,
 * and the backward one exp kernel and one pass over the scores.
 *
 * Both directions round exactly as the composed version does with the JS
 * kernels (a test holds them bit for bit), so the shortcut changes speed,
 * not results:
 *   L = −Σᵢ log p[i, tᵢ] / K     (K: targets not equal to ignoreIndex; no /K for "sum")
 *   ∂L/∂x[i, j] = s·[j = tᵢ] − exp(log p[i, j])·s    with s = −g/K, written as
 *   the composed VJPs compute it: ḡ − exp(y)·Σⱼ ḡ, where ḡ = −g/K at the target.
 */
import { gradMode, noGrad } from "../graph/mode.js";
import { defineOp, record } from "../graph/node.js";
import type { FloatArray } from "../backend/backend.js";
import { gpu } from "../backend/device-dispatch.js";
import { backend } from "../backend/registry.js";
import { ValueError } from "../errors.js";
import { contiguousData } from "./util.js";
import { deviceCrossEntropyGrad, deviceCrossEntropyLoss } from "./device-ops.js";
import { markScratch } from "../tensor/construction-log.js";
import { zeros } from "../tensor/creation.js";
import { allocate, allocateUninitialized } from "../tensor/dtype.js";
import { Tensor } from "../tensor/tensor.js";

interface Ctx {
  /** A copy of the targets (the caller may change its tensor before backward). */
  targets: Int32Array;
  ignoreIndex: number;
  /** Targets that count: the divisor of "mean". */
  kept: number;
  reduction: "mean" | "sum";
}

/** The error of a class index outside [0, C), shared with the composed losses. */
export function targetOutOfRange(op: string, target: number, index: number, numClasses: number, ignoreIndex: number | undefined): ValueError {
  return new ValueError(`${op}: target ${target} at flat index ${index} is out of range for ${numClasses} classes (expected 0 … ${numClasses - 1}${ignoreIndex !== undefined ? ` or ignoreIndex ${ignoreIndex}` : ""})`);
}

const CROSS_ENTROPY = defineOp<Ctx>("crossEntropy", (g, [input, logProb], c) => [
  // createGraph: the gradient must itself be differentiable, so compose it from tensor ops.
  gradMode.enabled ? composedGradient(g, input, c) : fusedGradient(g, logProb, c),
]);

/**
 * The loss. The caller (crossEntropy) has checked that this case applies:
 * `input` float [N, C], `target` int32 [N], no weights, no smoothing.
 */
export function crossEntropyOfIndices(input: Tensor, target: Tensor, ignoreIndex: number, ignoreIndexGiven: boolean, reduction: "mean" | "sum"): Tensor {
  const [rows, numClasses] = input.shape;
  // Made here for the backward and never returned: scratch a tidy scope may release.
  const logProb = markScratch(noGrad(() => input.logSoftmax(1)));
  const { data: t, offset } = contiguousData(target);
  const targets = new Int32Array(rows);
  let kept = 0;
  for (let i = 0; i < rows; i++) {
    const c = t[offset + i];
    targets[i] = c;
    if (c === ignoreIndex) continue;
    if (c < 0 || c >= numClasses) throw targetOutOfRange("crossEntropy", c, i, numClasses, ignoreIndexGiven ? ignoreIndex : undefined);
    kept++;
  }
  const ctx: Ctx = { targets, ignoreIndex, kept, reduction };
  // Log-probabilities on the GPU: the loss is summed there too, so that nothing is read back until the caller reads the loss.
  const onDevice = gpu.active !== null && logProb._device !== null ? deviceCrossEntropyLoss(logProb, deviceTargets(ctx), reduction === "mean" ? kept : 1) : null;
  const loss = onDevice ?? new Tensor(hostLoss(logProb, ctx), [], input.dtype);
  record(loss, CROSS_ENTROPY, [input], [input, logProb], ctx);
  return loss;
}

/** The loss on the host, as one element of the dtype. */
function hostLoss(logProb: Tensor, c: Ctx): FloatArray {
  const lp = logProb.storage;
  const numClasses = logProb.shape[1];
  let total = 0; // accumulated in double, in order, like the sum kernel of the composed version
  for (let i = 0; i < c.targets.length; i++) {
    const t = c.targets[i];
    if (t !== c.ignoreIndex) total -= lp[i * numClasses + t];
  }
  const out = allocate(logProb.dtype, 1) as FloatArray;
  out[0] = total; // rounded to the dtype, as the composed sum is
  if (c.reduction === "mean") out[0] = out[0] / c.kept;
  return out;
}

/** The targets as the device kernels take them: −1 for an ignored row. */
function deviceTargets(c: Ctx): Int32Array {
  return c.targets.map((t) => (t === c.ignoreIndex ? -1 : t));
}

/** ∂L/∂x without a graph: one exp kernel, then one pass that rounds like the composed VJPs. */
function fusedGradient(g: Tensor, logProb: Tensor, c: Ctx): Tensor {
  const [rows, numClasses] = logProb.shape;
  const n = rows * numClasses;
  // ḡ at the target: −g/K (div's VJP, rounded to the dtype, then negated exactly).
  const scaled = c.reduction === "mean" ? g.item() / c.kept : g.item();
  const atTarget = -(logProb.dtype === "float32" ? Math.fround(scaled) : scaled);
  if (gpu.active !== null && logProb._device !== null) {
    const onDevice = deviceCrossEntropyGrad(logProb, deviceTargets(c), atTarget);
    if (onDevice !== null) return onDevice;
  }
  const out = allocateUninitialized(logProb.dtype, n);
  backend.unary("exp", logProb.storage, logProb.offset, out, n, 0, 0);
  subtractRows(out as FloatArray, c, numClasses, atTarget);
  return new Tensor(out, logProb.shape, logProb.dtype);
}

// Row i of ḡ is atTarget at the target and 0 elsewhere (all 0 for an ignored
// target), so Σⱼ ḡ is atTarget (or 0), and out[j] = ḡ[j] − exp(y[j])·Σḡ.
// The product of two float32 values is exact in a double, so storing each
// result rounds once, as the composed mul and sub do. "0 − m" rather than
// "−m": an ignored row must give +0, as the composed sub does.
function subtractRows(out: FloatArray, c: Ctx, numClasses: number, atTarget: number): void {
  for (let i = 0, base = 0; i < c.targets.length; i++, base += numClasses) {
    const t = c.targets[i];
    const ignored = t === c.ignoreIndex;
    const rowSum = ignored ? 0 : atTarget;
    for (let j = 0; j < numClasses; j++) out[base + j] = 0 - out[base + j] * rowSum;
    // At the target ḡ − m: out there now holds −m.
    if (!ignored) out[base + t] = atTarget + out[base + t];
  }
}

/** ∂L/∂x as tensor ops, for createGraph: (softmax(x) − onehot)·keep·(g/K). */
function composedGradient(g: Tensor, input: Tensor, c: Ctx): Tensor {
  const [rows, numClasses] = input.shape;
  const onehot = zeros([rows, numClasses], { dtype: input.dtype });
  const keep = zeros([rows, 1], { dtype: input.dtype });
  for (let i = 0; i < rows; i++) {
    const t = c.targets[i];
    if (t === c.ignoreIndex) continue;
    onehot.storage[i * numClasses + t] = 1;
    keep.storage[i] = 1;
  }
  const scale = c.reduction === "mean" ? g.div(c.kept) : g;
  return input.softmax(1).sub(onehot).mul(keep).mul(scale);
}
