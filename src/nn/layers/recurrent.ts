/**
 * Multi-layer, optionally bidirectional RNN, LSTM and GRU over whole
 * sequences, with PyTorch's parameter names (weight_ih_l0, weight_hh_l0,
 * bias_ih_l0, bias_hh_l0, …_reverse, then l1, …) and layouts: input
 * [L, N, H_in] ([N, L, H_in] with batchFirst, or unbatched [L, H_in]),
 * states [numLayers·numDirections, N, H].
 *
 * Each layer and direction projects the whole sequence's input with one
 * matmul (x·W_ihᵀ + b_ih, which reaches the GEMM kernels) and then runs the
 * recurrent part step by step (see recurrent-cells.ts). Everything is made of
 * differentiable ops, so backpropagation through time is the engine's own.
 */
import type { DType } from "../../backend/backend.js";
import { DTypeError, ShapeError, ValueError } from "../../errors.js";
import { stack, cat } from "../../ops/shape.js";
import { unbind } from "../../ops/unbind.js";
import { zeros } from "../../tensor/creation.js";
import type { Generator } from "../../tensor/random.js";
import { formatShape } from "../../tensor/shape.js";
import type { Tensor } from "../../tensor/tensor.js";
import { dropout, linear } from "../functional.js";
import { Module } from "../module.js";
import { Parameter } from "../parameter.js";
import { checkSize, gateCount, gruStep, initRecurrent, lstmStep, rnnStep, type RecurrentKind } from "./recurrent-cells.js";

export interface RecurrentOptions {
  /** Stacked layers, each reading the previous layer's output (default 1). */
  numLayers?: number;
  bias?: boolean;
  /** Input and output as [N, L, features] instead of [L, N, features] (states keep [layers·directions, N, H]). */
  batchFirst?: boolean;
  /** Dropout probability on the outputs of every layer but the last, in training mode only (default 0). */
  dropout?: number;
  /** Also run each layer from the last step to the first; outputs concatenate both directions (default false). */
  bidirectional?: boolean;
  dtype?: DType;
  /** Source of the initial weights and of the dropout masks (default: the global generator). */
  generator?: Generator;
}

export interface LSTMOptions extends RecurrentOptions {
  /** When > 0, h is projected to this size by weight_hr (PyTorch's proj_size); must be below hiddenSize (default 0). */
  projSize?: number;
}

export interface RNNOptions extends RecurrentOptions {
  nonlinearity?: "tanh" | "relu";
}

interface DirectionWeights {
  wIh: Tensor;
  wHh: Tensor;
  bIh: Tensor | null;
  bHh: Tensor | null;
  /** The LSTM's projection [projSize, H], or null. */
  wHr: Tensor | null;
}

