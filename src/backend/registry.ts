/**
 * Which backend runs the kernels. Backends register themselves (possibly
 * asynchronously, e.g. after compiling WebAssembly); `setBackend` switches.
 */
import type { Backend } from "./backend.js";
import { ValueError } from "../errors.js";
import { jsBackend } from "./js/index.js";
import { loadNativeBackend } from "./native/index.js";
import { gpu } from "./device-dispatch.js";
import { policy, setKernelThresholdsForTesting } from "./policy.js";
import { createWasmBackend, createWasmBackendSync } from "./wasm/index.js";
import { navigatorGpu } from "./webgpu/gpu-api.js";
import type { WebGpuBackend } from "./webgpu/backend.js";

type Loader = () => Backend | Promise<Backend>;

const loaders = new Map<string, Loader>([["js", () => jsBackend]]);
const loaded = new Map<string, Backend>([["js", jsBackend]]);

/**
 * The smallest module that uses a SIMD instruction (i32x4.splat): runtimes
 * that fail to validate it cannot run the wasm backend, so it is not offered.
 */
const SIMD_PROBE = new Uint8Array([
  0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7b, 3, 2, 1, 0, 0x0a, 8, 1, 6, 0, 0x41, 0, 0xfd, 0x11, 0x0b,
]);
if (typeof WebAssembly === "object" && WebAssembly.validate(SIMD_PROBE)) {
  // One load however many callers ask at once (it starts worker threads).
  let loading: Promise<Backend> | null = null;
  loaders.set("wasm", () => {
    if (loading) return loading;
    // Node (and browser workers) compile the kernels synchronously, so the switch
    // holds from the next op on; some browsers' main threads must compile asynchronously.
    try {
      return createWasmBackendSync();
    } catch {
      return (loading = createWasmBackend());
    }
  });
}

/**
 * The native addon (Node only, compiled by `npm install`): offered when it
 * loads; otherwise `nativeProblem` says why, for setBackend's error.
 */
let nativeProblem = "";
try {
  const native = loadNativeBackend();
  if (native instanceof Promise) native.catch(() => {}); // reported by setBackend("native")
  loaders.set("native", () => native);
} catch (e) {
  nativeProblem = (e as Error).message;
}

/**
 * WebGPU (issue #19), where the browser has navigator.gpu: loaded on demand
 * (acquiring a device is asynchronous), its code fetched only then.
 */
if (navigatorGpu() !== undefined) {
  loaders.set("webgpu", async () => {
    // What the GPU does not run goes to wasm where it loads, else to JS.
    let cpu = loaded.get("wasm");
    const wasm = loaders.get("wasm");
    if (cpu === undefined && wasm !== undefined) {
      try {
        cpu = await wasm();
        loaded.set("wasm", cpu);
      } catch {
        // no wasm here: JS
      }
    }
    const { createWebGpuBackend } = await import("./webgpu/backend.js");
    return createWebGpuBackend(cpu ?? jsBackend);
  });
}

/** The order `setBackend("auto")` tries, fastest first; names not registered are skipped. */
const AUTO_ORDER = ["native", "wasm", "js"];

/** The backend every op calls. Read it through this binding on each call. */
export let backend: Backend = jsBackend;

export function registerBackend(name: string, loader: Loader): void {
  loaders.set(name, loader);
}

export function availableBackends(): string[] {
  return [...loaders.keys()];
}

/** The backend that runs the next op (while an asynchronous switch is pending, the previous one). */
export function getBackend(): string {
  return backend.name;
}

/** Threads the current backend's kernels run on: 1 on js; wasm's and native's thread pools (see setNumThreads). */
export function getNumThreads(): number {
  return backend.numThreads ? backend.numThreads() : 1;
}

/**
 * The backend whose unary and binary kernels run a map of `n` elements:
 * the JS kernels below policy.jsBelow (every fast backend would hand them
 * there anyway), else the current backend, which applies its own thresholds.
 */
export function mapBackend(n: number): Backend {
  return n < policy.jsBelow ? jsBackend : backend;
}

/** setBackend calls so far. */
let switches = 0;

/**
 * Switches to the named backend. Where it loads synchronously (js; wasm
 * in Node and wherever WebAssembly compiles synchronously; native in Node
 * 20.16 and later) the switch is done when this returns, and it returns
 * nothing. Otherwise it returns a promise, and until that resolves
 * getBackend() still names the previous backend, which runs the ops;
 * `await` it either way.
 */
export function setBackend(name: string): void | Promise<void> {
  // The last call wins: a backend that finishes loading after a later setBackend does not take over.
  const ticket = ++switches;
  if (name === "auto") return setFastestBackend(AUTO_ORDER);
  const ready = loaded.get(name);
  if (ready && !ready.isLost?.()) { select(ready); return; }
  const loader = loaders.get(name);
  if (!loader) {
    const hint = name === "wasm" ? " (this runtime lacks WebAssembly SIMD)" : name === "native" && nativeProblem ? ` (${nativeProblem})` : "";
    throw new ValueError(`setBackend: unknown backend "${name}"${hint}; available: ${availableBackends().map((n) => `"${n}"`).join(", ")}, or "auto"`);
  }
  const result = loader();
  if (result instanceof Promise) {
    return result.then((b) => {
      loaded.set(name, b);
      if (ticket === switches) select(b);
    });
  }
  loaded.set(name, result);
  select(result);
}

/** Makes `b` the backend; on webgpu the op layer also sends calls to its device kernels (device-dispatch.ts). */
function select(b: Backend): void {
  backend = b;
  gpu.active = (b as Partial<WebGpuBackend>).kernels ?? null;
}

/**
 * `setBackend("auto")`: switches to the first backend of `order` that loads
 * here (native, then wasm, then js), skipping any whose loader fails.
 * Synchronous as long as each attempt is.
 */
function setFastestBackend(order: readonly string[]): void | Promise<void> {
  for (let i = 0; i < order.length; i++) {
    if (!loaders.has(order[i])) continue;
    let switching: void | Promise<void>;
    try {
      switching = setBackend(order[i]);
    } catch {
      continue; // not loadable in this runtime (missing binary, no SIMD, …): try the next
    }
    if (!switching) return;
    const mine = switches;
    // A later setBackend call overrides the rest of the search.
    return switching.catch(() => (mine === switches ? setFastestBackend(order.slice(i + 1)) : undefined));
  }
}

/**
 * BACKPROP_BACKEND=js|wasm|native|auto picks the backend at startup. A name
 * that does not load throws here, naming the reason: a forced backend should
 * not silently fall back. In Node every backend loads synchronously, so the
 * forced one runs every op from the first on.
 * BACKPROP_FORCE_KERNELS=1 (tests only) sends every call to that backend's
 * own kernels, whatever its size (src/backend/policy.ts).
 */
const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
if (env?.BACKPROP_FORCE_KERNELS === "1") setKernelThresholdsForTesting({ force: true });
const forced = env?.BACKPROP_BACKEND;
if (forced) {
  const switching = setBackend(forced);
  if (switching) switching.catch((e: Error) => { console.error(`backprop: BACKPROP_BACKEND=${forced}: ${e.message}`); });
} else if (loaders.has("native")) {
  // The automatic choice at import: the native addon when it loaded (synchronously,
  // so every op from the first one on uses it); otherwise js until
  // `await bp.setBackend("auto")` (or "wasm") has loaded the WebAssembly kernels.
  const native = setBackend("native");
  if (native) native.catch(() => {});
}
