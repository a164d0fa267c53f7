/**
 * The op table: one entry per operation of the public API, from which
 * src/ops/methods.ts installs the `Tensor` methods, a type check below holds
 * the `Tensor` interface (src/tensor/tensor.ts) to the installed functions,
 * and test/core/op-table.test.ts checks the package's exports and the test
 * registries (OpInfo samples, PyTorch golden cases) against it.
 *
 * An entry names the function form (`fn`, the tensor first) and says how
 * the op is reachable:
 * - `method: "self"`: `x.name(...args)` is `fn(x, ...args)`;
 * - `method: function (this: Tensor, …)`: a method that adapts its arguments
 *   (sizes as separate numbers, fixed dtypes) before calling `fn`;
 * - `method: "getter"`: a property, `x.name` is `fn(x)`;
 * - no `method`: function form only (`bp.where`, `bp.cat`, …);
 * - `exported: true`: the package exports `fn` as `bp.name` (src/index.ts).
 */
import type { Tensor } from "../tensor/tensor.js";
import { sizesArg, type SizesArgs } from "../tensor/sizes.js";
import * as ew from "./elementwise.js";
import { einsum } from "./einsum.js";
import * as idx from "./indexing.js";
import * as inplace from "./inplace.js";
import { matmul } from "./linalg.js";
import * as masking from "./masking.js";
import * as red from "./reduce.js";
import { multinomial } from "./sampling.js";
import * as seq from "./sequence.js";
import * as sh from "./shape.js";
import * as sorting from "./sorting.js";

/** How an op is installed on `Tensor.prototype` (see the file comment). */
export type MethodForm = "self" | "getter" | ((this: Tensor, ...args: any[]) => unknown);

export interface OpEntry {
  /** The function form. */
  readonly fn: (...args: any[]) => unknown;
  readonly method?: MethodForm;
  readonly exported?: true;
}

const self = "self" as const;

export const OP_TABLE = {
  add: { fn: ew.add, method: self, exported: true },
  sub: { fn: ew.sub, method: self, exported: true },
  mul: { fn: ew.mul, method: self, exported: true },
  div: { fn: ew.div, method: self, exported: true },
  pow: { fn: ew.pow, method: self, exported: true },
  maximum: { fn: ew.maximum, method: self, exported: true },
  minimum: { fn: ew.minimum, method: self, exported: true },
  eq: { fn: ew.eq, method: self, exported: true },
  ne: { fn: ew.ne, method: self, exported: true },
  gt: { fn: ew.gt, method: self, exported: true },
  ge: { fn: ew.ge, method: self, exported: true },
  lt: { fn: ew.lt, method: self, exported: true },
  le: { fn: ew.le, method: self, exported: true },
  neg: { fn: ew.neg, method: self, exported: true },
  exp: { fn: ew.exp, method: self, exported: true },
  log: { fn: ew.log, method: self, exported: true },
  sqrt: { fn: ew.sqrt, method: self, exported: true },
  abs: { fn: ew.abs, method: self, exported: true },
  sign: { fn: ew.sign, method: self, exported: true },
  square: { fn: ew.square, method: self, exported: true },
  reciprocal: { fn: ew.reciprocal, method: self, exported: true },
  sin: { fn: ew.sin, method: self, exported: true },
  cos: { fn: ew.cos, method: self, exported: true },
  tanh: { fn: ew.tanh, method: self, exported: true },
  sigmoid: { fn: ew.sigmoid, method: self, exported: true },
  relu: { fn: ew.relu, method: self, exported: true },
  leakyRelu: { fn: ew.leakyRelu, method: self, exported: true },
  gelu: { fn: ew.gelu, method: self, exported: true },
  erf: { fn: ew.erf, method: self, exported: true },
  softplus: { fn: ew.softplus, method: self, exported: true },
  clamp: { fn: ew.clamp, method: self, exported: true },
  where: { fn: ew.where, exported: true },
  logicalAnd: { fn: ew.logicalAnd, exported: true },
  logicalNot: { fn: ew.logicalNot, exported: true },
  isfinite: { fn: ew.isfinite, exported: true },
  to: { fn: ew.to, method: self },
  float: { fn: ew.to, method: function (this: Tensor) { return ew.to(this, "float32"); } },
  double: { fn: ew.to, method: function (this: Tensor) { return ew.to(this, "float64"); } },
  sum: { fn: red.sum, method: self, exported: true },
  mean: { fn: red.mean, method: self, exported: true },
  max: { fn: red.max, method: self, exported: true },
  min: { fn: red.min, method: self, exported: true },
  argmax: { fn: red.argmax, method: self, exported: true },
  argmin: { fn: red.argmin, method: self, exported: true },
  logsumexp: { fn: red.logsumexp, method: self, exported: true },
  variance: { fn: red.variance, method: self, exported: true },
  softmax: { fn: red.softmax, method: self, exported: true },
  logSoftmax: { fn: red.logSoftmax, method: self, exported: true },
  matmul: { fn: matmul, method: self, exported: true },
  reshape: { fn: sh.reshape, method: function (this: Tensor, ...shape: SizesArgs) { return sh.reshape(this, sizesArg("reshape", shape)); }, exported: true },
  view: { fn: sh.reshape, method: function (this: Tensor, ...shape: SizesArgs) { return sh.reshape(this, sizesArg("view", shape)); } },
  transpose: { fn: sh.transpose, method: self, exported: true },
  permute: { fn: sh.permute, method: function (this: Tensor, ...dims: SizesArgs) { return sh.permute(this, sizesArg("permute", dims)); }, exported: true },
  T: { fn: sh.reverseDims, method: "getter" },
  squeeze: { fn: sh.squeeze, method: self, exported: true },
  unsqueeze: { fn: sh.unsqueeze, method: self, exported: true },
  flatten: { fn: sh.flatten, method: self, exported: true },
  expand: { fn: sh.expand, method: function (this: Tensor, ...shape: SizesArgs) { return sh.expand(this, sizesArg("expand", shape)); }, exported: true },
  narrow: { fn: sh.narrow, method: self, exported: true },
  cat: { fn: sh.cat, exported: true },
  stack: { fn: sh.stack, exported: true },
  gather: { fn: idx.gather, method: self, exported: true },
  indexSelect: { fn: idx.indexSelect, method: self, exported: true },
  contiguous: { fn: sh.contiguous, method: self },
  clone: { fn: sh.clone, method: self, exported: true },
  // issue #14: more ops, and in-place updates of tensors without history
  std: { fn: red.std, method: self, exported: true },
  argsort: { fn: red.argsort, method: self, exported: true },
  log1p: { fn: ew.log1p, method: self, exported: true },
  expm1: { fn: ew.expm1, method: self, exported: true },
  silu: { fn: ew.silu, method: self, exported: true },
  elu: { fn: ew.elu, method: self, exported: true },
  mish: { fn: ew.mish, method: self, exported: true },
  flip: { fn: sh.flip, method: function (this: Tensor, ...dims: SizesArgs | [number | readonly number[]]) { return sh.flip(this, sizesArg("flip", dims)); }, exported: true },
  roll: { fn: sh.roll, method: self, exported: true },
  scatter: { fn: idx.scatter, method: self, exported: true },
  scatterAdd: { fn: idx.scatterAdd, method: self, exported: true },
  add_: { fn: inplace.add_, method: self },
  sub_: { fn: inplace.sub_, method: self },
  mul_: { fn: inplace.mul_, method: self },
  div_: { fn: inplace.div_, method: self },
  zero_: { fn: inplace.zero_, method: self },
  fill_: { fn: inplace.fill_, method: self },
  copy_: { fn: inplace.copy_, method: self },
  // issue #15: sequence ops
  cumsum: { fn: seq.cumsum, method: self, exported: true },
  split: { fn: seq.split, method: self, exported: true },
  chunk: { fn: seq.chunk, method: self, exported: true },
  repeat: { fn: seq.repeat, method: function (this: Tensor, ...sizes: SizesArgs) { return seq.repeat(this, sizesArg("repeat", sizes)); }, exported: true },
  slice: { fn: seq.slice, method: self, exported: true },
  sort: { fn: sorting.sort, method: self, exported: true },
  topk: { fn: sorting.topk, method: self, exported: true },
  multinomial: { fn: multinomial, method: self, exported: true },
  einsum: { fn: einsum, exported: true },
  // issue #15: masking for attention
  tril: { fn: masking.tril, method: self, exported: true },
  triu: { fn: masking.triu, method: self, exported: true },
  maskedFill: { fn: masking.maskedFill, method: self, exported: true },
} as const satisfies Record<string, OpEntry>;

