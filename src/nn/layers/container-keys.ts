/** Key checks shared by the dict-like containers (ModuleDict, ParameterDict). */
import { ValueError } from "../../errors.js";

/**
 * A key becomes a field of the container (that is how Module finds its
 * children and parameters), so it must not be empty, contain "." (it would
 * break dotted names) or hide a field or method the container already has.
 */
export function checkKey(op: string, key: unknown): string {
  if (typeof key !== "string") throw new ValueError(`${op}: keys must be strings, got ${typeof key}`);
  if (key === "") throw new ValueError(`${op}: a key must not be empty`);
  if (key.includes(".")) throw new ValueError(`${op}: key "${key}" contains "."; dots separate the names of nested modules`);
  return key;
}

/** True when `key` names something the container has besides its entries (a method, "training"…). */
export function isReserved(container: object, key: string, isEntry: (v: unknown) => boolean): boolean {
  if (!(key in container)) return false;
  return !(Object.prototype.hasOwnProperty.call(container, key) && isEntry((container as Record<string, unknown>)[key]));
}

export function reservedKeyError(op: string, key: string): ValueError {
  return new ValueError(`${op}: key "${key}" is already a property or method of the container; choose another key`);
}

/** Entries from a plain object or an iterable of [key, value] pairs. */
export function entriesOf<V>(op: string, source: Record<string, V> | Iterable<readonly [string, V]> | undefined | null): [string, V][] {
  if (source === undefined || source === null) return [];
  if (typeof (source as Iterable<unknown>)[Symbol.iterator] === "function") {
    return Array.from(source as Iterable<readonly [string, V]>, (pair, i) => {
      if (!Array.isArray(pair) || pair.length !== 2) throw new ValueError(`${op}: entry ${i} is not a [key, value] pair`);
      return [pair[0], pair[1]] as [string, V];
    });
  }
  if (typeof source !== "object") throw new ValueError(`${op}: expected an object or an iterable of [key, value] pairs, got ${typeof source}`);
  return Object.entries(source);
}
