/**
 * OpInfo-style registry (after PyTorch's OpInfo): for every op of the
 * public API's operations (README, docs/semantics.md), sample inputs that exercise broadcasting,
 * 0-d tensors, size-1 dims, negative dims, dim lists, keepdim and
 * non-contiguous views (transposed, narrowed, expanded inputs).
 *
 * A sample is a set of float64 leaves plus the function applied to them. A
 * view is taken *inside* the function (e.g. `(x) => x.T.exp()`), so the op
 * really sees a strided input and gradcheck still perturbs a plain leaf.
 * Values come from seeded generators and avoid non-differentiable points
 * (0 for abs/relu, bounds for clamp, ties for max/min/maximum/minimum).
 * float32 samples are the same values cast with `float32Inputs`.
 */
import * as bp from "../src/index.js";
import type { Tensor, TensorLike } from "../src/index.js";

export interface Sample {
  /** What the sample exercises, for the test name. */
  desc: string;
  /** Leaves: float inputs require grad; int32 indices and bool masks do not. */
  inputs: Tensor[];
  fn: (...xs: Tensor[]) => Tensor;
}

export interface OpInfo {
  name: string;
  /** Whether gradgradcheck (second order) is run on this op's samples. */
  gradgrad: boolean;
  samples: () => Sample[];
}

type Shape = number[];

/** Seeded input makers; each op gets its own generator so samples do not depend on test order. */
class Make {
  private readonly g: bp.Generator;

  constructor(seedName: string) {
    let h = 7;
    for (let i = 0; i < seedName.length; i++) h = (h * 31 + seedName.charCodeAt(i)) >>> 0;
    this.g = new bp.Generator(h);
  }

  /** Standard normal values. */
  normal = (shape: Shape): Tensor => leaf(bp.randn(shape, { dtype: "float64", generator: this.g }));

  /** Values in [0.5, 2): safe for log, sqrt, division and fractional powers. */
  positive = (shape: Shape): Tensor =>
    leaf(bp.noGrad(() => bp.rand(shape, { dtype: "float64", generator: this.g }).mul(1.5).add(0.5)));

  /** |v| in [0.25, 1.75] with a random sign: away from the kinks of abs, relu, leakyRelu. */
  awayFromZero = (shape: Shape): Tensor =>
    leaf(bp.noGrad(() => {
      const magnitude = bp.rand(shape, { dtype: "float64", generator: this.g }).mul(1.5).add(0.25);
      const sign = bp.rand(shape, { dtype: "float64", generator: this.g }).gt(0.5);
      return bp.where(sign, magnitude, magnitude.neg());
    }));

  /** Distinct values on the lattice 0.3·k (shuffled), shifted by `offset`: no ties within a tensor. */
  grid = (shape: Shape, offset = 0): Tensor => {
    const n = shape.reduce((a, b) => a * b, 1);
    return leaf(bp.noGrad(() =>
      bp.randperm(n, { generator: this.g }).to("float64").sub(Math.floor((n - 1) / 2)).mul(0.3).add(offset).reshape(shape)));
  };

  /** The second operand of maximum/minimum: a grid offset by 0.15, so it never ties with `grid`. */
  gridB = (shape: Shape): Tensor => this.grid(shape, 0.15);

  /** int32 indices in [0, high). */
  index = (shape: Shape, high: number): Tensor => bp.randint(0, high, shape, { generator: this.g });
}

/** A fresh contiguous float64 leaf that requires grad. */
function leaf(t: Tensor): Tensor {
  return bp.tensor(t, { dtype: "float64", requiresGrad: true });
}

/** The same sample in float32: float inputs cast to float32 leaves, other inputs unchanged. */
export function float32Inputs(inputs: readonly Tensor[]): Tensor[] {
  return inputs.map((t) => (t.dtype === "float64" ? bp.tensor(t, { dtype: "float32", requiresGrad: t.requiresGrad }) : t));
}

type MakeFn = (shape: Shape) => Tensor;

// ---------------------------------------------------------------- elementwise

function unarySamples(make: MakeFn, f: (x: Tensor) => Tensor): Sample[] {
  return [
    { desc: "0-d", inputs: [make([])], fn: f },
    { desc: "[5]", inputs: [make([5])], fn: f },
    { desc: "[2,3]", inputs: [make([2, 3])], fn: f },
    { desc: "[1,3,1] (size-1 dims)", inputs: [make([1, 3, 1])], fn: f },
    { desc: "transposed [3,2].T", inputs: [make([3, 2])], fn: (x) => f(x.T) },
    { desc: "narrowed [2,5].narrow(1,1,3)", inputs: [make([2, 5])], fn: (x) => f(x.narrow(1, 1, 3)) },
    { desc: "expanded [1,3]->[2,3]", inputs: [make([1, 3])], fn: (x) => f(x.expand([2, 3])) },
  ];
}

type Binary = (a: TensorLike, b: TensorLike) => Tensor;

function binarySamples(makeA: MakeFn, makeB: MakeFn, f: Binary, numberA: number, numberB: number): Sample[] {
  return [
    { desc: "[2,3] with [2,3]", inputs: [makeA([2, 3]), makeB([2, 3])], fn: f },
    { desc: "[2,3] with [3] (broadcast)", inputs: [makeA([2, 3]), makeB([3])], fn: f },
    { desc: "[2,1] with [1,3] (both broadcast)", inputs: [makeA([2, 1]), makeB([1, 3])], fn: f },
    { desc: "0-d with [2,3]", inputs: [makeA([]), makeB([2, 3])], fn: f },
    { desc: "[2,3] with 0-d", inputs: [makeA([2, 3]), makeB([])], fn: f },
    { desc: "[2,1,3] with [4,1] (rank grows)", inputs: [makeA([2, 1, 3]), makeB([4, 1])], fn: f },
    { desc: "0-d with 0-d", inputs: [makeA([]), makeB([])], fn: f },
    { desc: "tensor with a number", inputs: [makeA([2, 3])], fn: (a) => f(a, numberB) },
    { desc: "number with a tensor", inputs: [makeB([2, 3])], fn: (b) => f(numberA, b) },
    { desc: "transposed [3,2].T with [2,3]", inputs: [makeA([3, 2]), makeB([2, 3])], fn: (a, b) => f(a.T, b) },
    { desc: "[2,3] with expanded [1,3]->[2,3]", inputs: [makeA([2, 3]), makeB([1, 3])], fn: (a, b) => f(a, b.expand([2, 3])) },
    { desc: "narrowed with transposed", inputs: [makeA([2, 4]), makeB([3, 2])], fn: (a, b) => f(a.narrow(1, 1, 3), b.transpose(0, 1)) },
  ];
}

function elementwise(name: string, make: (m: Make) => MakeFn, f: (x: Tensor) => Tensor): OpInfo {
  return { name, gradgrad: true, samples: () => unarySamples(make(new Make(name)), f) };
}

function binary(name: string, make: (m: Make) => [MakeFn, MakeFn], f: Binary, numberA: number, numberB: number): OpInfo {
  return {
    name,
    gradgrad: true,
    samples: () => {
      const [a, b] = make(new Make(name));
      return binarySamples(a, b, f, numberA, numberB);
    },
  };
}

// ---------------------------------------------------------------- reductions

type Reduce = (x: Tensor, dim?: number | number[] | null, keepdim?: boolean) => Tensor;

/**
 * `dimRequired`: logsumexp has no all-dims form. `singleElement`: false for
 * the unbiased variance, which is NaN (0/0) over one element, as in PyTorch.
 */
function reductionSamples(make: MakeFn, f: Reduce, dimRequired = false, singleElement = true): Sample[] {
  const all: Sample[] = dimRequired ? [] : [
    { desc: "all dims", inputs: [make([2, 3, 4])], fn: (x) => f(x) },
    { desc: "all dims, keepdim", inputs: [make([2, 3])], fn: (x) => f(x, null, true) },
  ];
  const single: Sample[] = !singleElement ? [] : [
    ...(dimRequired ? [] : [{ desc: "0-d, all dims", inputs: [make([])], fn: (x: Tensor) => f(x) }]),
    { desc: "size-1 dim reduced", inputs: [make([3, 1, 2])], fn: (x) => f(x, 1) },
    { desc: "0-d, dim 0", inputs: [make([])], fn: (x) => f(x, 0) },
  ];
  return [
    ...single,
    ...all,
    { desc: "dim 1", inputs: [make([2, 3, 4])], fn: (x) => f(x, 1) },
    { desc: "dim -1, keepdim", inputs: [make([2, 3, 4])], fn: (x) => f(x, -1, true) },
    { desc: "dims [0,2] (not adjacent)", inputs: [make([2, 3, 4])], fn: (x) => f(x, [0, 2]) },
    { desc: "dims [-1,0], keepdim", inputs: [make([3, 2, 2])], fn: (x) => f(x, [-1, 0], true) },
    { desc: "dims [0,1] (adjacent)", inputs: [make([2, 3, 2])], fn: (x) => f(x, [0, 1]) },
    { desc: "transposed [4,3].T, dim 0", inputs: [make([4, 3])], fn: (x) => f(x.T, 0) },
    { desc: "narrowed [3,5].narrow(1,1,3), dim -1", inputs: [make([3, 5])], fn: (x) => f(x.narrow(1, 1, 3), -1) },
    { desc: "expanded [1,3]->[2,3], dim 1", inputs: [make([1, 3])], fn: (x) => f(x.expand([2, 3]), 1) },
  ];
}

