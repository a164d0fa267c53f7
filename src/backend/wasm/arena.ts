/**
 * The backend's view of wasm linear memory. Tensors live in ordinary JS
 * typed arrays, so each accelerated kernel copies its operands into a
 * grow-only scratch region, runs, and copies the result out. Layout:
 *
 *   [0, CONTROL_BASE)            the kernels' static data (constant tables,
 *                                placed from 1024 by the compiler); address 0
 *                                stays unused
 *   [CONTROL_BASE, SCRATCH_BASE) one control block per worker thread, then
 *                                the chunk counter of a split GEMM
 *   [SCRATCH_BASE, …)            operands, results and GEMM pack buffers
 *                                of the current call, reused by the next
 */
import { CONTROL_BYTES } from "../threads/pool.js";

export const MAX_WORKERS = 15;
export const CONTROL_BASE = 4096;
export const CHUNK_COUNTER = CONTROL_BASE + MAX_WORKERS * CONTROL_BYTES;
export const SCRATCH_BASE = CHUNK_COUNTER + 1024;
const PAGE = 65536;

export class Arena {
  private f32: Float32Array;
  private top = SCRATCH_BASE;

  constructor(private readonly memory: WebAssembly.Memory) {
    this.f32 = new Float32Array(memory.buffer);
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
    if (end > this.memory.buffer.byteLength) {
      const pages = Math.ceil((end - this.memory.buffer.byteLength) / PAGE);
      try {
        this.memory.grow(pages);
      } catch {
        return -1;
      }
    }
    this.top = end;
    return start;
  }

  /** A Float32Array over all of memory, renewed after the memory grew. */
  view(): Float32Array {
    if (this.f32.buffer !== this.memory.buffer || this.f32.length * 4 !== this.memory.buffer.byteLength) {
      this.f32 = new Float32Array(this.memory.buffer);
    }
    return this.f32;
  }

  /** Copies src[from, from + count) to the f32 at byte address `ptr`. */
  write(ptr: number, src: Float32Array, from: number, count: number): void {
    this.view().set(src.subarray(from, from + count), ptr >> 2);
  }

  /** Copies `count` f32 from byte address `ptr` into dst[0, count). */
  read(ptr: number, dst: Float32Array, count: number): void {
    const f = this.view();
    dst.set(f.subarray(ptr >> 2, (ptr >> 2) + count));
  }

  /** Bytes the memory currently holds (the pool of scratch space). */
  get capacity(): number {
    return this.memory.buffer.byteLength;
  }
}
