/** Containers: Sequential (applies its children in order) and ModuleList (holds them). */
import { ValueError } from "../../errors.js";
import { markInternal } from "../../graph/internal-activations.js";
import { Tensor } from "../../tensor/tensor.js";
import { Module } from "../module.js";
import { GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh } from "./activation.js";
import { Embedding } from "./embedding.js";
import { Linear } from "./linear.js";
import { LayerNorm } from "./normalization.js";
import { Dropout, Flatten, Identity } from "./simple.js";

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

  forward(..._inputs: unknown[]): any {
    throw new TypeError("ModuleList: a ModuleList has no forward(); iterate over it and call its modules");
  }
}

/** Applies its modules in order: forward(x) = mₙ(…m₁(x)). */
export class Sequential extends ModuleList {
  constructor(...modules: Module[]) {
    super(modules);
  }

  override forward(x: unknown): any {
    let y = x;
    let previous: Module | null = null;
    let previousInput: unknown = null;
    for (const m of this.children()) {
      const out = m.forward(y);
      // y, the previous layer's output, has now been read by m and is not
      // returned: its buffer can be recycled once backward no longer needs it.
      if (previous !== null && y instanceof Tensor && out instanceof Tensor && previousInput instanceof Tensor
        && y.storage !== previousInput.storage && keepsNoReference(previous) && keepsNoReference(m)) {
        markInternal(y, out);
      }
      previous = m;
      previousInput = y;
      y = out;
    }
    return y;
  }
}

/**
 * The library's own layers, whose forward returns a new tensor (or a view
 * of its input) and keeps no reference to its input or output. A user's
 * module might keep one (to plot activations, say), so around any other
 * module Sequential leaves activations to the garbage collector.
 */
const LAYERS_THAT_KEEP_NOTHING: ReadonlySet<Function> = new Set<Function>([
  Linear, Sigmoid, Tanh, ReLU, LeakyReLU, GELU, Softmax, LogSoftmax, LayerNorm, Embedding, Dropout, Flatten, Identity,
]);

function keepsNoReference(m: Module): boolean {
  // An instance whose forward was replaced is a user's module too.
  return LAYERS_THAT_KEEP_NOTHING.has(m.constructor) && !Object.prototype.hasOwnProperty.call(m, "forward");
}
