/**
 * Tensor storage in GPU memory (docs/webgpu.md, "Storage"): a `GpuArray`
 * owned by the WebGPU kernels, plus a host copy that is valid until a
 * kernel writes the buffer. A tensor whose storage is a `DeviceStorage`
 * has no host array of its own; `Tensor.storage` asks `materialise()` for
 * one (a synchronous read, counted in `reads`).
 *
 * Both copies can go stale:
 * - a device kernel that writes the buffer in place (Adam, an accumulated
 *   gradient) calls `deviceWrote()`, which drops the host copy;
 * - a host write into the materialised copy (an in-place op on the CPU,
 *   an optimizer's JS loop) reaches `hostWrote` (from the storage version
 *   counter, src/graph/versions.ts), which marks the buffer stale, and the
 *   next device kernel that reads it uploads the host copy first (`gpu()`).
 *   Since not every host writer counts versions, handing the copy out
 *   through `Tensor.storage` marks it stale as well (`materialise(true)`):
 *   a write costs an upload, never a wrong value.
 *
 * The buffer returns to the pool when the storage is garbage (a
 * FinalizationRegistry) or when the backward pass's buffer ledger proves
 * it dead (`release`); `liveDeviceBytes()` counts what live storages hold.
 */
import { BackpropError } from "../errors.js";
import type { TypedArray } from "./backend.js";
import type { GpuArray, WebGpuKernels } from "./webgpu/kernels.js";

/**
 * What a device storage's 4-byte words hold: float32 values, or the raw
 * bits of int32 values (argmax's indices) or of 0/1 words (a comparison's
 * bool mask). The kernels that write or read int32 and bool words declare
 * their bindings as i32/u32, so no value passes through a float; the host
 * copy is the dtype's own typed array (Int32Array, Uint8Array).
 */
export type DeviceKind = "float32" | "int32" | "bool";

/** `host`'s elements as the 4-byte words a device array of `kind` holds (a view where the bytes already are those words). */
export function deviceWords(host: TypedArray, kind: DeviceKind): Float32Array {
  if (kind === "float32") return host as Float32Array;
  if (kind === "int32") return new Float32Array(host.buffer, host.byteOffset, host.length);
  return new Float32Array(Uint32Array.from(host as Uint8Array).buffer);
}

/** The host typed array of `kind` that the device words `words` stand for (a fresh copy). */
function hostElements(words: Float32Array, kind: DeviceKind): TypedArray {
  const bits = new Uint32Array(words.buffer, words.byteOffset, words.length);
  if (kind === "bool") return Uint8Array.from(bits, (b) => (b !== 0 ? 1 : 0));
  const copy = kind === "int32" ? new Int32Array(words.length) : new Float32Array(words.length);
  new Uint32Array(copy.buffer).set(bits); // word by word: every bit pattern (NaN payloads too) survives
  return copy;
}

let liveBytes = 0;
/** Host copies handed out, to the storage they mirror (for `hostWrote`). */
const mirrors = new WeakMap<object, DeviceStorage>();
/** How many storages were ever made: until then `hostWrote` has nothing to look up. */
let made = 0;

const finalizer = typeof FinalizationRegistry === "function"
  ? new FinalizationRegistry<{ kernels: WebGpuKernels; array: GpuArray }>(({ kernels, array }) => {
    if (!array.released) {
      liveBytes -= array.length * 4;
      if (kernels.context.lost === null) kernels.release(array);
    }
  })
  : null;

export class DeviceStorage {
  private array: GpuArray;
  private host: TypedArray | null;
  /** The host copy was written since it was last uploaded. */
  private deviceStale = false;

  /** Takes ownership of `array`; `host`, when given, is a valid copy of its elements (a typed array of `kind`). */
  constructor(readonly kernels: WebGpuKernels, array: GpuArray, host: TypedArray | null = null, readonly kind: DeviceKind = "float32") {
    this.array = array;
    this.host = null;
    if (host !== null) this.setHost(host);
    made++;
    liveBytes += array.length * 4;
    finalizer?.register(this, { kernels, array }, this);
  }

  /** Elements (4-byte words: see `kind`). */
  get length(): number {
    return this.array.length;
  }

  /** Bytes of the elements (named as a typed array's, so that code keyed by storage reads either alike). */
  get byteLength(): number {
    return this.array.length * 4;
  }

  get released(): boolean {
    return this.array.released;
  }

  /** The buffer, current (the host copy uploaded first if it was written since). */
  gpu(): GpuArray {
    this.checkLive();
    if (this.deviceStale && this.host !== null) {
      this.kernels.write(this.array, deviceWords(this.host, this.kind));
      this.deviceStale = false;
    }
    return this.array;
  }

  /**
   * The elements on the host, read (synchronously) if no valid copy exists.
   * `mayWrite`: the caller gets the array to do as it likes (Tensor.storage,
   * which a hundred host kernels and loops write into, not all of them
   * through the version counter), so the buffer is taken to be stale and
   * the next device kernel that reads it uploads the copy first; a pure
   * read (data(), item()) passes false.
   */
  materialise(mayWrite: boolean): TypedArray {
    if (mayWrite) this.deviceStale = true;
    if (this.host !== null) return this.host;
    this.checkLive();
    const copy = hostElements(this.kernels.readSync(this.array), this.kind);
    this.setHost(copy);
    return copy;
  }

  /** The same, without blocking (a mapAsync read): what `Tensor.dataAsync()` waits on. */
  async materialiseAsync(): Promise<TypedArray> {
    if (this.host !== null) return this.host;
    this.checkLive();
    const copy = hostElements(await this.kernels.read(this.array), this.kind);
    if (this.host !== null) return this.host; // a synchronous read came first
    this.setHost(copy);
    return copy;
  }

  /** Sets every element (no upload of a stale host copy first: all of it is replaced). */
  overwrite(data: Float32Array): void {
    this.checkLive();
    this.kernels.write(this.array, data);
    this.deviceWrote();
  }

  /** A kernel wrote the buffer: the host copy no longer matches. */
  deviceWrote(): void {
    this.host = null;
    this.deviceStale = false;
  }

  /** Gives the buffer back to the pool; the storage must not be used again. */
  release(): void {
    if (this.array.released) return;
    finalizer?.unregister(this);
    liveBytes -= this.array.length * 4;
    this.host = null;
    if (this.kernels.context.lost === null) this.kernels.release(this.array);
    else this.array.released = true;
  }

  /** Called through `hostWrote` when someone wrote into the host copy. */
  markDeviceStale(): void {
    this.deviceStale = true;
  }

  private setHost(host: TypedArray): void {
    this.host = host;
    mirrors.set(host, this);
  }

  private checkLive(): void {
    if (this.array.released) throw new BackpropError("webgpu: a tensor's GPU buffer was used after the buffer ledger released it (internal error: please report it)");
  }
}

/**
 * A write into `storage` (a host array or a device storage) happened. When
 * the array is the host copy of a device storage, that storage's buffer is
 * now stale; returns the device storage (the key its version counts under),
 * else `storage` itself.
 */
export function hostWrote(storage: object): object {
  if (made === 0) return storage;
  const device = mirrors.get(storage);
  if (device === undefined) return storage;
  device.markDeviceStale();
  return device;
}

/** Bytes of GPU buffers held by live device storages. */
export function liveDeviceBytes(): number {
  return liveBytes;
}
