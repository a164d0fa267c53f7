/**
 * The convnet mode's training session: the network on the digits as
 * [N,1,8,8] images, Adam on shuffled minibatches of cross-entropy, and the
 * inspection of one test image: its feature maps, class probabilities, and
 * every kernel's gradient for that image's loss, with the conv layers'
 * inputs and output gradients captured by hooks (registerForwardHook on
 * each layer, retainGrad on each conv output) so the page can redo the
 * kernel gradient by hand. Runs in the convnet worker, and in Node for the
 * unit tests.
 */
import * as bp from "backpropagation";
import type { Dataset, Split } from "../data/dataset.js";
import { SeededRandom } from "../data/random.js";
import { centralDifferenceOf, type FiniteDifference } from "../viewmodel/finiteDifference.js";
import { entryIndex, type KernelEntry } from "./kernelGradient.js";
import { CONV_BLOCKS, DEFAULT_CONVNET_SETTINGS, IMAGE_SIZE, type ConvnetSettings } from "./architecture.js";
import { buildConvnet, type ConvnetModules } from "./network.js";

type Shape4 = [number, number, number, number];

/** What one conv block did to the inspected image, and its kernel with the gradient backward() left. */
export interface BlockCapture {
  /** The conv's input X, [1, C, H, W] (unpadded; the conv pads with zeros). */
  input: Float32Array;
  inputShape: Shape4;
  /** ∂L/∂Y for the conv's output Y (before the ReLU), [1, O, H', W']. */
  outputGrad: Float32Array;
  outputGradShape: Shape4;
  /** After the ReLU, [1, O, H', W']. */
  relu: Float32Array;
  reluShape: Shape4;
  /** After the max pooling. */
  pooled: Float32Array;
  pooledShape: Shape4;
  /** The kernel K [O, C, k, k] and its .grad after backward() on the image's loss. */
  weight: Float32Array;
  weightGrad: Float32Array;
  weightShape: Shape4;
  padding: number;
}

/** A kernel entry of conv block `block` (0-based). */
export interface KernelRef extends KernelEntry {
  block: number;
}

export interface Inspection {
  /** Index into the test set. */
  image: number;
  pixels: Float32Array;
  label: number;
  probabilities: Float32Array;
  /** Cross-entropy of this image alone: the loss every gradient in the inspection is of. */
  loss: number;
  blocks: BlockCapture[];
  /** The selected kernel entry: backward()'s value and the float64 central difference. */
  check: { ref: KernelRef; backward: number; finiteDifference: FiniteDifference };
}

export interface ConvnetEvaluation {
  testLoss: number;
  testAccuracy: number;
}

/** Images [N, 1, 8, 8] and int32 labels of a dataset of 64-pixel rows. */
function imagesOf(data: Dataset, dtype: "float32" | "float64" = "float32"): { x: bp.Tensor; y: bp.Tensor } {
  if (data.inputDim !== IMAGE_SIZE * IMAGE_SIZE) {
    throw new RangeError(`convnet: the data "${data.name}" has ${data.inputDim} features per row; the convnet takes ${IMAGE_SIZE}×${IMAGE_SIZE} images (64)`);
  }
  const x = bp.tensor(dtype === "float64" ? Float64Array.from(data.x) : data.x, { dtype }).reshape([data.length, 1, IMAGE_SIZE, IMAGE_SIZE]);
  return { x, y: bp.tensor(Int32Array.from(data.y), { dtype: "int32" }) };
}

function shape4(t: bp.Tensor): Shape4 {
  if (t.shape.length !== 4) throw new RangeError(`convnet: expected a 4-d tensor, got shape [${t.shape.join(", ")}]`);
  return [t.shape[0], t.shape[1], t.shape[2], t.shape[3]];
}

export class ConvnetTrainer {
  readonly settings: ConvnetSettings;
  readonly split: Split;
  readonly modules: ConvnetModules;
  steps = 0;
  epochs = 0;
  private readonly optimizer: bp.optim.Adam;
  private readonly shuffler: SeededRandom;
  private order: Int32Array;
  private cursor = 0;
  private readonly train: { x: bp.Tensor; y: bp.Tensor };
  private readonly test: { x: bp.Tensor; y: bp.Tensor };
  /** A float64 twin of the network for the finite difference (weights copied in on each use). */
  private twin: ConvnetModules | null = null;

  constructor(split: Split, settings: ConvnetSettings = DEFAULT_CONVNET_SETTINGS) {
    this.settings = settings;
    this.split = split;
    this.modules = buildConvnet(settings.seed);
    this.optimizer = new bp.optim.Adam(this.modules.net.parameters(), { lr: settings.learningRate });
    this.shuffler = new SeededRandom(settings.seed + 1);
    this.order = this.shuffler.permutation(split.train.length);
    this.train = imagesOf(split.train);
    this.test = imagesOf(split.test);
  }

  /** One Adam step on the next minibatch; returns its loss. */
  step(): number {
    const n = this.split.train.length;
    const size = Math.min(this.settings.batchSize, n);
    if (this.cursor + size > n) {
      this.order = this.shuffler.permutation(n);
      this.cursor = 0;
      this.epochs++;
    }
    const rows = bp.tensor(this.order.slice(this.cursor, this.cursor + size), { dtype: "int32" });
    this.cursor += size;
    // In a tidy scope: the step's activations feed the next step's allocations.
    const lossValue = bp.tidy(() => {
      const loss = bp.F.crossEntropy(this.modules.net.forward(this.train.x.indexSelect(0, rows)), this.train.y.indexSelect(0, rows));
      this.optimizer.zeroGrad();
      loss.backward();
      this.optimizer.step();
      return loss.item();
    });
    this.steps++;
    return lossValue;
  }

