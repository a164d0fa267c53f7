/**
 * ModuleDict: modules held under string keys, so that their parameters are
 * named "key.weight" as in PyTorch. Each key is a field of the dict (that
 * is how Module finds children), kept in insertion order, except that keys
 * that look like array indices ("0", "12") come first, in numeric order
 * (JavaScript's property order), where PyTorch keeps insertion order.
 */
import { ValueError } from "../../errors.js";
import { Module } from "../module.js";
import { checkKey, entriesOf, isReserved, reservedKeyError } from "./container-keys.js";

export class ModuleDict extends Module {
  constructor(modules?: Record<string, Module> | Iterable<readonly [string, Module]> | ModuleDict | null) {
    super();
    this.update(modules ?? []);
  }

  /** The module under `key` (undefined if none). */
  get(key: string): Module | undefined {
    return this.has(key) ? ((this as unknown as Record<string, Module>)[key]) : undefined;
  }

  /** Adds or replaces the module under `key`. */
  set(key: string, module: Module): this {
    checkKey("ModuleDict.set", key);
    if (!(module instanceof Module)) throw new TypeError(`ModuleDict.set: the value for "${key}" is not a Module (got ${module === null ? "null" : typeof module})`);
    if (isReserved(this, key, (v) => v instanceof Module)) throw reservedKeyError("ModuleDict.set", key);
    this.registerModule(key, module);
    return this;
  }

  has(key: string): boolean {
    return Object.prototype.hasOwnProperty.call(this, key) && (this as unknown as Record<string, unknown>)[key] instanceof Module;
  }

  /** Removes `key` and returns its module (PyTorch's pop); throws if absent. */
  pop(key: string): Module {
    const m = this.get(key);
    if (m === undefined) throw new ValueError(`ModuleDict.pop: no module under key "${key}"; the keys are ${JSON.stringify(this.keys())}`);
    delete (this as unknown as Record<string, unknown>)[key];
    return m;
  }

  delete(key: string): boolean {
    if (!this.has(key)) return false;
    this.pop(key);
    return true;
  }

  clear(): void {
    for (const k of this.keys()) this.pop(k);
  }

  /** Adds every entry of an object or of [key, module] pairs. */
  update(modules: Record<string, Module> | Iterable<readonly [string, Module]> | ModuleDict): this {
    const entries = modules instanceof ModuleDict ? modules.items() : entriesOf("ModuleDict", modules);
    for (const [k, m] of entries) this.set(k, m);
    return this;
  }

  keys(): string[] {
    return this.namedChildren().map(([k]) => k);
  }

  values(): Module[] {
    return this.children();
  }

  items(): [string, Module][] {
    return this.namedChildren();
  }

  /** The number of modules (also `length`). */
  get size(): number {
    return this.namedChildren().length;
  }

  get length(): number {
    return this.size;
  }

  [Symbol.iterator](): Iterator<string> {
    return this.keys()[Symbol.iterator]();
  }

  forward(..._inputs: unknown[]): any {
    throw new TypeError("ModuleDict: a ModuleDict has no forward(); call its modules by key, e.g. dict.get(\"encoder\")!.forward(x)");
  }
}
