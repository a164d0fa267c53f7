/**
 * Run by packed-shapes.test.ts as `node --allow-natives-syntax`: every op
 * below runs in the interpreter, then optimized by TurboFan, and each shape
 * and stride list of each tensor it returns must be a packed array of small
 * integers. Prints one JSON line: the cases whose lists were not.
 *
 * Why: V8 gives arrays made by `new Array(n)`, or by `.map` once TurboFan
 * has inlined it, another hidden class ("holey"). Optimized code that meets
 * a holey shape for the first time deoptimizes, and in W2 that happened to
 * about twenty functions near step 750.
 */
const bp = await import(new URL("../../dist/index.js", import.meta.url).href);

const x = bp.randn([4, 3, 5]);
const m = bp.randn([4, 5]);
const w = bp.randn([5, 6]);
const row = bp.randn([5]);
const labels = bp.tensor([0, 2, 1, 4], { dtype: "int32" });
const index = bp.tensor([[0, 2], [1, 0], [2, 2], [1, 1]], { dtype: "int32" });
const param = bp.randn([4, 5], { requiresGrad: true });
const model = new bp.nn.Sequential(new bp.nn.Linear(5, 6), new bp.nn.ReLU(), new bp.nn.Linear(6, 5));

/** name → a function returning the tensors to inspect. */
const cases = {
  "tensor": () => [bp.tensor([[1, 2], [3, 4]])],
  "zeros": () => [bp.zeros([2, 3])],
  "add (broadcast)": () => [m.add(row)],
  "mul (same shape)": () => [m.mul(m)],
  "sigmoid": () => [m.sigmoid()],
  "matmul": () => [bp.matmul(m, w)],
  "matmul (batched)": () => [bp.matmul(x, w)],
  "permute": () => [bp.permute(x, [2, 0, 1])],
  "transpose": () => [bp.transpose(x, 0, 2)],
  ".T": () => [m.T],
  "reshape": () => [bp.reshape(x, [12, 5])],
  "flatten": () => [bp.flatten(x, 1)],
  "expand": () => [bp.expand(row, [3, 5])],
  "unsqueeze": () => [bp.unsqueeze(m, 1)],
  "squeeze": () => [bp.squeeze(bp.unsqueeze(m, 0))],
  "narrow": () => [bp.narrow(x, 2, 1, 3)],
  "cat": () => [bp.cat([m, m], 1)],
  "stack": () => [bp.stack([m, m], 0)],
  "sum (dim)": () => [bp.sum(x, 1)],
  "sum (keepdim)": () => [bp.sum(x, [0, 2], true)],
  "mean (all, keepdim)": () => [bp.mean(x, null, true)],
  "max (dim)": () => [bp.max(x, 2)],
  "argmax (keepdim)": () => [bp.argmax(x, 1, true)],
  "softmax": () => [bp.softmax(x, 1)],
  "logSoftmax": () => [bp.logSoftmax(m, 1)],
  "gather": () => [bp.gather(m, 1, index)],
  "indexSelect": () => [bp.indexSelect(m, 1, bp.tensor([4, 0], { dtype: "int32" }))],
  "crossEntropy": () => [bp.F.crossEntropy(m, labels)],
  "mseLoss": () => [bp.F.mseLoss(m, m.mul(0.5))],
  "Sequential forward": () => [model.forward(m)],
  "backward (gradients)": () => {
    param.grad = null;
    const loss = bp.F.crossEntropy(model.forward(param), labels);
    loss.backward();
    return [param.grad, ...model.parameters().map((p) => p.grad)];
  },
};

function packedSmallIntegers(list) {
  return %HasSmiElements(list) && !%HasHoleyElements(list);
}

const failures = [];
function check(name, phase, tensors) {
  for (const t of tensors) {
    if (!packedSmallIntegers(t.shape)) failures.push(`${name} (${phase}): shape ${JSON.stringify(t.shape)}`);
    if (!packedSmallIntegers(t.strides)) failures.push(`${name} (${phase}): strides ${JSON.stringify(t.strides)}`);
  }
}
// First every case in the interpreter (which also gathers the type feedback
// TurboFan inlines from), then with the cases and every exported function
// optimized.
for (const [name, run] of Object.entries(cases)) {
  %PrepareFunctionForOptimization(run);
  check(name, "interpreted", run());
  for (let i = 0; i < 3; i++) run();
}
for (const namespace of [bp, bp.F]) {
  for (const value of Object.values(namespace)) {
    if (typeof value === "function" && !/^class\b/.test(Function.prototype.toString.call(value))) %OptimizeFunctionOnNextCall(value);
  }
}
for (const [name, run] of Object.entries(cases)) {
  %OptimizeFunctionOnNextCall(run);
  check(name, "optimized", run());
}
console.log(JSON.stringify({ cases: Object.keys(cases).length, failures }));
