/** Installs the ops as Tensor methods (their types are declared in src/tensor/tensor.ts). */
import type { DType } from "../backend/backend.js";
import { Tensor, type DimArg, type TensorLike } from "../tensor/tensor.js";
import * as ew from "./elementwise.js";
import * as idx from "./indexing.js";
import * as inplace from "./inplace.js";
import { matmul } from "./linalg.js";
import * as red from "./reduce.js";
import * as sh from "./shape.js";
import * as masking from "./masking.js";
import { sizesArg, type SizesArgs } from "../tensor/sizes.js";
import * as seq from "./sequence.js";
import * as sorting from "./sorting.js";
import { multinomial, type MultinomialOptions } from "./sampling.js";

type Method = (this: Tensor, ...args: any[]) => unknown;

const methods: Record<string, Method> = {
  add(o: TensorLike) { return ew.add(this, o); },
  sub(o: TensorLike) { return ew.sub(this, o); },
  mul(o: TensorLike) { return ew.mul(this, o); },
  div(o: TensorLike) { return ew.div(this, o); },
  pow(o: TensorLike) { return ew.pow(this, o); },
  maximum(o: TensorLike) { return ew.maximum(this, o); },
  minimum(o: TensorLike) { return ew.minimum(this, o); },
  eq(o: TensorLike) { return ew.eq(this, o); },
  ne(o: TensorLike) { return ew.ne(this, o); },
  gt(o: TensorLike) { return ew.gt(this, o); },
  ge(o: TensorLike) { return ew.ge(this, o); },
  lt(o: TensorLike) { return ew.lt(this, o); },
  le(o: TensorLike) { return ew.le(this, o); },
  neg() { return ew.neg(this); },
  exp() { return ew.exp(this); },
  log() { return ew.log(this); },
  sqrt() { return ew.sqrt(this); },
  abs() { return ew.abs(this); },
  sign() { return ew.sign(this); },
  square() { return ew.square(this); },
  reciprocal() { return ew.reciprocal(this); },
  sin() { return ew.sin(this); },
  cos() { return ew.cos(this); },
  tanh() { return ew.tanh(this); },
  sigmoid() { return ew.sigmoid(this); },
  relu() { return ew.relu(this); },
  leakyRelu(slope?: number) { return ew.leakyRelu(this, slope); },
  gelu() { return ew.gelu(this); },
  erf() { return ew.erf(this); },
  softplus(beta?: number, threshold?: number) { return ew.softplus(this, beta, threshold); },
  clamp(min?: number | null, max?: number | null) { return ew.clamp(this, min, max); },
  to(dtype: DType) { return ew.to(this, dtype); },
  float() { return ew.to(this, "float32"); },
  double() { return ew.to(this, "float64"); },
  sum(dim?: DimArg, keepdim?: boolean) { return red.sum(this, dim, keepdim); },
  mean(dim?: DimArg, keepdim?: boolean) { return red.mean(this, dim, keepdim); },
  max(dim?: DimArg, keepdim?: boolean) { return red.max(this, dim, keepdim); },
  min(dim?: DimArg, keepdim?: boolean) { return red.min(this, dim, keepdim); },
  argmax(dim?: number | null, keepdim?: boolean) { return red.argmax(this, dim, keepdim); },
  argmin(dim?: number | null, keepdim?: boolean) { return red.argmin(this, dim, keepdim); },
  logsumexp(dim: DimArg, keepdim?: boolean) { return red.logsumexp(this, dim, keepdim); },
  variance(dim?: DimArg, options?: { unbiased?: boolean; keepdim?: boolean }) { return red.variance(this, dim, options); },
  softmax(dim: number) { return red.softmax(this, dim); },
  logSoftmax(dim: number) { return red.logSoftmax(this, dim); },
  matmul(o: Tensor) { return matmul(this, o); },
  reshape(...shape: SizesArgs) { return sh.reshape(this, sizesArg("reshape", shape)); },
  view(...shape: SizesArgs) { return sh.reshape(this, sizesArg("view", shape)); },
  transpose(d0: number, d1: number) { return sh.transpose(this, d0, d1); },
  permute(...dims: SizesArgs) { return sh.permute(this, sizesArg("permute", dims)); },
  squeeze(dim?: number | null) { return sh.squeeze(this, dim); },
  unsqueeze(dim: number) { return sh.unsqueeze(this, dim); },
  flatten(start?: number, end?: number) { return sh.flatten(this, start, end); },
  expand(...shape: SizesArgs) { return sh.expand(this, sizesArg("expand", shape)); },
  narrow(dim: number, start: number, length: number) { return sh.narrow(this, dim, start, length); },
  gather(dim: number, index: Tensor) { return idx.gather(this, dim, index); },
  indexSelect(dim: number, index: Tensor) { return idx.indexSelect(this, dim, index); },
  contiguous() { return sh.contiguous(this); },
  clone() { return sh.clone(this); },
  // issue #14: more ops, and in-place updates of tensors without history
  std(dim?: DimArg, options?: { unbiased?: boolean; keepdim?: boolean }) { return red.std(this, dim, options); },
  argsort(dim?: number, descending?: boolean) { return red.argsort(this, dim, descending); },
  log1p() { return ew.log1p(this); },
  expm1() { return ew.expm1(this); },
  silu() { return ew.silu(this); },
  elu(alpha?: number) { return ew.elu(this, alpha); },
  mish() { return ew.mish(this); },
  flip(...dims: SizesArgs) { return sh.flip(this, sizesArg("flip", dims)); },
  roll(shifts: number | readonly number[], dims?: number | readonly number[] | null) { return sh.roll(this, shifts, dims); },
  scatter(dim: number, index: Tensor, src: Tensor | number) { return idx.scatter(this, dim, index, src); },
  scatterAdd(dim: number, index: Tensor, src: Tensor) { return idx.scatterAdd(this, dim, index, src); },
  add_(o: TensorLike, options?: inplace.AlphaOptions) { return inplace.add_(this, o, options); },
  sub_(o: TensorLike, options?: inplace.AlphaOptions) { return inplace.sub_(this, o, options); },
  mul_(o: TensorLike) { return inplace.mul_(this, o); },
  div_(o: TensorLike) { return inplace.div_(this, o); },
  zero_() { return inplace.zero_(this); },
  fill_(value: number | Tensor) { return inplace.fill_(this, value); },
  copy_(src: Tensor) { return inplace.copy_(this, src); },
  // issue #15: sequence ops
  cumsum(dim: number) { return seq.cumsum(this, dim); },
  split(sizeOrSizes: number | readonly number[], dim?: number) { return seq.split(this, sizeOrSizes, dim); },
  chunk(n: number, dim?: number) { return seq.chunk(this, n, dim); },
  repeat(...sizes: SizesArgs) { return seq.repeat(this, sizesArg("repeat", sizes)); },
  slice(dim: number, start?: number | null, end?: number | null, step?: number) { return seq.slice(this, dim, start, end, step); },
  sort(dim?: number, descending?: boolean) { return sorting.sort(this, dim, descending); },
  topk(k: number, dim?: number, largest?: boolean) { return sorting.topk(this, k, dim, largest); },
  multinomial(numSamples: number, options?: MultinomialOptions) { return multinomial(this, numSamples, options); },
  // issue #15: masking for attention
  tril(k?: number) { return masking.tril(this, k); },
  triu(k?: number) { return masking.triu(this, k); },
  maskedFill(mask: Tensor, value: number | Tensor) { return masking.maskedFill(this, mask, value); },
};

for (const [name, fn] of Object.entries(methods)) {
  Object.defineProperty(Tensor.prototype, name, { value: fn, writable: true, configurable: true });
}
Object.defineProperty(Tensor.prototype, "T", {
  get(this: Tensor) { return sh.reverseDims(this); },
  configurable: true,
});

export const installed = Object.keys(methods);
