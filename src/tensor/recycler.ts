/**
 * The recycler: tensor buffers the library knows to be dead, kept for the
 * next allocation of the same dtype and length.
 *
 * Tensor storage is garbage-collected, and V8 frees a dead typed array's
 * memory only when a collection finds it. A training step that allocates
 * a couple of megabytes therefore piles up tens of megabytes of dead
 * buffers between collections, and the C heap keeps that high-water mark
 * as resident memory. Within a backward pass, though, the library knows
 * the moment some buffers die (a gradient handed on, a VJP's intermediate
 * step), and the next step asks for buffers of exactly those sizes.
 *
 * Two callers may call `recycle`, each with a proof that the buffer is
 * dead: the backward pass's ledger (src/autograd/buffer-ledger.ts), which
 * proves it from the pass's own records, and `bp.tidy`
 * (src/autograd/tidy.ts), which proves it from the graph, the tensors
 * constructed in its scope and its caller's promise, and detaches every
 * tensor that pointed at the buffer. A recycled buffer is handed to the next
 * tensor, so a mistake there would show another tensor's values. The
 * debug mode (`BACKPROP_DEBUG_RECYCLE=1`, or `setRecycleDebug(true)`) turns
 * such a mistake into NaNs and a thrown error: see `setRecycleDebug`.
 */
import type { DType, TypedArray } from "../backend/backend.js";
import { DeviceStorage } from "../backend/device-storage.js";
import { registerPool } from "../backend/pools.js";
import { dtypeOfArray } from "./dtype.js";
import { RECORD_BYTES, untrackLive, type StorageKey } from "./memory.js";

/** Smaller buffers are not recycled, the same bound as the backward pass's record of fresh buffers. */
export const RECYCLE_MIN_BYTES = RECORD_BYTES;
/**
 * Past this the recycler forgets what it holds: a loop whose sizes change
 * (a last, shorter batch; a new model) must not keep buffers nobody asks for.
 */
const CAPACITY_BYTES = 64 * 1024 * 1024;
/** In debug mode, how many recycled buffers wait (poisoned) before they may be reused. */
export const QUARANTINE_LENGTH = 16;

/** Free buffers per dtype, by element count. */
const free: Record<DType, Map<number, TypedArray[]>> = {
  float32: new Map(), float64: new Map(), int32: new Map(), bool: new Map(),
};
/** Every buffer held (free or quarantined): recycling one twice would hand it to two tensors. */
const held = new Set<TypedArray>();
/** Debug mode: recycled buffers, oldest first, not yet free for reuse. */
const quarantine: { buffer: TypedArray; dtype: DType }[] = [];
let heldBytes = 0;
let enabled = true;
let debug = readDebugSwitch();

registerPool("recycled", () => heldBytes);

function readDebugSwitch(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.BACKPROP_DEBUG_RECYCLE === "1";
}

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
  held.add(buffer);
  heldBytes += bytes;
  untrackLive(buffer, 1);
  if (!debug) {
    makeFree(buffer, dtype);
    return;
  }
  buffer.fill(POISON[dtype]);
  quarantine.push({ buffer, dtype });
  if (quarantine.length > QUARANTINE_LENGTH) {
    const oldest = quarantine.shift()!;
    checkPoisoned(oldest.buffer, oldest.dtype);
    makeFree(oldest.buffer, oldest.dtype);
  }
}

/** Hands back a dead tensor storage: a host array to the recycler, a GPU buffer to its pool. */
export function recycleStorage(buffer: StorageKey): void {
  if (buffer instanceof DeviceStorage) buffer.release();
  else recycle(buffer, dtypeOfArray(buffer));
}

/** Whether the recycler holds `buffer` now (free or quarantined): it was recycled and not yet handed out again. */
export function isRecycled(buffer: StorageKey): boolean {
  return !(buffer instanceof DeviceStorage) && held.has(buffer);
}

function makeFree(buffer: TypedArray, dtype: DType): void {
  let list = free[dtype].get(buffer.length);
  if (list === undefined) free[dtype].set(buffer.length, (list = []));
  list.push(buffer);
}

/** What debug mode fills a recycled buffer with: a stale read shows up as NaN (or an impossible value). */
const POISON: Record<DType, number> = { float32: NaN, float64: NaN, int32: -0x80000000, bool: 0xab };

/** A write to a quarantined buffer means some tensor still used it after it was recycled. */
function checkPoisoned(buffer: TypedArray, dtype: DType): void {
  const poison = POISON[dtype];
  const isFloat = dtype === "float32" || dtype === "float64";
  for (let i = 0; i < buffer.length; i++) {
    const v = buffer[i];
    if (isFloat ? v === v : v !== poison) {
      throw new Error(`internal error: a recycled ${dtype} buffer of ${buffer.length} elements was written to (element ${i} = ${v}) while it waited in the recycler's quarantine, so a tensor still used it after it was recycled`);
    }
  }
}

/** Drops every held buffer (the garbage collector reclaims them). */
export function clearRecycled(): void {
  // Back to live: the collector's count of them (memory.ts) takes them off when it frees them.
  for (const buffer of held) untrackLive(buffer, -1);
  for (const d of Object.keys(free) as DType[]) free[d].clear();
  held.clear();
  quarantine.length = 0;
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

/**
 * Debug mode (on when the environment has `BACKPROP_DEBUG_RECYCLE=1`):
 * every recycled buffer is filled with NaN (int32: −2³¹, bool: 0xAB) and
 * waits behind the next QUARANTINE_LENGTH recycled buffers before it may
 * be reused. A tensor that still reads it sees NaN instead of another
 * tensor's plausible values; one that writes to it makes the recycler
 * throw when the buffer leaves the quarantine. Returns the previous setting.
 */
export function setRecycleDebug(on: boolean): boolean {
  const was = debug;
  if (on !== was) clearRecycled();
  debug = on;
  return was;
}