function reduction(name: string, make: (m: Make) => MakeFn, f: Reduce, dimRequired = false, singleElement = true): OpInfo {
  return { name, gradgrad: true, samples: () => reductionSamples(make(new Make(name)), f, dimRequired, singleElement) };
}

function softmaxLike(name: string, f: (x: Tensor, dim: number) => Tensor): OpInfo {
  return {
    name,
    gradgrad: true,
    samples: () => {
      const m = new Make(name);
      return [
        { desc: "[2,4] dim 1", inputs: [m.normal([2, 4])], fn: (x) => f(x, 1) },
        { desc: "[2,4] dim -1", inputs: [m.normal([2, 4])], fn: (x) => f(x, -1) },
        { desc: "[3,2,2] dim 1 (inner > 1)", inputs: [m.normal([3, 2, 2])], fn: (x) => f(x, 1) },
        { desc: "[3,2] dim 0", inputs: [m.normal([3, 2])], fn: (x) => f(x, 0) },
        { desc: "[4] dim 0", inputs: [m.normal([4])], fn: (x) => f(x, 0) },
        { desc: "0-d", inputs: [m.normal([])], fn: (x) => f(x, 0) },
        { desc: "[1,3] size-1 dim 0", inputs: [m.normal([1, 3])], fn: (x) => f(x, 0) },
        { desc: "transposed [4,2].T dim -1", inputs: [m.normal([4, 2])], fn: (x) => f(x.T, -1) },
        { desc: "expanded [1,3]->[2,3] dim 0", inputs: [m.normal([1, 3])], fn: (x) => f(x.expand([2, 3]), 0) },
      ];
    },
  };
}

// ---------------------------------------------------------------- matmul

function matmulInfo(): OpInfo {
  return {
    name: "matmul",
    gradgrad: true,
    samples: () => {
      const m = new Make("matmul");
      const n = m.normal;
      const mm = (a: Tensor, b: Tensor) => a.matmul(b);
      return [
        { desc: "1-D · 1-D", inputs: [n([3]), n([3])], fn: mm },
        { desc: "2-D · 2-D", inputs: [n([2, 3]), n([3, 4])], fn: mm },
        { desc: "1-D · 2-D", inputs: [n([3]), n([3, 2])], fn: mm },
        { desc: "2-D · 1-D", inputs: [n([2, 3]), n([3])], fn: mm },
        { desc: "batched 3-D · 2-D (broadcast)", inputs: [n([2, 2, 3]), n([3, 2])], fn: mm },
        { desc: "batched [2,1,2,3] · [3,3,2] (batch dims broadcast)", inputs: [n([2, 1, 2, 3]), n([3, 3, 2])], fn: mm },
        { desc: "1-D · 3-D", inputs: [n([3]), n([2, 3, 2])], fn: mm },
        { desc: "3-D · 1-D", inputs: [n([2, 2, 3]), n([3])], fn: mm },
        { desc: "2-D · transposed [4,3].T (x·Wᵀ)", inputs: [n([2, 3]), n([4, 3])], fn: (a, w) => a.matmul(w.T) },
        { desc: "transposed · transposed", inputs: [n([3, 2]), n([2, 3])], fn: (a, b) => a.T.matmul(b.T) },
        { desc: "narrowed rows and columns", inputs: [n([3, 4]), n([4, 4])], fn: (a, b) => a.narrow(1, 1, 3).matmul(b.narrow(0, 0, 3).narrow(1, 1, 2)) },
        { desc: "expanded batch [1,2,3]->[2,2,3] · [2,3,2]", inputs: [n([1, 2, 3]), n([2, 3, 2])], fn: (a, b) => a.expand([2, 2, 3]).matmul(b) },
        { desc: "[2,1] · [1,3] (outer product, k = 1)", inputs: [n([2, 1]), n([1, 3])], fn: mm },
      ];
    },
  };
}

// ---------------------------------------------------------------- shape ops

function shapeOp(name: string, build: (n: MakeFn) => Sample[]): OpInfo {
  return { name, gradgrad: true, samples: () => build(new Make(name).normal) };
}

// ---------------------------------------------------------------- the registry

const clampAway = (m: Make): MakeFn => (shape) =>
  // Values at least 0.1 from the bounds ±0.5 used by the clamp samples.
  leaf(bp.noGrad(() => {
    const x = m.awayFromZero(shape).detach();
    return bp.where(x.abs().sub(0.5).abs().lt(0.1), x.mul(1.5), x);
  }));

function clampInfo(): OpInfo {
  return {
    name: "clamp",
    gradgrad: true,
    samples: () => {
      const m = new Make("clamp");
      const make = clampAway(m);
      return [
        ...unarySamples(make, (x) => x.clamp(-0.5, 0.5)),
        { desc: "[2,4] min only", inputs: [make([2, 4])], fn: (x) => x.clamp(-0.5) },
        { desc: "[2,4] max only (null min)", inputs: [make([2, 4])], fn: (x) => x.clamp(null, 0.5) },
      ];
    },
  };
}

