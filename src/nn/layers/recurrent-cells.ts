/**
 * One time step of the Elman RNN, the LSTM and the GRU, built from the
 * differentiable tensor ops (so backpropagation through time and second
 * derivatives are the engine's own), and the single-step modules RNNCell,
 * LSTMCell and GRUCell. Gate order and formulas are PyTorch's:
 *   RNN   h' = act(W_ih x + b_ih + W_hh h + b_hh)
 *   LSTM  i, f, g, o = split(W_ih x + b_ih + W_hh h + b_hh)
 *         c' = σ(f)·c + σ(i)·tanh(g),  h' = σ(o)·tanh(c')
 *   GRU   r, z = σ(split(W_ih x + b_ih + W_hh h + b_hh)[:2])
 *         n = tanh(W_in x + b_in + r·(W_hn h + b_hn)),  h' = (1 − z)·n + z·h
 */
import type { DType } from "../../backend/backend.js";
import { DTypeError, ShapeError, ValueError } from "../../errors.js";
import { zeros } from "../../tensor/creation.js";
import type { Generator } from "../../tensor/random.js";
import { formatShape } from "../../tensor/shape.js";
import type { Tensor } from "../../tensor/tensor.js";
import { unbind } from "../../ops/unbind.js";
import { linear } from "../functional.js";
import { uniform_ } from "../init.js";
import { Module } from "../module.js";
import { Parameter } from "../parameter.js";

export type RecurrentKind = "rnn_tanh" | "rnn_relu" | "lstm" | "gru";

/** Rows of W_ih per hidden unit: one per gate. */
export function gateCount(kind: RecurrentKind): number {
  return kind === "lstm" ? 4 : kind === "gru" ? 3 : 1;
}

/**
 * Elman step. `gx` is the input part W_ih x + b_ih [N, H] (with b_hh already
 * added when `bHh` is null).
 */
export function rnnStep(gx: Tensor, h: Tensor, wHh: Tensor, bHh: Tensor | null, relu: boolean): Tensor {
  const pre = gx.add(linear(h, wHh, bHh));
  return relu ? pre.relu() : pre.tanh();
}

/**
 * LSTM step; `gx` [N, 4H] as for rnnStep. Returns [h', c']; with a
 * projection `wHr` [P, H], h' = W_hr·(o ⊙ tanh(c')) has P features.
 */
export function lstmStep(gx: Tensor, h: Tensor, c: Tensor, wHh: Tensor, bHh: Tensor | null, wHr: Tensor | null = null): [Tensor, Tensor] {
  const [i, f, g, o] = gateSlices(gx.add(linear(h, wHh, bHh)), 4, c.shape[1]);
  const cNext = f.sigmoid().mul(c).add(i.sigmoid().mul(g.tanh()));
  const hNext = o.sigmoid().mul(cNext.tanh());
  return [wHr ? linear(hNext, wHr, null) : hNext, cNext];
}

/**
 * GRU step; `gx` = W_ih x + b_ih [N, 3H]. b_hh stays in the recurrent part
 * because its n-gate slice is scaled by r.
 */
export function gruStep(gx: Tensor, h: Tensor, wHh: Tensor, bHh: Tensor | null): Tensor {
  const hidden = h.shape[1];
  const [xr, xz, xn] = gateSlices(gx, 3, hidden);
  const [hr, hz, hn] = gateSlices(linear(h, wHh, bHh), 3, hidden);
  const r = xr.add(hr).sigmoid();
  const z = xz.add(hz).sigmoid();
  const n = xn.add(r.mul(hn)).tanh();
  // (1 − z)·n + z·h, written with one fewer op
  return n.add(z.mul(h.sub(n)));
}

/**
 * The gates of [N, G·H] pre-activations as G views [N, H]. Through unbind, so
 * that the backward pass assembles one [N, G·H] gradient (narrow would pad
 * each gate's gradient to full width and add them).
 */
function gateSlices(gates: Tensor, count: number, hidden: number): Tensor[] {
  return unbind(gates.reshape([gates.shape[0], count, hidden]), 1);
}

/** PyTorch's recurrent init: every weight and bias from U(±1/√hidden). */
export function initRecurrent(params: readonly Tensor[], hiddenSize: number, generator: Generator | undefined): void {
  if (hiddenSize === 0) return;
  const bound = 1 / Math.sqrt(hiddenSize);
  for (const p of params) uniform_(p, -bound, bound, { generator });
}

export function checkSize(op: string, name: string, v: number, min = 0): void {
  if (!Number.isInteger(v) || v < min) throw new ValueError(`${op}: ${name} must be an integer ≥ ${min}, got ${v}`);
}

export interface RecurrentCellOptions {
  bias?: boolean;
  dtype?: DType;
  /** Source of the initial weights (default: the global generator seeded by bp.manualSeed). */
  generator?: Generator;
}

export interface RNNCellOptions extends RecurrentCellOptions {
  nonlinearity?: "tanh" | "relu";
}

