/** Containers: Sequential (applies its children in order) and ModuleList (holds them). */
import { ValueError } from "../../errors.js";
import type { Tensor } from "../../tensor/tensor.js";
import { Module } from "../module.js";

function checkModules(op: string, modules: readonly unknown[]): void {
  modules.forEach((m, i) => {
    if (!(m instanceof Module)) throw new TypeError(`${op}: argument ${i} is not a Module (got ${m === null ? "null" : typeof m})`);
  });
}

/** Holds modules under the names "0", "1", … so that parameter names match PyTorch's. */
export class ModuleList extends Module {
  constructor(modules: readonly Module[] = []) {
    super();
    checkModules("ModuleList", modules);
    modules.forEach((m) => this.append(m));
  }

  get length(): number {
    return this.children().length;
  }

  append(module: Module): this {
    checkModules("ModuleList.append", [module]);
    this.registerModule(String(this.length), module);
    return this;
  }

  /** The i-th module; negative i counts from the end. */
  at(i: number): Module {
    const n = this.length;
    const j = i < 0 ? i + n : i;
    if (!Number.isInteger(j) || j < 0 || j >= n) throw new ValueError(`${this.constructor.name}.at: index ${i} is out of range for ${n} modules`);
    return (this as unknown as Record<string, Module>)[String(j)];
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.children()[Symbol.iterator]();
  }

  forward(..._inputs: unknown[]): unknown {
    throw new TypeError("ModuleList: a ModuleList has no forward(); iterate over it and call its modules");
  }
}

/**
 * Applies its modules in order: forward(x) = mₙ(…m₁(x)). Each child is
 * called through its `forward`, so the child's forward hooks run.
 */
export class Sequential extends ModuleList {
  constructor(...modules: Module[]) {
    super(modules);
  }

  override forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this.children()) y = m.forward(y);
    return y;
  }
}