export const OPS: OpInfo[] = [
  binary("add", (m) => [m.normal, m.normal], bp.add, 1.5, -0.7),
  binary("sub", (m) => [m.normal, m.normal], bp.sub, 1.5, -0.7),
  binary("mul", (m) => [m.normal, m.normal], bp.mul, 1.5, -0.7),
  binary("div", (m) => [m.normal, m.positive], bp.div, 1.5, -0.7),
  binary("pow", (m) => [m.positive, m.normal], bp.pow, 1.5, -0.7),
  {
    name: "pow (number exponents)",
    gradgrad: true,
    samples: () => {
      const m = new Make("powScalar");
      return [2, 3, 0.5, -1.5, 1, 0].map((p) => ({ desc: `x ** ${p}`, inputs: [m.positive([2, 3])], fn: (x: Tensor) => x.pow(p) }));
    },
  },
  binary("maximum", (m) => [m.grid, m.gridB], bp.maximum, 1.3, 0.7),
  binary("minimum", (m) => [m.grid, m.gridB], bp.minimum, 1.3, 0.7),
  elementwise("neg", (m) => m.normal, (x) => x.neg()),
  elementwise("exp", (m) => m.normal, (x) => x.exp()),
  elementwise("log", (m) => m.positive, (x) => x.log()),
  elementwise("sqrt", (m) => m.positive, (x) => x.sqrt()),
  elementwise("abs", (m) => m.awayFromZero, (x) => x.abs()),
  elementwise("square", (m) => m.normal, (x) => x.square()),
  elementwise("sin", (m) => m.normal, (x) => x.sin()),
  elementwise("cos", (m) => m.normal, (x) => x.cos()),
  elementwise("tanh", (m) => m.normal, (x) => x.tanh()),
  elementwise("sigmoid", (m) => m.normal, (x) => x.sigmoid()),
  elementwise("relu", (m) => m.awayFromZero, (x) => x.relu()),
  elementwise("leakyRelu", (m) => m.awayFromZero, (x) => x.leakyRelu()),
  elementwise("leakyRelu(0.2)", (m) => m.awayFromZero, (x) => x.leakyRelu(0.2)),
  elementwise("gelu", (m) => m.normal, (x) => x.gelu()),
  elementwise("softplus", (m) => m.normal, (x) => x.softplus()),
  elementwise("softplus(beta=2, threshold=1)", (m) => m.awayFromZero, (x) => x.softplus(2, 1)),
  clampInfo(),
  {
    name: "where",
    gradgrad: true,
    samples: () => {
      const m = new Make("where");
      const cond = (shape: Shape) => bp.randn(shape, { generator: new bp.Generator(shape.length + 1) }).gt(0);
      const intCond = bp.tensor([[1, 0, 2]], { dtype: "int32" });
      return [
        { desc: "all [2,3]", inputs: [m.normal([2, 3]), m.normal([2, 3])], fn: (a, b) => bp.where(cond([2, 3]), a, b) },
        { desc: "cond [2,1], a [1,3], b 0-d", inputs: [m.normal([1, 3]), m.normal([])], fn: (a, b) => bp.where(cond([2, 1]), a, b) },
        { desc: "cond [2,3], a [3], b number", inputs: [m.normal([3])], fn: (a) => bp.where(cond([2, 3]), a, 0.5) },
        { desc: "number a, tensor b", inputs: [m.normal([2, 3])], fn: (b) => bp.where(cond([2, 3]), -1.5, b) },
        { desc: "int32 condition (nonzero = true)", inputs: [m.normal([2, 3]), m.normal([2, 3])], fn: (a, b) => bp.where(intCond, a, b) },
        { desc: "transposed a, expanded b", inputs: [m.normal([3, 2]), m.normal([1, 3])], fn: (a, b) => bp.where(cond([2, 3]), a.T, b.expand([2, 3])) },
      ];
    },
  },
  reduction("sum", (m) => m.normal, (x, d, k) => x.sum(d, k)),
  reduction("mean", (m) => m.normal, (x, d, k) => x.mean(d, k)),
  reduction("max", (m) => m.grid, (x, d, k) => x.max(d, k)),
  reduction("min", (m) => m.grid, (x, d, k) => x.min(d, k)),
  reduction("logsumexp", (m) => m.normal, (x, d, k) => x.logsumexp(d, k), true),
  reduction("variance", (m) => m.normal, (x, d, k) => x.variance(d, { keepdim: k }), false, false),
  {
    name: "variance (biased)",
    gradgrad: true,
    samples: () => {
      const m = new Make("variance biased");
      return [
        { desc: "all dims", inputs: [m.normal([2, 3])], fn: (x) => x.variance(null, { unbiased: false }) },
        { desc: "dim 0, keepdim", inputs: [m.normal([3, 2])], fn: (x) => x.variance(0, { unbiased: false, keepdim: true }) },
        { desc: "dims [0,2]", inputs: [m.normal([2, 2, 3])], fn: (x) => x.variance([0, 2], { unbiased: false }) },
        { desc: "0-d (zero)", inputs: [m.normal([])], fn: (x) => x.variance(null, { unbiased: false }) },
        { desc: "size-1 dim (zero)", inputs: [m.normal([2, 1])], fn: (x) => x.variance(1, { unbiased: false }) },
      ];
    },
  },
  softmaxLike("softmax", (x, d) => x.softmax(d)),
  softmaxLike("logSoftmax", (x, d) => x.logSoftmax(d)),
  matmulInfo(),
  shapeOp("reshape", (n) => [
    { desc: "[2,3] -> [3,2]", inputs: [n([2, 3])], fn: (x) => x.reshape([3, 2]) },
    { desc: "[2,3] -> [-1]", inputs: [n([2, 3])], fn: (x) => x.reshape([-1]) },
    { desc: "[2,3,2] -> [2,-1,1]", inputs: [n([2, 3, 2])], fn: (x) => x.reshape([2, -1, 1]) },
    { desc: "0-d -> [1,1]", inputs: [n([])], fn: (x) => x.reshape([1, 1]) },
    { desc: "[1] -> 0-d", inputs: [n([1])], fn: (x) => x.reshape([]) },
    { desc: "transposed (copies) -> [6]", inputs: [n([3, 2])], fn: (x) => x.T.reshape([6]) },
    { desc: "expanded (copies) -> [2,3]", inputs: [n([3])], fn: (x) => x.expand([2, 3]).reshape([3, 2]) },
    { desc: "view alias", inputs: [n([4])], fn: (x) => x.view([2, 2]) },
  ]),
  shapeOp("transpose", (n) => [
    { desc: "(0,1)", inputs: [n([2, 3])], fn: (x) => x.transpose(0, 1) },
    { desc: "(-1,-3) of 3-D", inputs: [n([2, 3, 2])], fn: (x) => x.transpose(-1, -3) },
    { desc: "(1,1) no-op", inputs: [n([2, 3])], fn: (x) => x.transpose(1, 1) },
    { desc: "of a narrowed view", inputs: [n([3, 4])], fn: (x) => x.narrow(1, 1, 2).transpose(0, 1) },
  ]),
  shapeOp("permute", (n) => [
    { desc: "[2,0,1]", inputs: [n([2, 3, 4])], fn: (x) => x.permute([2, 0, 1]) },
    { desc: "negative dims [-1,0,1]", inputs: [n([2, 3, 2])], fn: (x) => x.permute([-1, 0, 1]) },
    { desc: "0-d []", inputs: [n([])], fn: (x) => x.permute([]) },
  ]),
  shapeOp("T", (n) => [
    { desc: "2-D", inputs: [n([2, 3])], fn: (x) => x.T },
    { desc: "of an expanded view", inputs: [n([1, 3])], fn: (x) => x.expand([2, 3]).T },
  ]),
  shapeOp("squeeze", (n) => [
    { desc: "all size-1 dims", inputs: [n([1, 3, 1])], fn: (x) => x.squeeze() },
    { desc: "dim 1 (size 1)", inputs: [n([2, 1, 3])], fn: (x) => x.squeeze(1) },
    { desc: "dim -1 (size 1)", inputs: [n([2, 1])], fn: (x) => x.squeeze(-1) },
    { desc: "dim 0 of size 2 is a no-op", inputs: [n([2, 3])], fn: (x) => x.squeeze(0) },
    { desc: "0-d", inputs: [n([])], fn: (x) => x.squeeze() },
  ]),
  shapeOp("unsqueeze", (n) => [
    { desc: "dim 0", inputs: [n([2, 3])], fn: (x) => x.unsqueeze(0) },
    { desc: "dim -1", inputs: [n([2, 3])], fn: (x) => x.unsqueeze(-1) },
    { desc: "dim 1 of a transposed view", inputs: [n([3, 2])], fn: (x) => x.T.unsqueeze(1) },
    { desc: "0-d", inputs: [n([])], fn: (x) => x.unsqueeze(0) },
  ]),
  shapeOp("flatten", (n) => [
    { desc: "all", inputs: [n([2, 3, 2])], fn: (x) => x.flatten() },
    { desc: "(1,2)", inputs: [n([2, 3, 2])], fn: (x) => x.flatten(1, 2) },
    { desc: "(-2,-1)", inputs: [n([2, 2, 3])], fn: (x) => x.flatten(-2, -1) },
    { desc: "0-d gives [1]", inputs: [n([])], fn: (x) => x.flatten() },
    { desc: "of a transposed view", inputs: [n([3, 2])], fn: (x) => x.T.flatten() },
  ]),
  shapeOp("expand", (n) => [
    { desc: "[1,3] -> [2,3]", inputs: [n([1, 3])], fn: (x) => x.expand([2, 3]) },
    { desc: "[3] -> [2,3] (new leading dim)", inputs: [n([3])], fn: (x) => x.expand([2, 3]) },
    { desc: "[2,1] -> [-1,4]", inputs: [n([2, 1])], fn: (x) => x.expand([-1, 4]) },
    { desc: "0-d -> [2,2]", inputs: [n([])], fn: (x) => x.expand([2, 2]) },
    { desc: "expand then reduce", inputs: [n([2, 1])], fn: (x) => x.expand([3, 2, 2]).mul(x) },
  ]),
  shapeOp("narrow", (n) => [
    { desc: "dim 0", inputs: [n([3, 2])], fn: (x) => x.narrow(0, 1, 1) },
    { desc: "dim -1", inputs: [n([2, 4])], fn: (x) => x.narrow(-1, 1, 2) },
    { desc: "negative start", inputs: [n([5])], fn: (x) => x.narrow(0, -3, 2) },
    { desc: "whole dim", inputs: [n([2, 3])], fn: (x) => x.narrow(1, 0, 3) },
    { desc: "of a transposed view", inputs: [n([4, 2])], fn: (x) => x.T.narrow(1, 1, 2) },
  ]),
  {
    name: "gather",
    gradgrad: true,
    samples: () => {
      const m = new Make("gather");
      return [
        { desc: "dim 1", inputs: [m.normal([2, 3]), m.index([2, 4], 3)], fn: (x, i) => x.gather(1, i) },
        { desc: "dim 0", inputs: [m.normal([3, 2]), m.index([4, 2], 3)], fn: (x, i) => x.gather(0, i) },
        { desc: "dim -1, index smaller in dim 0", inputs: [m.normal([3, 4]), m.index([2, 2], 4)], fn: (x, i) => x.gather(-1, i) },
        { desc: "3-D dim 1", inputs: [m.normal([2, 3, 2]), m.index([2, 2, 2], 3)], fn: (x, i) => x.gather(1, i) },
        { desc: "1-D with repeats", inputs: [m.normal([4]), bp.tensor([3, 0, 3, 3], { dtype: "int32" })], fn: (x, i) => x.gather(0, i) },
        { desc: "of a transposed view", inputs: [m.normal([3, 2]), m.index([2, 2], 3)], fn: (x, i) => x.T.gather(1, i) },
      ];
    },
  },
  {
    name: "indexSelect",
    gradgrad: true,
    samples: () => {
      const m = new Make("indexSelect");
      return [
        { desc: "dim 0 with repeats", inputs: [m.normal([3, 2]), bp.tensor([2, 0, 2], { dtype: "int32" })], fn: (x, i) => x.indexSelect(0, i) },
        { desc: "dim 1", inputs: [m.normal([2, 4]), bp.tensor([3, 1], { dtype: "int32" })], fn: (x, i) => x.indexSelect(1, i) },
        { desc: "dim -1 of 3-D", inputs: [m.normal([2, 2, 3]), bp.tensor([0, 2, 2, 1], { dtype: "int32" })], fn: (x, i) => x.indexSelect(-1, i) },
        { desc: "of a transposed view", inputs: [m.normal([3, 2]), bp.tensor([1, 1, 0], { dtype: "int32" })], fn: (x, i) => x.T.indexSelect(1, i) },
        { desc: "of a narrowed view", inputs: [m.normal([4, 3]), bp.tensor([0, 1], { dtype: "int32" })], fn: (x, i) => x.narrow(0, 1, 2).indexSelect(0, i) },
      ];
    },
  },
  shapeOp("cat", (n) => [
    { desc: "dim 0", inputs: [n([2, 3]), n([1, 3])], fn: (a, b) => bp.cat([a, b]) },
    { desc: "dim -1, three tensors", inputs: [n([2, 1]), n([2, 2]), n([2, 3])], fn: (a, b, c) => bp.cat([a, b, c], -1) },
    { desc: "with a constant", inputs: [n([2, 2])], fn: (a) => bp.cat([a, bp.ones([2, 1], { dtype: a.dtype })], 1) },
    { desc: "of views", inputs: [n([3, 2]), n([1, 3])], fn: (a, b) => bp.cat([a.T, b.expand([2, 3])], 0) },
    { desc: "same tensor twice", inputs: [n([3])], fn: (a) => bp.cat([a, a]) },
  ]),
  shapeOp("stack", (n) => [
    { desc: "dim 0", inputs: [n([2, 3]), n([2, 3])], fn: (a, b) => bp.stack([a, b]) },
    { desc: "dim -1", inputs: [n([2, 3]), n([2, 3])], fn: (a, b) => bp.stack([a, b], -1) },
    { desc: "dim 1, three", inputs: [n([2]), n([2]), n([2])], fn: (a, b, c) => bp.stack([a, b, c], 1) },
    { desc: "0-d", inputs: [n([]), n([])], fn: (a, b) => bp.stack([a, b]) },
  ]),
  // ---- convolutional networks: pooling, batch norm, padding, resampling (issue #20)
  ...poolingOpInfos(),
];

