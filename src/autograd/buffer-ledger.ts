/**
 * The buffer ledger of one backward pass: the single place that decides
 * which tensor buffers are dead and hands them to the recycler
 * (src/tensor/recycler.ts).
 *
 * Its proof uses only what the pass itself sees, never a list of classes
 * or a promise from code elsewhere:
 * - `fresh`: the buffers allocated since the pass began (recorded by
 *   src/tensor/memory.ts). Nothing created before the pass (a parameter,
 *   an activation, the gradient passed to backward) is among them, so
 *   user code can only have seen one of them through the pass's own exits.
 * - those exits: a gradient handed to a hook or returned by `bp.grad`
 *   (`escape`), and a gradient kept as a leaf's `.grad` (`adopt`).
 * - `pending`: for each gradient buffer waiting at a node or leaf, how many
 *   waiting gradients share it (`add`'s VJP hands one tensor to both inputs).
 *
 * A fresh buffer that never escaped and was not adopted is dead when its
 * last waiting gradient is used up (`release`), a VJP result added into a
 * gradient already waiting is dead once added (`discard`), and a VJP's intermediate
 * steps are dead as soon as the VJP returns (`releaseTemporaries`): the
 * library's VJPs keep nothing. With createGraph nothing is recycled, since
 * the gradient's graph saves those buffers.
 */
import { allocationMark, allocationsSince, type StorageKey } from "../tensor/memory.js";
import { isRecycled, RECYCLE_MIN_BYTES, recycleStorage } from "../tensor/recycler.js";
import { storageKey, type Tensor } from "../tensor/tensor.js";

export class BufferLedger {
  private readonly pending = new Map<StorageKey, number>();
  private readonly escaped = new Set<StorageKey>();
  private readonly adopted = new Set<StorageKey>();

  /**
   * `fresh`: the buffers allocated since the pass began (it grows as the
   * pass runs). `recycling`: false under createGraph.
   */
  constructor(private readonly fresh: ReadonlySet<StorageKey>, private readonly recycling: boolean) {}

  /** A gradient now waits at a node or leaf. (Buffers too small to recycle are not counted: a chain of scalar ops stays cheap.) */
  hold(t: Tensor): void {
    const buffer = storageKey(t);
    if (buffer.byteLength >= RECYCLE_MIN_BYTES) this.pending.set(buffer, (this.pending.get(buffer) ?? 0) + 1);
  }

  /** A waiting gradient has been used up: its buffer is recycled if no other waiting gradient shares it and it never left the pass. */
  release(t: Tensor): void {
    const buffer = storageKey(t);
    if (buffer.byteLength < RECYCLE_MIN_BYTES) return;
    const count = this.pending.get(buffer);
    if (count === undefined) return;
    if (count > 1) {
      this.pending.set(buffer, count - 1);
      return;
    }
    this.pending.delete(buffer);
    if (this.isPrivate(buffer)) recycleStorage(buffer);
  }

  /**
   * A gradient that was never held has been used up (a VJP's result added
   * into a gradient already waiting): its buffer is recycled if no waiting
   * gradient shares it and it never left the pass. Call it only once every
   * result of that VJP has been held or added in, so that a result handed
   * to two inputs is still counted as waiting.
   */
  discard(t: Tensor): void {
    const buffer = storageKey(t);
    if (buffer.byteLength < RECYCLE_MIN_BYTES || this.pending.has(buffer) || isRecycled(buffer)) return;
    if (this.isPrivate(buffer)) recycleStorage(buffer);
  }

  /** User code sees `t` (a hook's argument or result, a gradient bp.grad returns): its buffer is never recycled nor adopted. */
  escape(t: Tensor): void {
    this.escaped.add(storageKey(t));
  }

  /**
   * Whether a leaf may keep `g` as its .grad without a copy, and if so
   * records that it did: g must fill a fresh buffer of its own that never
   * escaped and that no other leaf took (add hands one gradient to both
   * inputs). A gradient that fails needs a contiguous copy: it may be a
   * stride-0 expansion or share storage with the root gradient or a hook's
   * tensor, and optimizers and clipping write `.grad` in place.
   */
  adopt(g: Tensor): boolean {
    const buffer = storageKey(g);
    if (g.offset !== 0 || !g.isContiguous || buffer.length !== g.size || !this.fresh.has(buffer)
      || this.escaped.has(buffer) || this.adopted.has(buffer)) return false;
    this.adopted.add(buffer);
    return true;
  }

  /** Call before a VJP; pass the result to `releaseTemporaries` with what the VJP returned. */
  mark(): number {
    return allocationMark();
  }

  /**
   * Recycles what a VJP allocated for its intermediate steps (the exp and
   * product in logSoftmax's ȳ − exp(y)·Σȳ, say) and did not return.
   */
  releaseTemporaries(mark: number, returned: readonly (Tensor | null)[]): void {
    // Most VJPs allocate only what they return: skip the copy of an empty span.
    if (!this.recycling || allocationMark() === mark) return;
    const allocated = allocationsSince(mark);
    for (let i = 0; i < allocated.length; i++) {
      const buffer = allocated[i];
      let kept = false;
      for (let j = 0; j < returned.length; j++) {
        const r = returned[j];
        if (r !== null && r !== undefined && storageKey(r) === buffer) { kept = true; break; }
      }
      if (!kept) recycleStorage(buffer);
    }
  }

  private isPrivate(buffer: StorageKey): boolean {
    return this.recycling && this.fresh.has(buffer) && !this.escaped.has(buffer) && !this.adopted.has(buffer);
  }
}
