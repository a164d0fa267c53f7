/**
 * Error classes. Every message names the op (or file) first, then the
 * offending shapes, dims or dtypes, then what would fit.
 */
export class BackpropError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Shapes that do not fit together (broadcast, matmul, reshape, cat…). */
export class ShapeError extends BackpropError {}
/** A dimension index out of range, or repeated. */
export class DimError extends BackpropError {}
/** A dtype an op cannot take (int32 where a float is needed, …). */
export class DTypeError extends BackpropError {}
/** Misuse of the autograd graph: freed graphs, non-scalar backward, non-leaf requiresGrad. */
export class AutogradError extends BackpropError {}
/** Raised by `detectAnomaly` when a backward function produced NaN or Inf. */
export class AnomalyError extends AutogradError {}
/** Raised by `gradcheck` when analytic and numeric gradients disagree. */
export class GradcheckError extends BackpropError {}
/** Bad values passed to a function (an index out of range, a negative learning rate…). */
export class ValueError extends BackpropError {}
/** A data or model file that cannot be read: names the file, and the line and column where it applies. */
export class DataError extends BackpropError {}
/** A state dict that does not fit a module: lists every missing, unexpected and mis-shaped key. */
export class StateDictError extends ValueError {}