/**
 * Max pools take `grid` inputs (distinct values 0.3 apart, so no window has
 * a tie and finite differences never move an argmax); running statistics
 * are created inside the function, as constants.
 */
function poolingOpInfos(): OpInfo[] {
  const F = bp.F;
  const info = (name: string, samples: (m: Make) => Sample[]): OpInfo => ({ name, gradgrad: true, samples: () => samples(new Make(name)) });
  const stats = (c: number, dtype: bp.DType) => [
    bp.linspace(-0.5, 0.5, c, { dtype }), bp.linspace(0.5, 1.5, c, { dtype }),
  ];
  return [
    info("maxPool2d", (m) => [
      { desc: "k=2 [1,2,4,4]", inputs: [m.grid([1, 2, 4, 4])], fn: (x) => F.maxPool2d(x, { kernelSize: 2 }) },
      { desc: "k=3 stride 2 padding 1, odd sizes", inputs: [m.grid([2, 1, 5, 5])], fn: (x) => F.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }) },
      { desc: "k=[2,3] stride [1,2] dilation [2,1]", inputs: [m.grid([1, 1, 6, 7])], fn: (x) => F.maxPool2d(x, { kernelSize: [2, 3], stride: [1, 2], dilation: [2, 1] }) },
      { desc: "ceilMode, partial windows", inputs: [m.grid([1, 1, 6, 6])], fn: (x) => F.maxPool2d(x, { kernelSize: 3, stride: 2, ceilMode: true }) },
      { desc: "unbatched [C,H,W] stride 1", inputs: [m.grid([2, 5, 4])], fn: (x) => F.maxPool2d(x, { kernelSize: 2, stride: 1 }) },
      { desc: "of a transposed view, batch 1", inputs: [m.grid([1, 2, 5, 4])], fn: (x) => F.maxPool2d(x.transpose(2, 3), { kernelSize: 2, stride: 1 }) },
      { desc: "values of returnIndices", inputs: [m.grid([1, 1, 5, 5])], fn: (x) => F.maxPool2d(x, { kernelSize: 2, ceilMode: true, returnIndices: true })[0] },
    ]),
    info("maxPool1d", (m) => [
      { desc: "k=3 stride 2 padding 1", inputs: [m.grid([2, 2, 7])], fn: (x) => F.maxPool1d(x, { kernelSize: 3, stride: 2, padding: 1 }) },
      { desc: "dilation 2 ceilMode", inputs: [m.grid([1, 1, 9])], fn: (x) => F.maxPool1d(x, { kernelSize: 2, stride: 2, dilation: 2, ceilMode: true }) },
      { desc: "of a narrowed view", inputs: [m.grid([1, 2, 8])], fn: (x) => F.maxPool1d(x.narrow(2, 1, 6), { kernelSize: 2 }) },
      { desc: "unbatched [C,L]", inputs: [m.grid([3, 5])], fn: (x) => F.maxPool1d(x, { kernelSize: 2, stride: 1 }) },
    ]),
    info("avgPool2d", (m) => [
      { desc: "k=2 [1,2,4,4]", inputs: [m.normal([1, 2, 4, 4])], fn: (x) => F.avgPool2d(x, { kernelSize: 2 }) },
      { desc: "k=3 stride 2 padding 1, pad not counted", inputs: [m.normal([1, 1, 5, 6])], fn: (x) => F.avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false }) },
      { desc: "ceilMode padding 1, odd sizes", inputs: [m.normal([2, 1, 5, 5])], fn: (x) => F.avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }) },
      { desc: "k=[2,3] stride [1,2] of a permuted view", inputs: [m.normal([1, 5, 2, 6])], fn: (x) => F.avgPool2d(x.permute([0, 2, 1, 3]), { kernelSize: [2, 3], stride: [1, 2] }) },
    ]),
    info("adaptiveAvgPool2d", (m) => [
      { desc: "5x7 -> [3,4]", inputs: [m.normal([1, 2, 5, 7])], fn: (x) => F.adaptiveAvgPool2d(x, [3, 4]) },
      { desc: "to 1 (global average), batch 2", inputs: [m.normal([2, 2, 3, 3])], fn: (x) => F.adaptiveAvgPool2d(x, 1) },
      { desc: "upsizing 3x2 -> [4,5]", inputs: [m.normal([1, 1, 3, 2])], fn: (x) => F.adaptiveAvgPool2d(x, [4, 5]) },
      { desc: "of a transposed view", inputs: [m.normal([1, 2, 4, 5])], fn: (x) => F.adaptiveAvgPool2d(x.transpose(2, 3), 2) },
    ]),
    info("pad", (m) => [
      { desc: "constant two dims, value 0.5", inputs: [m.normal([1, 2, 3, 4])], fn: (x) => F.pad(x, [1, 2, 0, 1], { value: 0.5 }) },
      { desc: "constant with negative amounts", inputs: [m.normal([2, 3, 4])], fn: (x) => F.pad(x, [-1, 2, 1, -2]) },
      { desc: "reflect two dims", inputs: [m.normal([1, 1, 4, 5])], fn: (x) => F.pad(x, [2, 1, 1, 3], { mode: "reflect" }) },
      { desc: "replicate, wider than the input", inputs: [m.normal([2, 3, 2])], fn: (x) => F.pad(x, [3, 2], { mode: "replicate" }) },
      { desc: "reflect of a transposed view", inputs: [m.normal([1, 2, 4, 3])], fn: (x) => F.pad(x.transpose(2, 3), [1, 1, 2, 2], { mode: "reflect" }) },
    ]),
    info("batchNorm", (m) => [
      { desc: "training [4,3] with weight and bias", inputs: [m.normal([4, 3]), m.normal([3]), m.normal([3])], fn: (x, w, b) => F.batchNorm(x, null, null, w, b, { training: true }) },
      { desc: "training [2,3,2,3] updating running stats", inputs: [m.normal([2, 3, 2, 3])], fn: (x) => F.batchNorm(x, ...stats(3, x.dtype) as [bp.Tensor, bp.Tensor], null, null, { training: true, momentum: 0.3 }) },
      { desc: "training [1,2,3,3] (batch 1) of a permuted view", inputs: [m.normal([1, 3, 3, 2]), m.positive([2])], fn: (x, w) => F.batchNorm(x.permute([0, 3, 1, 2]), null, null, w, null, { training: true, eps: 1e-3 }) },
      { desc: "eval [3,2,4] with running stats", inputs: [m.normal([3, 2, 4]), m.normal([2]), m.normal([2])], fn: (x, w, b) => F.batchNorm(x, ...stats(2, x.dtype) as [bp.Tensor, bp.Tensor], w, b) },
      // Fused batch norm (issue #20): [N, C] with weight only, and an eval-mode strided view without affine.
      { desc: "training [5,2] with weight, no bias", inputs: [m.normal([5, 2]), m.positive([2])], fn: (x, w) => F.batchNorm(x, null, null, w, null, { training: true }) },
      { desc: "eval [2,3,2,2] strided, no affine", inputs: [m.normal([2, 2, 2, 3])], fn: (x) => F.batchNorm(x.permute([0, 3, 1, 2]), ...stats(3, x.dtype) as [bp.Tensor, bp.Tensor]) },
    ]),
    info("interpolate", (m) => [
      { desc: "nearest [3,4] -> [5,7]", inputs: [m.normal([1, 2, 3, 4])], fn: (x) => F.interpolate(x, { size: [5, 7] }) },
      { desc: "nearest 3-D scaleFactor 2", inputs: [m.normal([2, 1, 3])], fn: (x) => F.interpolate(x, { scaleFactor: 2 }) },
      { desc: "bilinear [3,4] -> [5,6]", inputs: [m.normal([1, 2, 3, 4])], fn: (x) => F.interpolate(x, { size: [5, 6], mode: "bilinear" }) },
      { desc: "bilinear scaleFactor 0.6 (down)", inputs: [m.normal([1, 1, 5, 6])], fn: (x) => F.interpolate(x, { scaleFactor: 0.6, mode: "bilinear" }) },
      { desc: "bilinear of a transposed view", inputs: [m.normal([2, 1, 4, 3])], fn: (x) => F.interpolate(x.transpose(2, 3), { scaleFactor: 2, mode: "bilinear" }) },
    ]),
    info("dropout2d", (m) => [
      // A generator seeded inside the function: the same channel mask on every evaluation.
      { desc: "p=0.5, seeded mask", inputs: [m.normal([2, 4, 2, 3])], fn: (x) => F.dropout2d(x, { p: 0.5, generator: new bp.Generator(3) }) },
      { desc: "3-D [N,C,L], p=0.3", inputs: [m.normal([3, 2, 4])], fn: (x) => F.dropout2d(x, { p: 0.3, generator: new bp.Generator(5) }) },
    ]),
  ];
}

