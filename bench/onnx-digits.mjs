/**
 * Exported ONNX file sizes, and inference time of the digits MLP in
 * onnxruntime-web (wasm, one thread) against our forward pass (noGrad, eval,
 * the default backend). A quick comparison, not a benchmark: run
 * `npm run build` first, then `node bench/onnx-digits.mjs [backend]` (or
 * `npm run bench -- --only ONNX`, which runs bench/onnx-convnet.mjs too). On a busy machine
 * the numbers move by tens of percent between runs.
 */
import * as ort from "onnxruntime-web";
import * as bp from "../dist/index.node.js";
import { onnxFixtureModels } from "../test/fixtures/onnx-models.mjs";
import { medianMs } from "./lib/timing.mjs";

ort.env.wasm.numThreads = 1;
ort.env.logLevel = "error";

console.log("exported sizes (bytes, onnx file vs float32 weights):");
for (const [name, make] of Object.entries(onnxFixtureModels(bp))) {
  const { model, input } = make();
  const bytes = bp.onnx.exportModel(model, input);
  const weights = model.parameters().concat(model.buffers()).reduce((n, t) => n + t.size * (t.dtype === "float64" ? 8 : 4), 0);
  console.log(`  ${name.padEnd(14)} ${String(bytes.length).padStart(7)}  ${String(weights).padStart(7)}`);
}

if (process.argv[2]) await bp.setBackend(process.argv[2]);
bp.manualSeed(0);
const digits = bp.data.loadDigits();
const model = new bp.nn.Sequential(new bp.nn.Linear(64, 64), new bp.nn.ReLU(), new bp.nn.Linear(64, 10)).eval();
const session = await ort.InferenceSession.create(bp.onnx.exportModel(model, digits.features.narrow(0, 0, 2)));

const time = (fn, reps) => medianMs(fn, reps, 5);

console.log(`\ndigits MLP 64-64-10, median ms per forward (backend ${bp.getBackend()}), and the largest |ours − onnxruntime| of the outputs:`);
console.log("  batch      ours   onnxruntime-web   ours/ort   largest diff");
for (const batch of [1, 32, 1797]) {
  const x = digits.features.narrow(0, 0, batch).contiguous();
  const data = Float32Array.from(x.data());
  const feed = () => ({ input: new ort.Tensor("float32", data, [batch, 64]) });
  const ourOut = bp.noGrad(() => model.forward(x)).data();
  const theirOut = (await session.run(feed())).output.data;
  let worst = 0;
  for (let i = 0; i < ourOut.length; i++) worst = Math.max(worst, Math.abs(ourOut[i] - theirOut[i]));
  const ours = await time(() => bp.noGrad(() => model.forward(x)), 200);
  const theirs = await time(() => session.run(feed()), 200);
  console.log(`  ${String(batch).padStart(5)}  ${ours.toFixed(4).padStart(8)}  ${theirs.toFixed(4).padStart(8)}          ${(ours / theirs).toFixed(2).padStart(5)}×   ${worst.toExponential(2)}`);
}
await session.release();
