/**
 * Version counters for in-place writes (PyTorch's "saved tensor versions").
 *
 * An in-place op (src/ops/inplace.ts) changes a storage's values after the
 * graph may have saved them for a gradient: a `detach()` or a view taken
 * under noGrad shares the storage of a tensor a `mul` saved, say. Each
 * in-place write bumps its storage's version and stamps it with a global
 * write count; a node recorded after the first in-place write anywhere
 * remembers the count at recording and refuses to run its VJP on saved
 * values written since. Programs that never write in place pay nothing:
 * until then `record` does not look here.
 */
import { hostWrote } from "../backend/device-storage.js";
import { AutogradError } from "../errors.js";
import { formatShape } from "../tensor/shape.js";
import { storageKey, type Tensor } from "../tensor/tensor.js";
import type { OpDef } from "./node.js";

/** In-place writes so far, per storage (a host array or a device storage; absent: never written in place). */
const versions = new WeakMap<object, number>();
/** The value of `writes` just after each storage's last in-place write. */
const lastWrite = new WeakMap<object, number>();
/** In-place writes so far, to any storage. */
let writes = 0;

/** Whether any in-place write has happened: until then nodes need no guard. */
export const inplaceWrites = { seen: false };

/**
 * Called by every in-place op after it wrote into `storage`. A write into
 * the host copy of a GPU tensor counts for its device storage, whose buffer
 * it makes stale (src/backend/device-storage.ts).
 */
export function bumpVersion(written: object): void {
  const storage = hostWrote(written);
  versions.set(storage, (versions.get(storage) ?? 0) + 1);
  lastWrite.set(storage, ++writes);
  inplaceWrites.seen = true;
}

export function versionOf(storage: object): number {
  return versions.get(storage) ?? 0;
}

/**
 * `op` with a VJP that first checks that none of `saved` was written in
 * place since now. It keeps one number: no write at all since then (the
 * usual case) is one comparison.
 */
export function guardSaved<Ctx>(op: OpDef<Ctx>, saved: readonly Tensor[]): OpDef<Ctx> {
  const recordedAt = writes;
  return {
    name: op.name,
    vjp(g, values, ctx, needs) {
      if (writes !== recordedAt) {
        for (let i = 0; i < values.length; i++) {
          const storage = storageKey(values[i]);
          if ((lastWrite.get(storage) ?? 0) > recordedAt) {
            throw new AutogradError(
              `backward: one of the variables needed for gradient computation has been modified by an inplace operation: value ${i} (shape ${formatShape(values[i].shape)}) that "${op.name}" saved was written in place after it was saved (its storage is now at version ${versionOf(storage)}). Make the in-place change after backward, or use the out-of-place op (add instead of add_)`,
            );
          }
        }
      }
      return op.vjp(g, values, ctx, needs);
    },
  };
}