// ---------------------------------------------------------------- issue #14: std, log1p, expm1, silu, elu, mish, flip, roll, scatter, scatterAdd, clone, argsort

/**
 * A sample that runs the op on thousands of elements (so that the wasm and
 * native kernels, which start at 512 to 2,048 elements, run in forward and
 * backward) while gradcheck perturbs only a small leaf: the leaf [4,6] is
 * expanded to [128,4,6] and offset by fixed values spread over [lo, hi],
 * and the op's result is averaged over the 128 copies.
 */
function thousands(desc: string, make: MakeFn, lo: number, hi: number, f: (big: Tensor) => Tensor): Sample {
  const spread = bp.linspace(lo, hi, 128 * 24, { dtype: "float64" }).reshape([128, 4, 6]);
  return {
    desc: `${desc} (3,072 elements)`,
    inputs: [make([4, 6])],
    fn: (x) => f(x.expand([128, 4, 6]).add(spread.to(x.dtype))).mean(0),
  };
}

/** Fixed factors in [0.5, 1.5] of `shape`, in the dtype of `like`. */
function factors(shape: Shape, like: Tensor): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return bp.linspace(0.5, 1.5, n, { dtype: like.dtype }).reshape(shape);
}

function issue14Elementwise(name: string, make: (m: Make) => MakeFn, lo: number, hi: number, f: (x: Tensor) => Tensor): OpInfo {
  return {
    name,
    gradgrad: true,
    samples: () => {
      const mk = make(new Make(name));
      return [...unarySamples(mk, f), thousands("expanded and offset", mk, lo, hi, f)];
    },
  };
}

OPS.push(
  issue14Elementwise("log1p", (m) => m.positive, -0.45, 1.5, (x) => x.log1p()),
  issue14Elementwise("expm1", (m) => m.normal, -2, 2, (x) => x.expm1()),
  issue14Elementwise("silu", (m) => m.normal, -4, 4, (x) => x.silu()),
  issue14Elementwise("elu", (m) => m.awayFromZero, -2.0123, 2.0123, (x) => x.elu()),
  issue14Elementwise("elu(0.5)", (m) => m.awayFromZero, -2.0123, 2.0123, (x) => x.elu(0.5)),
  issue14Elementwise("mish", (m) => m.normal, -4, 4, (x) => x.mish()),
  {
    name: "std",
    gradgrad: true,
    samples: () => {
      const m = new Make("std");
      return [
        ...reductionSamples(m.normal, (x, d, k) => x.std(d, { keepdim: k }), false, false),
        { desc: "options object { dim, keepdim }", inputs: [m.normal([2, 3, 4])], fn: (x) => x.std({ dim: [0, 2], keepdim: true }) },
        { desc: "biased, dim 1", inputs: [m.normal([3, 4])], fn: (x) => x.std(1, { unbiased: false }) },
        { desc: "biased, size-1 dim (zero)", inputs: [m.normal([2, 1])], fn: (x) => x.std(1, { unbiased: false }) },
        thousands("over 128 copies", m.normal, -3, 3, (big) => big.square().std(0)),
      ];
    },
  },
  shapeOp("flip", (n) => [
    { desc: "dim 0", inputs: [n([3, 2])], fn: (x) => x.flip(0) },
    { desc: "dims [0,2]", inputs: [n([2, 3, 2])], fn: (x) => x.flip([0, 2]) },
    { desc: "varargs -1, 0", inputs: [n([2, 3])], fn: (x) => x.flip(-1, 0) },
    { desc: "0-d", inputs: [n([])], fn: (x) => x.flip(0) },
    { desc: "of a transposed view", inputs: [n([3, 2])], fn: (x) => x.T.flip(1) },
    thousands("dims [0,2]", n, -3, 3, (big) => big.flip([0, 2]).mul(big)),
  ]),
  shapeOp("roll", (n) => [
    { desc: "1 along dim 1", inputs: [n([2, 4])], fn: (x) => x.roll(1, 1) },
    { desc: "-5 along dim 0 (wraps)", inputs: [n([3, 2])], fn: (x) => x.roll(-5, 0) },
    { desc: "flattened", inputs: [n([2, 3])], fn: (x) => x.roll(4) },
    { desc: "[1,-1] along [0,1]", inputs: [n([3, 3])], fn: (x) => x.roll([1, -1], [0, 1]) },
    { desc: "of a narrowed view", inputs: [n([3, 5])], fn: (x) => x.narrow(1, 1, 3).roll(2, 1) },
    thousands("[7,1] along [0,2]", n, -3, 3, (big) => big.roll([7, 1], [0, 2]).mul(big)),
  ]),
  {
    name: "scatter",
    gradgrad: true,
    samples: () => {
      const m = new Make("scatter");
      const i = (rows: number[][]) => bp.tensor(rows, { dtype: "int32" });
      // 64 distinct rows of 128 (a repeated row's surviving value would depend on write order).
      const bigIndex = bp.randperm(128, { generator: new bp.Generator(14) }).narrow(0, 0, 64).reshape([64, 1, 1]).expand([64, 4, 6]).contiguous();
      return [
        { desc: "dim 0, src tensor", inputs: [m.normal([3, 4]), m.normal([2, 4])], fn: (x, s) => x.scatter(0, i([[2, 0, 1, 2], [0, 1, 2, 0]]), s) },
        { desc: "dim 1, a number", inputs: [m.normal([3, 4])], fn: (x) => x.scatter(1, i([[1, 3], [0, 2], [2, 1]]), 0.5) },
        { desc: "src larger than index", inputs: [m.normal([3, 4]), m.normal([3, 3])], fn: (x, s) => x.scatter(1, i([[3, 0], [1, 2], [0, 3]]), s) },
        { desc: "transposed self and src", inputs: [m.normal([4, 3]), m.normal([3, 2])], fn: (x, s) => x.T.scatter(1, i([[0, 3], [2, 1]]), s.T) },
        {
          desc: "[128,4,6], half the rows overwritten (3,072 elements)",
          inputs: [m.normal([4, 6]), m.normal([4, 6])],
          fn: (x, s) => x.expand([128, 4, 6]).mul(factors([128, 4, 6], x))
            .scatter(0, bigIndex, s.expand([64, 4, 6]).mul(factors([64, 4, 6], s))).mean(0),
        },
      ];
    },
  },
  {
    name: "scatterAdd",
    gradgrad: true,
    samples: () => {
      const m = new Make("scatterAdd");
      const i = (rows: number[][]) => bp.tensor(rows, { dtype: "int32" });
      const bigIndex = m.index([160, 4, 6], 128);
      return [
        { desc: "dim 0 with repeats", inputs: [m.normal([3, 4]), m.normal([2, 4])], fn: (x, s) => x.scatterAdd(0, i([[2, 0, 2, 2], [2, 1, 0, 2]]), s) },
        { desc: "dim 1, src larger", inputs: [m.normal([3, 5]), m.normal([3, 4])], fn: (x, s) => x.scatterAdd(1, i([[4, 4, 0], [1, 1, 1], [0, 2, 4]]), s) },
        { desc: "dim 0, index narrower than self", inputs: [m.normal([4, 3]), m.normal([2, 2])], fn: (x, s) => x.scatterAdd(0, i([[0, 0], [3, 3]]), s) },
        { desc: "of transposed views", inputs: [m.normal([3, 2]), m.normal([3, 2])], fn: (x, s) => x.T.scatterAdd(1, i([[0, 0, 2], [1, 2, 1]]), s.T) },
        {
          desc: "[128,4,6] from [160,4,6] (3,840 elements)",
          inputs: [m.normal([4, 6]), m.normal([4, 6])],
          fn: (x, s) => x.expand([128, 4, 6]).mul(factors([128, 4, 6], x))
            .scatterAdd(0, bigIndex, s.expand([160, 4, 6]).mul(factors([160, 4, 6], s))).mean(0),
        },
      ];
    },
  },
  shapeOp("clone", (n) => [
    { desc: "[2,3]", inputs: [n([2, 3])], fn: (x) => x.clone() },
    { desc: "of a transposed view", inputs: [n([3, 2])], fn: (x) => x.T.clone().mul(x.T) },
    { desc: "0-d", inputs: [n([])], fn: (x) => x.clone() },
  ]),
  {
    name: "argsort (sorting through gather)",
    gradgrad: true,
    samples: () => {
      const m = new Make("argsort");
      const sorted = (x: Tensor, dim: number, descending = false) => x.gather(dim, x.detach().argsort(dim, descending));
      return [
        { desc: "dim -1", inputs: [m.grid([3, 4])], fn: (x) => sorted(x, -1) },
        { desc: "dim 0, descending", inputs: [m.grid([3, 4])], fn: (x) => sorted(x, 0, true) },
        { desc: "of a transposed view", inputs: [m.grid([4, 3])], fn: (x) => sorted(x.T, 1) },
      ];
    },
  },
);

