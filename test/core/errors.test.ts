/**
 * Bad input gets an error that names the op, the shapes or dims, and what
 * would fit; always a subclass of BackpropError from src/errors.ts. Messages
 * are checked word for word where users (and other tests) rely on them.
 */
import { describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";

/** Runs `fn`, expects it to throw an instance of `cls` (a BackpropError) and returns the message. */
function thrown(fn: () => unknown, cls: new (...a: any[]) => Error): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(cls);
    expect(e).toBeInstanceOf(bp.BackpropError);
    expect((e as Error).name).toBe(cls.name);
    return (e as Error).message;
  }
  throw new Error("expected an error, but none was thrown");
}

const x23 = () => bp.ones([2, 3]);

describe("shapes", () => {
  it("incompatible broadcast", () => {
    expect(thrown(() => x23().add(bp.ones([4])), bp.ShapeError)).toBe(
      "add: cannot broadcast [2,3] with [4]: dimension -1 has sizes 3 and 4; each pair of sizes must be equal or one of them 1",
    );
    expect(thrown(() => bp.ones([5, 2, 3]).mul(bp.ones([4, 1, 1])), bp.ShapeError)).toBe(
      "mul: cannot broadcast [5,2,3] with [4,1,1]: dimension -3 has sizes 5 and 4; each pair of sizes must be equal or one of them 1",
    );
    expect(thrown(() => bp.where(bp.ones([3]).gt(0), bp.ones([2]), 0), bp.ShapeError)).toContain("where: cannot broadcast [3] with [2]");
  });

  it("reshape to a different size", () => {
    expect(thrown(() => x23().reshape([4]), bp.ShapeError)).toBe(
      "reshape: cannot reshape a tensor of shape [2,3] (6 elements) into [4] (4 elements); the element counts must match",
    );
    expect(thrown(() => x23().reshape([4, -1]), bp.ShapeError)).toBe(
      "reshape: cannot reshape a tensor of shape [2,3] (6 elements) into [4,-1]: 6 is not a multiple of 4",
    );
    expect(thrown(() => x23().reshape([-1, -1]), bp.ShapeError)).toBe("reshape: only one dimension can be -1, got [-1,-1]");
  });

  it("matmul inner-dimension mismatch", () => {
    expect(thrown(() => bp.ones([64, 8]).matmul(bp.ones([32, 1])), bp.ShapeError)).toBe(
      "matmul: cannot multiply [64,8] by [32,1]: inner dimensions 8 and 32 differ",
    );
    expect(thrown(() => bp.ones([3]).matmul(bp.ones([4, 2])), bp.ShapeError)).toBe(
      "matmul: cannot multiply [3] by [4,2]: inner dimensions 3 and 4 differ",
    );
    expect(thrown(() => bp.ones([3]).matmul(bp.ones([4])), bp.ShapeError)).toBe(
      "matmul: cannot take the dot product of [3] and [4]: lengths 3 and 4 differ",
    );
    expect(thrown(() => bp.ones([2, 2, 3]).matmul(bp.ones([3, 3, 1])), bp.ShapeError)).toBe(
      "matmul: cannot multiply [2,2,3] by [3,3,1]: batch dimensions [2] and [3] do not broadcast",
    );
    expect(thrown(() => bp.ones([]).matmul(bp.ones([3])), bp.ShapeError)).toBe(
      "matmul: both arguments need at least 1 dimension, got shapes [] and [3]",
    );
  });

  it("cat and stack shape mismatch", () => {
    expect(thrown(() => bp.cat([x23(), bp.ones([2, 4])]), bp.ShapeError)).toBe(
      "cat: tensor 1 has shape [2,4] but tensor 0 has shape [2,3]; all sizes except dimension 0 must match",
    );
    expect(thrown(() => bp.cat([x23(), bp.ones([3])], 1), bp.ShapeError)).toBe(
      "cat: tensor 1 has shape [3] but tensor 0 has shape [2,3]; all sizes except dimension 1 must match",
    );
    expect(thrown(() => bp.stack([x23(), bp.ones([3, 2])]), bp.ShapeError)).toBe(
      "stack: tensor 1 has shape [3,2] but tensor 0 has shape [2,3]; all must be equal",
    );
    expect(thrown(() => bp.cat([]), bp.ValueError)).toBe("cat: expected a non-empty array of tensors");
  });

  it("expand to an incompatible shape", () => {
    expect(thrown(() => x23().expand([4, 3]), bp.ShapeError)).toBe(
      "expand: cannot expand shape [2,3] to [4,3]: dimension 0 has size 2, which is not 1, and the target asks for 4",
    );
    expect(thrown(() => x23().expand([3]), bp.ShapeError)).toBe(
      "expand: the target [3] has fewer dimensions than the tensor's shape [2,3]",
    );
  });

  it("max/min over an empty dimension", () => {
    expect(thrown(() => bp.zeros([0, 3]).max(0), bp.ShapeError)).toBe(
      "max: cannot reduce an empty tensor of shape [0,3] over dimension 0, which has size 0",
    );
    expect(thrown(() => bp.zeros([2, 0]).min(), bp.ShapeError)).toBe(
      "min: cannot reduce an empty tensor of shape [2,0] over dimensions 0,1, which include one of size 0",
    );
  });

  it("narrow out of range", () => {
    expect(thrown(() => x23().narrow(1, 2, 2), bp.ValueError)).toBe(
      "narrow: start 2 and length 2 do not fit dimension 1 of size 3 (shape [2,3]); need 0 <= start and start + length <= 3",
    );
  });

  it("invalid shapes for creation", () => {
    expect(thrown(() => bp.zeros([2, -1]), bp.ShapeError)).toBe("zeros: invalid shape [2,-1]: sizes must be non-negative integers");
  });
});

