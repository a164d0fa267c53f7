/**
 * The list of tensors constructed while a `bp.tidy` scope is open
 * (src/autograd/tidy.ts): every Tensor object adds itself in its
 * constructor, so the scope sees each tensor that can reach a buffer
 * allocated inside it — views and detached copies included — and can
 * tell whether something other than the graph still points at a buffer.
 *
 * Ops also mark here the tensors they make for their own backward and
 * never return (`markScratch`: attention's weights, cross-entropy's
 * log-probabilities): leaves that only the graph can reach, which the
 * scope may release like the graph tensors themselves.
 */
import type { Tensor } from "./tensor.js";

/** The innermost open scope's list, or null when no scope is open (the constructor's check is one load). */
export const constructionLog: { current: Tensor[] | null } = { current: null };

/** Tensors an op made for its backward and never handed out (only while a scope is open). */
const scratch = new WeakSet<Tensor>();

/**
 * Marks tensors that the calling op made itself, saves for its backward
 * and never returns: no code outside the op can hold them. Free when no
 * scope is open. Returns its argument.
 */
export function markScratch<T extends Tensor>(t: T): T {
  if (constructionLog.current !== null) scratch.add(t);
  return t;
}

export function isScratch(t: Tensor): boolean {
  return scratch.has(t);
}