// ---------------------------------------------------------------- convolution (issue #20)

OPS.push(
  {
    name: "conv2d",
    gradgrad: true,
    samples: () => {
      const { normal: n } = new Make("conv2d");
      const conv = (opts: bp.F.ConvOptions) => (x: Tensor, w: Tensor, b?: Tensor) => bp.F.conv2d(x, w, b, opts);
      return [
        { desc: "[2,2,5,5] k3, no bias", inputs: [n([2, 2, 5, 5]), n([3, 2, 3, 3])], fn: conv({}) },
        { desc: "bias, stride 2, padding 1", inputs: [n([2, 2, 5, 5]), n([3, 2, 3, 3]), n([3])], fn: conv({ stride: 2, padding: 1 }) },
        { desc: "stride [2,1], padding [0,2], dilation [1,2], odd 6x5", inputs: [n([1, 2, 6, 5]), n([2, 2, 3, 2]), n([2])], fn: conv({ stride: [2, 1], padding: [0, 2], dilation: [1, 2] }) },
        { desc: 'padding "same", even kernel 4x2 (pads one more after)', inputs: [n([1, 2, 5, 4]), n([2, 2, 4, 2]), n([2])], fn: conv({ padding: "same" }) },
        { desc: 'padding "same" with dilation 2', inputs: [n([1, 1, 6, 5]), n([2, 1, 3, 2])], fn: conv({ padding: "same", dilation: 2 }) },
        { desc: 'padding "valid"', inputs: [n([1, 2, 4, 5]), n([2, 2, 2, 3])], fn: conv({ padding: "valid" }) },
        { desc: "groups 2", inputs: [n([2, 4, 4, 4]), n([6, 2, 2, 2]), n([6])], fn: conv({ groups: 2, padding: 1 }) },
        { desc: "depthwise (groups = channels, multiplier 2)", inputs: [n([1, 3, 5, 5]), n([6, 1, 3, 3]), n([6])], fn: conv({ groups: 3, stride: 2, padding: 1 }) },
        { desc: "batch 1, 1x1 kernel", inputs: [n([1, 3, 3, 4]), n([2, 3, 1, 1]), n([2])], fn: conv({}) },
        { desc: "more output channels than weights per channel (1 in, 6 out, k2)", inputs: [n([2, 1, 4, 4]), n([6, 1, 2, 2]), n([6])], fn: conv({ padding: 1 }) },
        { desc: "stride 3 leaves rows uncovered", inputs: [n([1, 1, 7, 8]), n([2, 1, 2, 2])], fn: conv({ stride: 3 }) },
        { desc: "unbatched [C,H,W]", inputs: [n([2, 4, 4]), n([2, 2, 3, 3]), n([2])], fn: conv({ padding: 1 }) },
        { desc: "transposed input (H and W swapped)", inputs: [n([2, 2, 5, 4]), n([3, 2, 3, 3])], fn: (x, w) => bp.F.conv2d(x.transpose(2, 3), w, null, { padding: [1, 0] }) },
        { desc: "narrowed input, permuted weight", inputs: [n([1, 5, 4, 4]), n([3, 3, 2, 2])], fn: (x, w) => bp.F.conv2d(x.narrow(1, 1, 2), w.permute([0, 3, 1, 2]).narrow(1, 0, 2)) },
        { desc: "expanded batch", inputs: [n([1, 2, 4, 4]), n([2, 2, 3, 3])], fn: (x, w) => bp.F.conv2d(x.expand([3, 2, 4, 4]), w, null, { stride: 2, padding: 1 }) },
      ];
    },
  },
  {
    name: "conv1d",
    gradgrad: true,
    samples: () => {
      const { normal: n } = new Make("conv1d");
      const conv = (opts: bp.F.ConvOptions) => (x: Tensor, w: Tensor, b?: Tensor) => bp.F.conv1d(x, w, b, opts);
      return [
        { desc: "[2,3,7] k3, bias", inputs: [n([2, 3, 7]), n([4, 3, 3]), n([4])], fn: conv({}) },
        { desc: "stride 2, padding 2, dilation 2", inputs: [n([2, 2, 9]), n([3, 2, 3])], fn: conv({ stride: 2, padding: 2, dilation: 2 }) },
        { desc: 'padding "same", even kernel 4', inputs: [n([1, 2, 6]), n([2, 2, 4]), n([2])], fn: conv({ padding: "same" }) },
        { desc: "depthwise groups 2", inputs: [n([1, 2, 5]), n([4, 1, 2]), n([4])], fn: conv({ groups: 2 }) },
        { desc: "unbatched [C,L]", inputs: [n([2, 5]), n([3, 2, 2])], fn: conv({ padding: [1] }) },
        { desc: "transposed input [N,L,C].transpose(1,2)", inputs: [n([2, 6, 3]), n([2, 3, 3])], fn: (x, w) => bp.F.conv1d(x.transpose(1, 2), w) },
      ];
    },
  },
  {
    name: "convTranspose2d",
    gradgrad: true,
    samples: () => {
      const { normal: n } = new Make("convTranspose2d");
      const convT = (opts: bp.F.ConvTransposeOptions) => (x: Tensor, w: Tensor, b?: Tensor) => bp.F.convTranspose2d(x, w, b, opts);
      return [
        { desc: "[2,3,3,3] k3, no bias", inputs: [n([2, 3, 3, 3]), n([3, 2, 3, 3])], fn: convT({}) },
        { desc: "stride 2, padding 1, outputPadding 1, bias", inputs: [n([1, 2, 3, 3]), n([2, 3, 3, 3]), n([3])], fn: convT({ stride: 2, padding: 1, outputPadding: 1 }) },
        { desc: "stride [2,1], dilation [1,2], odd 3x4", inputs: [n([1, 2, 3, 4]), n([2, 2, 2, 3]), n([2])], fn: convT({ stride: [2, 1], dilation: [1, 2] }) },
        { desc: "outputPadding 1 < dilation 2 at stride 1", inputs: [n([1, 1, 3, 3]), n([1, 2, 2, 2])], fn: convT({ dilation: 2, outputPadding: 1 }) },
        { desc: "groups 2", inputs: [n([2, 4, 3, 3]), n([4, 1, 2, 2]), n([2])], fn: convT({ groups: 2, stride: 2 }) },
        { desc: "unbatched [C,H,W]", inputs: [n([2, 3, 3]), n([2, 2, 2, 2])], fn: convT({ stride: 2 }) },
        { desc: "transposed input", inputs: [n([1, 2, 4, 3]), n([2, 2, 3, 3])], fn: (x, w) => bp.F.convTranspose2d(x.transpose(2, 3), w, null, { padding: 1 }) },
      ];
    },
  },
);

