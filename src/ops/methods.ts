/**
 * Installs the ops of the op table (src/ops/table.ts) as Tensor methods;
 * their types are declared in src/tensor/tensor.ts and checked against the
 * table there.
 */
import { Tensor } from "../tensor/tensor.js";
import { OP_TABLE, type OpEntry } from "./table.js";

type Method = (this: Tensor, ...args: any[]) => unknown;

function install(name: string, entry: OpEntry): void {
  const { fn, method } = entry;
  if (method === undefined) return;
  if (method === "getter") {
    Object.defineProperty(Tensor.prototype, name, { get(this: Tensor) { return fn(this); }, configurable: true });
    return;
  }
  // A fixed arity (table.ts checks that no "self" op takes more) rather than
  // rest arguments: no array per call on the hottest path of user code.
  const value: Method = method === "self"
    ? function (this: Tensor, a?: unknown, b?: unknown, c?: unknown, d?: unknown) { return fn(this, a, b, c, d); }
    : method;
  Object.defineProperty(Tensor.prototype, name, { value, writable: true, configurable: true });
}

for (const [name, entry] of Object.entries(OP_TABLE)) install(name, entry);

/** The names installed as methods or properties. */
export const installed: readonly string[] = Object.entries(OP_TABLE)
  .filter(([, entry]) => (entry as OpEntry).method !== undefined)
  .map(([name]) => name);