/** The parameters, checks and time loop shared by RNN, LSTM and GRU. */
abstract class RecurrentBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  /** LSTM only: size of the projected h (0: no projection). */
  readonly projSize: number;
  private readonly generator: Generator | undefined;

  protected constructor(readonly kind: RecurrentKind, inputSize: number, hiddenSize: number, options: LSTMOptions) {
    super();
    const op = this.constructor.name;
    checkSize(op, "inputSize", inputSize);
    checkSize(op, "hiddenSize", hiddenSize, 1);
    const numLayers = options.numLayers ?? 1;
    checkSize(op, "numLayers", numLayers, 1);
    const p = options.dropout ?? 0;
    if (!(typeof p === "number" && p >= 0 && p <= 1)) throw new ValueError(`${op}: dropout must be a probability between 0 and 1, got ${p}`);
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = numLayers;
    this.bias = options.bias ?? true;
    this.batchFirst = options.batchFirst ?? false;
    this.dropout = p;
    this.bidirectional = options.bidirectional ?? false;
    this.generator = options.generator;
    const projSize = options.projSize ?? 0;
    checkSize(op, "projSize", projSize);
    if (projSize > 0 && kind !== "lstm") throw new ValueError(`${op}: projSize is only supported by LSTM`);
    if (projSize >= hiddenSize) throw new ValueError(`${op}: projSize must be smaller than hiddenSize=${hiddenSize}, got ${projSize}`);
    this.projSize = projSize;
    const outSize = this.outputSize;
    const dtype = options.dtype ?? "float32";
    const rows = gateCount(kind) * hiddenSize;
    // Fields in PyTorch's order, which is the state dict's order.
    for (let layer = 0; layer < numLayers; layer++) {
      const cols = layer === 0 ? inputSize : outSize * this.numDirections;
      for (let dir = 0; dir < this.numDirections; dir++) {
        const suffix = paramSuffix(layer, dir);
        const self = this as unknown as Record<string, Parameter>;
        self[`weight_ih${suffix}`] = new Parameter(zeros([rows, cols], { dtype }));
        self[`weight_hh${suffix}`] = new Parameter(zeros([rows, outSize], { dtype }));
        if (this.bias) {
          self[`bias_ih${suffix}`] = new Parameter(zeros([rows], { dtype }));
          self[`bias_hh${suffix}`] = new Parameter(zeros([rows], { dtype }));
        }
        if (projSize > 0) self[`weight_hr${suffix}`] = new Parameter(zeros([projSize, hiddenSize], { dtype }));
      }
    }
    this.resetParameters(options.generator);
  }

  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** Features of h per direction: projSize when the LSTM projects, else hiddenSize. */
  get outputSize(): number {
    return this.projSize > 0 ? this.projSize : this.hiddenSize;
  }

  resetParameters(generator?: Generator): void {
    initRecurrent(this.parameters(), this.hiddenSize, generator);
  }

  private weights(layer: number, dir: number): DirectionWeights {
    const self = this as unknown as Record<string, Tensor | undefined>;
    const suffix = paramSuffix(layer, dir);
    return {
      wIh: self[`weight_ih${suffix}`]!,
      wHh: self[`weight_hh${suffix}`]!,
      bIh: this.bias ? self[`bias_ih${suffix}`]! : null,
      bHh: this.bias ? self[`bias_hh${suffix}`]! : null,
      wHr: this.projSize > 0 ? self[`weight_hr${suffix}`]! : null,
    };
  }

  /**
   * Runs the stack over x with initial states `init` (h, and c for the LSTM;
   * each [layers·directions, N, H] or unbatched [layers·directions, H]).
   * Returns the output in x's layout and the final states in init's layout.
   */
  protected run(x: Tensor, init: (Tensor | undefined)[], stateNames: string[]): { output: Tensor; final: Tensor[] } {
    const { seq, unbatched, states } = this.prepare(x, init, stateNames);
    const dirs = this.numDirections;
    const finals: Tensor[][] = states.map(() => []);
    const initial = states.map((s) => unbind(s, 0));
    let layerInput = seq;
    for (let layer = 0; layer < this.numLayers; layer++) {
      if (layer > 0 && this.dropout > 0 && this.training) {
        layerInput = dropout(layerInput, this.dropout, true, { generator: this.generator });
      }
      const outputs: Tensor[] = [];
      for (let dir = 0; dir < dirs; dir++) {
        const index = layer * dirs + dir;
        const start = initial.map((slots) => slots[index]);
        const { output, last } = this.runDirection(layerInput, this.weights(layer, dir), start, dir === 1);
        outputs.push(output);
        last.forEach((t, k) => finals[k].push(t));
      }
      layerInput = dirs === 1 ? outputs[0] : cat(outputs, 2);
    }
    let output = layerInput;
    let final = finals.map((list) => stack(list, 0));
    if (unbatched) {
      output = output.squeeze(1);
      final = final.map((t) => t.squeeze(1));
    } else if (this.batchFirst) {
      output = output.transpose(0, 1);
    }
    return { output, final };
  }

  /** One direction of one layer over the whole sequence [L, N, in]: outputs [L, N, H] in time order and the last states. */
  private runDirection(input: Tensor, w: DirectionWeights, start: Tensor[], reverse: boolean): { output: Tensor; last: Tensor[] } {
    const steps = input.shape[0];
    // The input part of every step in one matmul. For RNN and LSTM b_hh adds
    // to it too (once, instead of once per step); the GRU keeps b_hn apart.
    let gx = linear(input, w.wIh, w.bIh);
    let bHh = w.bHh;
    if (this.kind !== "gru" && bHh) {
      gx = gx.add(bHh);
      bHh = null;
    }
    // One slice per step; unbind's backward assembles their gradients into one tensor.
    const stepInputs = unbind(gx, 0);
    const outputs: Tensor[] = new Array(steps);
    let h = start[0];
    let c = start[1];
    for (let k = 0; k < steps; k++) {
      const t = reverse ? steps - 1 - k : k;
      const gt = stepInputs[t];
      if (this.kind === "lstm") [h, c] = lstmStep(gt, h, c, w.wHh, bHh, w.wHr);
      else if (this.kind === "gru") h = gruStep(gt, h, w.wHh, bHh);
      else h = rnnStep(gt, h, w.wHh, bHh, this.kind === "rnn_relu");
      outputs[t] = h;
    }
    return { output: stack(outputs, 0), last: this.kind === "lstm" ? [h, c] : [h] };
  }

  /** Validates x and the states; returns x as [L, N, in] and the states as [layers·directions, N, H]. */
  private prepare(x: Tensor, init: (Tensor | undefined)[], stateNames: string[]): { seq: Tensor; unbatched: boolean; states: Tensor[] } {
    const op = this.constructor.name;
    const layout = this.batchFirst ? "[N, L, H_in] (batchFirst: true)" : "[L, N, H_in] (batchFirst: false)";
    if (x.ndim !== 2 && x.ndim !== 3) {
      throw new ShapeError(`${op}: expected a batched input ${layout} or an unbatched [L, H_in], got ${formatShape(x.shape)} (a ${x.ndim}-D tensor)${x.ndim === 1 ? `; for a single step use ${op}Cell` : ""}`);
    }
    const features = x.shape[x.ndim - 1];
    if (features !== this.inputSize) {
      throw new ShapeError(`${op}: input ${formatShape(x.shape)} has ${features} features in its last dimension, but inputSize=${this.inputSize}; the input must be ${x.ndim === 3 ? layout : "[L, H_in]"} with H_in=${this.inputSize}`);
    }
    const dtype = this.weights(0, 0).wIh.dtype;
    if (x.dtype !== dtype) {
      throw new DTypeError(`${op}: input is ${x.dtype} but the weights are ${dtype}; convert the input with .to("${dtype}") or the module with .to("${x.dtype}")`);
    }
    const unbatched = x.ndim === 2;
    const seq = unbatched ? x.unsqueeze(1) : this.batchFirst ? x.transpose(0, 1) : x;
    if (seq.shape[0] === 0) throw new ShapeError(`${op}: input ${formatShape(x.shape)} has a sequence length of 0; at least one step is needed`);
    const batch = seq.shape[1];
    const slots = this.numLayers * this.numDirections;
    const states = init.map((s, k) => {
      // h has outputSize features (projSize for a projecting LSTM); c has hiddenSize
      const size = k === 0 ? this.outputSize : this.hiddenSize;
      const want = unbatched ? [slots, size] : [slots, batch, size];
      if (s === undefined) return zeros([slots, batch, size], { dtype });
      if (formatShape(s.shape) !== formatShape(want)) {
        const name = stateNames[k];
        let hint = "";
        if (!unbatched && s.ndim === 3 && s.shape[1] !== batch && s.shape[1] === x.shape[this.batchFirst ? 1 : 0]) {
          hint = `; its batch ${s.shape[1]} matches the input's ${this.batchFirst ? "second" : "first"} dimension: is the input ${this.batchFirst ? "[L, N, H_in] (pass batchFirst: false)" : "[N, L, H_in] (pass batchFirst: true)"}?`;
        } else if (s.ndim !== want.length) {
          hint = unbatched ? "; an unbatched 2-D input takes 2-D states" : "; a batched 3-D input takes 3-D states";
        }
        const sizeName = k === 0 && this.projSize > 0 ? "projSize" : "hiddenSize";
        throw new ShapeError(
          `${op}: ${name} is ${formatShape(s.shape)}, but input ${formatShape(x.shape)} needs ${name} ${formatShape(want)} ([numLayers·numDirections=${slots}, ${unbatched ? "" : `N=${batch}, `}${sizeName}=${size}])${hint}`,
        );
      }
      if (s.dtype !== dtype) throw new DTypeError(`${op}: ${stateNames[k]} is ${s.dtype} but the weights are ${dtype}`);
      return unbatched ? s.unsqueeze(1) : s;
    });
    return { seq, unbatched, states };
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.numLayers !== 1) s += `, numLayers=${this.numLayers}`;
    if (!this.bias) s += ", bias=false";
    if (this.batchFirst) s += ", batchFirst=true";
    if (this.dropout) s += `, dropout=${this.dropout}`;
    if (this.bidirectional) s += ", bidirectional=true";
    if (this.projSize) s += `, projSize=${this.projSize}`;
    return s;
  }
}

