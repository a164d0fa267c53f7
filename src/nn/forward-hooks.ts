/**
 * Forward hooks, as PyTorch's: functions that run around a module's
 * forward. A pre-hook sees the inputs before forward and may replace them;
 * a forward hook sees the inputs and the output after forward and may
 * replace the output.
 *
 * How they run: a module that never had a hook is left exactly as it is.
 * Registering the first hook gives the instance its own `forward` property,
 * an accessor whose getter returns a wrapper that runs the hooks around the
 * forward in use (the class's, or one assigned to the instance, before or
 * after the hook), and whose setter replaces that forward. So the hooks run
 * however `forward` is reached: `model.forward(x)` in user code, a
 * Sequential calling its children, a user's module calling a child.
 */
import type { HookHandle } from "../tensor/tensor.js";
import type { Module } from "./module.js";

/** Runs after forward: `output` is what forward returned (or an earlier hook's replacement); a value other than undefined replaces it. */
export type ForwardHook<M extends Module = Module> = (module: M, inputs: any[], output: any) => unknown;
/** Runs before forward: a returned array replaces the inputs, any other value other than undefined becomes the single input. */
export type ForwardPreHook<M extends Module = Module> = (module: M, inputs: any[]) => unknown;

interface Hooks {
  pre: Map<number, ForwardPreHook>;
  post: Map<number, ForwardHook>;
}

/** The hooks of each module that has had one (a WeakMap, so that they are no field of the module: stateDict and children never see them). */
const hooksOf = new WeakMap<Module, Hooks>();
let nextId = 0;

export function addForwardPreHook<M extends Module>(module: M, hook: ForwardPreHook<M>): HookHandle {
  checkHook("registerForwardPreHook", hook);
  return add(installedHooks(module).pre, hook as ForwardPreHook);
}

export function addForwardHook<M extends Module>(module: M, hook: ForwardHook<M>): HookHandle {
  checkHook("registerForwardHook", hook);
  return add(installedHooks(module).post, hook as ForwardHook);
}

function checkHook(op: string, hook: unknown): void {
  if (typeof hook !== "function") throw new TypeError(`${op}: the hook must be a function, got ${hook === null ? "null" : typeof hook}`);
}

function add<H>(hooks: Map<number, H>, hook: H): HookHandle {
  const id = nextId++;
  hooks.set(id, hook);
  // Idempotent: a second remove() finds nothing to delete.
  return { remove: () => { hooks.delete(id); } };
}

/** The module's hooks, installing the hooked `forward` accessor on the first call. */
function installedHooks(module: Module): Hooks {
  let hooks = hooksOf.get(module);
  if (hooks !== undefined) return hooks;
  hooks = { pre: new Map(), post: new Map() };
  hooksOf.set(module, hooks);
  let inner: (...inputs: any[]) => any = module.forward;
  const h = hooks;
  const hooked = function (this: unknown, ...inputs: any[]): any {
    return callWithHooks(module, inner, inputs, h);
  };
  Object.defineProperty(module, "forward", {
    configurable: true,
    enumerable: false,
    get: () => hooked,
    set: (forward: (...inputs: any[]) => any) => { inner = forward; },
  });
  return hooks;
}

function callWithHooks(module: Module, forward: (...inputs: any[]) => any, inputs: any[], hooks: Hooks): any {
  // Snapshots: a hook that removes itself (or adds another) does not change this call's list.
  if (hooks.pre.size > 0) {
    for (const pre of [...hooks.pre.values()]) {
      const r = pre(module, inputs);
      if (r !== undefined) inputs = Array.isArray(r) ? r : [r];
    }
  }
  let output = forward.apply(module, inputs);
  if (hooks.post.size > 0) {
    for (const post of [...hooks.post.values()]) {
      const r = post(module, inputs, output);
      if (r !== undefined) output = r;
    }
  }
  return output;
}