  evaluate(): ConvnetEvaluation {
    return bp.noGrad(() => {
      const logits = this.modules.net.forward(this.test.x);
      const testLoss = bp.F.crossEntropy(logits, this.test.y).item();
      const right = logits.argmax(1).eq(this.test.y).sum().item();
      return { testLoss, testAccuracy: right / this.split.test.length };
    });
  }

  /** The predicted class of each of the first `count` test images. */
  predictions(count: number): Int32Array {
    const n = Math.min(count, this.split.test.length);
    return bp.noGrad(() => Int32Array.from(this.modules.net.forward(this.test.x.narrow(0, 0, n)).argmax(1).data()));
  }

  /**
   * Test image `image` through the network, with hooks recording each conv
   * block's input, output (kept for its gradient), ReLU and pooled maps;
   * then backward() on that image's loss. The parameters' .grad is cleared
   * before and after, so training is not affected.
   */
  inspect(image: number, ref: KernelRef): Inspection {
    const test = this.split.test;
    if (!Number.isInteger(image) || image < 0 || image >= test.length) {
      throw new RangeError(`convnet inspect: image ${image} is outside the test set (0..${test.length - 1})`);
    }
    const { net, convs, relus, pools } = this.modules;
    checkRef(ref);
    const seen = CONV_BLOCKS.map(() => ({} as { input?: bp.Tensor; output?: bp.Tensor; relu?: bp.Tensor; pooled?: bp.Tensor }));
    const handles = [
      ...convs.map((m, b) => m.registerForwardHook((_m, inputs: bp.Tensor[], output: bp.Tensor) => {
        output.retainGrad();
        seen[b].input = inputs[0];
        seen[b].output = output;
      })),
      ...relus.map((m, b) => m.registerForwardHook((_m, _inputs, output: bp.Tensor) => void (seen[b].relu = output))),
      ...pools.map((m, b) => m.registerForwardHook((_m, _inputs, output: bp.Tensor) => void (seen[b].pooled = output))),
    ];
    const x = this.test.x.narrow(0, image, 1);
    const label = this.test.y.narrow(0, image, 1);
    let logits: bp.Tensor;
    let loss: bp.Tensor;
    net.zeroGrad();
    try {
      logits = net.forward(x);
      loss = bp.F.crossEntropy(logits, label);
      loss.backward();
    } finally {
      for (const h of handles) h.remove();
    }
    const blocks = seen.map((s, b): BlockCapture => {
      const conv = convs[b];
      if (!s.input || !s.output?.grad || !s.relu || !s.pooled || !conv.weight.grad) {
        throw new Error(`convnet inspect: conv block ${b + 1} was not recorded (a forward hook did not run)`);
      }
      return {
        input: Float32Array.from(s.input.data()), inputShape: shape4(s.input),
        outputGrad: Float32Array.from(s.output.grad.data()), outputGradShape: shape4(s.output.grad),
        relu: Float32Array.from(s.relu.data()), reluShape: shape4(s.relu),
        pooled: Float32Array.from(s.pooled.data()), pooledShape: shape4(s.pooled),
        weight: Float32Array.from(conv.weight.data()), weightGrad: Float32Array.from(conv.weight.grad.data()),
        weightShape: shape4(conv.weight), padding: CONV_BLOCKS[b].padding,
      };
    });
    net.zeroGrad(true); // nothing left behind for the next training step
    const pixels = Float32Array.from(x.data());
    const block = blocks[ref.block];
    return {
      image, pixels, label: test.y[image],
      probabilities: Float32Array.from(bp.noGrad(() => logits.softmax(1)).data()),
      loss: loss.item(),
      blocks,
      check: {
        ref,
        backward: block.weightGrad[entryIndex(ref, block.weightShape)],
        finiteDifference: this.finiteDifference(pixels, test.y[image], ref),
      },
    };
  }

  /** ∂L/∂K for one entry by nudging it both ways in a float64 copy of the network (the image's loss, as inspect's). */
  private finiteDifference(pixels: Float32Array, label: number, ref: KernelRef): FiniteDifference {
    const twin = (this.twin ??= buildConvnet(0, "float64"));
    const state = this.modules.net.stateDict();
    const weight = this.modules.convs[ref.block].weight;
    const name = this.modules.net.namedParameters().find(([, p]) => p === weight)![0];
    twin.net.loadStateDict(state);
    const values = Float64Array.from(weight.data());
    const at = entryIndex(ref, shape4(weight));
    const x = bp.tensor(Float64Array.from(pixels), { dtype: "float64" }).reshape([1, 1, IMAGE_SIZE, IMAGE_SIZE]);
    const target = bp.tensor([label], { dtype: "int32" });
    return centralDifferenceOf((delta) => {
      const nudged = values.slice();
      nudged[at] += delta;
      twin.net.loadStateDict({ [name]: bp.tensor(nudged, { dtype: "float64" }).reshape(weight.shape) }, { strict: false });
      return bp.noGrad(() => bp.F.crossEntropy(twin.net.forward(x), target).item());
    });
  }
}

export function checkRef(ref: KernelRef): void {
  const b = CONV_BLOCKS[ref.block];
  const ok = (v: number, size: number) => Number.isInteger(v) && v >= 0 && v < size;
  if (!b || !ok(ref.cOut, b.outChannels) || !ok(ref.cIn, b.inChannels) || !ok(ref.i, b.kernel) || !ok(ref.j, b.kernel)) {
    throw new RangeError(
      `convnet: kernel entry K${ref.block + 1}[${ref.cOut},${ref.cIn},${ref.i},${ref.j}] does not exist; `
      + CONV_BLOCKS.map((c, k) => `K${k + 1} is [${c.outChannels},${c.inChannels},${c.kernel},${c.kernel}]`).join(", "),
    );
  }
}
