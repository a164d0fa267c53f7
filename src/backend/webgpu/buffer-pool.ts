/**
 * Recycled GPU buffers. Creating and destroying a GPUBuffer per op costs
 * driver work and memory churn; a training loop allocates the same sizes
 * every step, so released buffers are kept per size class and handed out
 * again.
 *
 * A buffer released while the open command batch may still use it is held
 * back until that batch is submitted (`afterSubmit`): an upload into it
 * (`queue.writeBuffer`) would otherwise land before the batch's passes that
 * read the old contents.
 */

import { BufferUsage, type GpuBuffer, type GpuDevice } from "./gpu-api.js";

const MIN_CLASS = 256;
const LARGE = 64 * 1024 * 1024;
const LARGE_STEP = 16 * 1024 * 1024;
/** What the pool keeps for reuse at most; beyond it, released buffers are destroyed. */
const MAX_POOLED_BYTES = 256 * 1024 * 1024;

/** The size class of a request: a power of two from 256 bytes, multiples of 16 MiB above 64 MiB. */
export function sizeClass(bytes: number): number {
  if (bytes <= MIN_CLASS) return MIN_CLASS;
  if (bytes > LARGE) return Math.ceil(bytes / LARGE_STEP) * LARGE_STEP;
  return 2 ** Math.ceil(Math.log2(bytes));
}

export class BufferPool {
  private readonly free = new Map<number, GpuBuffer[]>();
  private pending: GpuBuffer[] = [];
  private pooled = 0;
  private inUse = 0;
  /** Called when the pool destroys a buffer (bind groups that name it are then invalid). */
  onDestroy: () => void = () => {};

  constructor(private readonly device: GpuDevice, private readonly usage: number = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST) {}

  /** A buffer of at least `bytes` bytes (its size is the size class). */
  acquire(bytes: number): GpuBuffer {
    const size = sizeClass(bytes);
    const list = this.free.get(size);
    const reused = list?.pop();
    this.inUse += size;
    if (reused !== undefined) {
      this.pooled -= size;
      return reused;
    }
    return this.device.createBuffer({ size, usage: this.usage });
  }

  /** Gives a buffer back; it becomes reusable after the next submit. */
  release(buffer: GpuBuffer): void {
    this.inUse -= buffer.size;
    this.pending.push(buffer);
  }

  /** The open batch was submitted: buffers released during it may be reused now. */
  afterSubmit(): void {
    const pending = this.pending;
    this.pending = [];
    let destroyed = false;
    for (const buffer of pending) {
      if (this.pooled + buffer.size > MAX_POOLED_BYTES) {
        buffer.destroy();
        destroyed = true;
        continue;
      }
      let list = this.free.get(buffer.size);
      if (list === undefined) this.free.set(buffer.size, (list = []));
      list.push(buffer);
      this.pooled += buffer.size;
    }
    if (destroyed) this.onDestroy();
  }

  /** Bytes kept for reuse (released, not destroyed). */
  pooledBytes(): number {
    return this.pooled;
  }

  /** Bytes handed out and not yet released. */
  bytesInUse(): number {
    return this.inUse;
  }

  /** Destroys every kept buffer. */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.pooled = 0;
    this.onDestroy();
  }
}
