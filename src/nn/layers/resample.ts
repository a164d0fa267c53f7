/** Upsample: interpolate as a layer (no parameters). */
import { ValueError } from "../../errors.js";
import { interpolate, type InterpolateOptions } from "../../ops/resample.js";
import type { Tensor } from "../../tensor/tensor.js";
import { Module } from "../module.js";

/** Resizes [N, C, L] or [N, C, H, W] to `size`, or by `scaleFactor` ("nearest" or "bilinear"). */
export class Upsample extends Module {
  readonly options: InterpolateOptions;

  constructor(options: InterpolateOptions) {
    super();
    if ((options?.size === undefined) === (options?.scaleFactor === undefined)) {
      throw new ValueError(`Upsample: give exactly one of size and scaleFactor, e.g. new Upsample({ scaleFactor: 2 })`);
    }
    this.options = { ...options };
  }

  forward(x: Tensor): Tensor {
    return interpolate(x, this.options);
  }

  override extraRepr(): string {
    const { size, scaleFactor, mode = "nearest" } = this.options;
    return size !== undefined ? `size=${JSON.stringify(size)}, mode=${mode}` : `scaleFactor=${JSON.stringify(scaleFactor)}, mode=${mode}`;
  }
}
