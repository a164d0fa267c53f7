/**
 * Loads the WebAssembly kernels: picks the best variant this runtime can run
 * (relaxed SIMD over plain SIMD), and instantiates it twice where threads are
 * possible: on an unshared memory for everything that runs on one thread,
 * and on a shared memory for the matmuls split across worker threads. V8
 * copies into and out of a SharedArrayBuffer ~2–3× slower than into a plain
 * ArrayBuffer, and every kernel call copies its operands.
 */
import { INITIAL_PAGES, MAXIMUM_PAGES, SHARED_FLAG_OFFSET, relaxedDifference, simdBase64 } from "./kernels.generated.js";

/** The exports of asm/index.ts. Pointers are byte addresses in `memory`. */
export interface KernelExports {
  gemm(
    a: number, aRow: number, aDepth: number,
    b: number, bDepth: number, bCol: number,
    c: number, ldc: number, m: number, n: number, k: number, packs: number,
  ): void;
  gemmChunks(
    a: number, aRow: number, aDepth: number,
    b: number, bDepth: number, bCol: number,
    c: number, ldc: number, m: number, n: number, k: number, packs: number,
    byRows: number, chunk: number, counters: number, packedB: number,
  ): void;
  packBytes(n: number): number;
  packedBBytes(n: number, k: number): number;
  bPieces(bCol: number, n: number, k: number): number;
  packUnits(n: number, k: number): number;
  bPieceEnd(piece: number, bDepth: number, bCol: number, n: number, k: number): number;
  /** First byte after the kernels' static data (constants), which must stay below CONTROL_BASE. */
  dataEnd(): number;
  binaryF32(op: number, a: number, aStep: number, b: number, bStep: number, out: number, n: number): void;
  /** binaryF32 over rows of `cols`, a's and b's rows aRow and bRow elements apart (0: broadcast), out contiguous. */
  binaryRowsF32(op: number, a: number, aStep: number, aRow: number, b: number, bStep: number, bRow: number, out: number, rows: number, cols: number): void;
  unaryF32(op: number, x: number, out: number, n: number, p0: number, p1: number): void;
  /** Where the kernels keep the erf table of src/backend/js/special.ts (the backend copies it in), and its length in float64s. */
  erfTable(): number;
  erfTableLength(): number;
  /** Where the GELU kernels' fast path keeps its erf table (rows of six float64s; the backend fills it), and its rows. */
  fastErfTable(): number;
  fastErfRows(): number;
  /** `acc`: 8·inner bytes of scratch for the float64 accumulators when inner > 1. */
  sumF32(x: number, outer: number, axis: number, inner: number, out: number, acc: number): void;
  adamF32(
    p: number, g: number, m: number, v: number, vMax: number, n: number,
    negStep: number, bc2Sqrt: number, b1: number, omb1: number, b2: number, omb2: number, eps: number, l2: number, shrink: number,
  ): void;
  // ---- Convolution kernels (asm/conv.ts); x and out are contiguous chunks of images.
  im2colF32(
    x: number, channels: number, height: number, width: number, count: number, kH: number, kW: number, strideH: number, strideW: number,
    padTop: number, padLeft: number, dilationH: number, dilationW: number, outH: number, outW: number, cols: number,
  ): void;
  col2imF32(
    cols: number, channels: number, height: number, width: number, count: number, kH: number, kW: number, strideH: number, strideW: number,
    padTop: number, padLeft: number, dilationH: number, dilationW: number, outH: number, outW: number, out: number,
  ): void;
  // ---- Batch-norm kernels (asm/batch-norm.ts) over a contiguous [N, C, S] block; per-channel arrays are float64.
  batchNormStatsF32(x: number, batch: number, channels: number, spatial: number, mean: number, variance: number): void;
  batchNormApplyF32(x: number, batch: number, channels: number, spatial: number, scale: number, shift: number, out: number): void;
  /** gain and dx: 0 for none; training: 1 or 0. */
  batchNormBackwardF32(
    gy: number, x: number, batch: number, channels: number, spatial: number, mean: number, invstd: number, gain: number,
    training: number, sumGrad: number, sumGradCentered: number, dx: number,
  ): void;
  /** Softmax along contiguous rows of x [rows, width] (asm/softmax.ts); `exps`: 8·(width + 1) bytes of scratch. */
  softmaxF32(x: number, rows: number, width: number, out: number, exps: number): void;
  /** log-softmax in two halves around the caller's Math.log: each row's shift and sum of exponentials (float64 arrays), then the outputs. */
  rowShiftSumsF32(x: number, rows: number, width: number, exps: number, shifts: number, sums: number): void;
  logSoftmaxOutF32(x: number, rows: number, width: number, shifts: number, lses: number, out: number): void;
  /** The strided copy of a view (asm/copy.ts): `dims` holds nd i32 sizes, nd i32 element strides, then nd i32 of scratch. */
  copyStridedF32(src: number, dims: number, nd: number, out: number): void;
  // ---- Layer-norm kernels (asm/layer-norm.ts) over contiguous rows; mean, rstd, dw, db float64; 0 for none.
  layerNormForwardF32(x: number, rows: number, width: number, weight: number, bias: number, eps: number, out: number, mean: number, rstd: number): void;
  layerNormBackwardF32(
    gy: number, x: number, rows: number, width: number, weight: number, mean: number, rstd: number, dx: number, dw: number, db: number,
  ): void;
  // ---- The fused attention's elementwise passes (asm/attention.ts) over contiguous rows; causal: 1 or 0.
  attentionScoresF32(x: number, batch: number, L: number, S: number, scale: number, causal: number): void;
  softmaxBackwardF32(y: number, gy: number, rows: number, width: number, scale: number, out: number): void;
}

