/**
 * ParameterList and ParameterDict: parameters held by index or by key, named
 * "0", "1", … or "key" in stateDict (and "name.0", "name.key" inside a model),
 * as in PyTorch. A tensor that is not a Parameter is wrapped in one (sharing
 * its storage), as PyTorch ≥ 1.12 does.
 */
import { ValueError } from "../../errors.js";
import { formatShape } from "../../tensor/shape.js";
import { Tensor } from "../../tensor/tensor.js";
import { Module } from "../module.js";
import { isParameterLike, Parameter } from "../parameter.js";
import { checkKey, entriesOf, isReserved, reservedKeyError } from "./container-keys.js";

function asParameter(op: string, what: string, value: unknown): Tensor {
  if (!(value instanceof Tensor)) throw new TypeError(`${op}: ${what} is not a Tensor (got ${value === null ? "null" : typeof value})`);
  return value instanceof Parameter ? value : new Parameter(value);
}

function describeParameter(p: Tensor): string {
  return `Parameter ${formatShape(p.shape)} ${p.dtype}${p.requiresGrad ? "" : " (requiresGrad=false)"}`;
}

/** Own fields that hold parameters, in field order. */
function ownEntries(m: Module): [string, Tensor][] {
  const out: [string, Tensor][] = [];
  for (const [k, v] of Object.entries(m)) if (isParameterLike(v)) out.push([k, v]);
  return out;
}

export class ParameterList extends Module {
  constructor(parameters: Iterable<Tensor> = []) {
    super();
    for (const p of parameters) this.append(p);
  }

  get length(): number {
    return ownEntries(this).length;
  }

  append(parameter: Tensor): this {
    (this as unknown as Record<string, unknown>)[String(this.length)] = asParameter("ParameterList.append", "the value", parameter);
    return this;
  }

  extend(parameters: Iterable<Tensor>): this {
    for (const p of parameters) this.append(p);
    return this;
  }

  /** The i-th parameter; negative i counts from the end. */
  at(i: number): Tensor {
    const n = this.length;
    const j = i < 0 ? i + n : i;
    if (!Number.isInteger(j) || j < 0 || j >= n) throw new ValueError(`ParameterList.at: index ${i} is out of range for ${n} parameters`);
    return (this as unknown as Record<string, Tensor>)[String(j)];
  }

  /** Replaces the i-th parameter. */
  set(i: number, parameter: Tensor): this {
    this.at(i);
    const j = i < 0 ? i + this.length : i;
    (this as unknown as Record<string, unknown>)[String(j)] = asParameter("ParameterList.set", "the value", parameter);
    return this;
  }

  [Symbol.iterator](): Iterator<Tensor> {
    return ownEntries(this).map(([, p]) => p)[Symbol.iterator]();
  }

  override extraRepr(): string {
    return ownEntries(this).map(([k, p]) => `(${k}): ${describeParameter(p)}`).join("\n");
  }

  forward(..._inputs: unknown[]): any {
    throw new TypeError("ParameterList: a ParameterList has no forward(); use its parameters in your module's forward");
  }
}

export class ParameterDict extends Module {
  constructor(parameters?: Record<string, Tensor> | Iterable<readonly [string, Tensor]> | ParameterDict | null) {
    super();
    this.update(parameters ?? []);
  }

  get(key: string): Tensor | undefined {
    return this.has(key) ? (this as unknown as Record<string, Tensor>)[key] : undefined;
  }

  /** Adds or replaces the parameter under `key`. */
  set(key: string, parameter: Tensor): this {
    checkKey("ParameterDict.set", key);
    const p = asParameter("ParameterDict.set", `the value for "${key}"`, parameter);
    if (isReserved(this, key, (v) => v instanceof Tensor)) throw reservedKeyError("ParameterDict.set", key);
    (this as unknown as Record<string, unknown>)[key] = p;
    return this;
  }

  has(key: string): boolean {
    return Object.prototype.hasOwnProperty.call(this, key) && (this as unknown as Record<string, unknown>)[key] instanceof Parameter;
  }

  /** Removes `key` and returns its parameter (PyTorch's pop); throws if absent. */
  pop(key: string): Tensor {
    const p = this.get(key);
    if (p === undefined) throw new ValueError(`ParameterDict.pop: no parameter under key "${key}"; the keys are ${JSON.stringify(this.keys())}`);
    delete (this as unknown as Record<string, unknown>)[key];
    return p;
  }

  delete(key: string): boolean {
    if (!this.has(key)) return false;
    this.pop(key);
    return true;
  }

  clear(): void {
    for (const k of this.keys()) this.pop(k);
  }

  /**
   * Adds every entry, as PyTorch does: a plain object's keys in sorted
   * order, [key, parameter] pairs (a Map, an array) and another
   * ParameterDict in their own order.
   */
  update(parameters: Record<string, Tensor> | Iterable<readonly [string, Tensor]> | ParameterDict): this {
    if (parameters instanceof ParameterDict) {
      for (const [k, p] of parameters.items()) this.set(k, p);
      return this;
    }
    const entries = entriesOf("ParameterDict", parameters as Record<string, Tensor> | Iterable<readonly [string, Tensor]>);
    const plainObject = typeof (parameters as Iterable<unknown>)[Symbol.iterator] !== "function";
    if (plainObject) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [k, p] of entries) this.set(k, p);
    return this;
  }

  keys(): string[] {
    return ownEntries(this).map(([k]) => k);
  }

  values(): Tensor[] {
    return ownEntries(this).map(([, p]) => p);
  }

  items(): [string, Tensor][] {
    return ownEntries(this);
  }

  /** The number of parameters (also `length`). */
  get size(): number {
    return ownEntries(this).length;
  }

  get length(): number {
    return this.size;
  }

  [Symbol.iterator](): Iterator<string> {
    return this.keys()[Symbol.iterator]();
  }

  override extraRepr(): string {
    return ownEntries(this).map(([k, p]) => `(${k}): ${describeParameter(p)}`).join("\n");
  }

  forward(..._inputs: unknown[]): any {
    throw new TypeError("ParameterDict: a ParameterDict has no forward(); use its parameters in your module's forward");
  }
}