// ---------------------------------------------------------------- issue #15: sequence ops
OPS.push(
  {
    name: "cumsum",
    gradgrad: true,
    samples: () => {
      const { normal: n } = new Make("cumsum");
      return [
        { desc: "[5] dim 0", inputs: [n([5])], fn: (x) => x.cumsum(0) },
        { desc: "[2,3,4] dim 1", inputs: [n([2, 3, 4])], fn: (x) => x.cumsum(1) },
        { desc: "[2,3] dim -1", inputs: [n([2, 3])], fn: (x) => x.cumsum(-1) },
        { desc: "0-d", inputs: [n([])], fn: (x) => x.cumsum(0) },
        { desc: "size-1 dim", inputs: [n([3, 1])], fn: (x) => x.cumsum(1) },
        { desc: "transposed [3,2].T dim 1", inputs: [n([3, 2])], fn: (x) => x.T.cumsum(1) },
        { desc: "expanded [1,3]->[4,3] dim 0", inputs: [n([1, 3])], fn: (x) => x.expand([4, 3]).cumsum(0) },
      ];
    },
  },
  {
    name: "split",
    gradgrad: true,
    samples: () => {
      const { normal: n } = new Make("split");
      // Each piece scaled differently, so a gradient routed to the wrong piece shows.
      const weighted = (parts: Tensor[], dim: number) => bp.cat(parts.map((p, i) => p.mul(i + 1)), dim);
      return [
        { desc: "size 2 of 5 along dim 1 (last piece smaller)", inputs: [n([2, 5])], fn: (x) => weighted(x.split(2, 1), 1) },
        { desc: "sizes [1,3,0,2] along dim 0", inputs: [n([6, 2])], fn: (x) => weighted(x.split([1, 3, 0, 2]), 0) },
        { desc: "a piece used twice, dim -1", inputs: [n([3, 4])], fn: (x) => { const [a, b] = x.split(2, -1); return a.mul(b).add(a); } },
        { desc: "of a transposed view", inputs: [n([4, 3])], fn: (x) => weighted(x.T.split(3, 1), 1) },
      ];
    },
  },
  {
    name: "chunk",
    gradgrad: true,
    samples: () => {
      const { normal: n } = new Make("chunk");
      const weighted = (parts: Tensor[], dim: number) => bp.cat(parts.map((p, i) => p.mul(i + 1)), dim);
      return [
        { desc: "5 into 3 (sizes 2,2,1)", inputs: [n([5, 2])], fn: (x) => weighted(x.chunk(3), 0) },
        { desc: "6 into 4 (three chunks of 2)", inputs: [n([2, 6])], fn: (x) => weighted(x.chunk(4, 1), 1) },
        { desc: "one chunk", inputs: [n([3])], fn: (x) => weighted(x.chunk(1), 0) },
        { desc: "narrowed input, dim -1", inputs: [n([2, 7])], fn: (x) => weighted(x.narrow(1, 1, 5).chunk(2, -1), 1) },
      ];
    },
  },
  {
    name: "repeat",
    gradgrad: true,
    samples: () => {
      const { normal: n } = new Make("repeat");
      return [
        { desc: "[2,3] repeat(2,2)", inputs: [n([2, 3])], fn: (x) => x.repeat(2, 2) },
        { desc: "[3] repeat([2,1,2]) (new leading dims)", inputs: [n([3])], fn: (x) => x.repeat([2, 1, 2]) },
        { desc: "0-d repeat(3)", inputs: [n([])], fn: (x) => x.repeat(3) },
        { desc: "all ones", inputs: [n([2, 2])], fn: (x) => x.repeat(1, 1) },
        { desc: "transposed [3,2].T repeat(1,3)", inputs: [n([3, 2])], fn: (x) => x.T.repeat(1, 3) },
        { desc: "expanded [1,2]->[3,2] repeat(2,1)", inputs: [n([1, 2])], fn: (x) => x.expand([3, 2]).repeat(2, 1) },
      ];
    },
  },
  {
    name: "slice",
    gradgrad: true,
    samples: () => {
      const { normal: n } = new Make("slice");
      return [
        { desc: "[7] step 2", inputs: [n([7])], fn: (x) => x.slice(0, 0, null, 2) },
        { desc: "[3,8] dim 1, 1:7:3", inputs: [n([3, 8])], fn: (x) => x.slice(1, 1, 7, 3) },
        { desc: "negative start and end, dim -2", inputs: [n([6, 2])], fn: (x) => x.slice(-2, -5, -1) },
        { desc: "end past the size (clamped)", inputs: [n([4])], fn: (x) => x.slice(0, 1, 100, 2) },
        { desc: "slice of a slice", inputs: [n([2, 9])], fn: (x) => x.slice(1, 1, null, 2).slice(1, 0, null, 2) },
        { desc: "of a transposed view", inputs: [n([5, 3])], fn: (x) => x.T.slice(1, 0, 5, 2) },
      ];
    },
  },
  {
    name: "sort",
    gradgrad: true,
    samples: () => {
      const { grid: g } = new Make("sort");
      return [
        { desc: "[6] ascending", inputs: [g([6])], fn: (x) => x.sort().values },
        { desc: "[3,4] dim 0 descending", inputs: [g([3, 4])], fn: (x) => x.sort(0, true).values },
        { desc: "[2,3,4] dim 1", inputs: [g([2, 3, 4])], fn: (x) => x.sort(1).values },
        { desc: "0-d", inputs: [g([])], fn: (x) => x.sort().values },
        { desc: "of a transposed view", inputs: [g([4, 3])], fn: (x) => x.T.sort(-1, true).values },
      ];
    },
  },
  {
    name: "topk",
    gradgrad: true,
    samples: () => {
      const { grid: g } = new Make("topk");
      return [
        { desc: "[7] k=3 largest", inputs: [g([7])], fn: (x) => x.topk(3).values },
        { desc: "[3,5] k=2 smallest", inputs: [g([3, 5])], fn: (x) => x.topk(2, -1, false).values },
        { desc: "[4,3] k=4 along dim 0", inputs: [g([4, 3])], fn: (x) => x.topk(4, 0).values },
        { desc: "0-d k=1", inputs: [g([])], fn: (x) => x.topk(1).values },
        { desc: "of a narrowed view", inputs: [g([2, 6])], fn: (x) => x.narrow(1, 1, 4).topk(2, 1).values },
        { desc: "[2,40] k=3 (small k: quickselect)", inputs: [g([2, 40])], fn: (x) => x.topk(3, 1).values },
        { desc: "[30,2] k=2 smallest along dim 0 (small k: quickselect)", inputs: [g([30, 2])], fn: (x) => x.topk(2, 0, false).values },
      ];
    },
  },
  {
    name: "einsum",
    gradgrad: true,
    samples: () => {
      const { normal: n } = new Make("einsum");
      const e = (eq: string) => (...xs: Tensor[]) => bp.einsum(eq, ...xs);
      return [
        { desc: "ij,jk->ik", inputs: [n([2, 3]), n([3, 4])], fn: e("ij,jk->ik") },
        { desc: "bij,bjk->bik", inputs: [n([2, 2, 3]), n([2, 3, 2])], fn: e("bij,bjk->bik") },
        { desc: "bhqd,bhkd->bhqk (attention scores)", inputs: [n([1, 2, 3, 2]), n([1, 2, 4, 2])], fn: e("bhqd,bhkd->bhqk") },
        { desc: "ij->ji", inputs: [n([2, 3])], fn: e("ij->ji") },
        { desc: "ii->i (diagonal)", inputs: [n([3, 3])], fn: e("ii->i") },
        { desc: "ii-> (trace)", inputs: [n([3, 3])], fn: e("ii->") },
        { desc: "i,i-> (dot)", inputs: [n([4]), n([4])], fn: e("i,i->") },
        { desc: "i,j->ij (outer)", inputs: [n([2]), n([3])], fn: e("i,j->ij") },
        { desc: "ij-> (sum)", inputs: [n([2, 3])], fn: e("ij->") },
        { desc: "bij->bji", inputs: [n([2, 2, 3])], fn: e("bij->bji") },
        { desc: "implicit ij,jk", inputs: [n([2, 3]), n([3, 2])], fn: e("ij,jk") },
        { desc: "ij,ij->i (rowwise dot: batch without contraction)", inputs: [n([3, 2]), n([3, 2])], fn: e("ij,ij->i") },
        { desc: "ij,ij->ij (elementwise)", inputs: [n([2, 3]), n([2, 3])], fn: e("ij,ij->ij") },
        { desc: "bn,anm,bm->ba (bilinear, three operands)", inputs: [n([2, 3]), n([2, 3, 2]), n([2, 2])], fn: e("bn,anm,bm->ba") },
        { desc: "ik,kj->ji on a transposed view", inputs: [n([3, 2]), n([3, 4])], fn: (a, b) => bp.einsum("ik,kj->ji", a.T, b) },
        { desc: "size-1 label broadcasts: ij,j->ij", inputs: [n([2, 3]), n([1])], fn: e("ij,j->ij") },
        { desc: "...ij,jk->...ik", inputs: [n([2, 2, 3]), n([3, 2])], fn: e("...ij,jk->...ik") },
        { desc: "...qd,...kd->...qk with broadcast batch dims", inputs: [n([2, 1, 2, 3]), n([1, 2, 3, 3])], fn: e("...qd,...kd->...qk") },
        { desc: "...ij->ij (ellipsis summed)", inputs: [n([2, 2, 3])], fn: e("...ij->ij") },
      ];
    },
  },
  {
    // Large enough that the float32 path reaches the wasm/native GEMM and the wasm elementwise kernels.
    name: "sequence ops on thousands of elements",
    gradgrad: false,
    samples: () => {
      const { normal: n, grid: g } = new Make("sequence ops, large");
      return [
        { desc: "einsum ij,jk->ik [24,40]x[40,24]", inputs: [n([24, 40]), n([40, 24])], fn: (a, b) => bp.einsum("ij,jk->ik", a, b) },
        { desc: "einsum bij,bkj->bik [3,16,24]x[3,16,24]", inputs: [n([3, 16, 24]), n([3, 16, 24])], fn: (a, b) => bp.einsum("bij,bkj->bik", a, b) },
        { desc: "cumsum [40,30] dim 0, then times itself", inputs: [n([40, 30])], fn: (x) => { const c = x.cumsum(0); return c.mul(c); } },
        { desc: "repeat [30,20] repeat(2,2) then exp", inputs: [n([30, 20])], fn: (x) => x.repeat(2, 2).mul(0.1).exp() },
        { desc: "sort [8,150] dim 1", inputs: [g([8, 150])], fn: (x) => x.sort(1).values.mul(x) },
      ];
    },
  },
);