/** The weights and checks shared by the three cells. */
abstract class RecurrentCellBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  weight_ih: Parameter;
  weight_hh: Parameter;
  bias_ih: Parameter | null;
  bias_hh: Parameter | null;

  protected constructor(readonly kind: RecurrentKind, inputSize: number, hiddenSize: number, options: RecurrentCellOptions) {
    super();
    const op = this.constructor.name;
    checkSize(op, "inputSize", inputSize);
    checkSize(op, "hiddenSize", hiddenSize, 1);
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    const dtype = options.dtype ?? "float32";
    const rows = gateCount(kind) * hiddenSize;
    this.weight_ih = new Parameter(zeros([rows, inputSize], { dtype }));
    this.weight_hh = new Parameter(zeros([rows, hiddenSize], { dtype }));
    const bias = options.bias ?? true;
    this.bias_ih = bias ? new Parameter(zeros([rows], { dtype })) : null;
    this.bias_hh = bias ? new Parameter(zeros([rows], { dtype })) : null;
    this.resetParameters(options.generator);
  }

  resetParameters(generator?: Generator): void {
    initRecurrent(this.parameters(), this.hiddenSize, generator);
  }

  /** Checks x ([N, H_in] or unbatched [H_in]) and a state; returns the batched views and whether to squeeze back. */
  protected prepare(x: Tensor, states: (Tensor | undefined)[], stateNames: string[]): { x: Tensor; states: Tensor[]; unbatched: boolean } {
    const op = this.constructor.name;
    if (x.ndim !== 1 && x.ndim !== 2) {
      throw new ShapeError(`${op}: expected the input to be [N, ${this.inputSize}] or unbatched [${this.inputSize}], got ${formatShape(x.shape)} (a ${x.ndim}-D tensor); for sequences use ${op.replace("Cell", "")}`);
    }
    if (x.shape[x.ndim - 1] !== this.inputSize) {
      throw new ShapeError(`${op}: input ${formatShape(x.shape)} has ${x.shape[x.ndim - 1]} features in its last dimension, the cell expects inputSize=${this.inputSize}`);
    }
    const dtype = this.weight_ih.dtype;
    if (x.dtype !== dtype) {
      throw new DTypeError(`${op}: input is ${x.dtype} but the cell's weights are ${dtype}; convert the input with .to("${dtype}") or the cell with .to("${x.dtype}")`);
    }
    const unbatched = x.ndim === 1;
    const xb = unbatched ? x.unsqueeze(0) : x;
    const batch = xb.shape[0];
    const want = unbatched ? [this.hiddenSize] : [batch, this.hiddenSize];
    const out: Tensor[] = [];
    states.forEach((s, k) => {
      if (s === undefined) {
        out.push(zeros([batch, this.hiddenSize], { dtype }));
        return;
      }
      if (formatShape(s.shape) !== formatShape(want)) {
        throw new ShapeError(`${op}: ${stateNames[k]} is ${formatShape(s.shape)}, but input ${formatShape(x.shape)} needs ${stateNames[k]} ${formatShape(want)} ([${unbatched ? "" : "N, "}hiddenSize])`);
      }
      if (s.dtype !== dtype) throw new DTypeError(`${op}: ${stateNames[k]} is ${s.dtype} but the cell's weights are ${dtype}`);
      out.push(unbatched ? s.unsqueeze(0) : s);
    });
    return { x: xb, states: out, unbatched };
  }

  protected inputPart(x: Tensor): Tensor {
    return linear(x, this.weight_ih, this.bias_ih);
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias_ih ? "" : ", bias=false"}`;
  }
}

/** h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu). `forward(x, h?)` with x [N, H_in] or [H_in]. */
export class RNNCell extends RecurrentCellBase {
  readonly nonlinearity: "tanh" | "relu";

  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    const nonlinearity = options.nonlinearity ?? "tanh";
    if (nonlinearity !== "tanh" && nonlinearity !== "relu") {
      throw new ValueError(`RNNCell: nonlinearity must be "tanh" or "relu", got ${JSON.stringify(nonlinearity)}`);
    }
    super(nonlinearity === "relu" ? "rnn_relu" : "rnn_tanh", inputSize, hiddenSize, options);
    this.nonlinearity = nonlinearity;
  }

  forward(x: Tensor, h?: Tensor): Tensor {
    const p = this.prepare(x, [h], ["h"]);
    const next = rnnStep(this.inputPart(p.x), p.states[0], this.weight_hh, this.bias_hh, this.nonlinearity === "relu");
    return p.unbatched ? next.squeeze(0) : next;
  }

  override extraRepr(): string {
    return super.extraRepr() + (this.nonlinearity === "relu" ? ", nonlinearity=relu" : "");
  }
}

/** One LSTM step: `forward(x, [h, c]?)` returns [h', c']. */
export class LSTMCell extends RecurrentCellBase {
  constructor(inputSize: number, hiddenSize: number, options: RecurrentCellOptions = {}) {
    super("lstm", inputSize, hiddenSize, options);
  }

  forward(x: Tensor, state?: [Tensor, Tensor]): [Tensor, Tensor] {
    if (state !== undefined && (!Array.isArray(state) || state.length !== 2)) {
      throw new ValueError(`LSTMCell: the state must be a pair [h, c] of tensors, got ${Array.isArray(state) ? `an array of ${state.length}` : typeof state}`);
    }
    const p = this.prepare(x, [state?.[0], state?.[1]], ["h", "c"]);
    const [h, c] = lstmStep(this.inputPart(p.x), p.states[0], p.states[1], this.weight_hh, this.bias_hh);
    return p.unbatched ? [h.squeeze(0), c.squeeze(0)] : [h, c];
  }
}

/** One GRU step: `forward(x, h?)` returns h'. */
export class GRUCell extends RecurrentCellBase {
  constructor(inputSize: number, hiddenSize: number, options: RecurrentCellOptions = {}) {
    super("gru", inputSize, hiddenSize, options);
  }

  forward(x: Tensor, h?: Tensor): Tensor {
    const p = this.prepare(x, [h], ["h"]);
    const next = gruStep(this.inputPart(p.x), p.states[0], this.weight_hh, this.bias_hh);
    return p.unbatched ? next.squeeze(0) : next;
  }
}