function paramSuffix(layer: number, dir: number): string {
  return `_l${layer}${dir === 1 ? "_reverse" : ""}`;
}

/** Elman RNN: h_t = tanh(W_ih x_t + b_ih + W_hh h_(t−1) + b_hh) (or relu). `forward(x, h0?)` returns [output, hN]. */
export class RNN extends RecurrentBase {
  readonly nonlinearity: "tanh" | "relu";

  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    const nonlinearity = options.nonlinearity ?? "tanh";
    if (nonlinearity !== "tanh" && nonlinearity !== "relu") {
      throw new ValueError(`RNN: nonlinearity must be "tanh" or "relu", got ${JSON.stringify(nonlinearity)}`);
    }
    super(nonlinearity === "relu" ? "rnn_relu" : "rnn_tanh", inputSize, hiddenSize, options);
    this.nonlinearity = nonlinearity;
  }

  forward(x: Tensor, h0?: Tensor): [Tensor, Tensor] {
    const { output, final } = this.run(x, [h0], ["h0"]);
    return [output, final[0]];
  }

  override extraRepr(): string {
    return super.extraRepr() + (this.nonlinearity === "relu" ? ", nonlinearity=relu" : "");
  }
}

/**
 * Long short-term memory: `forward(x, [h0, c0]?)` returns [output, [hN, cN]].
 * With projSize, h (and the output) has projSize features: h = W_hr·(o ⊙ tanh(c)).
 */
export class LSTM extends RecurrentBase {
  constructor(inputSize: number, hiddenSize: number, options: LSTMOptions = {}) {
    super("lstm", inputSize, hiddenSize, options);
  }

  forward(x: Tensor, state?: [Tensor, Tensor]): [Tensor, [Tensor, Tensor]] {
    if (state !== undefined && (!Array.isArray(state) || state.length !== 2)) {
      throw new ValueError(`LSTM: the initial state must be a pair [h0, c0] of tensors, got ${Array.isArray(state) ? `an array of ${state.length}` : typeof state}`);
    }
    const { output, final } = this.run(x, [state?.[0], state?.[1]], ["h0", "c0"]);
    return [output, [final[0], final[1]]];
  }
}

/** Gated recurrent unit: `forward(x, h0?)` returns [output, hN]. */
export class GRU extends RecurrentBase {
  constructor(inputSize: number, hiddenSize: number, options: RecurrentOptions = {}) {
    super("gru", inputSize, hiddenSize, options);
  }

  forward(x: Tensor, h0?: Tensor): [Tensor, Tensor] {
    const { output, final } = this.run(x, [h0], ["h0"]);
    return [output, final[0]];
  }
}