describe("dims", () => {
  it("bad dim", () => {
    expect(thrown(() => x23().sum(2), bp.DimError)).toBe(
      "sum: dim 2 is out of range for a tensor with 2 dimensions; expected an integer in [-2, 1]",
    );
    expect(thrown(() => x23().softmax(-3), bp.DimError)).toBe(
      "softmax: dim -3 is out of range for a tensor with 2 dimensions; expected an integer in [-2, 1]",
    );
    expect(thrown(() => x23().mean([0, -2]), bp.DimError)).toBe("mean: dim -2 appears more than once in [0,-2]");
    expect(thrown(() => x23().transpose(0, 2), bp.DimError)).toContain("transpose: dim 2 is out of range");
    expect(thrown(() => x23().unsqueeze(3), bp.DimError)).toBe(
      "unsqueeze: dim 3 is out of range for a tensor with 3 dimensions; expected an integer in [-3, 2]",
    );
    expect(thrown(() => x23().permute([0]), bp.DimError)).toBe("permute: expected 2 dims for a tensor of shape [2,3], got [0]");
    expect(thrown(() => x23().permute([1, -1]), bp.DimError)).toBe("permute: dims [1,-1] repeat a dimension; each must appear once");
    expect(thrown(() => bp.ones([2, 3, 4]).flatten(2, 1), bp.DimError)).toBe(
      "flatten: startDim 2 comes after endDim 1 for a tensor with 3 dimensions",
    );
    expect(thrown(() => bp.ones([]).sum(1), bp.DimError)).toBe(
      "sum: dim 1 is out of range for a tensor with 0 dimensions; expected an integer in [-1, 0]",
    );
  });

  it("a required dim that is missing", () => {
    expect(thrown(() => x23().softmax(undefined as unknown as number), bp.ValueError)).toBe("softmax: dim is required");
    expect(thrown(() => x23().logsumexp(undefined), bp.ValueError)).toBe("logsumexp: dim is required (a number or a list of numbers)");
  });
});

describe("indexing", () => {
  it("gather index out of range", () => {
    const idx = bp.tensor([[0, 3]], { dtype: "int32" });
    expect(thrown(() => x23().gather(1, idx), bp.ValueError)).toBe("gather: index 3 is out of bounds for dimension 1 with size 3");
    const neg = bp.tensor([[0, -1]], { dtype: "int32" });
    expect(thrown(() => x23().gather(1, neg), bp.ValueError)).toBe("gather: index -1 is out of bounds for dimension 1 with size 3");
  });

  it("gather and indexSelect need int32 indices of the right rank", () => {
    expect(thrown(() => x23().gather(1, bp.tensor([[0, 1]])), bp.DTypeError)).toBe("gather: the index must be an int32 tensor, got float32");
    expect(thrown(() => x23().gather(1, bp.tensor([0, 1], { dtype: "int32" })), bp.ShapeError)).toBe(
      "gather: the index must have as many dimensions as the input (2), got shape [2]",
    );
    expect(thrown(() => x23().indexSelect(0, bp.tensor([2], { dtype: "int32" })), bp.ValueError)).toBe(
      "indexSelect: index 2 is out of bounds for dimension 0 with size 2",
    );
    expect(thrown(() => x23().indexSelect(0, bp.tensor([[0]], { dtype: "int32" })), bp.ShapeError)).toBe(
      "indexSelect: the index must be 1-D, got shape [1,1]",
    );
  });
});

