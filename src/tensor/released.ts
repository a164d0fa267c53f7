/**
 * What a tensor points at once `bp.tidy` has handed its buffer to the next
 * allocation: a stand-in storage on which every access throws
 * ReleasedTensorError. A released tensor can therefore never read the
 * values of the tensor that now owns its buffer; whichever path an op
 * takes (host storage, device dispatch, a view), it ends at this object.
 */
import { DeviceStorage } from "../backend/device-storage.js";
import { ReleasedTensorError } from "../errors.js";
import type { Tensor } from "./tensor.js";

const RELEASED_MESSAGE =
  "this tensor was released when the bp.tidy() callback that computed it returned, and its buffer now holds another tensor's values; "
  + "return it from the callback to keep it (an array or object of tensors works too), or read what you need inside the callback (item(), data())";

function fail(): never {
  throw new ReleasedTensorError(RELEASED_MESSAGE);
}

/** Typed as DeviceStorage so that it fits `Tensor._device`; any property read, call or write throws. */
export const RELEASED_STORAGE: DeviceStorage = new Proxy(Object.create(DeviceStorage.prototype) as DeviceStorage, {
  get: fail,
  set: fail,
  has: fail,
  ownKeys: fail,
});

/** Points `t` at the released stand-in (its buffer is being recycled). */
export function markReleased(t: Tensor): void {
  t._host = null;
  t._device = RELEASED_STORAGE;
}

export function isReleased(t: Tensor): boolean {
  return t._device === RELEASED_STORAGE;
}
