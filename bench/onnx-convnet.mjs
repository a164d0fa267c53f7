/**
 * The W6 convnet (Conv2d(1,32,5,p2)-ReLU-MaxPool2d(2)-Conv2d(32,64,5,p2)-
 * ReLU-MaxPool2d(2)-Flatten-Linear(3136,10)) in eval mode on batches of 64
 * 28×28 images: the exported file's size, onnxruntime-web's inference time
 * (wasm, one thread) next to our forward pass (noGrad, the default backend
 * or the one named) in the same process, and the largest output difference.
 * A quick comparison, not a benchmark: run `npm run build` first, then
 * `node bench/onnx-convnet.mjs [backend]` (or `npm run bench -- --only ONNX`).
 * On a busy machine the numbers move by tens of percent between runs.
 */
import * as ort from "onnxruntime-web";
import * as bp from "../dist/index.node.js";
import { medianMs } from "./lib/timing.mjs";

ort.env.wasm.numThreads = 1;
ort.env.logLevel = "error";

if (process.argv[2]) await bp.setBackend(process.argv[2]);
const BATCH = 64;
const REPS = 30;
const { nn } = bp;
bp.manualSeed(0);
const model = new nn.Sequential(
  new nn.Conv2d(1, 32, 5, { padding: 2 }), new nn.ReLU(), new nn.MaxPool2d(2),
  new nn.Conv2d(32, 64, 5, { padding: 2 }), new nn.ReLU(), new nn.MaxPool2d(2),
  new nn.Flatten(), new nn.Linear(3136, 10),
).eval();
const bytes = bp.onnx.exportModel(model, bp.rand([2, 1, 28, 28]));
const session = await ort.InferenceSession.create(bytes);

const time = (fn, reps) => medianMs(fn, reps, 3);

const x = bp.rand([BATCH, 1, 28, 28]).contiguous();
const data = Float32Array.from(x.data());
const feed = () => ({ input: new ort.Tensor("float32", data, [BATCH, 1, 28, 28]) });
const ourOut = bp.noGrad(() => model.forward(x)).data();
const theirOut = (await session.run(feed())).output.data;
let worst = 0;
for (let i = 0; i < ourOut.length; i++) worst = Math.max(worst, Math.abs(ourOut[i] - theirOut[i]));

// Interleaved rounds, so that load on the machine falls on both alike.
const ours = [], theirs = [];
for (let round = 0; round < 3; round++) {
  ours.push(await time(() => bp.noGrad(() => model.forward(x)), REPS / 3));
  theirs.push(await time(() => session.run(feed()), REPS / 3));
}
const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
const [o, t] = [median(ours), median(theirs)];
console.log(`W6 convnet, eval, batch ${BATCH} (ours: backend ${bp.getBackend()}; onnxruntime-web ${ort.env.versions?.web ?? ""} wasm, 1 thread):`);
console.log(`  exported file            ${bytes.length} bytes`);
console.log(`  ours                     ${o.toFixed(2)} ms per batch  (${(BATCH / o * 1000).toFixed(0)} samples/s)`);
console.log(`  onnxruntime-web          ${t.toFixed(2)} ms per batch  (${(BATCH / t * 1000).toFixed(0)} samples/s)`);
console.log(`  ours / onnxruntime time  ${(o / t).toFixed(2)}×  (below 1×: ours is faster)`);
console.log(`  largest |difference|     ${worst.toExponential(2)} (outputs up to ${Math.max(...Array.from(ourOut, Math.abs)).toFixed(3)})`);
await session.release();