describe("creation", () => {
  it("ragged nested arrays", () => {
    expect(thrown(() => bp.tensor([[1, 2], [3]]), bp.ShapeError)).toBe(
      "tensor: ragged nested array: expected a list of length 2 at [1], got length 1; every list at one depth must have the same length (inferred shape [2,2])",
    );
    expect(thrown(() => bp.tensor([[1, 2], 3] as never), bp.ShapeError)).toBe(
      "tensor: ragged nested array: expected a list of length 2 at [1], got a number; every list at one depth must have the same length (inferred shape [2,2])",
    );
    expect(thrown(() => bp.tensor([1, [2]] as never), bp.ValueError)).toBe(
      "tensor: expected a number or boolean at [1], got an array (the nesting is deeper here than elsewhere)",
    );
    expect(thrown(() => bp.tensor([1, "2"] as never), bp.ValueError)).toBe("tensor: expected a number or boolean at [1], got string");
  });

  it("unknown dtype", () => {
    expect(thrown(() => bp.zeros([2], { dtype: "int64" as never }), bp.DTypeError)).toBe(
      'zeros: unknown dtype "int64"; expected "float32", "float64", "int32" or "bool"',
    );
  });

  it("item of a tensor with more than one element", () => {
    expect(thrown(() => x23().item(), bp.ValueError)).toBe(
      "item: only a tensor with one element can be converted to a number, but this one has shape [2,3] (6 elements)",
    );
  });
});

describe("dtypes", () => {
  it("int32 where a float is needed for a gradient", () => {
    const message = 'requiresGrad: only floating-point tensors can require gradients, but this tensor is int32; convert it first with .to("float32") or .to("float64")';
    expect(thrown(() => { bp.tensor([1, 2], { dtype: "int32" }).requiresGrad = true; }, bp.DTypeError)).toBe(message);
    expect(thrown(() => bp.tensor([1, 2], { dtype: "int32", requiresGrad: true }), bp.DTypeError)).toBe(message);
    expect(thrown(() => bp.arange(3, undefined, 1, { requiresGrad: true }), bp.DTypeError)).toBe(message);
  });

  it("ops that are defined on floats only", () => {
    const i = bp.tensor([1, 2], { dtype: "int32" });
    expect(thrown(() => i.mean(), bp.DTypeError)).toBe('mean: expected a float32 or float64 tensor, got int32; convert it with .to("float32") first');
    expect(thrown(() => i.matmul(i), bp.DTypeError)).toBe('matmul: expected float32 or float64 tensors, got int32; convert with .to("float32")');
    expect(thrown(() => i.logsumexp(0), bp.DTypeError)).toBe('logsumexp: expected a float32 or float64 tensor, got int32; convert it with .to("float32")');
  });
});

describe("autograd misuse", () => {
  it("backward() on a non-scalar without a gradient", () => {
    const y = bp.ones([2], { requiresGrad: true }).mul(2);
    expect(thrown(() => y.backward(), bp.AutogradError)).toBe(
      "backward: a gradient can be implied only for a tensor with one element, but this one has shape [2]; pass a gradient of that shape, e.g. bp.onesLike(y)",
    );
    expect(thrown(() => y.backward(bp.ones([3])), bp.AutogradError)).toBe(
      "backward: the gradient has shape [3] but the tensor has shape [2]; they must match",
    );
  });

  it("backward() of a tensor that does not require grad", () => {
    expect(thrown(() => bp.ones([1]).sum().backward(), bp.AutogradError)).toBe(
      "backward: the tensor does not require grad and has no gradFn; set requiresGrad on the leaves it was computed from",
    );
  });

  it("a second backward through a released graph", () => {
    const y = bp.ones([2], { requiresGrad: true }).sigmoid().sum();
    y.backward();
    expect(thrown(() => y.backward(), bp.AutogradError)).toBe(
      'backward: trying to backward through the graph a second time: the values "sigmoid" saved for its gradient were freed after the first backward; pass { retainGraph: true } to the first backward() if you need to call it again',
    );
  });

  it("setting requiresGrad on a non-leaf", () => {
    const y = bp.ones([2], { requiresGrad: true }).mul(2);
    expect(thrown(() => { y.requiresGrad = false; }, bp.AutogradError)).toBe(
      'requiresGrad: can only be changed on leaf tensors, but this tensor was produced by "mul"; use .detach() to get a leaf that shares its data',
    );
  });

  it("bp.grad of an input that does not require grad", () => {
    const x = bp.ones([2], { requiresGrad: true });
    expect(thrown(() => bp.grad(x.sum(), [bp.ones([2])]), bp.AutogradError)).toBe(
      "grad: input 0 does not require grad, so no gradient can be computed for it",
    );
  });
});

describe("arguments", () => {
  it("operands that are neither tensors nor numbers", () => {
    expect(thrown(() => x23().add([1, 2, 3] as never), bp.ValueError)).toBe("add: expected a Tensor or a number, got an array (wrap it with bp.tensor)");
    expect(thrown(() => bp.where(1 as never, x23(), 0), bp.ValueError)).toBe("where: the condition must be a Tensor");
    expect(thrown(() => x23().clamp(), bp.ValueError)).toBe("clamp: at least one of min and max must be given");
  });
});
