/** Pooling layers: MaxPool1d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d (no parameters). */
import { ValueError } from "../../errors.js";
import type { Tensor } from "../../tensor/tensor.js";
import {
  adaptiveAvgPool2d, avgPool2d, maxPool1d, maxPool2d, type AvgPool2dOptions, type MaxPool1dOptions, type MaxPool2dOptions, type Size2,
} from "../../ops/pool.js";
import { Module } from "../module.js";

/** What a max pool's forward returns: the values, or [values, int32 indices] with returnIndices. */
export type MaxPoolOutput<R extends boolean> = R extends true ? [Tensor, Tensor] : Tensor;

/** Accepts `(kernelSize, options?)` or `({ kernelSize, ...options })`. */
function poolOptions<O extends { kernelSize: unknown }>(layer: string, first: O | O["kernelSize"], rest: Omit<O, "kernelSize"> | undefined): O {
  if (typeof first === "object" && first !== null && !Array.isArray(first)) {
    if (rest !== undefined) throw new ValueError(`${layer}: give the options once, either ${layer}(kernelSize, options) or ${layer}({ kernelSize, ... })`);
    if ((first as O).kernelSize === undefined) throw new ValueError(`${layer}: the options need a kernelSize, e.g. new ${layer}({ kernelSize: 2 })`);
    return { ...(first as O) };
  }
  return { ...rest, kernelSize: first } as O;
}

const show = (v: unknown) => (Array.isArray(v) ? `[${v.map(String).join(", ")}]` : `${v}`);

/** Max over windows of the last dim of [N, C, L] (or [C, L]). */
export class MaxPool1d<R extends boolean = false> extends Module {
  readonly options: MaxPool1dOptions;

  constructor(kernelSize: number, options?: Omit<MaxPool1dOptions, "kernelSize"> & { returnIndices?: R });
  constructor(options: MaxPool1dOptions & { returnIndices?: R });
  constructor(first: number | MaxPool1dOptions, rest?: Omit<MaxPool1dOptions, "kernelSize">) {
    super();
    this.options = poolOptions<MaxPool1dOptions>("MaxPool1d", first, rest);
  }

  forward(x: Tensor): MaxPoolOutput<R> {
    return maxPool1d(x, this.options) as MaxPoolOutput<R>;
  }

  override extraRepr(): string {
    const o = this.options;
    return `kernelSize=${o.kernelSize}, stride=${o.stride ?? o.kernelSize}, padding=${o.padding ?? 0}, dilation=${o.dilation ?? 1}, ceilMode=${o.ceilMode ?? false}`;
  }
}

/** Max over windows of the last two dims of [N, C, H, W] (or [C, H, W]). */
export class MaxPool2d<R extends boolean = false> extends Module {
  readonly options: MaxPool2dOptions;

  constructor(kernelSize: Size2, options?: Omit<MaxPool2dOptions, "kernelSize"> & { returnIndices?: R });
  constructor(options: MaxPool2dOptions & { returnIndices?: R });
  constructor(first: Size2 | MaxPool2dOptions, rest?: Omit<MaxPool2dOptions, "kernelSize">) {
    super();
    this.options = poolOptions<MaxPool2dOptions>("MaxPool2d", first, rest);
  }

  forward(x: Tensor): MaxPoolOutput<R> {
    return maxPool2d(x, this.options) as MaxPoolOutput<R>;
  }

  override extraRepr(): string {
    const o = this.options;
    return `kernelSize=${show(o.kernelSize)}, stride=${show(o.stride ?? o.kernelSize)}, padding=${show(o.padding ?? 0)}, dilation=${show(o.dilation ?? 1)}, ceilMode=${o.ceilMode ?? false}`;
  }
}

/** Mean over windows of the last two dims of [N, C, H, W] (or [C, H, W]). */
export class AvgPool2d extends Module {
  readonly options: AvgPool2dOptions;

  constructor(kernelSize: Size2, options?: Omit<AvgPool2dOptions, "kernelSize">);
  constructor(options: AvgPool2dOptions);
  constructor(first: Size2 | AvgPool2dOptions, rest?: Omit<AvgPool2dOptions, "kernelSize">) {
    super();
    this.options = poolOptions<AvgPool2dOptions>("AvgPool2d", first, rest);
  }

  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.options);
  }

  override extraRepr(): string {
    const o = this.options;
    return `kernelSize=${show(o.kernelSize)}, stride=${show(o.stride ?? o.kernelSize)}, padding=${show(o.padding ?? 0)}, ceilMode=${o.ceilMode ?? false}, countIncludePad=${o.countIncludePad ?? true}`;
  }
}

/** Averages [N, C, H, W] down to a fixed [outH, outW] whatever the input size. */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: number | readonly [number | null, number | null]) {
    super();
  }

  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }

  override extraRepr(): string {
    return `outputSize=${show(this.outputSize)}`;
  }
}
