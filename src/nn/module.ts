/**
 * Module: the base class of layers and models.
 *
 * Registration works by looking at the instance's own fields, in insertion
 * order, whenever parameters/children are asked for: a field holding a
 * Parameter (or a leaf tensor that requires grad) is a parameter, a field
 * holding a Module is a child, and names passed to `registerBuffer` are
 * buffers. So `this.weight = new Parameter(...)` is all a layer has to do.
 * Containers store their children under "0", "1", … like PyTorch.
 */
import type { DType } from "../backend/backend.js";
import { noGrad } from "../graph/mode.js";
import { DTypeError, StateDictError, ValueError } from "../errors.js";
import { zeroGradOf } from "../autograd/zero-grad.js";
import { allocate } from "../tensor/dtype.js";
import { formatShape } from "../tensor/shape.js";
import { Tensor, readInto } from "../tensor/tensor.js";
import { isParameterLike, replaceData, writeElements } from "./parameter.js";
import { addForwardHook, addForwardPreHook, type ForwardHook, type ForwardPreHook } from "./forward-hooks.js";
import type { HookHandle } from "../tensor/tensor.js";

export interface LoadStateDictOptions {
  /** Require the keys to match exactly (default true). */
  strict?: boolean;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export abstract class Module {
  /** True in training mode (Dropout active), false after eval(). */
  training = true;
  /** Names of the fields that hold buffers (non-trainable state saved in stateDict). */
  private readonly _bufferNames = new Set<string>();

  /** The computation; subclasses declare their real input and output types. Forward hooks run around it (src/nn/forward-hooks.ts). */
  abstract forward(...inputs: any[]): any;

  /**
   * Registers `hook(module, inputs)` to run before every forward call; a
   * returned array replaces the inputs, any other value except undefined
   * becomes the only input. Hooks run in registration order.
   */
  registerForwardPreHook(hook: ForwardPreHook<this>): HookHandle {
    return addForwardPreHook(this, hook);
  }

  /**
   * Registers `hook(module, inputs, output)` to run after every forward
   * call; a returned value other than undefined replaces the output. Hooks
   * run in registration order, each seeing the previous one's output.
   */
  registerForwardHook(hook: ForwardHook<this>): HookHandle {
    return addForwardHook(this, hook);
  }

  /** Registers `this[name] = tensor` as a buffer: saved and loaded, converted by to(), not trained. */
  registerBuffer(name: string, tensor: Tensor | null): void {
    this._bufferNames.add(name);
    (this as Record<string, unknown>)[name] = tensor;
  }

  /** Registers a child module under `name` (what assigning a field does; useful for computed names). */
  registerModule(name: string, module: Module | null): void {
    (this as Record<string, unknown>)[name] = module;
  }

  /** This module's own parameters, in field order. */
  private ownParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [name, value] of Object.entries(this)) {
      if (!this._bufferNames.has(name) && isParameterLike(value)) out.push([name, value]);
    }
    return out;
  }

  private ownBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const name of this._bufferNames) {
      const value = (this as Record<string, unknown>)[name];
      if (value instanceof Tensor) out.push([name, value]);
    }
    return out;
  }

  /** Direct children as [name, module] pairs, in field order. */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [name, value] of Object.entries(this)) if (value instanceof Module) out.push([name, value]);
    return out;
  }

  children(): Module[] {
    // A loop, not .map: Sequential.forward iterates this list on every call,
    // and TurboFan's inlined .map would hand it arrays of another hidden
    // class than the interpreter's (see dimsArray in src/tensor/shape.ts).
    const out: Module[] = [];
    for (const [, m] of this.namedChildren()) out.push(m);
    return out;
  }

  /** This module and all below it, depth first, with dotted names ("" for this one); a module reachable twice is listed once. */
  namedModules(prefix = "", seen = new Set<Module>()): [string, Module][] {
    if (seen.has(this)) return [];
    seen.add(this);
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.namedChildren()) out.push(...child.namedModules(join(prefix, name), seen));
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** All parameters with PyTorch's dotted names ("0.weight", "encoder.0.bias"); shared ones listed once. */
  namedParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, p] of m.ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([join(prefix, name), p]);
      }
    }
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  namedBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [prefix, m] of this.namedModules()) for (const [name, b] of m.ownBuffers()) out.push([join(prefix, name), b]);
    return out;
  }

  buffers(): Tensor[] {
    return this.namedBuffers().map(([, b]) => b);
  }

  /**
   * name → tensor for every parameter and buffer, in PyTorch's order (a
   * module's own parameters, then its buffers, then each child's). The
   * tensors are detached views sharing the module's storage.
   */
  stateDict(): Record<string, Tensor> {
    const sd: Record<string, Tensor> = {};
    for (const [name, t] of this.stateEntries()) sd[name] = t.detach();
    return sd;
  }

  /** The live tensors behind stateDict(), by name; a module shared by two parents appears under both names, as in PyTorch. */
  private stateEntries(prefix = "", out = new Map<string, Tensor>(), path = new Set<Module>()): Map<string, Tensor> {
    if (path.has(this)) throw new ValueError(`stateDict: the module at "${prefix}" contains itself (a cycle of module fields)`);
    path.add(this);
    for (const [name, p] of this.ownParameters()) out.set(join(prefix, name), p);
    for (const [name, b] of this.ownBuffers()) out.set(join(prefix, name), b);
    for (const [name, child] of this.namedChildren()) child.stateEntries(join(prefix, name), out, path);
    path.delete(this);
    return out;
  }

  /**
   * Copies the values of `stateDict` into this module's parameters and
   * buffers (in place, converting dtype). Checks everything first and
   * reports every missing, unexpected and mis-shaped key in one
   * StateDictError, so nothing is half-loaded. With strict=false, missing
   * and unexpected keys are returned instead of thrown; shape mismatches
   * always throw.
   */
  loadStateDict(stateDict: Record<string, Tensor>, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const strict = options.strict ?? true;
    const targets = this.stateEntries();
    const missingKeys = [...targets.keys()].filter((k) => !(k in stateDict));
    const unexpectedKeys = Object.keys(stateDict).filter((k) => !targets.has(k));
    const problems: string[] = [];
    for (const [name, target] of targets) {
      const src = stateDict[name];
      if (src === undefined) continue;
      if (!(src instanceof Tensor)) problems.push(`"${name}": expected a Tensor, got ${typeof src}`);
      else if (formatShape(src.shape) !== formatShape(target.shape)) {
        problems.push(`"${name}": shape ${formatShape(src.shape)} in the state dict, ${formatShape(target.shape)} in the model`);
      } else if (src.dtype === "bool" || (src.dtype === "int32") !== (target.dtype === "int32")) {
        problems.push(`"${name}": dtype ${src.dtype} in the state dict, ${target.dtype} in the model`);
      }
    }
    if (strict) {
      if (missingKeys.length) problems.push(`missing keys: ${missingKeys.map((k) => `"${k}"`).join(", ")}`);
      if (unexpectedKeys.length) problems.push(`unexpected keys: ${unexpectedKeys.map((k) => `"${k}"`).join(", ")}`);
    }
    if (problems.length) {
      throw new StateDictError(`loadStateDict: ${problems.length} problem(s) loading into ${this.constructor.name}:\n  ${problems.join("\n  ")}`);
    }
    noGrad(() => {
      for (const [name, target] of targets) {
        const src = stateDict[name];
        if (src !== undefined) copyInto(target, src);
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  /** Sets training mode on this module and all its children. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Zeroes every parameter's gradient in place (PyTorch 1.13's default), or sets it to null with setToNone = true. */
  zeroGrad(setToNone = false): void {
    zeroGradOf(this.parameters(), setToNone);
  }

  /**
   * Converts every parameter and buffer (and existing gradients) to `dtype`
   * in place: each tensor object keeps its identity and gets new storage, so
   * optimizers built before the call keep working.
   */
  to(dtype: DType): this {
    if (dtype !== "float32" && dtype !== "float64") {
      throw new DTypeError(`Module.to: parameters can only be converted to "float32" or "float64", got ${JSON.stringify(dtype)}`);
    }
    for (const t of [...this.parameters(), ...this.buffers()]) {
      if (t.dtype !== "float32" && t.dtype !== "float64") continue; // integer buffers keep their dtype, as in PyTorch
      if (t.dtype !== dtype) replaceData(t, convertedStorage(t, dtype), dtype);
      if (t.grad && t.grad.dtype !== dtype) t.grad = t.grad.to(dtype).detach();
    }
    return this;
  }

  double(): this {
    return this.to("float64");
  }

  float(): this {
    return this.to("float32");
  }

  /** Applies `fn` to every module (children first, then this one), as PyTorch's apply. */
  apply(fn: (m: Module) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  /** The constructor arguments shown by toString(), e.g. "inFeatures=2, outFeatures=3, bias=true". */
  extraRepr(): string {
    return "";
  }

  /** A structure summary in the layout of PyTorch's repr. */
  toString(): string {
    const children = this.namedChildren();
    const extra = this.extraRepr();
    if (children.length === 0) return `${this.constructor.name}(${extra})`;
    const lines = extra ? [extra] : [];
    for (const [name, child] of children) lines.push(`(${name}): ${child.toString().split("\n").join("\n  ")}`);
    return `${this.constructor.name}(\n  ${lines.join("\n  ")}\n)`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

function join(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

function convertedStorage(t: Tensor, dtype: DType) {
  const out = allocate(dtype, t.size);
  readInto(t, out);
  return out;
}

/** target ← src elementwise (same shape, any float dtype), without touching the graph. */
function copyInto(target: Tensor, src: Tensor): void {
  const values = allocate(target.dtype, src.size);
  readInto(src, values);
  writeElements(target, values);
}
