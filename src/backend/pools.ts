/**
 * Memory that backends (and the tensor recycler) keep for reuse, reported by
 * name. It lives in the lowest layer because backends report to it;
 * `bp.memory()` (src/tensor/memory.ts) reads it.
 */
const pools = new Map<string, () => number>();

/** A backend reports the bytes it holds for reuse under its name; a second call with the same name replaces the first. */
export function registerPool(name: string, bytes: () => number): void {
  pools.set(name, bytes);
}

/** The bytes each registered pool holds now. */
export function pooledBytesByName(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, bytes] of pools) out[name] = bytes();
  return out;
}