/** One instance of the kernels on its own memory. */
export interface KernelInstance {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  exports: KernelExports;
}

export interface LoadedKernels {
  /** On an unshared memory: every kernel that runs on the calling thread alone. */
  local: KernelInstance;
  /** On a shared memory that worker threads instantiate too; null where shared memory is unavailable. */
  shared: KernelInstance | null;
  /** True when the GEMM uses relaxed SIMD's fused multiply-add. */
  relaxed: boolean;
}

function decodeBase64(text: string): Uint8Array {
  if (typeof atob === "function") {
    const raw = atob(text);
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }
  throw new Error("wasm backend: this runtime has no atob to decode the embedded kernels");
}

type Variant = keyof typeof SHARED_FLAG_OFFSET;
const bytesCache = new Map<string, Uint8Array>();
/**
 * A variant's binary; `shared`: its twin that imports a shared memory, which
 * differs in one byte, the memory limits' flags (scripts/build-wasm.mjs
 * checks that at build time and records where the byte is).
 */
function variantBytes(name: Variant, shared = false): Uint8Array {
  const key = shared ? `${name}Shared` : name;
  let bytes = bytesCache.get(key);
  if (!bytes) {
    bytes = name === "simd" ? decodeBase64(simdBase64) : relaxedBytes();
    if (shared) {
      const at = SHARED_FLAG_OFFSET[name];
      if (bytes[at] !== 1) throw new Error(`wasm backend: the ${name} kernels' memory flags are not at byte ${at}; rebuild with scripts/build-wasm.mjs`);
      bytes[at] = 3;
    }
    bytesCache.set(key, bytes);
  }
  return bytes;
}

/** The relaxed build, rebuilt from the (cached) SIMD build and the span where they differ (scripts/build-wasm.mjs). */
function relaxedBytes(): Uint8Array {
  const simd = variantBytes("simd"), middle = decodeBase64(relaxedDifference.middle);
  const { head, tail } = relaxedDifference;
  const bytes = new Uint8Array(head + middle.length + tail);
  bytes.set(simd.subarray(0, head), 0);
  bytes.set(middle, head);
  bytes.set(simd.subarray(simd.length - tail), head + middle.length);
  return bytes;
}

/** Whether this runtime validates our SIMD kernels (the wasm backend's minimum). */
export function wasmSimdSupported(): boolean {
  return typeof WebAssembly === "object" && WebAssembly.validate(variantBytes("simd") as BufferSource);
}

/**
 * Shared memory needs SharedArrayBuffer, which browsers only expose to
 * cross-origin isolated pages; trying to create one is the honest test.
 */
function sharedMemoryAvailable(): boolean {
  if (typeof SharedArrayBuffer === "undefined") return false;
  const g = globalThis as { crossOriginIsolated?: boolean };
  if (g.crossOriginIsolated === false) return false;
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return true;
  } catch {
    return false;
  }
}

async function instantiate(name: Variant, shared: boolean): Promise<KernelInstance> {
  const module = await WebAssembly.compile(variantBytes(name, shared) as BufferSource);
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES, shared });
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  return { module, memory, exports: instance.exports as unknown as KernelExports };
}

/** The same, compiled on the calling thread (some browsers refuse this on their main thread above a size limit). */
function instantiateSync(name: Variant, shared: boolean): KernelInstance {
  const module = new WebAssembly.Module(variantBytes(name, shared) as BufferSource);
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES, shared });
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return { module, memory, exports: instance.exports as unknown as KernelExports };
}

function requireSimd(): boolean {
  if (!wasmSimdSupported()) {
    throw new Error("wasm backend: this runtime lacks WebAssembly SIMD; use the \"js\" backend (setBackend(\"auto\") picks it)");
  }
  return WebAssembly.validate(variantBytes("relaxed") as BufferSource);
}

export async function loadKernels(): Promise<LoadedKernels> {
  const relaxed = requireSimd();
  const local = await instantiate(relaxed ? "relaxed" : "simd", false);
  const shared = sharedMemoryAvailable() ? await instantiate(relaxed ? "relaxed" : "simd", true) : null;
  return { local, shared, relaxed };
}

/**
 * loadKernels, synchronously: Node compiles our ~11 KB modules in about a
 * millisecond, so a forced wasm backend can take over before the first op.
 * Throws where the runtime forbids synchronous compilation (some browsers' main thread).
 */
export function loadKernelsSync(): LoadedKernels {
  const relaxed = requireSimd();
  const local = instantiateSync(relaxed ? "relaxed" : "simd", false);
  const shared = sharedMemoryAvailable() ? instantiateSync(relaxed ? "relaxed" : "simd", true) : null;
  return { local, shared, relaxed };
}
