/**
 * The recurrent mode's network and its training, on the library: an Elman
 * network unrolled over the sequence with the library's ops,
 *
 *   h_t = tanh(x_t·W_xh + h_{t−1}·W_hh + b),  ŷ = h_T·W_hy + b_y,
 *
 * trained with Adam on the mean squared error over every training sequence
 * at once (full batch). Plain code, so the unit tests drive it in Node;
 * the page runs it in its own Web Worker (worker.ts).
 */
import * as bp from "backpropagation";
import { makeSequences, type SequenceData } from "./sequenceTask.js";
import { checkRnnParam, type RnnParamRef, type RnnWeights } from "./bptt.js";
import { TEST_SEQUENCES, TRAIN_SEQUENCES, validateRnnConfig, type RnnConfig } from "./rnnConfig.js";

/** The five parameters, in this order everywhere: W_xh [1, H], W_hh [H, H], b [H], W_hy [H, 1], b_y [1]. */
export type RnnParameters = [bp.nn.Parameter, bp.nn.Parameter, bp.nn.Parameter, bp.nn.Parameter, bp.nn.Parameter];

/** ŷ [n, 1] for the sequences whose steps are `columns` (T tensors of [n, 1]). */
export function unrolledForward(params: readonly bp.Tensor[], columns: readonly bp.Tensor[]): bp.Tensor {
  const [wxh, whh, b, why, by] = params;
  let h: bp.Tensor | null = null; // h_0 = 0: the first step has no recurrent term
  for (const x of columns) {
    let a = x.matmul(wxh).add(b);
    if (h) a = a.add(h.matmul(whh));
    h = a.tanh();
  }
  return h!.matmul(why).add(by);
}

/** The steps of [n, T] sequences as T columns [n, 1]. */
function stepColumns(x: Float32Array | Float64Array, n: number, steps: number): bp.Tensor[] {
  const all = bp.fromStorage(x.slice(), [n, steps]);
  return Array.from({ length: steps }, (_, t) => all.narrow(1, t, 1));
}

export class RnnTrainer {
  readonly config: RnnConfig;
  readonly train: SequenceData;
  readonly test: SequenceData;
  readonly params: RnnParameters;
  steps = 0;
  private readonly optimizer: bp.optim.Adam;
  private readonly trainColumns: bp.Tensor[];
  private readonly testColumns: bp.Tensor[];
  private readonly trainTarget: bp.Tensor;
  private readonly testTarget: bp.Tensor;
  /** ∂L/∂θ of the last training step (over the whole batch), per parameter. */
  lastGrads: Float32Array[] | null = null;

  constructor(config: RnnConfig) {
    const problems = validateRnnConfig(config);
    if (problems.length > 0) throw new RangeError(`RnnTrainer: ${problems.join("; ")}`);
    this.config = config;
    this.train = makeSequences(config.task, config.steps, TRAIN_SEQUENCES, config.seed);
    this.test = makeSequences(config.task, config.steps, TEST_SEQUENCES, config.seed + 1000);
    const H = config.hidden;
    // PyTorch's nn.RNN initialisation: U(−1/√H, 1/√H) for every parameter.
    const generator = new bp.Generator(config.seed);
    const bound = 1 / Math.sqrt(H);
    const uniform = (shape: number[]) => new bp.nn.Parameter(bp.rand(shape, { generator }).mul(2 * bound).sub(bound).detach());
    this.params = [uniform([1, H]), uniform([H, H]), uniform([H]), uniform([H, 1]), uniform([1])];
    this.optimizer = new bp.optim.Adam(this.params, { lr: config.learningRate });
    this.trainColumns = stepColumns(this.train.x, this.train.count, config.steps);
    this.testColumns = stepColumns(this.test.x, this.test.count, config.steps);
    this.trainTarget = bp.fromStorage(Float32Array.from(this.train.y), [this.train.count, 1]);
    this.testTarget = bp.fromStorage(Float32Array.from(this.test.y), [this.test.count, 1]);
  }

  /** One Adam step on the mean squared error of every training sequence; returns that loss. */
  step(): number {
    // In a tidy scope: the unrolled steps' activations feed the next step's allocations.
    const lossValue = bp.tidy(() => {
      this.optimizer.zeroGrad();
      const loss = bp.F.mseLoss(unrolledForward(this.params, this.trainColumns), this.trainTarget);
      loss.backward();
      this.lastGrads = this.params.map((p) => Float32Array.from(p.grad!.data() as Float32Array));
      this.optimizer.step();
      return loss.item();
    });
    this.steps++;
    return lossValue;
  }

  /** Train and test loss, and the share of test sequences whose sign of ŷ is the target's. */
  evaluate(): { trainLoss: number; testLoss: number; testAccuracy: number } {
    return bp.noGrad(() => {
      const trainLoss = bp.F.mseLoss(unrolledForward(this.params, this.trainColumns), this.trainTarget).item();
      const out = unrolledForward(this.params, this.testColumns);
      const testLoss = bp.F.mseLoss(out, this.testTarget).item();
      const predicted = out.data() as Float32Array;
      let right = 0;
      for (let i = 0; i < predicted.length; i++) if ((predicted[i] >= 0 ? 1 : -1) === this.test.y[i]) right++;
      return { trainLoss, testLoss, testAccuracy: right / predicted.length };
    });
  }

  /** The weights as float64 copies, in bptt.ts's layout. */
  weights(): RnnWeights {
    const [wxh, whh, b, why, by] = this.params.map((p) => Float64Array.from(p.data() as Float32Array));
    return { inputs: 1, hidden: this.config.hidden, wxh, whh, b, why, by: by[0] };
  }

  /** Training sequence `example`: its ±1 bits and target. */
  sequence(example: number): { x: Float32Array; y: number } {
    if (!Number.isInteger(example) || example < 0 || example >= this.train.count) {
      throw new RangeError(`sequence: example ${example} is outside the training set (0..${this.train.count - 1})`);
    }
    const T = this.config.steps;
    return { x: this.train.x.slice(example * T, (example + 1) * T), y: this.train.y[example] };
  }

  /**
   * What `loss.backward()` gives for `param` on one training sequence: a
   * forward and backward pass on float64 copies of the parameters (the
   * training gradients stay as they are). Float64, because once the network
   * fits, ŷ − y is a small difference of numbers near 1 and float32 keeps
   * only its first few digits; in float64 the library's gradient and the
   * page's step-by-step sum agree to every printed digit.
   */
  exampleGradient(example: number, param: RnnParamRef): { grad: number; loss: number } {
    checkRnnParam(param, { inputs: 1, hidden: this.config.hidden });
    const { x, y } = this.sequence(example);
    const copies = this.params.map((p) => new bp.nn.Parameter(bp.fromStorage(Float64Array.from(p.data() as Float32Array), [...p.shape])));
    const target = bp.fromStorage(Float64Array.of(y), [1, 1]);
    const loss = bp.F.mseLoss(unrolledForward(copies, stepColumns(Float64Array.from(x), 1, x.length)), target);
    loss.backward();
    const index = { wxh: 0, whh: 1, b: 2 }[param.matrix];
    const grad = copies[index].grad!.data() as Float64Array;
    return { grad: grad[param.matrix === "b" ? param.col : param.row * this.config.hidden + param.col], loss: loss.item() };
  }
}
