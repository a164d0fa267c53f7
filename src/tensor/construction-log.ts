/**
 * The list of tensors constructed while a `bp.tidy` scope is open
 * (src/autograd/tidy.ts): every Tensor object adds itself in its
 * constructor, so the scope sees each tensor that can reach a buffer
 * allocated inside it — views and detached copies included — and can
 * tell whether something other than the graph still points at a buffer.
 */
import type { Tensor } from "./tensor.js";

/** The innermost open scope's list, or null when no scope is open (the constructor's check is one load). */
export const constructionLog: { current: Tensor[] | null } = { current: null };
