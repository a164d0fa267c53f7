/**
 * Memory accounting. Tensor storage is ordinary garbage-collected typed
 * arrays (nothing needs disposing; `bp.tidy` only lets buffers be reused
 * sooner); the graph is dropped after backward. What can be counted is
 * counted here:
 * - live bytes: storage of at least TRACK_BYTES still reachable, counted at
 *   allocation and uncounted when the garbage collector reclaims it (so the
 *   figure lags the collector, and small tensors are left out) or when the
 *   recycler takes it back;
 * - pooled bytes: memory kept for reuse: dead tensor buffers in the recycler,
 *   and backends' scratch memory (WebAssembly memory, packing buffers,
 *   shared buffers of worker threads).
 */
import type { TypedArray } from "../backend/backend.js";
import type { DeviceStorage } from "../backend/device-storage.js";
import { liveDeviceBytes } from "../backend/device-storage.js";
import { pooledBytesByName } from "../backend/pools.js";

const TRACK_BYTES = 16 * 1024;

/**
 * The byte counts, as doubles from the start: `allocatedBytes` passes 2^31
 * after about a thousand steps of an MNIST-sized MLP, and a plain `let` counter would then stop
 * fitting V8's small-integer type and deoptimize every function that inlined
 * `trackAllocation`.
 */
const counts = new Float64Array(3);
const LIVE = 0, ALLOCATED = 1, REUSED = 2;
const finalizer = typeof FinalizationRegistry === "function"
  ? new FinalizationRegistry<number>((bytes) => { counts[LIVE] -= bytes; registeredSinceFinalizer = 0; })
  : null;

/**
 * V8 calls the finalizer from the event loop. In a loop that never yields (a
 * synchronous training loop), the registry's record of every dead buffer
 * (about 70 bytes of V8 heap each) waits for that, and the records add up:
 * 2.8 MB per 40,000 buffers, without end (docs/benchmarks.md, "Soak"). So
 * after this many registrations with no finalizer run in between, new
 * buffers are left out of the live count until one runs; they go into
 * `uncounted`, a WeakSet, whose entries the collector itself drops.
 */
const MAX_REGISTERED_WITHOUT_FINALIZER = 16_384;
let registeredSinceFinalizer = 0;
const uncounted = new WeakSet<TypedArray>();
let anyUncounted = false;

/**
 * A tensor's storage as the ledger sees it: a host array, or a device
 * storage (src/backend/device-storage.ts) on the GPU.
 */
export type StorageKey = TypedArray | DeviceStorage;

/** Buffers allocated since the innermost `recordAllocations` began (null: not recording). */
let recording: Set<StorageKey> | null = null;
/** The same buffers, of all recordings, in allocation order: `allocationsSince` reads spans of it. */
const recordedInOrder: StorageKey[] = [];
/**
 * Smaller buffers are neither recorded nor recycled (recycler.ts uses the
 * same bound): copying or allocating them costs less than keeping track of
 * every one in a chain of tiny ops.
 */
export const RECORD_BYTES = 512;

/** Called by `allocate` for every tensor buffer it hands out; `reused` when the recycler supplied it. */
export function trackAllocation(buffer: TypedArray, reused: boolean): void {
  const bytes = buffer.byteLength;
  counts[ALLOCATED] += bytes;
  if (reused) counts[REUSED] += bytes;
  if (recording !== null && bytes >= RECORD_BYTES) {
    recording.add(buffer);
    recordedInOrder.push(buffer);
  }
  if (!reused && bytes >= TRACK_BYTES && finalizer) {
    if (registeredSinceFinalizer < MAX_REGISTERED_WITHOUT_FINALIZER) {
      registeredSinceFinalizer++;
      counts[LIVE] += bytes;
      finalizer.register(buffer, bytes);
    } else {
      uncounted.add(buffer);
      anyUncounted = true;
    }
  }
}

/** Called for every device storage a GPU kernel writes a new tensor into: recorded like a host buffer. */
export function trackDeviceAllocation(storage: DeviceStorage): void {
  if (recording !== null && storage.length * 4 >= RECORD_BYTES) {
    recording.add(storage);
    recordedInOrder.push(storage);
  }
}

/**
 * The recycler (recycler.ts) holds dead buffers that the collector has not
 * reclaimed: `direction` 1 takes one out of the live count as it is held,
 * -1 puts it back as it is handed out again or dropped.
 */
export function untrackLive(buffer: TypedArray, direction: 1 | -1): void {
  if (buffer.byteLength >= TRACK_BYTES && finalizer && !(anyUncounted && uncounted.has(buffer))) counts[LIVE] -= direction * buffer.byteLength;
}

/**
 * Runs `body(fresh)`, where `fresh` collects every tensor buffer of at
 * least RECORD_BYTES allocated while it runs (nested calls record into their
 * own set). The backward
 * engine uses it to know which gradient buffers nothing outside the pass
 * can hold.
 */
export function recordAllocations<T>(body: (fresh: ReadonlySet<StorageKey>) => T): T {
  const outer = recording;
  const fresh = new Set<StorageKey>();
  recording = fresh;
  try {
    return body(fresh);
  } finally {
    recording = outer;
    // An enclosing recording saw these allocations happen too.
    if (outer !== null) for (const b of fresh) outer.add(b);
    else recordedInOrder.length = 0;
  }
}

/** A position in the allocations recorded so far (only meaningful inside `recordAllocations`). */
export function allocationMark(): number {
  return recordedInOrder.length;
}

/** The recorded buffers (≥ RECORD_BYTES) allocated since `mark`, oldest first. */
export function allocationsSince(mark: number): readonly StorageKey[] {
  return recordedInOrder.slice(mark);
}

export interface MemoryInfo {
  /**
   * Bytes of tensor storage (buffers ≥ 16 KiB) not yet reclaimed by the garbage collector.
   * Its count goes down when the event loop runs; a loop that never yields stops adding
   * to it after 16,384 buffers, until the event loop runs again.
   */
  liveBytes: number;
  /** Bytes that backends keep for reuse, in total. */
  pooledBytes: number;
  /** The same, per backend pool. */
  pools: Record<string, number>;
  /** Bytes of GPU buffers held by live tensors on the webgpu backend (0 elsewhere). */
  gpuBytes: number;
  /** All tensor storage ever allocated in this process, in bytes. */
  allocatedBytes: number;
  /** The part of allocatedBytes that reused a recycled buffer instead of new memory. */
  reusedBytes: number;
}

export function memory(): MemoryInfo {
  const perPool = pooledBytesByName();
  let pooled = 0;
  for (const name in perPool) pooled += perPool[name];
  return { liveBytes: counts[LIVE], pooledBytes: pooled, pools: perPool, gpuBytes: liveDeviceBytes(), allocatedBytes: counts[ALLOCATED], reusedBytes: counts[REUSED] };
}
