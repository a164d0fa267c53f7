/**
 * The WebAssembly SIMD backend. Float32 matmuls, the common float32
 * elementwise maps and sums, a convolution's im2col and col2im, and batch
 * norm's statistics, affine pass and backward, layer norm, float32
 * softmax and logSoftmax along rows, strided copies and the fused
 * attention's scaling and softmax gradient run in asm/ kernels; everything else (float64,
 * int32, bool, transcendental maps, indexing) and every call too small to
 * repay copying into wasm memory delegates to the JS kernels, so this
 * backend has every kernel the JS one has.
 */
import type { AdamScalars, Backend, BinaryOp, ConvWindow, FloatArray, ReduceOp, TypedArray, UnaryOp } from "../backend.js";
import { jsBackend } from "../js/index.js";
import { collapseDims } from "../js/elementwise.js";
import { GemmPool, hardwareThreads, hardwareThreadsSync } from "../threads/pool.js";
import { threadSetting, onNumThreadsChange, setDefaultThreads } from "../threads/settings.js";
import { Arena, CHUNK_COUNTER, CONTROL_BASE, MAX_WORKERS } from "./arena.js";
import { registerPool } from "../pools.js";
import { loadKernels, loadKernelsSync, type KernelExports, type LoadedKernels } from "./module.js";
import { BINARY_CODES, TRANSCENDENTAL, TRANSCENDENTAL_BINARY, UNARY_CODES } from "./opcodes.js";
import { ERF_TABLE } from "../js/special.js";
import { erfFastTable } from "./erf-fast-table.js";

/**
 * Below these sizes the JS kernel wins: copying operands in and out of wasm
 * memory costs more than SIMD saves (measured on a 2-core AVX-512 machine,
 * see docs/benchmarks.md). Exported as one object so that a benchmark can
 * retune them at run time.
 */
export const thresholds = {
  /** m·k·n multiply-adds per batch item. */
  matmulMinMacs: 1 << 9,
  /** Elements of the cheap maps (add, mul, relu, …). */
  elementwiseMin: 1 << 10,
  /** Elements summed (the JS sum walks a strided axis; the wasm one adds whole rows). */
  reduceMin: 1 << 10,
  /** Elements of exp/sigmoid/gelu and GELU's gradient, which cost ~10 ns or more each in JS. */
  transcendentalMin: 1 << 9,
  /** Multiply-adds from which a matmul is split across threads (waking a worker and packing twice cost). */
  threadMinMacs: 1 << 23,
};

/**
 * A split GEMM normally splits C's rows, after the threads have packed B
 * once into a shared buffer; each thread takes up to CHUNKS_PER_THREAD
 * chunks of rows (a multiple of the 4-row micro-kernel), so that a thread
 * the OS runs late leaves its share to the others. With fewer than
 * ROW_SPLIT_MIN rows per thread it splits columns instead, in chunks of at
 * least 64 that each pack their own A, so holding at least MACS_PER_CHUNK
 * multiply-adds.
 */
const CHUNKS_PER_THREAD = 4;
const ROW_SPLIT_MIN = 32;
const CHUNK_COLS = 64;
const MACS_PER_CHUNK = 1 << 24;
/** Words of the counters block of a split GEMM (see gemmChunks in asm/gemm.ts), and the two the caller sets. */
const SPLIT_COUNTERS = 5;
const B_READY = 2, A_READY = 3, PACK_FLAGS = 4;
/** After this many split GEMMs in a row whose worker finished late, the next SOLO_CALLS run on one thread. */
const LATE_STRIKES = 3;
const SOLO_CALLS = 200;
/**
 * A strided copy runs in wasm while the span its view covers is at most this
 * many times its elements (copying the span in costs ~a tenth of the JS
 * kernel's per-element walk; q, k or v, a third of a packed projection, spans 3×).
 */
const COPY_SPAN_MAX = 4;

export interface WasmBackend extends Backend {
  /** "relaxed-simd" when the GEMM uses fused multiply-add, else "simd". */
  readonly isa: "simd" | "relaxed-simd";
  /** Whether worker threads can share the kernels' memory here. */
  readonly threadsPossible: boolean;
  /** Bytes of wasm memory the backend holds as scratch (a pool reused by every call). */
  pooledBytes(): number;
  /** pooledBytes, by memory: the unshared one (one-thread kernels) and the shared one (split matmuls; 0 without threads). */
  pooledBytesByMemory(): { unshared: number; shared: number };
  /**
   * Resolves once the workers for threadSetting() threads can take work (or
   * after `timeoutMs`); gives the thread count usable now. Also ends a solo
   * streak (the matmuls that run on one thread after workers kept finishing late).
   */
  threadsReady(timeoutMs?: number): Promise<number>;
  /** Matmuls so far that were split across more than one thread. */
  readonly threadedMatmuls: number;
}

/** Elements a batched matmul operand spans: `batch` matrices of `size`, `batchStride` apart (0: one shared). */
function batchedSpan(batch: number, batchStride: number, size: number): number {
  return (batchStride === 0 ? 0 : (batch - 1) * batchStride) + size;
}

