/**
 * Error classes. Every message names the op (or file) first, then the
 * offending shapes, dims or dtypes, then what would fit.
 */
export class BackpropError extends Error {
  /**
   * The class's name as written, for `error.name`: bundlers that minify
   * rename classes, and a browser console should still say "ShapeError".
   * A class without its own falls back to its (possibly renamed) name.
   */
  static readonly errorName: string = "BackpropError";

  constructor(message: string) {
    super(message);
    const cls = new.target as typeof BackpropError;
    this.name = Object.hasOwn(cls, "errorName") ? cls.errorName : cls.name;
  }
}

/** Shapes that do not fit together (broadcast, matmul, reshape, cat…). */
export class ShapeError extends BackpropError { static override readonly errorName: string = "ShapeError"; }
/** A dimension index out of range, or repeated. */
export class DimError extends BackpropError { static override readonly errorName: string = "DimError"; }
/** A dtype an op cannot take (int32 where a float is needed, …). */
export class DTypeError extends BackpropError { static override readonly errorName: string = "DTypeError"; }
/** Misuse of the autograd graph: freed graphs, non-scalar backward, non-leaf requiresGrad. */
export class AutogradError extends BackpropError { static override readonly errorName: string = "AutogradError"; }
/** Raised by `detectAnomaly` when a backward function produced NaN or Inf. */
export class AnomalyError extends AutogradError { static override readonly errorName: string = "AnomalyError"; }
/** Raised by `gradcheck` when analytic and numeric gradients disagree. */
export class GradcheckError extends BackpropError { static override readonly errorName: string = "GradcheckError"; }
/** Bad values passed to a function (an index out of range, a negative learning rate…). */
export class ValueError extends BackpropError { static override readonly errorName: string = "ValueError"; }
/** A data or model file that cannot be read: names the file, and the line and column where it applies. */
export class DataError extends BackpropError { static override readonly errorName: string = "DataError"; }
/** A state dict that does not fit a module: lists every missing, unexpected and mis-shaped key. */
export class StateDictError extends ValueError { static override readonly errorName: string = "StateDictError"; }
/** A tensor used after the `bp.tidy` callback that produced it returned, which released its buffer for reuse. */
export class ReleasedTensorError extends BackpropError { static override readonly errorName: string = "ReleasedTensorError"; }
