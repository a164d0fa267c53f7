/**
 * `backprop explain`: the chain rule written out for every parameter, each
 * factor's shape and norm, the product checked against autograd and finite
 * differences; optionally the computation graph as SVG or DOT.
 */
import { noGrad } from "../graph/mode.js";
import { explainChain, formatNumber, formatShape, recordGraph, toDot, toSvg, type ChainLayer, type Factor, type ParamChain } from "../explain/index.js";
import { UsageError } from "./errors.js";
import type { Tensor } from "../tensor/tensor.js";
import { atomicWrite } from "./files.js";
import { forwardByLayer } from "./model.js";
import { makeProbe } from "./probe.js";
import type { Output } from "./progress.js";
import { formatTable } from "./report.js";

export interface ExplainOptions {
  model?: string;
  batch: number;
  entries: number;
  graph?: string;
  seed: number;
  /** With `model`: where the model's data is now. */
  data?: string;
}

/** The product is the same arithmetic as backward in another order: equal up to float64 rounding. */
const AUTOGRAD_TOLERANCE = 1e-10;

function factorShape(f: Factor, index: number): string {
  // The first factor (∂L/∂ŷ) is one row per sample; the others are one Jacobian block per sample.
  if (index === 0) return formatShape(f.shape);
  if (f.block) {
    // Images: the per-sample block with the tensors' own shapes, (C×H×W)×(C'×H'×W').
    const part = (s: number[]) => (s.length === 1 ? String(s[0]) : `(${s.join("×")})`);
    return `${f.shape[0]} × [${part(f.block.out)}×${part(f.block.in)}]`;
  }
  const [batch, rows, ...cols] = f.shape;
  const inner = cols.length === 1 ? `${rows}×${cols[0]}` : `${rows}×(${cols.join("×")})`;
  return `${batch} × [${inner}]`;
}

function describeParam(p: ParamChain, shape: readonly number[]): string {
  const lines = [`${p.formula}      (${p.name})`];
  const rows = p.factors.map((f, i) => ["  " + f.symbol, factorShape(f, i), formatNumber(f.norm)]);
  lines.push(formatTable(["  factor", "shape (batch × Jacobian)", "‖·‖"], rows).trimEnd());
  let gnorm = 0;
  for (const v of p.chainGradient) gnorm += v * v;
  lines.push(`  product ∂L/∂${p.symbol} ${formatShape(shape)}, ‖·‖ ${formatNumber(Math.sqrt(gnorm))}; autograd: max |difference| ${formatNumber(p.maxAbsDiffAutograd)}`);
  const checks = p.finiteDifferences.map((c) => [`  ${p.symbol}[${c.index.join(",")}]`, formatNumber(c.chain), formatNumber(c.autograd), formatNumber(c.numeric)]);
  lines.push(formatTable(["  entry", "chain rule", "autograd", "finite diff."], checks).trimEnd());
  lines.push(`  finite differences (${p.finiteDifferences.length} entries): max |chain − numeric| ${formatNumber(p.maxAbsErrorNumeric)}: ${p.agreesWithNumeric ? "agree" : "DISAGREE"}`);
  return lines.join("\n");
}

/** Returns true when every product agrees with autograd and with finite differences. */
export function explainCommand(opts: ExplainOptions, out: Output): boolean {
  const probe = makeProbe(opts.model, opts.batch, opts.seed, opts.data);
  const { layers, preActivations } = forwardByLayer(probe.net, probe.batch.x);
  checkSize(layers, opts.batch);
  const yHat = layers[layers.length - 1].output;
  const loss = probe.lossOf(yHat);
  const named: [string, Tensor][] = [["L", loss], ["x", probe.batch.x]];
  for (const l of layers) {
    named.push([l.symbol, l.output]);
    for (const p of l.params) named.push([p.symbol, p.tensor]);
  }
  named.push(...preActivations);
  const recorder = recordGraph(loss, named);
  loss.backward(null, { retainGraph: true });
  const graph = recorder.finish();

  const results = explainChain({
    loss, layers, entriesPerParam: opts.entries, seed: opts.seed,
    lossAt: () => noGrad(() => probe.lossOf(probe.net.forward(probe.batch.x)).item()),
  });
  const text = [
    `explain: ${probe.description}`,
    `L = ${formatNumber(loss.item())}`,
    "Parameters from the output back, in the order backpropagation reaches them: each product reuses the factors",
    "above it, and every factor is a Jacobian taken from the recorded graph (one block per sample of the batch).",
    "",
  ];
  const bySymbol = new Map(results.map((r) => [r.symbol, r]));
  for (const layer of [...layers].reverse()) {
    for (const p of layer.params) text.push(describeParam(bySymbol.get(p.symbol)!, p.tensor.shape), "");
  }
  const bad = results.filter((r) => r.maxAbsDiffAutograd > AUTOGRAD_TOLERANCE * Math.max(1, maxAbs(r.autogradGradient)) || !r.agreesWithNumeric);
  text.push(bad.length === 0
    ? `verdict: PASS: for all ${results.length} parameters the chain-rule product equals autograd's gradient and agrees with finite differences`
    : `verdict: FAIL: ${bad.map((r) => r.symbol).join(", ")} disagree`);
  if (opts.graph) {
    atomicWrite(opts.graph, /\.dot$/i.test(opts.graph) ? toDot(graph) : toSvg(graph));
    text.push(`computation graph (${graph.nodes.length} nodes) written to ${opts.graph}`);
  }
  out.write(text.join("\n") + "\n");
  if (bad.length > 0) process.exitCode = 1;
  return bad.length === 0;
}

/** Backward passes one explanation takes at most: one per output unit of each layer and sample. */
const MAX_BACKWARD_PASSES = 200_000;

/**
 * Every factor is an explicit Jacobian, one backward pass per output unit:
 * fine for small networks, hours for a convnet on 28×28 images. Refuse
 * early, naming the layer, rather than appear to hang.
 */
function checkSize(layers: ChainLayer[], batch: number): void {
  let passes = 0;
  let widest = layers[0];
  for (const l of layers) {
    const units = l.output.size / l.output.shape[0];
    passes += units * (1 + l.output.shape[0] * l.params.length);
    if (units > widest.output.size / widest.output.shape[0]) widest = l;
  }
  if (passes > MAX_BACKWARD_PASSES) {
    const shape = widest.output.shape.slice(1).join("×");
    throw new UsageError(
      `explain: this network is too large to write out factor by factor: layer ${widest.symbol} alone has ${shape} outputs per sample, and the Jacobians would take about ${passes} backward passes (at most ${MAX_BACKWARD_PASSES}); ` +
        `${batch > 1 ? "try a smaller --batch (e.g. 1), or " : ""}check the gradients with: backprop gradcheck --model DIR --max-entries 200`,
    );
  }
}

function maxAbs(values: Float64Array): number {
  let m = 0;
  for (const v of values) m = Math.max(m, Math.abs(v));
  return m;
}
