/**
 * The backend's view of wasm linear memory. Tensors live in ordinary JS
 * typed arrays, so each accelerated kernel copies its operands into a
 * grow-only scratch region, runs, and copies the result out. Layout:
 *
 *   [0, CONTROL_BASE)            the kernels' static data (constant tables,
 *                                placed from 1024 by the compiler), then the
 *                                two erf tables the backend copies in (at
 *                                the addresses asm/gelu.ts names); address 0
 *                                stays unused
 *   [CONTROL_BASE, SCRATCH_BASE) one control block per worker thread, then
 *                                the counters of a split GEMM (shared
 *                                memory; unused in the unshared one)
 *   [SCRATCH_BASE, …)            operands, results and GEMM pack buffers
 *                                of the current call, reused by the next
 */
import { CONTROL_BYTES } from "../threads/pool.js";

export const MAX_WORKERS = 15;
export const CONTROL_BASE = 32768;
export const CHUNK_COUNTER = CONTROL_BASE + MAX_WORKERS * CONTROL_BYTES;
export const SCRATCH_BASE = CHUNK_COUNTER + 1024;
const PAGE = 65536;

/**
 * Up to this many floats, copying element by element beats creating the
 * subarray views that TypedArray.set needs (tens of nanoseconds each, and
 * garbage); the small products of a small MLP copy a few hundred at a time.
 */
const LOOP_COPY_MAX = 128;

export class Arena {
  private f32: Float32Array;
  private i32: Int32Array;
  private top = SCRATCH_BASE;

  constructor(private readonly memory: WebAssembly.Memory) {
    this.f32 = new Float32Array(memory.buffer);
    this.i32 = new Int32Array(memory.buffer);
  }

  /** Frees everything taken since the last reset (call at the start of each kernel). */
  reset(): void {
    this.top = SCRATCH_BASE;
  }

  /**
   * Reserves `bytes` (16-byte aligned) and returns their byte address, or -1
   * when the memory cannot grow that far; the caller then runs the JS kernel.
   */
  take(bytes: number): number {
    const start = (this.top + 15) & ~15;
    const end = start + bytes;
    if (end > this.f32.length * 4) {
      const pages = Math.ceil((end - this.memory.buffer.byteLength) / PAGE);
      try {
        if (pages > 0) this.memory.grow(pages);
      } catch {
        return -1;
      }
      // Only this method grows the memory, so the view is renewed here and nowhere
      // else (reading memory.buffer on every copy cost ~2% of a small MLP's step).
      this.f32 = new Float32Array(this.memory.buffer);
      this.i32 = new Int32Array(this.memory.buffer);
    }
    this.top = end;
    return start;
  }

  /** Copies src[from, from + count) to the f32 at byte address `ptr`. */
  write(ptr: number, src: Float32Array, from: number, count: number): void {
    const f = this.f32, at = ptr >> 2;
    if (count <= LOOP_COPY_MAX) {
      for (let i = 0; i < count; i++) f[at + i] = src[from + i];
    } else {
      f.set(from === 0 && count === src.length ? src : src.subarray(from, from + count), at);
    }
  }

  /** Copies `count` f32 from byte address `ptr` into dst[to, to + count). */
  read(ptr: number, dst: Float32Array, to: number, count: number): void {
    const f = this.f32, at = ptr >> 2;
    if (count <= LOOP_COPY_MAX) {
      for (let i = 0; i < count; i++) dst[to + i] = f[at + i];
    } else {
      dst.set(f.subarray(at, at + count), to);
    }
  }

  /** Stores `values` as int32 from byte address `ptr` (sizes and strides for a kernel). */
  writeInts(ptr: number, values: readonly number[]): void {
    const w = this.i32, at = ptr >> 2;
    for (let i = 0; i < values.length; i++) w[at + i] = values[i];
  }

  /** Zeroes `count` 4-byte words from byte address `ptr`. */
  zero(ptr: number, count: number): void {
    this.f32.fill(0, ptr >> 2, (ptr >> 2) + count);
  }

  /** Bytes the memory currently holds (the pool of scratch space). */
  get capacity(): number {
    return this.memory.buffer.byteLength;
  }
}
