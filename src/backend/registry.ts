/**
 * Which backend runs the kernels. Backends register themselves (possibly
 * asynchronously, e.g. after compiling WebAssembly); `setBackend` switches.
 */
import type { Backend } from "./backend.js";
import { ValueError } from "../errors.js";
import { jsBackend } from "./js/index.js";
import { loadNativeBackend } from "./native/index.js";

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
  loaders.set("wasm", () => (loading ??= import("./wasm/index.js").then((m) => m.createWasmBackend())));
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

export function getBackend(): string {
  return backend.name;
}

/**
 * Switches to the named backend. Returns a promise when the backend must
 * first load (WebAssembly compiles asynchronously); `await` it either way.
 */
export function setBackend(name: string): void | Promise<void> {
  if (name === "auto") return setFastestBackend();
  const ready = loaded.get(name);
  if (ready) { backend = ready; return; }
  const loader = loaders.get(name);
  if (!loader) {
    const hint = name === "wasm" ? " (this runtime lacks WebAssembly SIMD)" : name === "native" && nativeProblem ? ` (${nativeProblem})` : "";
    throw new ValueError(`setBackend: unknown backend "${name}"${hint}; available: ${availableBackends().map((n) => `"${n}"`).join(", ")}, or "auto"`);
  }
  const result = loader();
  if (result instanceof Promise) {
    return result.then((b) => { loaded.set(name, b); backend = b; });
  }
  loaded.set(name, result);
  backend = result;
}

/**
 * `setBackend("auto")`: switches to the fastest backend that loads here
 * (native, then wasm, then js), skipping any whose loader fails.
 */
async function setFastestBackend(): Promise<void> {
  for (const name of AUTO_ORDER) {
    if (!loaders.has(name)) continue;
    try {
      await setBackend(name);
      return;
    } catch {
      // Not loadable in this runtime (missing binary, no SIMD, …): try the next.
    }
  }
}

/**
 * BACKPROP_BACKEND=js|wasm|native|auto picks the backend at startup. A name
 * that does not load throws here, naming the reason: a forced backend should
 * not silently fall back. Backends that load asynchronously (wasm) take over
 * once loaded; `await bp.setBackend(...)` to be sure.
 */
const forced = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.BACKPROP_BACKEND;
if (forced) {
  const switching = setBackend(forced);
  if (switching) switching.catch((e: Error) => { console.error(`backprop: BACKPROP_BACKEND=${forced}: ${e.message}`); });
} else if (loaders.has("native")) {
  // The automatic choice at import: the native addon when it loaded (synchronously,
  // so every op from the first one on uses it); otherwise js until
  // `await bp.setBackend("auto")` has compiled the WebAssembly kernels.
  const native = setBackend("native");
  if (native) native.catch(() => {});
}
