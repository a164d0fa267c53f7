/**
 * The recycler: tensor buffers the library knows to be dead, kept for the
 * next allocation of the same dtype and length.
 *
 * Tensor storage is garbage-collected, and V8 frees a dead typed array's
 * memory only when a collection finds it. A training step that allocates
 * a couple of megabytes therefore piles up tens of megabytes of dead
 * buffers between collections, and the C heap keeps that high-water mark
 * as resident memory. But the library itself knows the moment some
 * buffers die — a gradient that backward has handed on, an activation
 * whose last saved reference backward has freed, a `.grad` that
 * `zeroGrad()` drops before anyone read it — and in a training loop the
 * next step asks for buffers of exactly those sizes. Recycling them makes
 * a step allocate almost nothing after the first.
 *
 * Only code that can prove a buffer unreachable may call `recycle`: a
 * recycled buffer is handed to the next tensor, so a stale reference would
 * see another tensor's values. The callers: src/autograd/engine.ts (gradients
 * consumed within a backward pass), src/graph/internal-activations.ts
 * (activations inside nn.Sequential), and zeroGrad (unread leaf gradients).
 */
import type { DType, TypedArray } from "../backend/backend.js";
import { registerPool } from "../backend/pools.js";
import { RECORD_BYTES, untrackLive } from "./memory.js";

/** Smaller buffers are not recycled, the same bound as the backward pass's record of fresh buffers. */
export const RECYCLE_MIN_BYTES = RECORD_BYTES;
/**
 * Past this the recycler forgets what it holds: a loop whose sizes change
 * (a last, shorter batch; a new model) must not keep buffers nobody asks for.
 */
const CAPACITY_BYTES = 64 * 1024 * 1024;

/** Free buffers per dtype, by element count. */
const free: Record<DType, Map<number, TypedArray[]>> = {
  float32: new Map(), float64: new Map(), int32: new Map(), bool: new Map(),
};
/** The same buffers as a set: recycling one twice would hand it to two tensors. */
const held = new Set<TypedArray>();
let heldBytes = 0;
let enabled = true;

registerPool("recycled", () => heldBytes);

/**
 * A dead buffer of `dtype` with `length` elements (zero-filled if `zeroed`,
 * else as its last tensor left it), or null if none is held. Called by
 * `allocate` before it makes a new one.
 */
export function takeRecycled(dtype: DType, length: number, zeroed: boolean): TypedArray | null {
  if (heldBytes === 0) return null;
  const list = free[dtype].get(length);
  if (list === undefined || list.length === 0) return null;
  const buffer = list.pop()!;
  held.delete(buffer);
  heldBytes -= buffer.byteLength;
  untrackLive(buffer, -1);
  return zeroed ? buffer.fill(0) : buffer;
}

/**
 * Hands back a buffer that nothing can reach any more. Views and
 * slices of a larger allocation are ignored: only the owner of a whole
 * ArrayBuffer may pass it on.
 */
export function recycle(buffer: TypedArray, dtype: DType): void {
  const bytes = buffer.byteLength;
  if (!enabled || bytes < RECYCLE_MIN_BYTES || buffer.byteOffset !== 0 || buffer.buffer.byteLength !== bytes) return;
  if (held.has(buffer)) throw new Error("internal error: a tensor buffer was recycled twice");
  if (heldBytes + bytes > CAPACITY_BYTES) clearRecycled();
  let list = free[dtype].get(buffer.length);
  if (list === undefined) free[dtype].set(buffer.length, (list = []));
  list.push(buffer);
  held.add(buffer);
  heldBytes += bytes;
  untrackLive(buffer, 1);
}

/** Drops every held buffer (the garbage collector reclaims them). */
export function clearRecycled(): void {
  // Back to live: the collector's count of them (memory.ts) takes them off when it frees them.
  for (const buffer of held) untrackLive(buffer, -1);
  for (const d of Object.keys(free) as DType[]) free[d].clear();
  held.clear();
  heldBytes = 0;
}

/**
 * Turns recycling on or off (on by default) and returns the previous
 * setting. Off, every tensor gets a new buffer, as before recycling existed:
 * tests compare the two, and it rules the recycler out when a result looks wrong.
 */
export function setRecycling(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  if (!on) clearRecycled();
  return was;
}
