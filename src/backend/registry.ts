/**
 * Which backend runs the kernels. Backends register themselves (possibly
 * asynchronously, e.g. after compiling WebAssembly); `setBackend` switches.
 */
import type { Backend } from "./backend.js";
import { jsBackend } from "./js/index.js";

type Loader = () => Backend | Promise<Backend>;

const loaders = new Map<string, Loader>([["js", () => jsBackend]]);
const loaded = new Map<string, Backend>([["js", jsBackend]]);

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
  const ready = loaded.get(name);
  if (ready) { backend = ready; return; }
  const loader = loaders.get(name);
  if (!loader) {
    throw new Error(`setBackend: unknown backend "${name}"; available: ${availableBackends().map((n) => `"${n}"`).join(", ")}`);
  }
  const result = loader();
  if (result instanceof Promise) {
    return result.then((b) => { loaded.set(name, b); backend = b; });
  }
  loaded.set(name, result);
  backend = result;
}