// Attention (issue #15): tril, triu, maskedFill, scaledDotProductAttention.
OPS.push(
  {
    name: "tril",
    gradgrad: true,
    samples: () => {
      const { normal: n } = new Make("tril");
      return [
        { desc: "[4,4] k=0", inputs: [n([4, 4])], fn: (x) => x.tril() },
        { desc: "[3,5] k=1", inputs: [n([3, 5])], fn: (x) => x.tril(1) },
        { desc: "batched [2,3,4,3] k=-1", inputs: [n([2, 3, 4, 3])], fn: (x) => bp.tril(x, -1) },
        { desc: "transposed input", inputs: [n([3, 4])], fn: (x) => x.T.tril() },
      ];
    },
  },
  {
    name: "triu",
    gradgrad: true,
    samples: () => {
      const { normal: n } = new Make("triu");
      return [
        { desc: "[4,4] k=0", inputs: [n([4, 4])], fn: (x) => x.triu() },
        { desc: "[5,3] k=-2", inputs: [n([5, 3])], fn: (x) => x.triu(-2) },
        { desc: "batched [3,2,4] k=2", inputs: [n([3, 2, 4])], fn: (x) => bp.triu(x, 2) },
        { desc: "expanded batch", inputs: [n([1, 3, 3])], fn: (x) => x.expand([2, 3, 3]).triu(1) },
      ];
    },
  },
  {
    name: "maskedFill",
    gradgrad: true,
    samples: () => {
      const { normal: n } = new Make("maskedFill");
      const g = new bp.Generator(15);
      const mask = (shape: Shape) => bp.rand(shape, { generator: g }).gt(0.5);
      return [
        { desc: "same-shape mask, number", inputs: [n([3, 4]), mask([3, 4])], fn: (x, m) => x.maskedFill(m, -2) },
        { desc: "mask [4] broadcast over [2,3,4]", inputs: [n([2, 3, 4]), mask([4])], fn: (x, m) => bp.maskedFill(x, m, 0.5) },
        { desc: "0-d tensor value gets the gradient of the filled entries", inputs: [n([2, 5]), n([]), mask([2, 5])], fn: (x, v, m) => x.maskedFill(m, v) },
        { desc: "transposed input", inputs: [n([4, 3]), mask([3, 4])], fn: (x, m) => x.T.maskedFill(m, 1) },
      ];
    },
  },
  {
    name: "scaledDotProductAttention",
    gradgrad: true,
    samples: () => {
      const { normal: n } = new Make("scaledDotProductAttention");
      const sdpa = bp.F.scaledDotProductAttention;
      const keep = bp.tensor([[1, 1, 0, 0], [1, 0, 1, 0], [0, 1, 1, 1]], { dtype: "int32" }).ne(0);
      return [
        { desc: "[2,3,4] no mask", inputs: [n([2, 3, 4]), n([2, 4, 4]), n([2, 4, 2])], fn: (q, k, v) => sdpa(q, k, v) },
        { desc: "bool mask [3,4] (true = attend)", inputs: [n([2, 3, 2]), n([2, 4, 2]), n([2, 4, 3]), keep], fn: (q, k, v, m) => sdpa(q, k, v, { attnMask: m }) },
        { desc: "float mask [2,1,3,4] over heads", inputs: [n([2, 2, 3, 2]), n([2, 2, 4, 2]), n([2, 2, 4, 2]), n([2, 1, 3, 4])], fn: (q, k, v, m) => sdpa(q, k, v, { attnMask: m }) },
        { desc: "isCausal, scale 0.5", inputs: [n([1, 4, 3]), n([1, 4, 3]), n([1, 4, 2])], fn: (q, k, v) => sdpa(q, k, v, { isCausal: true, scale: 0.5 }) },
        { desc: "transposed key, broadcast batch", inputs: [n([2, 3, 2]), n([2, 4]), n([4, 2])], fn: (q, k, v) => sdpa(q, k.T, v) },
      ];
    },
  },
);

// Op table (issue #13): ops that src/ops/table.ts lists and that had no samples of their own.
OPS.push(
  elementwise("sign", (m) => m.awayFromZero, (x) => x.sign()),
  elementwise("reciprocal", (m) => m.awayFromZero, (x) => x.reciprocal()),
  elementwise("erf", (m) => m.normal, (x) => x.erf()),
  shapeOp("contiguous", (n) => [
    { desc: "of a transposed view", inputs: [n([2, 3])], fn: (x) => x.T.contiguous() },
    { desc: "of an expanded view", inputs: [n([3, 1])], fn: (x) => x.expand([3, 4]).contiguous() },
    { desc: "already contiguous", inputs: [n([2, 2])], fn: (x) => x.contiguous() },
  ]),
  shapeOp("to", (n) => [
    { desc: "its own dtype", inputs: [n([2, 3])], fn: (x) => x.to(x.dtype) },
    { desc: "float64 and back (casts in the float32 run)", inputs: [n([3, 2])], fn: (x) => x.to("float64").exp().to(x.dtype) },
  ]),
  shapeOp("double", (n) => [
    { desc: "then back to the input's dtype", inputs: [n([2, 3])], fn: (x) => x.double().mul(x.double()).to(x.dtype) },
  ]),
);

// W7 speed (issue #15): layerNorm as one op (src/ops/layer-norm.ts), its plain backward one fused pass.
OPS.push({
  name: "layerNorm",
  gradgrad: true,
  samples: () => {
    const m = new Make("layerNorm");
    const F = bp.F;
    return [
      { desc: "[3,4] over the last dim, weight and bias", inputs: [m.normal([3, 4]), m.normal([4]), m.normal([4])], fn: (x, w, b) => F.layerNorm(x, [4], w, b) },
      { desc: "[2,2,3] over the last two dims, no affine", inputs: [m.normal([2, 2, 3])], fn: (x) => F.layerNorm(x, [2, 3]) },
      { desc: "weight only, eps 0.1, of a transposed view", inputs: [m.normal([3, 2]), m.normal([3])], fn: (x, w) => F.layerNorm(x.T, [3], w, null, 0.1) },
      { desc: "bias only, 1-D", inputs: [m.normal([5]), m.normal([5])], fn: (x, b) => F.layerNorm(x, [5], null, b) },
      { desc: "a weight of shape [1], broadcast (the composite path)", inputs: [m.normal([2, 3]), m.normal([1])], fn: (x, w) => F.layerNorm(x, [3], w) },
    ];
  },
});

// WebGPU index and loss kernels (issue #19): the fused cross-entropy of class indices and embedding,
// which test/webgpu/suites.e2e.test.ts also runs on the GPU (loss, gradient and indexAdd kernels).
OPS.push(
  {
    name: "crossEntropy of class indices",
    gradgrad: true,
    samples: () => {
      const m = new Make("crossEntropy of class indices");
      const classes = (v: number[]) => bp.tensor(v, { dtype: "int32" });
      return [
        { desc: "[5,4] mean", inputs: [m.normal([5, 4]), classes([0, 3, 1, 1, 2])], fn: (x, t) => bp.F.crossEntropy(x, t) },
        { desc: "[6,3] sum", inputs: [m.normal([6, 3]), classes([2, 2, 0, 1, 0, 2])], fn: (x, t) => bp.F.crossEntropy(x, t, { reduction: "sum" }) },
        { desc: "[5,4] ignoreIndex 1 (two rows ignored)", inputs: [m.normal([5, 4]), classes([0, 1, 3, 1, 2])], fn: (x, t) => bp.F.crossEntropy(x, t, { ignoreIndex: 1 }) },
        { desc: "[4,3] of a transposed view", inputs: [m.normal([3, 4]), classes([2, 0, 1, 1])], fn: (x, t) => bp.F.crossEntropy(x.T, t) },
      ];
    },
  },
  {
    name: "embedding",
    gradgrad: true,
    samples: () => {
      const m = new Make("embedding");
      const rows = (v: number[][]) => bp.tensor(v, { dtype: "int32" });
      return [
        { desc: "[7,3] table at [2,4] indices with repeats", inputs: [m.normal([7, 3]), rows([[0, 6, 2, 2], [6, 6, 1, 0]])], fn: (w, i) => bp.F.embedding(i, w) },
        { desc: "[5,2] table at [3] indices, one row never picked", inputs: [m.normal([5, 2]), rows([[4, 0, 4]]).reshape([3])], fn: (w, i) => bp.F.embedding(i, w) },
      ];
    },
  },
);