export type OpName = keyof typeof OP_TABLE;

// ---- the Tensor interface declares every installed method with a type the installed function satisfies

type Rest<F> = F extends (first: any, ...rest: infer R) => unknown ? R : never;
type First<F> = F extends (first: infer A, ...rest: any[]) => unknown ? A : never;

/** The type of what gets installed for an entry (a string, which no method type accepts, when the tensor cannot be the first argument). */
type Installed<E> =
  E extends { method: "self"; fn: infer F extends (...args: any[]) => unknown }
    ? Tensor extends First<F> ? (...args: Rest<F>) => ReturnType<F> : "the function does not take the tensor first"
  : E extends { method: "getter"; fn: infer F extends (...args: any[]) => unknown } ? ReturnType<F>
  : E extends { method: infer M extends (this: Tensor, ...args: any[]) => unknown } ? OmitThisParameter<M>
  : never;

/**
 * Every method name whose declaration in the `Tensor` interface the installed
 * function does not satisfy (each declared overload must be callable with
 * the installed function, and give what it declares). Must be `never`.
 */
type MismatchedMethods = {
  [K in OpName]: (typeof OP_TABLE)[K] extends { method: MethodForm }
    ? K extends keyof Tensor ? (Installed<(typeof OP_TABLE)[K]> extends Tensor[K] ? never : K) : K
    : never;
}[OpName];

/** Ops installed with `method: "self"` whose function takes more than the 4 arguments after the tensor that methods.ts passes on. */
type TooManyArguments = {
  [K in OpName]: (typeof OP_TABLE)[K] extends { method: "self"; fn: infer F }
    ? Rest<F> extends [unknown?, unknown?, unknown?, unknown?] ? never : K
    : never;
}[OpName];

/** Fails `tsc` naming the methods whose declared and installed types disagree, or that `Tensor` does not declare. */
const methodTypesMatch: [MismatchedMethods] extends [never] ? true : { mismatched: MismatchedMethods } = true;
const argumentsFit: [TooManyArguments] extends [never] ? true : { tooManyArguments: TooManyArguments } = true;
void methodTypesMatch;
void argumentsFit;
