/**
 * A small pool of worker threads that run GEMM slices on the wasm backend's
 * shared memory. The calling thread always takes one slice itself, so with
 * `threads` = 2 one worker runs beside it. Workers start in the background;
 * until one reports ready, the calling thread simply does all the work.
 */
import { workerSource } from "./worker-source.js";

/** Words of one worker's control block: state, ready, the 16 gemmChunks arguments, error flag. */
export const GEMM_ARGS = 16;
const ERROR_WORD = 2 + GEMM_ARGS;
export const CONTROL_WORDS = 20;
export const CONTROL_BYTES = CONTROL_WORDS * 4;

const IDLE = 0, POSTED = 1, DONE = 2;

interface WorkerHandle {
  ctl: Int32Array;
  terminate(): void;
}

/** Cores this runtime reports (os.availableParallelism in Node), or 1 when it cannot say. */
export async function hardwareThreads(): Promise<number> {
  if (isNode()) {
    const specifier = "node:os";
    const os = (await import(/* @vite-ignore */ specifier)) as typeof import("node:os");
    return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  }
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return nav?.hardwareConcurrency ?? 1;
}

/** hardwareThreads without waiting, or null where only an import could tell (Node before 20.16). */
export function hardwareThreadsSync(): number | null {
  if (isNode()) {
    const proc = globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } };
    const os = proc.process?.getBuiltinModule?.("node:os") as typeof import("node:os") | undefined;
    if (!os) return null;
    return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  }
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return nav?.hardwareConcurrency ?? 1;
}

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === "string";
}

async function spawnWorker(module: WebAssembly.Module, memory: WebAssembly.Memory, ctlByte: number): Promise<WorkerHandle> {
  const message = { module, memory, ctlByte, words: CONTROL_WORDS };
  const ctl = new Int32Array(memory.buffer, ctlByte, CONTROL_WORDS);
  if (isNode()) {
    const specifier = "node:worker_threads";
    const { Worker } = (await import(/* @vite-ignore */ specifier)) as typeof import("node:worker_threads");
    const worker = new Worker(workerSource, { eval: true });
    worker.unref(); // an idle pool must not keep the process alive
    worker.on("error", (err) => { console.warn(`backprop: a wasm worker thread failed (${String(err)}); continuing on fewer threads`); });
    worker.postMessage(message);
    return { ctl, terminate: () => { void worker.terminate(); } };
  }
  const url = URL.createObjectURL(new Blob([workerSource], { type: "text/javascript" }));
  const worker = new Worker(url);
  worker.postMessage(message);
  return { ctl, terminate: () => worker.terminate() };
}

/** Iterations join spins before it sleeps (a few microseconds). */
const JOIN_SPINS = 2000;

export class GemmPool {
  private workers: WorkerHandle[] = [];
  private canBlock = true;

  /** Starts `count` workers whose control blocks begin at `ctlByte`. */
  constructor(
    private readonly module: WebAssembly.Module,
    private readonly memory: WebAssembly.Memory,
    private readonly ctlByte: number,
    readonly capacity: number,
  ) {}

  /** Starts the workers in the background (idempotent). */
  start(count: number): void {
    const want = Math.min(count, this.capacity);
    for (let i = this.workers.length; i < want; i++) {
      const index = i;
      // Reserve the slot synchronously; the handle arrives when the worker is created.
      const ctl = new Int32Array(this.memory.buffer, this.ctlByte + index * CONTROL_BYTES, CONTROL_WORDS);
      Atomics.store(ctl, 0, IDLE);
      Atomics.store(ctl, 1, 0);
      const slot: WorkerHandle = { ctl, terminate: () => {} };
      this.workers.push(slot);
      spawnWorker(this.module, this.memory, this.ctlByte + index * CONTROL_BYTES)
        .then((h) => { slot.terminate = h.terminate; })
        .catch((err: unknown) => { console.warn(`backprop: could not start a wasm worker thread (${String(err)})`); });
    }
  }

  /** Workers that have instantiated the kernels and can take a slice now. */
  readyWorkers(limit: number): number {
    let n = 0;
    for (let i = 0; i < this.workers.length && n < limit; i++) if (Atomics.load(this.workers[i].ctl, 1) === 1) n++;
    return n;
  }

  /** Posts a job (the gemmChunks arguments) to ready worker i (ready workers are the first ones). */
  post(i: number, args: readonly number[]): void {
    const ctl = this.workers[i].ctl;
    for (let j = 0; j < GEMM_ARGS; j++) ctl[2 + j] = args[j];
    Atomics.store(ctl, 0, POSTED);
    Atomics.notify(ctl, 0);
  }

  /**
   * Waits until worker i finished its slice: it spins first (the calling
   * thread has just done a slice of the same size, so the wait is usually
   * short), then sleeps in Atomics.wait so that a worker descheduled on a
   * busy machine gets the core. A browser's main thread may not block, so
   * there it keeps spinning.
   */
  join(i: number): void {
    const ctl = this.workers[i].ctl;
    let spins = 0;
    while (Atomics.load(ctl, 0) !== DONE) {
      if (++spins > JOIN_SPINS && this.canBlock) {
        try {
          Atomics.wait(ctl, 0, POSTED, 1000);
        } catch {
          this.canBlock = false; // this thread may not block: spin from now on
        }
      }
    }
    Atomics.store(ctl, 0, IDLE);
    if (Atomics.exchange(ctl, ERROR_WORD, 0) !== 0) throw new Error("wasm backend: a GEMM slice failed in a worker thread");
  }

  terminate(): void {
    for (const w of this.workers) w.terminate();
    this.workers = [];
  }
}