export async function createWasmBackend(): Promise<WasmBackend> {
  return buildWasmBackend(await loadKernels(), await hardwareThreads());
}

/**
 * createWasmBackend without waiting: for Node (and browser workers), where
 * the kernels compile synchronously. Throws where they cannot (some
 * browsers' main thread); use createWasmBackend there.
 */
export function createWasmBackendSync(): WasmBackend {
  // Node before 20.16 tells the core count only through an import: the pool grows when it arrives.
  return buildWasmBackend(loadKernelsSync(), hardwareThreadsSync() ?? hardwareThreads());
}

function buildWasmBackend(loaded: LoadedKernels, cores: number | Promise<number>): WasmBackend {
  for (const inst of [loaded.local, loaded.shared]) {
    if (inst && inst.exports.dataEnd() > CONTROL_BASE) {
      throw new Error(`wasm backend: the kernels' static data ends at byte ${inst.exports.dataEnd()}, past CONTROL_BASE (${CONTROL_BASE}); raise CONTROL_BASE in arena.ts`);
    }
    // GELU's kernels evaluate erf from the JS kernel's table, so that both give the same bits.
    if (inst) {
      if (inst.exports.erfTableLength() !== ERF_TABLE.length) {
        throw new Error(`wasm backend: the kernels hold ${inst.exports.erfTableLength()} erf coefficients, src/backend/js/special.ts ${ERF_TABLE.length}; rebuild the kernels (npm run build)`);
      }
      const tableEnd = inst.exports.erfTable() + 8 * ERF_TABLE.length;
      if (inst.exports.erfTable() < inst.exports.dataEnd() || tableEnd > CONTROL_BASE) {
        throw new Error(`wasm backend: the erf table [${inst.exports.erfTable()}, ${tableEnd}) must lie between the static data (ends at ${inst.exports.dataEnd()}) and CONTROL_BASE (${CONTROL_BASE}); move it in asm/gelu.ts`);
      }
      new Float64Array(inst.memory.buffer, inst.exports.erfTable(), ERF_TABLE.length).set(ERF_TABLE);
      // And their fast path's finer table, after it.
      const fast = erfFastTable(inst.exports.fastErfRows());
      const fastEnd = inst.exports.fastErfTable() + 8 * fast.length;
      if (inst.exports.fastErfTable() < tableEnd || fastEnd > CONTROL_BASE) {
        throw new Error(`wasm backend: the fast erf table [${inst.exports.fastErfTable()}, ${fastEnd}) must lie between the erf table (ends at ${tableEnd}) and CONTROL_BASE (${CONTROL_BASE}); move it in asm/gelu.ts`);
      }
      new Float64Array(inst.memory.buffer, inst.exports.fastErfTable(), fast.length).set(fast);
    }
  }
  // Everything on the calling thread runs on the unshared instance (faster copies);
  // only matmuls split across threads use the shared one.
  const k: KernelExports = loaded.local.exports;
  const arena = new Arena(loaded.local.memory);
  const shared = loaded.shared;
  const sharedArena = shared ? new Arena(shared.memory) : null;
  const counters = shared ? new Int32Array(shared.memory.buffer, CHUNK_COUNTER, SPLIT_COUNTERS) : null;
  const workerCapacity = shared ? MAX_WORKERS : 0;
  const pool = shared ? new GemmPool(shared.module, shared.memory, CONTROL_BASE, workerCapacity) : null;
  if (pool) {
    const useCores = (n: number): void => {
      setDefaultThreads(Math.min(n, 1 + workerCapacity));
      pool.start(threadSetting() - 1);
    };
    if (typeof cores === "number") useCores(cores);
    else cores.then(useCores, () => {}); // unknown: one thread until setNumThreads
    onNumThreadsChange((n) => pool.start(n - 1));
  }

  let threadedMatmuls = 0;
  let lateWorkerStrikes = 0;
  let soloCalls = 0;

  async function threadsReady(timeoutMs = 10_000): Promise<number> {
    // Asking for the threads ends a solo streak begun while the machine was busy.
    soloCalls = 0;
    lateWorkerStrikes = 0;
    const want = Math.min(threadSetting(), 1 + workerCapacity) - 1;
    const deadline = Date.now() + timeoutMs;
    while (pool && pool.readyWorkers(want) < want && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    return 1 + (pool ? pool.readyWorkers(want) : 0);
  }

  /** Workers that will share a product of `macs` multiply-adds with the calling thread (0: it runs alone). */
  function splitWorkers(macs: number): number {
    if (!pool || macs < thresholds.threadMinMacs || threadSetting() < 2) return 0;
    if (soloCalls > 0) { soloCalls--; return 0; }
    return pool.readyWorkers(Math.min(threadSetting(), 1 + workerCapacity) - 1);
  }

  function matmul(
    a: FloatArray, aOff: number, aBatchStride: number, transA: boolean,
    b: FloatArray, bOff: number, bBatchStride: number, transB: boolean,
    out: FloatArray, batch: number, m: number, kDim: number, n: number,
  ): void {
    if (!(a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array) || m * n * kDim < thresholds.matmulMinMacs) {
      jsBackend.matmul(a, aOff, aBatchStride, transA, b, bOff, bBatchStride, transB, out, batch, m, kDim, n);
      return;
    }
    const workers = splitWorkers(m * n * kDim);
    if (workers > 0 && splitMatmul(workers, a, aOff, aBatchStride, transA, b, bOff, bBatchStride, transB, out, batch, m, kDim, n)) return;
    arena.reset();
    const aSpan = batchedSpan(batch, aBatchStride, m * kDim), bSpan = batchedSpan(batch, bBatchStride, kDim * n);
    const aPtr = arena.take(4 * aSpan), bPtr = arena.take(4 * bSpan), cPtr = arena.take(4 * batch * m * n);
    const packs = arena.take(k.packBytes(n));
    if (aPtr < 0 || bPtr < 0 || cPtr < 0 || packs < 0) {
      jsBackend.matmul(a, aOff, aBatchStride, transA, b, bOff, bBatchStride, transB, out, batch, m, kDim, n);
      return;
    }
    arena.write(aPtr, a, aOff, aSpan);
    arena.write(bPtr, b, bOff, bSpan);
    // Element strides of A(i, p) and B(p, j) in their stored layouts.
    const aRow = transA ? 1 : kDim, aDepth = transA ? m : 1;
    const bDepth = transB ? 1 : n, bCol = transB ? kDim : 1;
    for (let bi = 0; bi < batch; bi++) {
      k.gemm(aPtr + 4 * bi * aBatchStride, aRow, aDepth, bPtr + 4 * bi * bBatchStride, bDepth, bCol, cPtr + 4 * bi * m * n, n, m, n, kDim, packs);
    }
    arena.read(cPtr, out, 0, batch * m * n);
  }

  /**
   * A matmul split between the calling thread and `workers` ready workers
   * on the shared memory: they take chunks of C from a shared counter (see
   * gemmChunks in asm/gemm.ts). Returns false, having done nothing, when the
   * shared memory cannot hold the operands.
   */
  function splitMatmul(
    workers: number,
    a: Float32Array, aOff: number, aBatchStride: number, transA: boolean,
    b: Float32Array, bOff: number, bBatchStride: number, transB: boolean,
    out: Float32Array, batch: number, m: number, kDim: number, n: number,
  ): boolean {
    if (!shared || !sharedArena || !counters || !pool) return false;
    const sk = shared.exports, mem = sharedArena;
    const threads = 1 + workers;
    const byRows = m >= ROW_SPLIT_MIN * threads;
    mem.reset();
    const aSpan = batchedSpan(batch, aBatchStride, m * kDim), bSpan = batchedSpan(batch, bBatchStride, kDim * n);
    const aPtr = mem.take(4 * aSpan), bPtr = mem.take(4 * bSpan), cPtr = mem.take(4 * batch * m * n);
    const packedB = byRows ? mem.take(sk.packedBBytes(n, kDim)) : 0;
    const units = byRows ? sk.packUnits(n, kDim) : 0;
    const flags = mem.take(4 * units);
    const packs: number[] = [];
    for (let t = 0; t < threads; t++) packs.push(mem.take(sk.packBytes(n)));
    if (aPtr < 0 || bPtr < 0 || cPtr < 0 || packedB < 0 || flags < 0 || packs.includes(-1)) return false;
    let chunk: number;
    if (byRows) {
      chunk = Math.max(4, Math.ceil(m / (threads * CHUNKS_PER_THREAD) / 4) * 4);
    } else {
      // Small products get one chunk per thread: every column chunk re-packs A.
      const perThread = Math.max(1, Math.min(CHUNKS_PER_THREAD, Math.floor((m * n * kDim) / MACS_PER_CHUNK)));
      chunk = Math.max(CHUNK_COLS, Math.ceil(n / (threads * perThread) / CHUNK_COLS) * CHUNK_COLS);
    }
    const aRow = transA ? 1 : kDim, aDepth = transA ? m : 1;
    const bDepth = transB ? 1 : n, bCol = transB ? kDim : 1;
    // One row-split product is posted before its operands are copied in: a sleeping
    // worker wakes meanwhile, and packs each piece of B as soon as it lands.
    const pipelined = byRows && batch === 1;
    if (!pipelined) {
      mem.write(bPtr, b, bOff, bSpan);
      mem.write(aPtr, a, aOff, aSpan);
    }
    for (let bi = 0; bi < batch; bi++) {
      const aAt = aPtr + 4 * bi * aBatchStride, bAt = bPtr + 4 * bi * bBatchStride, cAt = cPtr + 4 * bi * m * n;
      counters.fill(0);
      counters[PACK_FLAGS] = flags;
      mem.zero(flags, units);
      if (!pipelined) { counters[B_READY] = 0x7fffffff; counters[A_READY] = 1; }
      const args = [aAt, aRow, aDepth, bAt, bDepth, bCol, cAt, n, m, n, kDim, 0, byRows ? 1 : 0, chunk, CHUNK_COUNTER, packedB];
      for (let w = 0; w < workers; w++) { args[11] = packs[w + 1]; pool.post(w, args); }
      if (pipelined) {
        const pieces = sk.bPieces(bCol, n, kDim);
        let copied = 0;
        for (let p = 0; p < pieces; p++) {
          const end = sk.bPieceEnd(p, bDepth, bCol, n, kDim);
          mem.write(bPtr + 4 * copied, b, bOff + copied, end - copied);
          copied = end;
          Atomics.store(counters, B_READY, p + 1);
        }
        mem.write(aPtr, a, aOff, aSpan);
        Atomics.store(counters, A_READY, 1);
      }
      const start = performance.now();
      sk.gemmChunks(aAt, aRow, aDepth, bAt, bDepth, bCol, cAt, n, m, n, kDim, packs[0], byRows ? 1 : 0, chunk, CHUNK_COUNTER, packedB);
      const ownDone = performance.now();
      for (let w = 0; w < workers; w++) pool.join(w);
      threadedMatmuls++;
      // Waiting longer for a worker than working ourselves means the OS runs it late
      // (other processes hold the cores): after a few such calls, go solo for a while.
      if (performance.now() - ownDone > ownDone - start) {
        if (++lateWorkerStrikes >= LATE_STRIKES) { soloCalls = SOLO_CALLS; lateWorkerStrikes = 0; }
      } else {
        lateWorkerStrikes = 0;
      }
    }
    mem.read(cPtr, out, 0, batch * m * n);
    return true;
  }

  function unary(op: UnaryOp, x: TypedArray, xOff: number, out: TypedArray, n: number, p0: number, p1: number): void {
    const code = UNARY_CODES.get(op);
    const minimum = TRANSCENDENTAL.has(op) ? thresholds.transcendentalMin : thresholds.elementwiseMin;
    if (code === undefined || n < minimum || !(x instanceof Float32Array && out instanceof Float32Array)) {
      jsBackend.unary(op, x, xOff, out, n, p0, p1);
      return;
    }
    arena.reset();
    const xPtr = arena.take(4 * n), oPtr = arena.take(4 * n);
    if (xPtr < 0 || oPtr < 0) { jsBackend.unary(op, x, xOff, out, n, p0, p1); return; }
    arena.write(xPtr, x, xOff, n);
    k.unaryF32(code, xPtr, oPtr, n, p0, p1);
    arena.read(oPtr, out, 0, n);
  }

  /** Elements an operand spans when walked with `strides` over `shape` (strides are never negative). */
  function span(shape: readonly number[], strides: readonly number[]): number {
    let s = 1;
    for (let d = 0; d < shape.length; d++) s += (shape[d] - 1) * strides[d];
    return s;
  }

  function binary(
    op: BinaryOp,
    a: TypedArray, aOff: number, aStrides: readonly number[],
    b: TypedArray, bOff: number, bStrides: readonly number[],
    out: TypedArray, shape: readonly number[],
  ): void {
    const code = BINARY_CODES.get(op);
    let total = 1;
    for (let d = 0; d < shape.length; d++) total *= shape[d];
    const fallback = (): void => jsBackend.binary(op, a, aOff, aStrides, b, bOff, bStrides, out, shape);
    const minimum = TRANSCENDENTAL_BINARY.has(op) ? thresholds.transcendentalMin : thresholds.elementwiseMin;
    if (code === undefined || total < minimum || !(a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array)) {
      fallback();
      return;
    }
    // After merging dimensions, handle at most [rows, cols] with each operand's column step 0 or 1.
    const c = collapseDims(shape, [aStrides, bStrides]);
    const nd = c.shape.length;
    const sa = c.strides[0], sb = c.strides[1];
    if (nd === 0 || nd > 2 || sa[nd - 1] > 1 || sb[nd - 1] > 1 || (nd === 2 && (sa[0] < 0 || sb[0] < 0))) { fallback(); return; }
    const rows = nd === 2 ? c.shape[0] : 1, cols = c.shape[nd - 1];
    const aRowStep = nd === 2 ? sa[0] : 0, bRowStep = nd === 2 ? sb[0] : 0;
    arena.reset();
    const aSpan = span(c.shape, sa), bSpan = span(c.shape, sb);
    const aPtr = arena.take(4 * aSpan), bPtr = arena.take(4 * bSpan), oPtr = arena.take(4 * total);
    if (aPtr < 0 || bPtr < 0 || oPtr < 0) { fallback(); return; }
    arena.write(aPtr, a, aOff, aSpan);
    arena.write(bPtr, b, bOff, bSpan);
    if (rows === 1) k.binaryF32(code, aPtr, sa[nd - 1], bPtr, sb[nd - 1], oPtr, cols);
    else k.binaryRowsF32(code, aPtr, sa[nd - 1], aRowStep, bPtr, sb[nd - 1], bRowStep, oPtr, rows, cols);
    arena.read(oPtr, out, 0, total);
  }

  function reduce(op: ReduceOp, x: TypedArray, xOff: number, outer: number, axis: number, inner: number, out: TypedArray): void {
    const n = outer * axis * inner;
    if (op !== "sum" || n < thresholds.reduceMin || !(x instanceof Float32Array && out instanceof Float32Array)) {
      jsBackend.reduce(op, x, xOff, outer, axis, inner, out);
      return;
    }
    arena.reset();
    const xPtr = arena.take(4 * n), oPtr = arena.take(4 * outer * inner), accPtr = arena.take(8 * inner);
    if (xPtr < 0 || oPtr < 0 || accPtr < 0) { jsBackend.reduce(op, x, xOff, outer, axis, inner, out); return; }
    arena.write(xPtr, x, xOff, n);
    k.sumF32(xPtr, outer, axis, inner, oPtr, accPtr);
    arena.read(oPtr, out, 0, outer * inner);
  }

  /**
   * One Adam/AdamW step on float32 parameters (bit-identical to the loop in
   * src/optim/adam.ts); declines (false) for other dtypes and small tensors.
   */
  function adam(p: TypedArray, pOff: number, grad: TypedArray, gOff: number, m: TypedArray, v: TypedArray,
    vMax: TypedArray | null, n: number, s: AdamScalars): boolean {
    const f32 = (x: TypedArray | null): x is Float32Array => x instanceof Float32Array;
    if (n < thresholds.elementwiseMin || !f32(p) || !f32(grad) || !f32(m) || !f32(v) || (vMax !== null && !f32(vMax))) return false;
    arena.reset();
    const bytes = (4 * n + 15) & ~15; // the kernel's last vector runs over the spare lanes
    const pPtr = arena.take(bytes), gPtr = arena.take(bytes), mPtr = arena.take(bytes), vPtr = arena.take(bytes);
    const xPtr = vMax ? arena.take(bytes) : 0;
    if (pPtr < 0 || gPtr < 0 || mPtr < 0 || vPtr < 0 || xPtr < 0) return false;
    arena.write(pPtr, p, pOff, n);
    arena.write(gPtr, grad, gOff, n);
    arena.write(mPtr, m, 0, n);
    arena.write(vPtr, v, 0, n);
    if (vMax) arena.write(xPtr, vMax, 0, n);
    k.adamF32(pPtr, gPtr, mPtr, vPtr, xPtr, n, s.negStepSize, s.bc2Sqrt, s.beta1, s.oneMinusBeta1, s.beta2, s.oneMinusBeta2, s.eps, s.l2, s.shrink);
    arena.read(pPtr, p, pOff, n);
    arena.read(mPtr, m, 0, n);
    arena.read(vPtr, v, 0, n);
    if (vMax) arena.read(xPtr, vMax, 0, n);
    return true;
  }

  /**
   * Float32 softmax and log-softmax along contiguous rows (inner = 1): exp in
   * float64 lanes, the JS kernel's steps otherwise (asm/softmax.ts; the
   * log-softmax's log is Math.log, between its two halves). Strided axes and
   * other dtypes run the JS kernel.
   */
  function softmax(x: FloatArray, xOff: number, outer: number, axis: number, inner: number, out: FloatArray, log: boolean): void {
    const n = outer * axis * inner;
    if (inner !== 1 || n < thresholds.transcendentalMin || !(x instanceof Float32Array && out instanceof Float32Array)) {
      jsBackend.softmax(x, xOff, outer, axis, inner, out, log);
      return;
    }
    arena.reset();
    // One spare float after x: an odd row's last pair reads it (and ignores it).
    const xPtr = arena.take(4 * n + 4), oPtr = arena.take(4 * n), ePtr = arena.take(8 * (axis + 1));
    const sPtr = log ? arena.take(8 * outer) : 0, lPtr = log ? arena.take(8 * outer) : 0;
    if (Math.min(xPtr, oPtr, ePtr, sPtr, lPtr) < 0) { jsBackend.softmax(x, xOff, outer, axis, inner, out, log); return; }
    arena.write(xPtr, x, xOff, n);
    if (log) {
      k.rowShiftSumsF32(xPtr, outer, axis, ePtr, sPtr, lPtr);
      const lse = new Float64Array(memory.buffer, lPtr, outer);
      for (let r = 0; r < outer; r++) lse[r] = Math.log(lse[r]);
      k.logSoftmaxOutF32(xPtr, outer, axis, sPtr, lPtr, oPtr);
    } else {
      k.softmaxF32(xPtr, outer, axis, oPtr, ePtr);
    }
    arena.read(oPtr, out, 0, n);
  }

  /**
   * A view's strided copy into contiguous storage, float32: a plain run is one
   * TypedArray.set; otherwise the span the view covers is copied in (the blocks
   * of its widest-strided dimension packed, where they leave gaps) and gathered
   * by asm/copy.ts. A view that still covers much more than itself (a narrow
   * slice of a large tensor), negative strides and other dtypes run the JS kernel.
   */
  function copyStrided(src: TypedArray, srcOff: number, srcStrides: readonly number[], shape: readonly number[], out: TypedArray): void {
    let total = 1;
    for (let d = 0; d < shape.length; d++) total *= shape[d];
    if (total < thresholds.elementwiseMin || !(src instanceof Float32Array && out instanceof Float32Array)) {
      jsBackend.copyStrided(src, srcOff, srcStrides, shape, out);
      return;
    }
    if (total === 0) return;
    const c = collapseDims(shape, [srcStrides]);
    const nd = c.shape.length, s = c.strides[0];
    if (nd === 0) { out[0] = src[srcOff]; return; } // one element (forced kernels only)
    if (nd === 1 && s[0] === 1) {
      out.set(src.subarray(srcOff, srcOff + total));
      return;
    }
    // The dimension of the largest stride may leap over elements the view skips (q, k and v
    // of one batch entry among all the entries): then its blocks are copied in packed.
    let negative = false, wide = 0;
    for (let d = 0; d < nd; d++) {
      if (s[d] < 0) negative = true;
      if (s[d] > s[wide]) wide = d;
    }
    const block = negative ? 0 : span(c.shape, s) - (c.shape[wide] - 1) * s[wide];
    const packed = block < s[wide];
    const copied = packed ? c.shape[wide] * block : block + (c.shape[wide] - 1) * s[wide];
    if (negative || copied > COPY_SPAN_MAX * total) { jsBackend.copyStrided(src, srcOff, srcStrides, shape, out); return; }
    arena.reset();
    const xPtr = arena.take(4 * copied), oPtr = arena.take(4 * total), dPtr = arena.take(4 * 3 * nd);
    if (xPtr < 0 || oPtr < 0 || dPtr < 0) { jsBackend.copyStrided(src, srcOff, srcStrides, shape, out); return; }
    if (packed) {
      for (let i = 0; i < c.shape[wide]; i++) arena.write(xPtr + 4 * i * block, src, srcOff + i * s[wide], block);
      s[wide] = block;
    } else {
      arena.write(xPtr, src, srcOff, copied);
    }
    arena.writeInts(dPtr, c.shape);
    arena.writeInts(dPtr + 4 * nd, s);
    k.copyStridedF32(xPtr, dPtr, nd, oPtr);
    arena.read(oPtr, out, 0, total);
  }

  // ---- Convolution kernels (issue #20, convnet speed): float32 on contiguous images.

  /** Whether x's strides are those of a contiguous [N, C, H, W] array. */
  const contiguousImages = (s: readonly number[], c: number, h: number, w: number): boolean =>
    s[3] === 1 && s[2] === w && s[1] === h * w && s[0] === c * h * w;

  function im2col(x: FloatArray, xOff: number, xStrides: readonly number[], channels: number, height: number, width: number,
    n0: number, count: number, win: ConvWindow, cols: FloatArray): void {
    const size = channels * win.kH * win.kW * count * win.outH * win.outW, image = channels * height * width;
    if (size >= thresholds.elementwiseMin && x instanceof Float32Array && cols instanceof Float32Array && contiguousImages(xStrides, channels, height, width)) {
      arena.reset();
      const xPtr = arena.take(4 * count * image), cPtr = arena.take(4 * size);
      if (xPtr >= 0 && cPtr >= 0) {
        arena.write(xPtr, x, xOff + n0 * image, count * image);
        k.im2colF32(xPtr, channels, height, width, count, win.kH, win.kW, win.strideH, win.strideW, win.padTop, win.padLeft,
          win.dilationH, win.dilationW, win.outH, win.outW, cPtr);
        arena.read(cPtr, cols, 0, size);
        return;
      }
    }
    jsBackend.im2col(x, xOff, xStrides, channels, height, width, n0, count, win, cols);
  }

  function col2im(cols: FloatArray, channels: number, height: number, width: number, n0: number, count: number, win: ConvWindow, out: FloatArray): void {
    const size = channels * win.kH * win.kW * count * win.outH * win.outW, image = channels * height * width;
    if (size >= thresholds.elementwiseMin && cols instanceof Float32Array && out instanceof Float32Array) {
      arena.reset();
      const cPtr = arena.take(4 * size), oPtr = arena.take(4 * count * image);
      if (cPtr >= 0 && oPtr >= 0) {
        arena.write(cPtr, cols, 0, size);
        arena.write(oPtr, out, n0 * image, count * image);
        k.col2imF32(cPtr, channels, height, width, count, win.kH, win.kW, win.strideH, win.strideW, win.padTop, win.padLeft,
          win.dilationH, win.dilationW, win.outH, win.outW, oPtr);
        arena.read(oPtr, out, n0 * image, count * image);
        return;
      }
    }
    jsBackend.col2im(cols, channels, height, width, n0, count, win, out);
  }

  // ---- Batch norm (float32): the block and per-channel float64 arrays copied in, results copied out.
  const memory = loaded.local.memory;
  const putDoubles = (ptr: number, values: Float64Array): void => { new Float64Array(memory.buffer, ptr, values.length).set(values); };
  const getDoubles = (ptr: number, into: Float64Array): void => { into.set(new Float64Array(memory.buffer, ptr, into.length)); };

  function batchNormStats(x: FloatArray, xOff: number, batch: number, channels: number, spatial: number, mean: Float64Array, variance: Float64Array): void {
    const n = batch * channels * spatial;
    if (n >= thresholds.elementwiseMin && x instanceof Float32Array) {
      arena.reset();
      const xPtr = arena.take(4 * n), mPtr = arena.take(8 * channels), vPtr = arena.take(8 * channels);
      if (xPtr >= 0 && mPtr >= 0 && vPtr >= 0) {
        arena.write(xPtr, x, xOff, n);
        k.batchNormStatsF32(xPtr, batch, channels, spatial, mPtr, vPtr);
        getDoubles(mPtr, mean);
        getDoubles(vPtr, variance);
        return;
      }
    }
    jsBackend.batchNormStats(x, xOff, batch, channels, spatial, mean, variance);
  }

  function batchNormApply(x: FloatArray, xOff: number, batch: number, channels: number, spatial: number, scale: Float64Array, shift: Float64Array, out: FloatArray): void {
    const n = batch * channels * spatial;
    if (n >= thresholds.elementwiseMin && x instanceof Float32Array && out instanceof Float32Array) {
      arena.reset();
      const xPtr = arena.take(4 * n), oPtr = arena.take(4 * n), aPtr = arena.take(8 * channels), bPtr = arena.take(8 * channels);
      if (xPtr >= 0 && oPtr >= 0 && aPtr >= 0 && bPtr >= 0) {
        arena.write(xPtr, x, xOff, n);
        putDoubles(aPtr, scale);
        putDoubles(bPtr, shift);
        k.batchNormApplyF32(xPtr, batch, channels, spatial, aPtr, bPtr, oPtr);
        arena.read(oPtr, out, 0, n);
        return;
      }
    }
    jsBackend.batchNormApply(x, xOff, batch, channels, spatial, scale, shift, out);
  }

  function batchNormBackward(
    gy: FloatArray, gyOff: number, x: FloatArray, xOff: number, batch: number, channels: number, spatial: number,
    mean: Float64Array, invstd: Float64Array, gain: Float64Array | null, training: boolean,
    sumGrad: Float64Array, sumGradCentered: Float64Array, dx: FloatArray | null,
  ): void {
    const n = batch * channels * spatial;
    if (n >= thresholds.elementwiseMin && gy instanceof Float32Array && x instanceof Float32Array && (dx === null || dx instanceof Float32Array)) {
      arena.reset();
      const gPtr = arena.take(4 * n), xPtr = arena.take(4 * n), dPtr = dx ? arena.take(4 * n) : 0;
      const mPtr = arena.take(8 * channels), iPtr = arena.take(8 * channels), wPtr = gain ? arena.take(8 * channels) : 0;
      const sPtr = arena.take(8 * channels), cPtr = arena.take(8 * channels);
      if (Math.min(gPtr, xPtr, dPtr, mPtr, iPtr, wPtr, sPtr, cPtr) >= 0) {
        arena.write(gPtr, gy, gyOff, n);
        arena.write(xPtr, x, xOff, n);
        putDoubles(mPtr, mean);
        putDoubles(iPtr, invstd);
        if (gain) putDoubles(wPtr, gain);
        k.batchNormBackwardF32(gPtr, xPtr, batch, channels, spatial, mPtr, iPtr, wPtr, training ? 1 : 0, sPtr, cPtr, dPtr);
        getDoubles(sPtr, sumGrad);
        getDoubles(cPtr, sumGradCentered);
        if (dx) arena.read(dPtr, dx, 0, n);
        return;
      }
    }
    jsBackend.batchNormBackward(gy, gyOff, x, xOff, batch, channels, spatial, mean, invstd, gain, training, sumGrad, sumGradCentered, dx);
  }

  // ---- Layer norm (float32): rows, weight and bias copied in; the output or gradients and the float64 row statistics copied out.
  function layerNormForward(
    x: FloatArray, xOff: number, rows: number, width: number, weight: FloatArray | null, wOff: number,
    bias: FloatArray | null, bOff: number, eps: number, out: FloatArray, mean: Float64Array, rstd: Float64Array,
  ): void {
    const n = rows * width;
    if (n >= thresholds.elementwiseMin && n > 0 && x instanceof Float32Array && out instanceof Float32Array &&
      (weight === null || weight instanceof Float32Array) && (bias === null || bias instanceof Float32Array)) {
      arena.reset();
      const xPtr = arena.take(4 * n), oPtr = arena.take(4 * n), mPtr = arena.take(8 * rows), sPtr = arena.take(8 * rows);
      const wPtr = weight ? arena.take(4 * width) : 0, bPtr = bias ? arena.take(4 * width) : 0;
      if (Math.min(xPtr, oPtr, mPtr, sPtr, wPtr, bPtr) >= 0) {
        arena.write(xPtr, x, xOff, n);
        if (weight) arena.write(wPtr, weight, wOff, width);
        if (bias) arena.write(bPtr, bias, bOff, width);
        k.layerNormForwardF32(xPtr, rows, width, wPtr, bPtr, eps, oPtr, mPtr, sPtr);
        arena.read(oPtr, out, 0, n);
        getDoubles(mPtr, mean);
        getDoubles(sPtr, rstd);
        return;
      }
    }
    jsBackend.layerNormForward(x, xOff, rows, width, weight, wOff, bias, bOff, eps, out, mean, rstd);
  }

  function layerNormBackward(
    gy: FloatArray, gyOff: number, x: FloatArray, xOff: number, rows: number, width: number,
    weight: FloatArray | null, wOff: number, mean: Float64Array, rstd: Float64Array,
    dx: FloatArray | null, dw: Float64Array | null, db: Float64Array | null,
  ): void {
    const n = rows * width;
    if (n >= thresholds.elementwiseMin && n > 0 && gy instanceof Float32Array && x instanceof Float32Array &&
      (weight === null || weight instanceof Float32Array) && (dx === null || dx instanceof Float32Array)) {
      arena.reset();
      const gPtr = arena.take(4 * n), xPtr = arena.take(4 * n), dPtr = dx ? arena.take(4 * n) : 0;
      const mPtr = arena.take(8 * rows), sPtr = arena.take(8 * rows), wPtr = weight ? arena.take(4 * width) : 0;
      const dwPtr = dw ? arena.take(8 * width) : 0, dbPtr = db ? arena.take(8 * width) : 0;
      if (Math.min(gPtr, xPtr, dPtr, mPtr, sPtr, wPtr, dwPtr, dbPtr) >= 0) {
        arena.write(gPtr, gy, gyOff, n);
        arena.write(xPtr, x, xOff, n);
        if (weight) arena.write(wPtr, weight, wOff, width);
        putDoubles(mPtr, mean);
        putDoubles(sPtr, rstd);
        if (dw) putDoubles(dwPtr, dw);
        if (db) putDoubles(dbPtr, db);
        k.layerNormBackwardF32(gPtr, xPtr, rows, width, wPtr, mPtr, sPtr, dPtr, dwPtr, dbPtr);
        if (dx) arena.read(dPtr, dx, 0, n);
        if (dw) getDoubles(dwPtr, dw);
        if (db) getDoubles(dbPtr, db);
        return;
      }
    }
    jsBackend.layerNormBackward(gy, gyOff, x, xOff, rows, width, weight, wOff, mean, rstd, dx, dw, db);
  }

  // ---- The fused attention's elementwise passes (float32): the block copied in, the result copied out.
  function attentionScores(x: FloatArray, batch: number, L: number, S: number, scale: number, causal: boolean): void {
    const n = batch * L * S;
    if (n >= thresholds.elementwiseMin && x instanceof Float32Array) {
      arena.reset();
      const xPtr = arena.take(4 * n);
      if (xPtr >= 0) {
        arena.write(xPtr, x, 0, n);
        k.attentionScoresF32(xPtr, batch, L, S, scale, causal ? 1 : 0);
        arena.read(xPtr, x, 0, n);
        return;
      }
    }
    jsBackend.attentionScores(x, batch, L, S, scale, causal);
  }

  function softmaxBackward(y: FloatArray, yOff: number, gy: FloatArray, gyOff: number, rows: number, width: number, scale: number, out: FloatArray): void {
    const n = rows * width;
    if (n >= thresholds.elementwiseMin && y instanceof Float32Array && gy instanceof Float32Array && out instanceof Float32Array) {
      arena.reset();
      const yPtr = arena.take(4 * n), gPtr = arena.take(4 * n);
      if (yPtr >= 0 && gPtr >= 0) {
        arena.write(yPtr, y, yOff, n);
        arena.write(gPtr, gy, gyOff, n);
        k.softmaxBackwardF32(yPtr, gPtr, rows, width, scale, gPtr);
        arena.read(gPtr, out, 0, n);
        return;
      }
    }
    jsBackend.softmaxBackward(y, yOff, gy, gyOff, rows, width, scale, out);
  }

  const pooledBytesByMemory = () => ({ unshared: arena.capacity, shared: sharedArena ? sharedArena.capacity : 0 });
  const pooledBytes = (): number => arena.capacity + (sharedArena ? sharedArena.capacity : 0);
  registerPool("wasm", pooledBytes);

  return {
    ...jsBackend,
    name: "wasm",
    isa: loaded.relaxed ? "relaxed-simd" : "simd",
    threadsPossible: shared !== null,
    pooledBytes, pooledBytesByMemory,
    threadsReady,
    get threadedMatmuls() { return threadedMatmuls; },
    // The calling thread plus the workers the pool runs (or is starting) for large matmuls; 1 without shared memory.
    numThreads: () => (pool ? Math.min(threadSetting(), 1 + workerCapacity) : 1),
    matmul, unary, binary, reduce, softmax, adam, copyStrided,
    // Max pooling's argmax stays on JS here: copying its input into wasm memory costs more than the scan saves.
    im2col, col2im,
    batchNormStats, batchNormApply, batchNormBackward,
    layerNormForward, layerNormBackward,
    attentionScores, softmaxBackward,
  };
}
